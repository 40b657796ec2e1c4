"""Enumerate every NAS-Bench-101 cell up to isomorphism and time it.

Prints the count (NB101 publishes 423,624 unique cells of at most 7 vertices and 9 edges, from 1,293,208
labelled graphs) and the seconds it took with the numpy enumerator, and, as the peer, the time the official
algorithm (one MD5 Weisfeiler-Lehman hash per labelled graph, nasbench ``generate_graphs.py``, here
``workbench.spaces.nb101.graph_hash``) takes per graph, extrapolated to all graphs from a sample measured
in the same run. ``--md5`` also hashes every representative with the official hash and checks that the
423,624 hashes are distinct (about half a minute more).

    python benchmarks/nb101_enumerate.py [--md5]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from workbench.spaces._nb101_enumerate import count_cells, full_dags, labelings, unique_cells
from workbench.spaces.nb101 import NUM_CELLS, graph_hash


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--md5", action="store_true", help="hash every representative with the official MD5 hash")
    parser.add_argument("--sample", type=int, default=20_000, help="graphs timed with the official hash")
    args = parser.parse_args()

    start = time.perf_counter()
    unique, total = count_cells()
    fast_s = time.perf_counter() - start
    print(f"unique NB101 cells: {unique:,} (published: {NUM_CELLS:,}; {'OK' if unique == NUM_CELLS else 'MISMATCH'})")
    print(f"labelled graphs before de-duplication: {total:,}")
    print(f"numpy enumeration: {fast_s:.2f} s")

    _, matrices = full_dags(7, 9)
    labs = labelings(7)
    rng = np.random.default_rng(0)
    picks = rng.integers(0, len(matrices) * len(labs), size=args.sample)
    start = time.perf_counter()
    for p in picks.tolist():
        m, l = divmod(p, len(labs))
        graph_hash(matrices[m], labs[l].tolist())
    per_graph = (time.perf_counter() - start) / args.sample
    official_s = per_graph * total
    print(f"official MD5 hash: {per_graph * 1e6:.1f} us per 7-vertex graph -> about {official_s:.0f} s for all "
          f"{total:,} graphs; numpy enumerator is {official_s / fast_s:.0f}x faster")

    if args.md5:
        start = time.perf_counter()
        hashes = set()
        count = 0
        for matrix, ops in unique_cells():
            hashes.add(graph_hash(matrix, [-1, *ops, -2]))
            count += 1
        md5_s = time.perf_counter() - start
        print(f"representatives: {count:,}; distinct official hashes: {len(hashes):,} "
              f"({'OK' if len(hashes) == count == NUM_CELLS else 'MISMATCH'}); {md5_s:.1f} s")


if __name__ == "__main__":
    main()
