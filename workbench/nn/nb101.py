"""The NAS-Bench-101 network in torch, following nasbench ``lib/model_builder.py`` and ``lib/base_ops.py``.

Inside a cell, tensors flowing into an interior vertex are summed; the output vertex concatenates its
interior inputs along channels. Edges out of the cell input are 1x1 conv-bn-relu projections to the
vertex's width; edges between interior vertices truncate channels when the destination is narrower. The
output's channels are split evenly among the vertices that feed it (the first ones get the remainder),
and each other interior vertex is as wide as the widest vertex it feeds. An input -> output edge adds a
projection of the input to the concatenation.

The network: a 3x3 conv-bn-relu stem, stacks of cells with a 2x2 max-pool and channel doubling before
every stack but the first, global average pooling and a linear layer. With the defaults (128 stem
channels, 3 stacks of 3 cells, 10 classes) parameter counts equal NB101's ``trainable_parameters``.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn

# TF batch-norm momentum 0.997 (moving average keeps 99.7%) is torch momentum 0.003; epsilon 1e-5.
BN_MOMENTUM = 1.0 - 0.997
BN_EPSILON = 1e-5


class ConvBnRelu(nn.Sequential):
    """Conv (no bias, 'same' padding) -> BatchNorm -> ReLU, NB101's ``conv_bn_relu``."""

    def __init__(self, c_in: int, c_out: int, kernel: int) -> None:
        super().__init__(
            nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out, eps=BN_EPSILON, momentum=BN_MOMENTUM),
            nn.ReLU(inplace=False),
        )


def make_op(name: str, c_in: int, c_out: int) -> nn.Module:
    if name == "conv3x3-bn-relu":
        return ConvBnRelu(c_in, c_out, 3)
    if name == "conv1x1-bn-relu":
        return ConvBnRelu(c_in, c_out, 1)
    if name == "maxpool3x3":
        return nn.MaxPool2d(3, stride=1, padding=1)
    raise ValueError(f"unknown NB101 op {name!r}; accepted: conv3x3-bn-relu, conv1x1-bn-relu, maxpool3x3")


def vertex_channels(c_in: int, c_out: int, matrix: np.ndarray) -> list[int]:
    """Channels at every vertex (``compute_vertex_channels`` of the official builder)."""
    n = matrix.shape[0]
    channels = [0] * n
    channels[0], channels[n - 1] = c_in, c_out
    if n == 2:
        return channels
    in_degree = matrix[1:].sum(axis=0)
    interior, correction = divmod(c_out, int(in_degree[n - 1]))
    for v in range(1, n - 1):
        if matrix[v, n - 1]:
            channels[v] = interior + (1 if correction else 0)
            correction -= 1 if correction else 0
    for v in range(n - 3, 0, -1):
        if not matrix[v, n - 1]:
            for dst in range(v + 1, n - 1):
                if matrix[v, dst]:
                    channels[v] = max(channels[v], channels[dst])
        if channels[v] <= 0:
            raise ValueError(f"vertex {v} gets {channels[v]} channels; the matrix must be pruned first")
    return channels


class NB101Cell(nn.Module):
    """One NB101 module for a pruned ``matrix`` and its ``ops`` (with 'input' and 'output')."""

    def __init__(self, matrix: np.ndarray, ops: Sequence[str], c_in: int, c_out: int) -> None:
        super().__init__()
        self.matrix = np.asarray(matrix, dtype=np.int8)
        n = self.matrix.shape[0]
        self.channels = vertex_channels(c_in, c_out, self.matrix)
        self.projections = nn.ModuleDict()
        for t in range(1, n):
            if self.matrix[0, t]:
                width = self.channels[t] if t < n - 1 else c_out
                self.projections[str(t)] = ConvBnRelu(c_in, width, 1)
        self.vertex_ops = nn.ModuleList([nn.Identity()] + [
            make_op(ops[t], self.channels[t], self.channels[t]) for t in range(1, n - 1)
        ])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m, n = self.matrix, self.matrix.shape[0]
        tensors = [x]
        for t in range(1, n - 1):
            inputs = [tensors[s][:, : self.channels[t]] for s in range(1, t) if m[s, t]]
            if m[0, t]:
                inputs.append(self.projections[str(t)](x))
            total = inputs[0]
            for extra in inputs[1:]:
                total = total + extra
            tensors.append(self.vertex_ops[t](total))
        concat = [tensors[t] for t in range(1, n - 1) if m[t, n - 1]]
        if not concat:
            return self.projections[str(n - 1)](x)
        out = concat[0] if len(concat) == 1 else torch.cat(concat, dim=1)
        if m[0, n - 1]:
            out = out + self.projections[str(n - 1)](x)
        return out


class NB101Network(nn.Module):
    """Stem, ``stacks`` x ``cells_per_stack`` cells (max-pool and doubling between stacks), pool, linear."""

    def __init__(self, matrix: np.ndarray, ops: Sequence[str], num_classes: int, in_channels: int = 3,
                 channels: int = 128, stacks: int = 3, cells_per_stack: int = 3) -> None:
        super().__init__()
        if channels < 1 or stacks < 1 or cells_per_stack < 1:
            raise ValueError(f"channels, stacks and cells_per_stack must be >= 1, got {channels}, {stacks}, {cells_per_stack}")
        self.stem = ConvBnRelu(in_channels, channels, 3)
        layers: list[nn.Module] = []
        c = channels
        for stack in range(stacks):
            c_in = c
            if stack > 0:
                # TF 'same' 2x2/2 pooling: odd sizes round up (ceil_mode).
                layers.append(nn.MaxPool2d(2, stride=2, ceil_mode=True))
                c *= 2
            for _ in range(cells_per_stack):
                layers.append(NB101Cell(matrix, ops, c_in, c))
                c_in = c
        self.cells = nn.Sequential(*layers)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.cells(self.stem(x))
        return self.classifier(x.mean(dim=(2, 3)))
