"""The ``layers`` space (NAS-RL / MetaQNN chains): text, rules with clear errors, decisions, graphs, networks."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from workbench import OutOfSpaceError, estimators, spaces
from workbench.spaces.layers import conv, fc, pool


@pytest.fixture(scope="module")
def layers():
    return spaces.create("layers")


def test_text_round_trip_of_a_literal_arch(layers):
    text = "conv3-16 | conv5-32-s2 | conv3-32 | conv3-32+1 | pool2-s2 | fc64"
    arch = layers.from_string(text)
    assert arch == (conv(3, 16), conv(5, 32, 2), conv(3, 32), conv(3, 32, 1, (1,)), pool(2, 2), fc(64))
    assert layers.to_string(arch) == text
    hash(arch)
    # widths for the default 28x28 input: ceil-halving at each stride-2 layer
    assert layers.sizes(arch) == [28, 28, 14, 14, 14, 7, 7]


@pytest.mark.parametrize("text, message", [
    ("conv3-16 | pool2-s2 | conv3-16+0", "skip from layer 0 has the wrong size"),
    ("fc64", "at most 8x8, here it is 28x28"),
    ("conv3-16-s2 | conv3-16-s2 | fc64 | conv3-8", "no convolution or pooling may follow a fully connected layer"),
    ("conv4-16", "kernel size 4 is not in this space; accepted: [1, 3, 5]"),
    ("conv3-16 | conv3-16 | conv3-16+1", "(layers 0..0), got 1"),
    ("conv3-16 | conv3-16+0", "(none here), got 0"),
    ("pool7-s7", "pool (kernel, stride) (7, 7) is not in this space"),
    ("conv3-16 | " * 6 + "conv3-16", "1..6 layers, got 7"),
    ("conv3-16 | relu", "cannot read layer 'relu'"),
])
def test_rules_give_errors_that_name_the_problem(layers, text, message):
    with pytest.raises(OutOfSpaceError) as err:
        layers.validate(text)
    assert message in str(err.value)


def test_downsampling_a_1x1_map_is_refused():
    small = spaces.create("layers", input_size=2)
    small.validate("conv3-8-s2")
    with pytest.raises(OutOfSpaceError, match="cannot downsample a 1x1 feature map"):
        small.validate("conv3-8-s2 | pool2-s2")


def test_decisions_round_trip_and_repairs(layers):
    decisions = layers.decisions()
    # 6 layers x (type, kernel, filters, stride, pool, units) + skips 0+0+1+2+3+4
    assert len(decisions) == 6 * 6 + 10
    assert decisions[0] == ("layer 0 type", ("conv", "pool", "fc"))
    assert decisions[6] == ("layer 1 type", ("conv", "pool", "fc", "stop"))
    rng = np.random.default_rng(0)
    for _ in range(50):
        arch = layers.sample(rng)
        assert layers.from_decisions(layers.to_decisions(arch)) == arch
    # a skip of the wrong size is dropped rather than producing an invalid arch
    choices = layers.to_decisions("conv3-16 | pool2-s2 | conv3-16")
    skip_index = [name for name, _ in decisions].index("layer 2 skip from 0")
    choices[skip_index] = 1
    assert layers.to_string(layers.from_decisions(choices)) == "conv3-16 | pool2-s2 | conv3-16"
    choices = layers.to_decisions("conv3-16 | conv3-16 | conv3-16")
    choices[skip_index] = 1
    assert layers.to_string(layers.from_decisions(choices)) == "conv3-16 | conv3-16 | conv3-16+0"


def test_graph_has_chain_and_skip_edges(layers):
    g = layers.to_graph("conv3-16 | conv3-16 | conv3-16+0 | pool2-s2")
    assert g.nodes[2]["label"] == "conv3-16+0"
    ops = {(u, v): d["op"] for u, v, d in g.edges(data=True)}
    assert ops == {("input", 0): "chain", (0, 1): "chain", (1, 2): "chain", (0, 2): "skip", (2, 3): "chain",
                   (3, "output"): "chain"}


def test_network_parameters_and_any_input_size(layers):
    arch = layers.from_string("conv3-8 | conv3-8 | conv1-16+0 | pool2-s2")
    net = layers.build(arch, num_classes=10, in_channels=1)
    # conv 1*8*9 + BN 16; conv 8*8*9 + 16; concat 16 channels: 16*16 + 32; classifier 16*10 + 10
    assert sum(p.numel() for p in net.parameters()) == 88 + 592 + 288 + 170
    for size in (28, 8, 13):
        assert net(torch.zeros(2, 1, size, size)).shape == (2, 10)
    with_fc = layers.build("conv3-8-s2 | pool3-s2 | fc32 | fc32", num_classes=10, in_channels=1)
    # flatten 8 x 7 x 7 into fc32, fc32, classifier
    assert with_fc.classifier.in_features == 32
    assert with_fc.blocks[2][0].in_features == 8 * 7 * 7
    assert with_fc(torch.zeros(3, 1, 20, 20)).shape == (3, 10)


def test_trains_on_digits_in_seconds():
    space = spaces.create("layers", input_size=8)
    est = estimators.create("train", space=space, dataset="digits", epochs=5, data={"limit": 600}, device="cpu",
                            lr=0.1)
    result = est.evaluate("conv3-16 | pool2-s2 | conv3-32")
    assert result.objective > 80.0  # chance is 10%
    assert result.cost_s < 20
