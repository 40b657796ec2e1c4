"""The NATS-Bench size-space network: NB201's skeleton with one cell per stage and free channel widths.

Macro-structure as NATS-Bench trains it (Dong et al., TPAMI 2021; AutoDL-Projects' ``infer.shape.tiny``
model, built by ``exps/NATS-Bench/main-sss.py``), for widths ``(c1, c2, c3, c4, c5)``::

    stem conv 3x3 -> c1, BN
    cell        c1 -> c1
    residual    c1 -> c2  (stride 2)
    cell        c2 -> c3
    residual    c3 -> c4  (stride 2)
    cell        c4 -> c5
    BN, ReLU, global average pool, linear(c5 -> classes)

A cell whose input and output widths differ feeds node 0 through ``C_in -> C_out`` ops; a ``skip_connect``
from node 0 then becomes a 1x1 convolution + BN without a leading ReLU (NATS' stride-1 FactorizedReduce).
"""
from __future__ import annotations

from typing import Sequence

from torch import nn

from workbench.nn.nb201 import EDGES, CellStackNetwork, NB201Cell, ResidualReduction
from workbench.nn.ops import NB201_OPS

# The fixed cell of every NATS size-space network, in NB201 edge order (0,1),(0,2),(1,2),(0,3),(1,3),(2,3):
# |nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|, NB201
# index 9930, the best topology on CIFAR-100 validation (the genotype hard-coded in NATS' main-sss.py).
NATS_SSS_CELL: tuple[str, ...] = ("nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_3x3",
                                  "nor_conv_3x3")


class NATSSizeCell(NB201Cell):
    """An NB201 cell that may change width: ops out of node 0 map ``c_in -> c_out``, the rest ``c_out -> c_out``."""

    def __init__(self, ops: Sequence[str], c_in: int, c_out: int) -> None:
        if len(ops) != len(EDGES) or any(op not in NB201_OPS for op in ops):
            raise ValueError(f"a NATS size-space cell needs {len(EDGES)} ops from {sorted(NB201_OPS)}, got {ops!r}")
        super().__init__(ops, c_in, c_out)
        self.c_in = c_in


class NATSSizeNetwork(CellStackNetwork):
    """The size-space network for 5 widths (see the module docstring); returns logits.

    Any input channel count and spatial size work (the reductions pool with ceil for odd sizes).
    """

    def __init__(self, widths: Sequence[int], num_classes: int, in_channels: int = 3,
                 cell: Sequence[str] = NATS_SSS_CELL) -> None:
        super().__init__()
        widths = tuple(int(c) for c in widths)
        if len(widths) != 5 or any(c < 1 for c in widths):
            raise ValueError(f"NATSSizeNetwork needs 5 positive widths, got {widths!r}")
        self.widths = widths
        self._add_stem(in_channels, widths[0])
        layers: list[nn.Module] = []
        c_prev = widths[0]
        for index, c in enumerate(widths):
            layers.append(ResidualReduction(c_prev, c) if index % 2 else NATSSizeCell(cell, c_prev, c))
            c_prev = c
        self._add_head(layers, c_prev, num_classes)
