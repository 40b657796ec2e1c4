"""The DARTS search network (Liu et al., ICLR 2019, sec. 2.2): cells of mixed ops over the 8 DARTS ops.

Each cell has two inputs (nodes 0 and 1), ``steps`` intermediate nodes and an output that concatenates
them; node i (from 2) mixes every earlier node through one ``MixedOp`` per edge, so a 4-node cell has 14
edges. Normal cells share one (14 x 8) alpha matrix, reduction cells another. Ops come from
``workbench.nn.darts_ops`` (the table ``DARTSNetwork`` builds derived genotypes from), with the search
settings of DARTS' ``model_search.py``: batch norms without affine parameters, and pools followed by one.

>>> net = DARTSSupernet(num_classes=10, in_channels=1, channels=4, layers=3)
>>> net(torch.randn(2, 1, 8, 8)).shape
torch.Size([2, 10])
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from workbench.nn.darts_network import build_cell_stack
from workbench.nn.darts_ops import DARTS_OP_FACTORIES, make_darts_op
from workbench.nn.mixed_op import ArchState, MixedOp
from workbench.nn.ops import FactorizedReduce, ReLUConvBN

DARTS_OP_NAMES: tuple[str, ...] = tuple(DARTS_OP_FACTORIES)


def darts_edges(steps: int = 4) -> tuple[tuple[int, int], ...]:
    """The (input, node) edges of a cell in DARTS' order: node 2 <- 0, 1; node 3 <- 0, 1, 2; ..."""
    return tuple((j, i) for i in range(2, 2 + steps) for j in range(i))


def _search_op(name: str, channels: int, stride: int, track_running_stats: bool) -> nn.Module:
    op = make_darts_op(name, channels, stride, affine=False, track_running_stats=track_running_stats)
    if "pool" in name:
        op = nn.Sequential(op, nn.BatchNorm2d(channels, affine=False, track_running_stats=track_running_stats))
    return op


class DARTSSearchCell(nn.Module):
    """A cell of the search network: preprocessed inputs, ``steps`` mixed nodes, concatenated output."""

    def __init__(self, steps: int, c_prev_prev: int, c_prev: int, channels: int, reduction: bool,
                 reduction_prev: bool, ops: Sequence[str], state: ArchState, track_running_stats: bool = True) -> None:
        super().__init__()
        bn = {"affine": False, "track_running_stats": track_running_stats}
        self.kind = "reduce" if reduction else "normal"
        self.state = state
        self.steps = steps
        self.preprocess0 = (FactorizedReduce(c_prev_prev, channels, **bn) if reduction_prev
                            else ReLUConvBN(c_prev_prev, channels, 1, 1, 0, **bn))
        self.preprocess1 = ReLUConvBN(c_prev, channels, 1, 1, 0, **bn)
        self.edge_list = darts_edges(steps)
        self.edges = nn.ModuleList(
            MixedOp({op: _search_op(op, channels, 2 if reduction and j < 2 else 1, track_running_stats) for op in ops})
            for j, _ in self.edge_list
        )

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        weights, index = self.state.weights[self.kind], self.state.index.get(self.kind)
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        cache: dict = {}
        e = 0
        for i in range(2, 2 + self.steps):
            total = None
            for j in range(i):
                total = self.edges[e].accumulate(states[j], weights[e], total, None if index is None else index[e],
                                                 cache, j)
                e += 1
            states.append(total if total is not None else self.edges[e - 1].zero(states[i - 1]))
        return torch.cat(states[2:], dim=1)


class DARTSSupernet(nn.Module):
    """Stem, ``layers`` search cells (reductions at 1/3 and 2/3 depth), pooling, classifier; two alpha matrices."""

    cell_types = ("normal", "reduce")

    def __init__(self, num_classes: int, in_channels: int = 3, channels: int = 16, layers: int = 8, steps: int = 4,
                 stem_multiplier: int = 3, ops: Sequence[str] = DARTS_OP_NAMES, track_running_stats: bool = True) -> None:
        super().__init__()
        unknown = [op for op in ops if op not in DARTS_OP_FACTORIES]
        if unknown:
            raise ValueError(f"unknown DARTS op(s) {unknown}; accepted: {', '.join(DARTS_OP_FACTORIES)}")
        self.ops = tuple(ops)
        self.steps = steps
        self.edges = darts_edges(steps)
        self.state = ArchState()

        def make_cell(c_pp: int, c_p: int, c_curr: int, reduction: bool, reduction_prev: bool):
            cell = DARTSSearchCell(steps, c_pp, c_p, c_curr, reduction, reduction_prev, self.ops, self.state,
                                   track_running_stats)
            return cell, steps * c_curr

        self.stem, self.cells, c_p = build_cell_stack(in_channels, channels, layers, stem_multiplier, make_cell)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)
        self.alphas_normal = nn.Parameter(torch.zeros(len(self.edges), len(self.ops)))
        self.alphas_reduce = nn.Parameter(torch.zeros(len(self.edges), len(self.ops)))

    #: the rows are edges; a genotype uses 2 of the edges into each node (the others are ``none``)
    row_axis = "edges"
    free_choices = False

    @property
    def choice_rows(self) -> dict[str, tuple[str, ...]]:
        labels = tuple(f"{j}->{i}" for j, i in self.edges)
        return {"normal": labels, "reduce": labels}

    def index_of(self, genotype) -> dict[str, list[int]]:
        """A genotype as one op index per edge and cell type: its (op, input) pairs, ``none`` elsewhere."""
        none = self.ops.index("none")
        out = {}
        for kind in self.cell_types:
            row = [none] * len(self.edges)
            for k, (op, src) in enumerate(getattr(genotype, kind)):
                row[self.edges.index((src, 2 + k // 2))] = self.ops.index(op)
            out[kind] = row
        return out

    def arch_of(self, index: dict[str, Sequence[int]]):
        """The genotype of an index with exactly two non-``none`` inputs per node (ordered by input)."""
        from workbench.spaces.darts import CONCAT, Genotype

        none = self.ops.index("none")
        cells = {}
        for kind in self.cell_types:
            pairs = []
            for i in range(2, 2 + self.steps):
                pairs += [(self.ops[int(index[kind][e])], j) for e, (j, node) in enumerate(self.edges)
                          if node == i and int(index[kind][e]) != none]
            cells[kind] = pairs
        return Genotype(normal=cells["normal"], normal_concat=CONCAT, reduce=cells["reduce"], reduce_concat=CONCAT)

    def arch_parameters(self) -> list[nn.Parameter]:
        return [self.alphas_normal, self.alphas_reduce]

    def alphas_by_type(self) -> dict[str, torch.Tensor]:
        return {"normal": self.alphas_normal, "reduce": self.alphas_reduce}

    def weights(self) -> list[nn.Parameter]:
        """Every parameter except the alphas (what the weight optimizer trains)."""
        return [p for name, p in self.named_parameters() if not name.startswith("alphas_")]

    def forward(self, x: torch.Tensor, weights: dict[str, torch.Tensor] | None = None,
                index: dict[str, list[int]] | None = None) -> torch.Tensor:
        """Mix every op by ``softmax(alphas)`` (or given ``weights`` per cell type); ``index`` samples ops."""
        if weights is None:
            weights = {kind: torch.softmax(a, dim=-1) for kind, a in self.alphas_by_type().items()}
        self.state.weights = weights
        self.state.index = index or {}
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.classifier(self.pool(s1).flatten(1))
