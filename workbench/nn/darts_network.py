"""The DARTS evaluation network: a stack of cells built from a genotype (Liu et al., ICLR 2019, sec. 3).

``DARTSNetwork(genotype, num_classes, in_channels=3, channels=36, layers=20)`` is the paper's CIFAR-10
network (36 initial channels, 20 cells); small options (``channels=8, layers=5``) train on a CPU. Cells at
1/3 and 2/3 of the depth are reduction cells (stride 2 on the two cell inputs, channels doubled). Each cell
first maps its two inputs to ``C`` channels (a 1x1 ReLU-conv-BN, or a factorized reduction when the
previous cell halved the resolution), computes its intermediate nodes as sums of two ops each, and
concatenates the nodes in ``*_concat``. Inputs of any size and channel count work.

``drop_path_prob`` (a plain attribute, as in DARTS, so a trainer can raise it over the epochs) drops whole
op outputs of non-identity ops in training mode; it is 0 by default.
"""
from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn

from workbench.nn.darts_ops import make_darts_op
from workbench.nn.ops import FactorizedReduce, ReLUConvBN


def drop_path(x: torch.Tensor, prob: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Zero whole examples of ``x`` with probability ``prob`` and rescale the rest (DARTS' regulariser)."""
    if prob <= 0.0:
        return x
    keep = 1.0 - prob
    mask = torch.empty(x.shape[0], 1, 1, 1, device=x.device, dtype=x.dtype).bernoulli_(keep, generator=generator)
    return x.div(keep).mul(mask)


class GenotypeCell(nn.Module):
    """One cell of a derived network: two preprocessed inputs, ``len(ops) // 2`` nodes, concatenated outputs."""

    def __init__(self, pairs: Sequence[tuple[str, int]], concat: Sequence[int], c_prev_prev: int, c_prev: int,
                 channels: int, reduction: bool, reduction_prev: bool) -> None:
        super().__init__()
        if len(pairs) % 2 or not pairs:
            raise ValueError(f"a DARTS cell needs two (op, input) pairs per node, got {len(pairs)} pairs")
        self.reduction = reduction
        self.preprocess0 = (FactorizedReduce(c_prev_prev, channels) if reduction_prev
                            else ReLUConvBN(c_prev_prev, channels, 1, 1, 0))
        self.preprocess1 = ReLUConvBN(c_prev, channels, 1, 1, 0)
        self.inputs = tuple(int(src) for _, src in pairs)
        self.op_names = tuple(op for op, _ in pairs)
        for k, src in enumerate(self.inputs):
            if not 0 <= src < 2 + k // 2:
                raise ValueError(f"pair {k} ({pairs[k]}) reads node {src}; node {2 + k // 2} may read 0..{1 + k // 2}")
        self.ops = nn.ModuleList(
            make_darts_op(op, channels, 2 if reduction and src < 2 else 1) for op, src in zip(self.op_names, self.inputs)
        )
        self.concat = tuple(int(c) for c in concat)
        self.multiplier = len(self.concat)
        self.drop_path_prob = 0.0

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for node in range(len(self.ops) // 2):
            total = None
            for k in (2 * node, 2 * node + 1):
                h = self.ops[k](states[self.inputs[k]])
                if self.training and self.drop_path_prob > 0 and not isinstance(self.ops[k], nn.Identity):
                    h = drop_path(h, self.drop_path_prob)
                total = h if total is None else total + h
            states.append(total)
        return torch.cat([states[i] for i in self.concat], dim=1)


def build_cell_stack(in_channels: int, channels: int, layers: int, stem_multiplier: int, make_cell):
    """The DARTS macro-structure shared by the evaluation network and the supernet: a stem convolution, then
    ``layers`` cells, each fed by the two previous outputs, doubling channels at the reductions (1/3 and 2/3
    depth). ``make_cell(c_pp, c_p, c_curr, reduction, reduction_prev) -> (cell, out_channels)``.
    Returns ``(stem, cells, channels of the last output)``."""
    c_curr = stem_multiplier * channels
    stem = nn.Sequential(nn.Conv2d(in_channels, c_curr, 3, padding=1, bias=False), nn.BatchNorm2d(c_curr))
    c_pp, c_p, c_curr = c_curr, c_curr, channels
    cells = nn.ModuleList()
    reduction_prev = False
    for i in range(layers):
        reduction = i in reduction_layers(layers)
        if reduction:
            c_curr *= 2
        cell, c_out = make_cell(c_pp, c_p, c_curr, reduction, reduction_prev)
        cells.append(cell)
        reduction_prev = reduction
        c_pp, c_p = c_p, c_out
    return stem, cells, c_p


class DARTSNetwork(nn.Module):
    """Stem conv, ``layers`` cells (reductions at 1/3 and 2/3 depth), global pooling and a linear classifier."""

    def __init__(self, genotype: Any, num_classes: int, in_channels: int = 3, channels: int = 36, layers: int = 20,
                 stem_multiplier: int = 3, drop_path_prob: float = 0.0) -> None:
        super().__init__()
        if layers < 1 or channels < 1:
            raise ValueError(f"DARTSNetwork needs layers >= 1 and channels >= 1, got layers={layers}, channels={channels}")
        self.genotype = genotype

        def make_cell(c_pp: int, c_p: int, c_curr: int, reduction: bool, reduction_prev: bool):
            pairs, concat = (genotype.reduce, genotype.reduce_concat) if reduction else (genotype.normal, genotype.normal_concat)
            cell = GenotypeCell(pairs, concat, c_pp, c_p, c_curr, reduction, reduction_prev)
            return cell, cell.multiplier * c_curr

        self.stem, self.cells, c_p = build_cell_stack(in_channels, channels, layers, stem_multiplier, make_cell)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)
        self.drop_path_prob = drop_path_prob

    @property
    def drop_path_prob(self) -> float:
        return self._drop_path_prob

    @drop_path_prob.setter
    def drop_path_prob(self, value: float) -> None:
        if not 0.0 <= value < 1.0:
            raise ValueError(f"drop_path_prob must be in [0, 1), got {value}")
        self._drop_path_prob = float(value)
        for cell in self.cells:
            cell.drop_path_prob = float(value)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.classifier(self.pool(s1).flatten(1))


def reduction_layers(layers: int) -> tuple[int, ...]:
    """Indices of the reduction cells: 1/3 and 2/3 of the depth (DARTS; both exist from 3 layers on)."""
    return tuple(sorted({layers // 3, 2 * layers // 3} - ({0} if layers < 3 else set())))
