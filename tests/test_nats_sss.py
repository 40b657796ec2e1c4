"""The NATS-Bench size space: 32,768 channel configurations, numbered as NATS numbers them."""
from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import SHARED_DATA
from workbench import spaces
from workbench.errors import OutOfSpaceError


@pytest.fixture(scope="module")
def sss():
    return spaces.create("nats_sss")


def test_size_and_numbering_match_nats(sss):
    assert sss.size() == 32768 == len(list(sss.enumerate()))
    # NATS' meta_archs: index 0, 1, 11, 284 and the last one
    for index, text in ((0, "8:8:8:8:8"), (1, "8:8:8:8:16"), (11, "8:8:8:16:32"), (284, "8:8:40:32:40"), (32767, "64:64:64:64:64")):
        assert sss.code(text) == index and sss.to_string(sss.from_code(index)) == text


def test_numbering_matches_the_official_meta_file(sss):
    meta = SHARED_DATA / "nb201" / "nats_official_format" / "NATS-sss-v1_0-50262-simple" / "meta.pickle.pbz2"
    if not meta.exists():
        pytest.skip(f"official NATS sss meta file not found at {meta}")
    from workbench.benchmarks._unpickle import load_pbz2

    assert load_pbz2(meta)["meta_archs"] == [sss.to_string(a) for a in sss.enumerate()]


@pytest.mark.parametrize("bad,why", [("8:8:8:8", "4 part"), ("8:8:8:8:12", "12 channels"), ("a:8:8:8:8", "integer"),
                                     ((8, 8, 8, 8, 72), "72 channels"), (5, "expected a string")])
def test_validate_says_what_is_wrong(sss, bad, why):
    with pytest.raises(OutOfSpaceError, match=why):
        sss.validate(bad)


def test_exploration_and_views(sss):
    rng = np.random.default_rng(0)
    arch = sss.sample(rng)
    assert sss.validate(arch) == arch
    child = sss.mutate(arch, rng)
    assert sum(a != b for a, b in zip(arch, child)) == 1
    assert len(sss.neighbours(arch)) == 5 * 7 and child in sss.neighbours(arch)
    assert sss.from_decisions(sss.to_decisions(arch)) == arch
    enc = sss.encode("8:16:24:32:64")
    assert enc.shape == (40,) and enc.sum() == 5 and np.flatnonzero(enc).tolist() == [0, 9, 18, 27, 39]
    g = sss.to_graph("8:16:24:32:64")
    assert g.number_of_nodes() == 7 and all("op" in d for _, d in g.nodes(data=True)) and all("op" in d for *_, d in g.edges(data=True))


# --- the network (build) ------------------------------------------------------------------------------
# Parameter counts (millions) recorded in the official NATS-Bench size-space files
# ../shared/data/nb201/nats_official_format/NATS-sss-v1_0-50262-simple/{000000,000011,000284}.pickle.pbz2
# ("params" of cifar10-valid / cifar100 / ImageNet16-120 results, the same for every seed and epoch budget).
OFFICIAL_SSS_PARAMS = [
    ("8:8:8:8:8", 0.011714, 0.012524, 0.012704),
    ("8:8:8:16:32", 0.049202, 0.052172, 0.052832),
    ("8:8:40:32:40", 0.144834, 0.148524, 0.149344),  # cell 2 widens 8 -> 40: the projected skip is counted
]


@pytest.mark.parametrize("text,params10,params100,params120", OFFICIAL_SSS_PARAMS)
def test_network_matches_official_parameter_counts(sss, text, params10, params100, params120):
    for classes, expected in ((10, params10), (100, params100), (120, params120)):
        net = sss.build(text, num_classes=classes)
        assert sum(p.numel() for p in net.parameters()) == round(expected * 1e6)
    assert len(net.cells) == 5 and net.widths == sss.from_string(text)


def test_fixed_cell_is_the_nats_genotype():
    from workbench.nn.nats_sss import NATS_SSS_CELL

    # the genotype hard-coded in NATS-Bench's exps/NATS-Bench/main-sss.py (NB201 index 9930)
    nb201 = spaces.create("nb201")
    text = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    assert nb201.from_string(text) == NATS_SSS_CELL


@pytest.mark.parametrize("shape", [(1, 8, 8), (3, 32, 32)])
def test_build_forward_and_backward(sss, shape):
    import torch

    torch.manual_seed(0)
    net = sss.build("8:16:8:24:16", num_classes=10, in_channels=shape[0])
    out = net(torch.randn(4, *shape))
    assert out.shape == (4, 10)
    out.sum().backward()
    grads = [p.grad for p in net.parameters()]
    assert all(g is not None for g in grads)
    assert any(float(g.abs().sum()) > 0 for g in grads)


def test_build_rejects_out_of_space_widths(sss):
    with pytest.raises(OutOfSpaceError, match="12 channels"):
        sss.build("8:8:12:8:8", num_classes=10)
