"""The NAS-Bench-201 space: official text, all 15,625 cells, errors, isomorphism, the network."""
from __future__ import annotations

import numpy as np
import pytest

from workbench import OutOfSpaceError

# The best NB201 cell on CIFAR-10 (official index 13714 in the NB201 paper's benchmark)
BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"


def test_size_and_enumeration(nb201):
    archs = list(nb201.enumerate())
    assert nb201.size() == 15625 == len(archs) == len(set(archs))
    assert [nb201.code(a) for a in archs[:5]] == [0, 1, 2, 3, 4]
    assert nb201.from_code(15624) == archs[-1]


def test_round_trip_of_every_cell(nb201):
    for arch in nb201.enumerate():
        text = nb201.to_string(arch)
        assert nb201.from_string(text) == arch


def test_round_trip_of_every_official_string(nb201, nb201_table):
    texts = nb201_table.arch_strings.tolist()
    assert len(set(texts)) == 15625
    for text in texts:
        assert nb201.to_string(nb201.from_string(text)) == text


def test_known_arch_text_and_order(nb201):
    arch = nb201.from_string(BEST)
    assert arch == ("nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_3x3", "nor_conv_3x3")
    assert nb201.to_string(arch) == BEST


MALFORMED = [
    ("", "empty"),
    ("   ", "empty"),
    ("|nor_conv_3x3~0|", "1 node group"),
    ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|", "2 node group"),
    (BEST + "+|none~0|", "4 node group"),
    (BEST.replace("nor_conv_3x3~0|+", "conv_3x3~0|+", 1), "unknown op 'conv_3x3'"),
    (BEST.replace("skip_connect", "skip"), "unknown op 'skip'"),
    (BEST.replace("skip_connect", "SKIP_CONNECT"), "unknown op 'SKIP_CONNECT'"),
    (BEST.replace("nor_conv_3x3~2", "max_pool_3x3~2"), "unknown op 'max_pool_3x3'"),
    (BEST.replace("nor_conv_3x3~2", "sep_conv_3x3~2"), "unknown op 'sep_conv_3x3'"),
    (BEST.replace("~1|+|skip", "~2|+|skip"), "names input '2', expected 1"),
    (BEST.replace("skip_connect~0", "skip_connect~1"), "names input '1', expected 0"),
    (BEST.replace("nor_conv_3x3~2", "nor_conv_3x3~3"), "names input '3', expected 2"),
    (BEST.replace("nor_conv_3x3~2", "nor_conv_3x3~x"), "names input 'x'"),
    (BEST.replace("skip_connect~0", "skip_connect0"), "lacks '~'"),
    (BEST.replace("skip_connect~0|", ""), "node 3 has 2 input"),
    ("|nor_conv_3x3~0|nor_conv_3x3~1|+|none~0|none~1|+|none~0|none~1|none~2|", "node 1 has 2 input"),
    (BEST.replace("+", "-"), "1 node group"),
    (BEST[1:], "must start and end with '|'"),
    (BEST[:-1], "must start and end with '|'"),
    (BEST.replace("|+|", "||+|", 1), "node 1 has 2 input"),
    ("|none~0|+|none~0|none~1|+|none~0|none~1|none~2| |", "node 3 has 4 input"),
    ("nor_conv_3x3~0+nor_conv_3x3~0|nor_conv_3x3~1+x", "must start and end with '|'"),
    (BEST.replace("~", "-"), "lacks '~'"),
]


@pytest.mark.parametrize("text,expected", MALFORMED)
def test_malformed_strings_say_what_is_wrong(nb201, text, expected):
    with pytest.raises(OutOfSpaceError) as err:
        nb201.from_string(text)
    message = str(err.value)
    assert expected in message
    assert repr(text.strip()) in message or repr(text) in message
    if "unknown op" in expected:
        assert "none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3" in message


def test_at_least_twenty_malformed_cases():
    assert len(MALFORMED) >= 20


