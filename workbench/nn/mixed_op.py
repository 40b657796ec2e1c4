"""The mixed operation of differentiable NAS and the architecture state its supernet shares with its cells.

A ``MixedOp`` holds one module per candidate op of an edge. Given the edge's weights (softmaxed alphas
for DARTS) it adds ``sum_k w_k * op_k(x)`` into a running node sum; given a sampled op index (GDAS) it
computes only that op, scaled by its straight-through weight. The ``none`` op's output is zero, so it is
never computed: the sum, and every gradient (d sum / d w_none = 0), are exactly what computing it gives.
Parameter-free, stateless ops (pools, identity) of the same input are computed once per cell via ``cache``.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn


class ArchState:
    """What the supernet's cells read during one forward: per cell type, edge weights (and sampled ops).

    ``weights[kind]`` is an (edges x ops) tensor; ``index[kind]`` is None (mix every op) or a list with
    one op index per edge (compute only that op). The supernet sets both before running its cells; a
    single path (``index`` without ``weights``) computes the chosen ops unscaled.
    """

    def __init__(self) -> None:
        self.weights: dict[str, torch.Tensor] = {}
        self.index: dict[str, list[int] | None] = {}


class MixedOp(nn.Module):
    """One edge of a supernet: the candidate ``ops`` (name -> module), mixed by weights or sampled."""

    def __init__(self, ops: dict[str, nn.Module]) -> None:
        super().__init__()
        self.names = tuple(ops)
        self.ops = nn.ModuleList(ops.values())
        self._zero = tuple(name == "none" for name in self.names)
        self._stateless = tuple(
            not any(True for _ in m.parameters()) and not any(True for _ in m.buffers()) for m in self.ops
        )

    def _apply_op(self, k: int, x: torch.Tensor, cache: dict | None, key) -> torch.Tensor:
        if cache is not None and self._stateless[k]:
            ck = (key, self.names[k], _signature(self.ops[k]))
            y = cache.get(ck)
            if y is None:
                y = cache[ck] = self.ops[k](x)
            return y
        return self.ops[k](x)

    def accumulate(self, x: torch.Tensor, weights: torch.Tensor | None, total: torch.Tensor | None,
                   index: int | None = None, cache: dict | None = None, key=None) -> torch.Tensor | None:
        """``total + sum_k weights[k] * op_k(x)`` (``None`` total means 0); with ``index`` only that op, and
        with ``index`` and no ``weights`` that op unscaled (a single path of the supernet)."""
        if index is not None:
            ks: Sequence[int] = () if self._zero[index] else (index,)
        else:
            ks = [k for k in range(len(self.ops)) if not self._zero[k]]
        for k in ks:
            y = self._apply_op(k, x, cache, key)
            if weights is None:
                total = y if total is None else total + y
                continue
            w = weights[k]
            total = y * w if total is None else torch.addcmul(total, y, w)
        return total

    def zero(self, x: torch.Tensor) -> torch.Tensor:
        """A zero output of the right shape (a node whose sampled inputs are all ``none``)."""
        for k, is_zero in enumerate(self._zero):
            if is_zero:
                return self.ops[k](x)
        return self.ops[0](x).mul(0.0)


def _signature(module: nn.Module) -> tuple:
    """What makes two stateless ops of the same name compute the same thing (their stride)."""
    return (type(module).__name__, getattr(module, "stride", None))

