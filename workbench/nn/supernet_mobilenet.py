"""The ProxylessNAS supernet of the mobilenet space: every block slot holds every (kernel, expand) MBConv.

Rows are the block slots (``s<stage>b<slot>``, each stage's deepest depth); ops are ``k<k>e<e>`` for every
kernel and expand ratio, plus ``zero`` on the slots a shallower stage leaves out (slot >= the smallest depth:
the block is skipped, its residual connection alone remains). One (rows x ops) matrix of architecture
parameters (``alphas``); ops a slot does not offer are masked out (probability 0, NaN in a distribution).

``forward(x, index=...)`` runs one op per slot (ProxylessNAS's binarized path: only that op is in memory);
``forward_gates(x, pairs, gates)`` runs two candidates per slot weighted by binary gates, whose gradients give
the two-path estimate of the architecture gradient.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch
from torch import nn

from workbench.nn.mobilenet import Head, MBConv, Stem
from workbench.nn.mobilenet_spec import BlockSpec, block_specs

ZERO = "zero"


class ProxylessMobileNetSupernet(nn.Module):
    row_axis = "layers"

    def __init__(self, space, num_classes: int, in_channels: int = 3) -> None:
        super().__init__()
        self.space = space
        self.config = space.config(num_classes, in_channels)
        self.choices = [(k, e) for k in space.kernels for e in space.expands]
        self.ops = tuple(f"k{k}e{e}" for k, e in self.choices) + (ZERO,)
        deepest = tuple(((space.kernels[0], space.expands[0]),) * max(space.depths) for _ in range(space.num_stages))
        self.stem = Stem(self.config)
        self.slots = nn.ModuleList()
        rows, specs, mask = [], [], []
        for s, stage in enumerate(block_specs(self.config, deepest)):
            for i, base in enumerate(stage):
                cands = [BlockSpec(base.in_channels, base.out_channels, k, e, base.stride, base.input_size, base.act,
                                   base.se) for k, e in self.choices]
                self.slots.append(nn.ModuleList(MBConv(c) for c in cands))
                rows.append(f"s{s}b{i}")
                specs.append(cands)
                mask.append([True] * len(self.choices) + [i >= min(space.depths)])
        self.rows = tuple(rows)
        self.specs = specs
        self.choice_rows = {"layers": self.rows}
        self.register_buffer("mask", torch.tensor(mask))
        self.alphas = nn.Parameter(1e-3 * torch.randn(len(rows), len(self.ops)))
        self.head = Head(self.config)

    # --- the contract's views ---------------------------------------------------------------------------
    def weights(self) -> list[nn.Parameter]:
        return [p for name, p in self.named_parameters() if name != "alphas"]

    def arch_parameters(self) -> list[nn.Parameter]:
        return [self.alphas]

    def probabilities(self) -> torch.Tensor:
        return torch.softmax(self.alphas.masked_fill(~self.mask, float("-inf")), dim=-1)

    def index_of(self, arch: Any) -> dict[str, list[int]]:
        arch = self.space.validate(arch)
        out, depth = [], max(self.space.depths)
        for stage in arch:
            out += [self.choices.index(tuple(b)) for b in stage] + [len(self.choices)] * (depth - len(stage))
        return {"layers": out}

    def arch_of(self, index: Mapping[str, Sequence[int]]) -> Any:
        """The arch of one op per slot: the non-zero slots of each stage, in order."""
        idx, depth = list(index["layers"]), max(self.space.depths)
        arch = []
        for s in range(self.space.num_stages):
            chosen = idx[s * depth:(s + 1) * depth]
            arch.append(tuple(self.choices[j] for j in chosen if j < len(self.choices)))
        return self.space.validate(tuple(arch))

    # --- forward --------------------------------------------------------------------------------------
    def forward(self, x: torch.Tensor, weights: Any = None, index: Mapping[str, Sequence[int]] | None = None):
        if index is None:
            index = {"layers": self.probabilities().argmax(-1).tolist()}
        x = self.stem(x)
        for slot, j in zip(self.slots, index["layers"]):
            if j < len(self.choices):
                x = slot[int(j)](x)
        return self.head(x)

    def forward_gates(self, x: torch.Tensor, pairs: Sequence[tuple[int, int]], gates: torch.Tensor) -> torch.Tensor:
        """Two candidates per slot, ``gates[r] @ (op_a(x), op_b(x))`` (``zero`` is the identity here)."""
        x = self.stem(x)
        for r, (slot, pair) in enumerate(zip(self.slots, pairs)):
            outs = [x if j >= len(self.choices) else slot[int(j)](x) for j in pair]
            x = gates[r, 0] * outs[0] + gates[r, 1] * outs[1]
        return self.head(x)

    def latency_matrix(self, table) -> torch.Tensor:
        """(rows x ops) table latency of each candidate (``zero``: 0 ms)."""
        lat = [[table[spec.key()] for spec in specs] + [0.0] for specs in self.specs]
        return torch.tensor(lat, dtype=torch.float32)
