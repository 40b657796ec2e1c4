"""The NAS-Bench-201 network: stem, three stages of cells, residual reduction blocks, classifier."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from workbench.nn.ops import NB201_OPS, ReLUConvBN
from workbench.vocabulary import NB201_EDGES

EDGES = NB201_EDGES


def cell_edge(op: str, c_in: int, c_out: int) -> nn.Module:
    """One edge's op; a skip that changes width is a 1x1 convolution with BN (as in NATS' size space)."""
    if op == "skip_connect" and c_in != c_out:
        return nn.Sequential(nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out))
    return NB201_OPS[op](c_in, c_out, 1)


class NB201Cell(nn.Module):
    """One NB201 cell: node i = sum over j < i of op_(j,i)(node j); the output is node 3.

    With ``out_channels`` the cell changes width: edges out of node 0 map ``channels -> out_channels``.
    """

    def __init__(self, ops: Sequence[str], channels: int, out_channels: int | None = None) -> None:
        super().__init__()
        self.ops = tuple(ops)
        self.c_out = channels if out_channels is None else out_channels
        self.edges = nn.ModuleList(cell_edge(op, channels if j == 0 else self.c_out, self.c_out)
                                   for op, (j, _) in zip(self.ops, EDGES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for i in range(1, 4):
            total = None
            for e, (j, target) in enumerate(EDGES):
                if target == i and self.ops[e] != "none":
                    y = self.edges[e](nodes[j])
                    total = y if total is None else total + y
            if total is None:  # every edge into node i is "none"
                total = x.new_zeros((x.shape[0], self.c_out, *x.shape[2:]))
            nodes.append(total)
        return nodes[3]


class ResidualReduction(nn.Module):
    """NB201's reduction block: a stride-2 basic residual block that doubles the channels."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2, 1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, 1)
        self.shortcut = nn.Sequential(nn.AvgPool2d(2, stride=2, padding=0, ceil_mode=True),
                                      nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + self.conv_b(self.conv_a(x))


class CellStackNetwork(nn.Module):
    """The macro-structure NB201's topology and size networks share: a 3x3 stem convolution with BN, a
    sequence of cells and reduction blocks, BN-ReLU, global average pooling and a linear classifier.
    Subclasses call ``_add_stem`` first, build their cells, then ``_add_head`` (this keeps the order in which
    parameters are created, and so their seeded initial values)."""

    def _add_stem(self, in_channels: int, channels: int) -> None:
        self.stem = nn.Sequential(nn.Conv2d(in_channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels))

    def _add_head(self, layers: Sequence[nn.Module], channels: int, num_classes: int) -> None:
        self.cells = nn.ModuleList(layers)
        self.head = nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(inplace=False))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for layer in self.cells:
            x = layer(x)
        return self.classifier(self.pool(self.head(x)).flatten(1))


class NB201Network(CellStackNetwork):
    """Stem conv, 3 stages of ``cells_per_stage`` cells (C, 2C, 4C), two reductions, BN-ReLU, pool, linear.

    ``cell_factory(channels)`` replaces the fixed cell (the supernet passes its mixed cell here).
    Inputs of any channel count and spatial size work (pooling with ceil for odd sizes).
    """

    def __init__(self, arch: Sequence[str] | None, num_classes: int, in_channels: int = 3, channels: int = 16,
                 cells_per_stage: int = 5, cell_factory=None) -> None:
        super().__init__()
        if cell_factory is None:
            if arch is None:
                raise ValueError("NB201Network needs an arch or a cell_factory")
            cell_factory = lambda c: NB201Cell(arch, c)  # noqa: E731
        self.arch = tuple(arch) if arch is not None else None
        self._add_stem(in_channels, channels)
        layers: list[nn.Module] = []
        c = channels
        for stage in range(3):
            if stage > 0:
                layers.append(ResidualReduction(c, c * 2))
                c *= 2
            layers.extend(cell_factory(c) for _ in range(cells_per_stage))
        self._add_head(layers, c, num_classes)
