"""The DARTS / NAS-Bench-301 cell space: DARTS' genotype text, validation, exploration, graphs, build."""
from __future__ import annotations

import re
from collections import namedtuple

import numpy as np
import pytest
import torch

from workbench import spaces
from workbench.errors import OutOfSpaceError
from workbench.spaces.darts import DARTS_OPS, DARTS_V2, GENOTYPE_OPS, Genotype

# DARTS_V2 exactly as DARTS' cnn/genotypes.py prints it (quantumlabs/darts, Liu et al. 2019)
DARTS_V2_TEXT = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], "
    "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
)


@pytest.fixture(scope="module")
def space():
    return spaces.create("darts")


def test_ops_and_genotype_are_darts_compatible():
    assert DARTS_OPS == ("none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
                         "dil_conv_3x3", "dil_conv_5x5")
    assert Genotype._fields == ("normal", "normal_concat", "reduce", "reduce_concat")
    darts_genotype = namedtuple("Genotype", "normal normal_concat reduce reduce_concat")
    theirs = darts_genotype(normal=[list(p) for p in DARTS_V2.normal], normal_concat=range(2, 6),
                            reduce=list(DARTS_V2.reduce), reduce_concat=[2, 3, 4, 5])
    assert Genotype(*theirs) == DARTS_V2
    assert hash(DARTS_V2) == hash(Genotype(*theirs))


def test_text_round_trip(space):
    assert repr(DARTS_V2) == DARTS_V2_TEXT
    assert space.to_string(DARTS_V2) == DARTS_V2_TEXT
    assert space.from_string(DARTS_V2_TEXT) == DARTS_V2
    # DARTS' search code prints concat as range(2, 6)
    assert space.from_string(DARTS_V2_TEXT.replace("[2, 3, 4, 5]", "range(2, 6)")) == DARTS_V2
    rng = np.random.default_rng(3)
    for _ in range(5):
        g = space.sample(rng)
        assert space.from_string(space.to_string(g)) == g


@pytest.mark.parametrize("bad, reason", [
    (DARTS_V2._replace(normal=[("none", 0)] + list(DARTS_V2.normal[1:])), "'none', which DARTS only uses in the supernet"),
    (DARTS_V2._replace(normal=[("conv_7x1_1x7", 0)] + list(DARTS_V2.normal[1:])), "unknown op 'conv_7x1_1x7'"),
    (DARTS_V2._replace(normal=list(DARTS_V2.normal[:7])), "has 7 (op, input) pairs, expected 8"),
    (DARTS_V2._replace(reduce=list(DARTS_V2.reduce[:7]) + [("max_pool_3x3", 5)]), "may read inputs 0..4"),
    (DARTS_V2._replace(normal=[("sep_conv_3x3", 1)] + list(DARTS_V2.normal[1:])), "reads input 1 twice"),
    (DARTS_V2._replace(normal_concat=[2, 3]), "normal_concat is [2, 3]"),
    (DARTS_V2._replace(normal=list(DARTS_V2.normal[:7]) + [("dil_conv_3x3", -1)]), "('dil_conv_3x3', -1) feeds node 5"),
    (DARTS_V2._replace(normal="abc"), "3 (op, input) pairs"),
    ("Genotype(normal=[('sep_conv_3x3', 0)", "does not parse"),
    ("Genotype(normal=__import__('os').listdir('.'), reduce=[])", "is not a literal list"),
    ("Genotype(normal=[], reduce=[], bogus=1)", "unknown field 'bogus'"),
    ("Nope(normal=[])", "expected 'Genotype("),
    (42, "a DARTS arch is a Genotype"),
])
def test_malformed_genotypes(space, bad, reason):
    with pytest.raises(OutOfSpaceError, match=re.escape(reason)):
        space.validate(bad)


def test_size_and_sample_is_uniform_over_nb301_config(space):
    # per cell: input pairs 1 * 3 * 6 * 10, 7 ops on each of 8 edges
    assert space.size() == (180 * 7**8) ** 2
    rng = np.random.default_rng(0)
    genotypes = [space.sample(rng) for _ in range(300)]
    assert all(space.contains(g) for g in genotypes)
    node5_inputs = {tuple(sorted(src for _, src in g.normal[6:8])) for g in genotypes}
    assert len(node5_inputs) == 10  # all C(5, 2) pairs appear
    ops = {op for g in genotypes for op, _ in g.normal + g.reduce}
    assert ops == set(GENOTYPE_OPS)
    assert space.sample(np.random.default_rng(1)) == space.sample(np.random.default_rng(1))


