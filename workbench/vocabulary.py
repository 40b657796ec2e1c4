"""The field's shared vocabulary, in one torch-free place that spaces, networks and supernets all import.

NAS-Bench-201's cell (Dong & Yang, 2020) is a DAG on 4 nodes; every edge ``j -> i`` (j < i) carries one of 5
ops. Edges are listed node by node, the order of the NB201 text ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``::

    node 1:  0->1
    node 2:  0->2  1->2
    node 3:  0->3  1->3  2->3
"""
from __future__ import annotations

#: NB201's candidate operations, in the benchmark's own order (one-hot encodings and alphas follow it)
NB201_OP_NAMES: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
#: NB201's cell edges ``(from_node, to_node)``, in the order of the arch text
NB201_EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))

__all__ = ["NB201_EDGES", "NB201_OP_NAMES"]
