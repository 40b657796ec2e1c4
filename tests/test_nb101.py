"""The NB101 space: official graph hash, pruning, validation, exploration, and the NB101 network."""
from __future__ import annotations

import collections
import json
import re

import numpy as np
import pytest
import torch

from tests.conftest import SHARED_DATA, need
from workbench import spaces
from workbench.errors import OutOfSpaceError
from workbench.nn.training import count_parameters
from workbench.spaces._nb101_enumerate import count_cells, full_dags, labelings
from workbench.spaces.nb101 import NB101Arch, from_naslib_key, graph_hash, to_naslib_key

C3, C1, MP = "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"

# The cell of NNI's NAS-Bench-101 example (microsoft/nni docs/en_US/NAS/BenchmarksExample.ipynb, v1.7): its
# query of the official NB101 data printed hash 00005c142e6f48ac74fdcf73e3439874 and 'parameters': 8.55553
# (millions), repeats with valid_acc 92.418, 92.458, 93.049 at 108 epochs.
NNI_MATRIX = [[0, 1, 0, 0, 1, 1, 0],
              [0, 0, 1, 0, 0, 0, 0],
              [0, 0, 0, 1, 0, 0, 1],
              [0, 0, 0, 0, 0, 1, 0],
              [0, 0, 0, 0, 0, 1, 0],
              [0, 0, 0, 0, 0, 0, 1],
              [0, 0, 0, 0, 0, 0, 0]]
NNI_OPS = ["input", C3, MP, C3, C3, C1, "output"]
NNI_HASH = "00005c142e6f48ac74fdcf73e3439874"
NNI_PARAMS = 8_555_530

# The Inception-like cell of the official nasbench README / api.py docstring.
INCEPTION = ([[0, 1, 1, 1, 0, 1, 0],
              [0, 0, 0, 0, 0, 0, 1],
              [0, 0, 0, 0, 0, 0, 1],
              [0, 0, 0, 0, 1, 0, 0],
              [0, 0, 0, 0, 0, 0, 1],
              [0, 0, 0, 0, 0, 0, 1],
              [0, 0, 0, 0, 0, 0, 0]], ["input", C1, C3, C3, C3, MP, "output"])
NASLIB_FILE = SHARED_DATA / "nb101" / "naslib_zc_nasbench101_500.json"


@pytest.fixture(scope="module")
def space():
    return spaces.create("nb101")


@pytest.fixture(scope="module")
def naslib_cells():
    data = json.loads(need(NASLIB_FILE, "NASLib's NB101 extract").read_text())
    return data["nasbench101"]["cifar10"]


def test_published_official_hash(space):
    assert space.key((NNI_MATRIX, NNI_OPS)) == NNI_HASH


def test_hash_module_labels_and_degrees(space):
    # graph_hash is hash_module over labels (input -1, output -2, conv3x3 0, conv1x1 1, maxpool 2)
    assert graph_hash(np.array(NNI_MATRIX), [-1, 0, 2, 0, 0, 1, -2]) == NNI_HASH
    assert graph_hash(np.array(NNI_MATRIX), [-1, 0, 2, 0, 0, 0, -2]) != NNI_HASH


def test_isomorphic_pairs_share_a_hash(space):
    # swap interior vertices 1 and 2 of the Inception cell (rows, columns and ops)
    m, ops = INCEPTION
    perm = [0, 2, 1, 3, 4, 5, 6]
    swapped = np.asarray(m)[np.ix_(perm, perm)]
    assert space.key((swapped, [ops[i] for i in perm])) == space.key(INCEPTION)
    # diamond with the two branch ops exchanged (nasbench graph_util_test's first case)
    a = ([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], ["input", C1, MP, "output"])
    b = ([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], ["input", MP, C1, "output"])
    assert space.key(a) == space.key(b)
    # a chain in two vertex numberings: 0->2->1->3 written with vertex 1 after vertex 2 is not upper
    # triangular, so compare two triangular orders of the same 5-vertex cell instead
    c = ([[0, 1, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]],
         ["input", C3, C1, MP, "output"])
    d = ([[0, 1, 1, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]],
         ["input", C1, C3, MP, "output"])
    assert space.key(c) == space.key(d)