def test_key_is_invariant_to_pair_order_and_independent_node_order(space):
    swapped_pairs = DARTS_V2._replace(normal=[DARTS_V2.normal[1], DARTS_V2.normal[0]] + list(DARTS_V2.normal[2:]))
    assert swapped_pairs != DARTS_V2 and space.key(swapped_pairs) == space.key(DARTS_V2)
    # nodes 2 and 3 of DARTS_V2's normal cell both read only inputs 0 and 1: exchanging them, and renaming
    # the references to them, is the same network
    n = DARTS_V2.normal
    exchanged = [n[2], n[3], n[0], n[1], n[4], n[5], n[6], ("dil_conv_3x3", 3)]  # node 5 read old node 2, now node 3
    assert space.key(DARTS_V2._replace(normal=exchanged)) == space.key(DARTS_V2)
    changed = DARTS_V2._replace(normal=list(n[:7]) + [("dil_conv_5x5", 2)])
    assert space.key(changed) != space.key(DARTS_V2)


def test_mutate_and_neighbours(space):
    rng = np.random.default_rng(5)
    for _ in range(20):
        child = space.mutate(DARTS_V2, rng)
        assert space.contains(child) and space.key(child) != space.key(DARTS_V2)
        diffs = sum(a != b for a, b in zip(child.normal + child.reduce, DARTS_V2.normal + DARTS_V2.reduce))
        assert diffs == 1
    neighbours = space.neighbours(DARTS_V2)
    keys = {space.key(g) for g in neighbours}
    assert len(keys) == len(neighbours) and space.key(DARTS_V2) not in keys
    # 16 edges x 6 other ops, plus input changes, less isomorphic duplicates
    assert 96 <= len(neighbours) <= 96 + 2 * (0 + 1 + 2 * 2 + 2 * 3)


def test_decisions_round_trip(space):
    rng = np.random.default_rng(2)
    g = space.sample(rng)
    decisions = space.decisions()
    assert len(decisions) == 24 and decisions[0] == ("normal node 2 inputs", ((0, 1),))
    assert space.from_decisions(space.to_decisions(g)) == g
    with pytest.raises(OutOfSpaceError, match="out of range"):
        space.from_decisions([9] + [0] * 23)


def test_encode(space):
    vec = space.encode(DARTS_V2)
    assert vec.shape == (196,) and vec.sum() == 16
    first = vec[:14 * 7].reshape(14, 7)
    assert first[0, GENOTYPE_OPS.index("sep_conv_3x3")] == 1  # edge 0: input 0 -> node 2
    # NB301 numbering: node 5's edges are 9..13 (from nodes 0..4), so ('dil_conv_3x3', 2) into node 5 is edge 11
    assert first[11, GENOTYPE_OPS.index("dil_conv_3x3")] == 1


def test_to_graph_has_both_cells(space):
    g = space.to_graph(DARTS_V2)
    assert g.graph["cells"] == ["normal", "reduce"]
    assert g.number_of_nodes() == 2 * 7 and g.number_of_edges() == 2 * (8 + 4)
    assert g.edges["normal:c_{k-2}", "normal:0"]["op"] == "sep_conv_3x3"
    assert g.edges["normal:0", "normal:3"]["op"] == "dil_conv_3x3"
    assert g.edges["reduce:2", "reduce:c_{k}"]["op"] == "concat"
    assert g.nodes["reduce:c_{k-1}"]["op"] == "input" and g.nodes["reduce:c_{k-1}"]["cell"] == "reduce"


def test_build_small_network(space):
    torch.manual_seed(0)
    net = space.build(DARTS_V2, num_classes=10, in_channels=1, channels=4, layers=3)
    out = net(torch.randn(2, 1, 16, 16))
    assert out.shape == (2, 10) and torch.isfinite(out).all()
    with pytest.raises(OutOfSpaceError):
        space.build(DARTS_V2._replace(normal_concat=[2]), num_classes=10)