@pytest.mark.parametrize("bad", [("nor_conv_3x3",) * 5, ("nor_conv_3x3",) * 7, ("conv",) * 6, 3.5, {"a": 1}])
def test_malformed_tuples(nb201, bad):
    with pytest.raises(OutOfSpaceError):
        nb201.validate(bad)


def test_isomorphism_classes_match_the_paper(nb201):
    # NB201 paper (Dong & Yang 2020, section 3): 15,625 cells, of which 6,466 are unique up to isomorphism
    assert len({nb201.key(a) for a in nb201.enumerate()}) == 6466


def test_known_isomorphic_pair(nb201):
    # both compute conv3x3(x) + x: the order of terms in a sum and dead zero edges do not matter
    a = "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|skip_connect~1|none~2|"
    b = "|skip_connect~0|+|none~0|none~1|+|nor_conv_3x3~0|skip_connect~1|none~2|"
    c = "|nor_conv_1x1~0|+|none~0|none~1|+|skip_connect~0|skip_connect~1|none~2|"
    assert nb201.key(a) == nb201.key(b)
    assert nb201.key(a) != nb201.key(c)


def test_neighbours_and_mutation(nb201):
    arch = nb201.from_string(BEST)
    nbrs = nb201.neighbours(arch)
    assert len(nbrs) == 6 * 4 == len(set(nbrs))
    assert all(sum(x != y for x, y in zip(arch, n)) == 1 for n in nbrs)
    rng = np.random.default_rng(0)
    for _ in range(50):
        assert nb201.mutate(arch, rng) in nbrs


def test_graph(nb201):
    g = nb201.to_graph(BEST)
    assert sorted(g.nodes) == [0, 1, 2, 3]
    assert g.number_of_edges() == 6
    assert g.edges[2, 3]["op"] == "nor_conv_3x3" and g.edges[0, 3]["op"] == "skip_connect"
    assert g.nodes[0]["op"] == "input" and g.nodes[3]["op"] == "output"


def test_encoding_is_one_hot(nb201):
    vec = nb201.encode(BEST)
    assert vec.shape == (30,) and vec.sum() == 6
    assert vec.reshape(6, 5)[3].tolist() == [0, 1, 0, 0, 0]


@pytest.mark.parametrize("shape", [(1, 8, 8), (3, 32, 32), (1, 28, 28)])
def test_build_forward_and_backward(nb201, shape):
    import torch

    torch.manual_seed(0)
    net = nb201.build(BEST, num_classes=10, in_channels=shape[0], channels=8, cells_per_stage=1)
    x = torch.randn(4, *shape)
    out = net(x)
    assert out.shape == (4, 10)
    out.sum().backward()
    grads = [p.grad for p in net.parameters() if p.requires_grad]
    assert all(g is not None for g in grads)
    assert any(float(g.abs().sum()) > 0 for g in grads)


# Parameter counts (millions) recorded in the official NATS-Bench topology files (NATS-tss-v1_0-3ffb9,
# indices 0, 11 and 284; "params" of cifar10-valid and cifar100): our C=16, N=5 network matches exactly.
OFFICIAL_PARAMS = [
    ("|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|", 0.129306, 0.135156),
    ("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|", 0.802426, 0.808276),
    ("|skip_connect~0|+|skip_connect~0|skip_connect~1|+|none~0|nor_conv_1x1~1|none~2|", 0.101306, 0.107156),
]


@pytest.mark.parametrize("text,params10,params100", OFFICIAL_PARAMS)
def test_default_network_matches_official_parameter_counts(nb201, text, params10, params100):
    for classes, expected in ((10, params10), (100, params100)):
        net = nb201.build(text, num_classes=classes)
        assert sum(p.numel() for p in net.parameters()) == round(expected * 1e6)
    assert len(net.cells) == 17  # 3 stages of 5 cells + 2 residual reduction blocks
