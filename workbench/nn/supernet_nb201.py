"""The NB201 supernet: every edge of every cell mixes all five NB201 ops, weighted by shared alphas.

The network around the cells is ``NB201Network`` itself (stem, residual reductions, classifier) with its
``cell_factory`` hook, and every candidate op comes from ``workbench.nn.ops.NB201_OPS``, so the arch derived
from the alphas and the network the NB201 space builds for it agree on every op. As in the NB201 paper's
DARTS/GDAS runs, one (6 edges x 5 ops) alpha matrix is shared by all cells and the cells' batch norms have
no affine parameters.

>>> net = NB201Supernet(num_classes=10, in_channels=1, channels=8, cells_per_stage=1)
>>> logits = net(torch.randn(2, 1, 8, 8))                   # softmax(alphas) mixes every op
>>> net.arch_parameters()                                    # [alphas]: (6, 5)
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from workbench.nn.mixed_op import ArchState, MixedOp
from workbench.nn.nb201 import EDGES, NB201Network
from workbench.nn.ops import NB201_OPS

NB201_OP_NAMES: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")


class NB201MixedCell(nn.Module):
    """An NB201 cell whose 6 edges are mixed ops; node i sums its incoming edges, node 3 is the output."""

    def __init__(self, channels: int, ops: Sequence[str], state: ArchState, affine: bool = False,
                 track_running_stats: bool = True) -> None:
        super().__init__()
        self.state = state
        self.edges = nn.ModuleList(
            MixedOp({op: NB201_OPS[op](channels, channels, 1, affine=affine, track_running_stats=track_running_stats)
                     for op in ops})
            for _ in EDGES
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights, index = self.state.weights["normal"], self.state.index.get("normal")
        nodes = [x]
        cache: dict = {}  # parameter-free ops (pooling) of one node run once for all its out-edges
        for i in range(1, 4):
            total = None
            for e, (j, target) in enumerate(EDGES):
                if target == i:
                    total = self.edges[e].accumulate(nodes[j], weights[e], total,
                                                     None if index is None else index[e], cache, j)
            nodes.append(total if total is not None else torch.zeros_like(x))  # every sampled input was none
        return nodes[3]


class NB201Supernet(nn.Module):
    """``NB201Network`` with mixed cells; ``alphas`` (edges x ops) is the architecture parameter."""

    cell_types = ("normal",)

    def __init__(self, num_classes: int, in_channels: int = 3, channels: int = 16, cells_per_stage: int = 5,
                 ops: Sequence[str] = NB201_OP_NAMES, affine: bool = False, track_running_stats: bool = True) -> None:
        super().__init__()
        unknown = [op for op in ops if op not in NB201_OPS]
        if unknown:
            raise ValueError(f"unknown NB201 op(s) {unknown}; accepted: {', '.join(NB201_OPS)}")
        self.ops = tuple(ops)
        self.edges = EDGES
        self.state = ArchState()
        self.network = NB201Network(None, num_classes, in_channels, channels, cells_per_stage,
                                    cell_factory=lambda c: NB201MixedCell(c, self.ops, self.state, affine,
                                                                          track_running_stats))
        self.alphas = nn.Parameter(torch.zeros(len(EDGES), len(self.ops)))

    #: the rows of the architecture matrices are edges; any op on any edge is an arch of the space
    row_axis = "edges"
    free_choices = True

    @property
    def choice_rows(self) -> dict[str, tuple[str, ...]]:
        return {"normal": tuple(f"{j}->{i}" for j, i in self.edges)}

    def index_of(self, arch: Sequence[str]) -> dict[str, list[int]]:
        """An NB201 arch (6 op names in edge order) as the op index of each edge."""
        return {"normal": [self.ops.index(op) for op in arch]}

    def arch_of(self, index: dict[str, Sequence[int]]) -> tuple[str, ...]:
        return tuple(self.ops[int(k)] for k in index["normal"])

    def arch_parameters(self) -> list[nn.Parameter]:
        return [self.alphas]

    def alphas_by_type(self) -> dict[str, torch.Tensor]:
        return {"normal": self.alphas}

    def weights(self) -> list[nn.Parameter]:
        """Every parameter except the alphas (what the weight optimizer trains)."""
        return [p for name, p in self.named_parameters() if name != "alphas"]

    def forward(self, x: torch.Tensor, weights: dict[str, torch.Tensor] | None = None,
                index: dict[str, list[int]] | None = None) -> torch.Tensor:
        """Mix every op by ``softmax(alphas)``, or by ``weights`` (per cell type); ``index`` samples one op per edge."""
        self.state.weights = weights if weights is not None else {"normal": torch.softmax(self.alphas, dim=-1)}
        self.state.index = index or {}
        return self.network(x)