def test_non_isomorphic_cells_differ(space):
    # the nasbench "tricky" pairs: a chain with ops in different orders, and a direction-sensitive pair
    chain = [[0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]]
    assert space.key((chain, ["input", C1, C3, C3, "output"])) != space.key((chain, ["input", C3, C3, C1, "output"]))
    tri = [[0, 1, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]]
    assert space.key((tri, ["input", C1, C3, "output"])) != space.key((tri, ["input", C3, C1, "output"]))


def test_pruning_drops_vertices_off_every_path(space):
    m = np.zeros((7, 7), dtype=int)
    m[0, 1] = m[1, 6] = 1  # input -> conv -> output
    m[0, 2] = 1  # vertex 2 has no way to the output
    m[3, 6] = 1  # vertex 3 has no way from the input
    cell = NB101Arch(m, ["input", C3, MP, C1, C1, C1, "output"])
    pruned = space.prune(cell)
    assert pruned.matrix == ((0, 1, 0), (0, 0, 1), (0, 0, 0))
    assert pruned.ops == ("input", C3, "output")
    assert space.key(cell) == space.key(([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", C3, "output"]))
    # the raw cell keeps its 7 vertices (mutation can reconnect them)
    assert space.validate(cell).num_vertices == 7


@pytest.mark.parametrize("arch, reason", [
    (([[0, 1], [1, 0]], ["input", "output"]), "not upper triangular"),
    (([[0, 2], [0, 0]], ["input", "output"]), "must be 0 or 1"),
    (([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv5x5", "output"]), "unknown op 'conv5x5'"),
    (([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", C3]), "2 ops for a 3x3 matrix"),
    (([[0, 1, 0], [0, 0, 0], [0, 0, 0]], ["input", C3, "output"]), "no path from the input to the output"),
    (([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [C3, C3, "output"]), "first op must be 'input'"),
    (([[0, 1, 1], [0, 0, 1]], ["input", C3, "output"]), "square"),
    ((np.triu(np.ones((7, 7), dtype=int), 1), ["input"] + [C3] * 5 + ["output"]), "too many edges: 21"),
    ((np.eye(8, k=1, dtype=int), ["input"] + [C3] * 6 + ["output"]), "too many vertices: 8"),
    ("01,10|input,output", "not upper triangular"),
    ("01,00", "lacks the '|'"),
    ("0a,00|input,output", "string of 0s and 1s"),
    ("(0, 1, 0)", "V*V + V integers"),
    (42, "an NB101 arch is"),
])
def test_malformed_cells_are_refused_with_a_reason(space, arch, reason):
    with pytest.raises(OutOfSpaceError, match=re.escape(reason)):
        space.validate(arch)


def test_text_round_trip(space):
    text = "0111010,0000001,0000001,0000100,0000001,0000001,0000000|input,conv1x1-bn-relu,conv3x3-bn-relu," \
           "conv3x3-bn-relu,conv3x3-bn-relu,maxpool3x3,output"
    arch = space.from_string(text)
    assert arch == NB101Arch(*INCEPTION)
    assert space.to_string(arch) == text
    assert space.from_string(json.dumps({"matrix": INCEPTION[0], "ops": INCEPTION[1]})) == arch
    assert space.from_string(to_naslib_key(arch)) == arch
    assert hash(arch) == hash(NB101Arch(np.array(INCEPTION[0]), tuple(INCEPTION[1])))


def test_naslib_cells_hash_to_292_cells_with_consistent_repeats(space, naslib_cells):
    """NASLib's 500 raw keys are 292 NB101 cells; a cell's keys carry at most NB101's 3 repeats."""
    accs = collections.defaultdict(set)
    for key, entry in naslib_cells.items():
        accs[space.key(key)].add(entry["val_accuracy"])
    assert len(accs) == 292
    assert max(len(v) for v in accs.values()) == 3
    assert all(len(k) == 32 and int(k, 16) >= 0 for k in accs)  # md5 hex, as the official keys


def test_build_matches_official_parameter_counts(space, naslib_cells):
    """With NB101's defaults (128 stem channels, 3 stacks of 3 cells) parameter counts are NB101's."""
    assert count_parameters(space.build((NNI_MATRIX, NNI_OPS), num_classes=10)) == NNI_PARAMS
    for key, entry in list(naslib_cells.items())[:6]:
        assert count_parameters(space.build(from_naslib_key(key), num_classes=10)) == round(entry["params"] * 1e6)


@pytest.mark.parametrize("shape", [(1, 8, 8), (3, 32, 32)])
def test_build_forward_small(space, shape):
    torch.manual_seed(0)
    net = space.build(INCEPTION, num_classes=5, in_channels=shape[0], channels=4, stacks=2, cells_per_stack=1)
    out = net(torch.randn(2, *shape))
    assert out.shape == (2, 5)
    assert torch.isfinite(out).all()


def test_build_handles_input_to_output_only_cell(space):
    net = space.build(([[0, 1], [0, 0]], ["input", "output"]), num_classes=3, channels=4, stacks=2, cells_per_stack=1)
    assert net(torch.randn(1, 3, 7, 7)).shape == (1, 3)


def test_sample_mutate_neighbours(space):
    rng = np.random.default_rng(0)
    archs = [space.sample(rng) for _ in range(20)]
    assert all(a.num_vertices == 7 and space.contains(a) for a in archs)
    # NB101's random_spec draws raw 7-vertex matrices; many prune to the same small cells
    assert len({space.key(a) for a in archs}) >= 15
    parent = archs[0]
    for _ in range(10):
        child = space.mutate(parent, rng)
        assert space.contains(child) and space.key(child) != space.key(parent)
    neighbours = space.neighbours(INCEPTION)
    keys = [space.key(n) for n in neighbours]
    assert len(keys) == len(set(keys)) and space.key(INCEPTION) not in keys
    assert len(neighbours) > 10
    rng1, rng2 = np.random.default_rng(7), np.random.default_rng(7)
    assert space.sample(rng1) == space.sample(rng2)


def test_decisions_round_trip_and_encoding(space):
    rng = np.random.default_rng(1)
    arch = space.sample(rng)
    assert len(space.decisions()) == 26
    assert space.from_decisions(space.to_decisions(arch)) == arch
    small = ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", MP, "output"])
    assert space.key(space.from_decisions(space.to_decisions(small))) == space.key(small)
    vec = space.encode(INCEPTION)
    assert vec.shape == (36,) and vec[:21].sum() == 9 and vec[21:].sum() == 5
    with pytest.raises(OutOfSpaceError, match="26 decisions"):
        space.from_decisions([0, 1])


def test_to_graph_of_pruned_cell(space):
    g = space.to_graph(INCEPTION)
    assert g.number_of_nodes() == 7 and g.number_of_edges() == 9
    assert g.nodes[0]["op"] == "input" and g.nodes[6]["op"] == "output" and g.nodes[5]["op"] == MP
    assert g.graph["key"] == space.key(INCEPTION)


def test_fast_enumeration_matches_md5_hash_on_small_cells():
    """The numpy refinement of the enumerator splits cells exactly as the official MD5 hash (up to 5
    vertices here; benchmarks/nb101_enumerate.py counts all 423,624)."""
    hashes = set()
    for vertices in range(2, 6):
        _, matrices = full_dags(vertices, 9)
        for m in matrices:
            for labels in labelings(vertices):
                hashes.add(graph_hash(m, labels.tolist()))
    assert count_cells(max_vertices=5)[0] == len(hashes)
