"""Enumerate every NB101 cell up to isomorphism, fast, with numpy.

The official generator (nasbench ``scripts/generate_graphs.py``) walks, for V = 2..7 vertices, every
upper-triangular bit mask (bit ``x + y(y-1)/2`` is the edge x -> y), keeps the masks with at most 9 edges
whose every vertex lies on an input-output path, gives every interior vertex each of the 3 ops, and hashes
each labelled graph with its MD5 Weisfeiler-Lehman hash (about 1.2 million hashes, minutes in Python).

Here the same refinement runs on all graphs of one size at once, with 64-bit integer hashes instead of MD5
strings: a vertex starts as a mix of (out-degree, in-degree, label); each of V rounds it becomes a mix of
the multiset of its in-neighbours (a wrapping sum of their mixed hashes: a batched matrix product), of its
out-neighbours, and of itself; the graph is the multiset of its vertices. It induces the same partition as
the MD5 hash (barring 64-bit collisions, whose chance here is below 1e-7), so the count of distinct
values is the count of unique cells, and the first graph of each class (in the official walk order) is the
representative the official generator keeps.
"""
from __future__ import annotations

import itertools
from typing import Iterator

import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijective, well-spread scramble of uint64 values."""
    z = z.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        z ^= z >> np.uint64(30)
        z *= _M1
        z ^= z >> np.uint64(27)
        z *= _M2
        z ^= z >> np.uint64(31)
    return z


def full_dags(vertices: int, max_edges: int) -> tuple[np.ndarray, np.ndarray]:
    """Bit masks (ascending) and their V x V matrices for DAGs whose every vertex is on an input-output
    path and that have at most ``max_edges`` edges (``graph_util.is_full_dag`` and ``num_edges``)."""
    k = vertices * (vertices - 1) // 2
    bits = np.arange(2**k, dtype=np.int64)
    ones = np.zeros(len(bits), dtype=np.int64)
    for b in range(k):
        ones += (bits >> b) & 1
    bits = bits[ones <= max_edges]
    matrices = np.zeros((len(bits), vertices, vertices), dtype=np.uint8)
    for y in range(vertices):
        for x in range(y):
            matrices[:, x, y] = (bits >> (x + y * (y - 1) // 2)) & 1
    rows_ok = matrices[:, : vertices - 1, :].any(axis=2).all(axis=1)
    cols_ok = matrices[:, :, 1:].any(axis=1).all(axis=1)
    keep = rows_ok & cols_ok
    return bits[keep], matrices[keep]


def labelings(vertices: int, num_ops: int = 3) -> np.ndarray:
    """Every labelling of the interior vertices, in ``itertools.product`` order, with input -1 and output -2."""
    inner = np.array(list(itertools.product(range(num_ops), repeat=vertices - 2)), dtype=np.int64)
    inner = inner.reshape(len(inner), vertices - 2)
    n = len(inner)
    return np.concatenate([np.full((n, 1), -1), inner, np.full((n, 1), -2)], axis=1)


def graph_fingerprints(matrices: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """uint64 isomorphism-invariant fingerprints, shape (num_matrices, num_labelings)."""
    a = matrices.astype(np.uint64)  # (M, V, V)
    at = np.ascontiguousarray(np.swapaxes(a, 1, 2))
    vertices = a.shape[1]
    out_deg = matrices.sum(axis=2).astype(np.uint64)[:, None, :]  # (M, 1, V)
    in_deg = matrices.sum(axis=1).astype(np.uint64)[:, None, :]
    lab = (labels + 3).astype(np.uint64)[None, :, :]  # (1, L, V)
    with np.errstate(over="ignore"):
        h = _mix(out_deg * np.uint64(1_000_003) + in_deg * np.uint64(1_009) + lab + _GOLDEN)
        for _ in range(vertices):
            mh = _mix(h ^ _GOLDEN)
            ins = np.matmul(mh, a)  # sum over in-neighbours w of mh[w]
            outs = np.matmul(mh, at)  # sum over out-neighbours
            h = _mix(_mix(ins + np.uint64(1)) + _mix(outs + np.uint64(2)) * np.uint64(3) + h * np.uint64(5))
        return _mix(h).sum(axis=2, dtype=np.uint64)


def unique_cells(max_vertices: int = 7, max_edges: int = 9, num_ops: int = 3,
                 chunk: int = 2048) -> Iterator[tuple[np.ndarray, tuple[int, ...]]]:
    """Yield ``(matrix, interior op labels)`` for one cell per isomorphism class, in the official order."""
    seen: set[int] = set()
    for vertices in range(2, max_vertices + 1):
        _, matrices = full_dags(vertices, max_edges)
        labs = labelings(vertices, num_ops)
        for start in range(0, len(matrices), chunk):
            block = matrices[start:start + chunk]
            prints = graph_fingerprints(block, labs).ravel()
            values, first = np.unique(prints, return_index=True)
            fresh = [(i, int(v)) for v, i in zip(values.tolist(), first.tolist()) if int(v) not in seen]
            fresh.sort()
            for i, v in fresh:
                seen.add(v)
                m, l = divmod(i, len(labs))
                yield block[m].astype(np.int8), tuple(int(x) for x in labs[l, 1:-1])


def count_cells(max_vertices: int = 7, max_edges: int = 9, num_ops: int = 3) -> tuple[int, int]:
    """(unique cells up to isomorphism, labelled graphs before de-duplication)."""
    seen: set[int] = set()
    total = 0
    for vertices in range(2, max_vertices + 1):
        _, matrices = full_dags(vertices, max_edges)
        labs = labelings(vertices, num_ops)
        total += len(matrices) * len(labs)
        for start in range(0, len(matrices), 2048):
            seen.update(np.unique(graph_fingerprints(matrices[start:start + 2048], labs)).tolist())
    return len(seen), total
