"""The mobilenet space: text, limits, build, and parameter equality with the ``ofa`` package's OFAMobileNetV3."""
from __future__ import annotations

import numpy as np
import pytest

from workbench import OutOfSpaceError, spaces


@pytest.fixture(scope="module")
def space():
    return spaces.create("mobilenet")


def test_text_is_readable_and_bounded(space):
    text = "k3e4 k5e6 | k7e3 k3e3 k5e4 | k3e6 k3e6 | k5e3 k5e3 k5e3 k5e3 | k7e6 k3e4"
    arch = space.from_string(text)
    assert arch[1] == ((7, 3), (3, 3), (5, 4))
    assert space.to_string(arch) == text
    with pytest.raises(OutOfSpaceError, match="at most"):
        space.from_string("k3e4 " * 2000)
    with pytest.raises(OutOfSpaceError, match="depth 1"):
        space.from_string("k3e4 | k3e4 k3e4 | k3e4 k3e4 | k3e4 k3e4 | k3e4 k3e4")
    with pytest.raises(OutOfSpaceError, match="kernels"):
        space.validate((((9, 4), (3, 4)),) * 5)
    with pytest.raises(OutOfSpaceError, match="5 stages"):
        space.from_string("k3e4 k3e4")


def test_build_runs_and_neighbours_are_one_change(space):
    import torch

    arch = space.sample(np.random.default_rng(4))
    net = space.build(arch, num_classes=10, in_channels=1)
    assert net(torch.randn(2, 1, 28, 28)).shape == (2, 10)
    for other in space.neighbours(arch):
        diff = sum(a != b for a, b in zip(space.to_decisions(arch), space.to_decisions(other)))
        assert diff >= 1
    assert space.size() > 10**18


@pytest.mark.parametrize("width_mult", [0.25, pytest.param(1.0, marks=pytest.mark.slow)])
def test_parameter_count_equals_the_ofa_package(width_mult):
    ofa_mbv3 = pytest.importorskip(
        "ofa.imagenet_classification.elastic_nn.networks",
        reason="the `ofa` package (dev extra: pip install ofa) is not installed; parameter equality not checked")
    from workbench.nn.cost import count_params

    space = spaces.create("mobilenet", width_mult=width_mult)
    ofa = ofa_mbv3.OFAMobileNetV3(n_classes=10, width_mult=width_mult, ks_list=[3, 5, 7],
                                  expand_ratio_list=[3, 4, 6], depth_list=[2, 3, 4], dropout_rate=0)
    rng = np.random.default_rng(0)
    largest = tuple(((7, 6),) * 4 for _ in range(5))
    for arch in [largest] + [space.sample(rng) for _ in range(3)]:
        ofa.set_active_subnet(**space.to_ofa(arch))
        assert count_params(space.build(arch, 10)) == count_params(ofa.get_active_subnet()), space.to_string(arch)


def test_to_ofa_writes_the_ofa_packages_subnet_encoding():
    space = spaces.create("mobilenet")
    arch = space.from_string(space.to_string(tuple(((7, 6),) * 4 if i == 0 else ((5, 4), (3, 3)) for i in range(5))))
    setting = space.to_ofa(arch)
    assert setting["d"] == [4, 2, 2, 2, 2]
    assert setting["ks"][:8] == [7, 7, 7, 7, 5, 3, 3, 3] and setting["e"][:8] == [6, 6, 6, 6, 4, 3, 3, 3]
    assert len(setting["ks"]) == len(setting["e"]) == 20

