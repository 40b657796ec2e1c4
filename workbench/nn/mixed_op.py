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
    one op index per edge (compute only that op). The supernet sets both before running its cells.
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

    def accumulate(self, x: torch.Tensor, weights: torch.Tensor, total: torch.Tensor | None,
                   index: int | None = None, cache: dict | None = None, key=None) -> torch.Tensor | None:
        """``total + sum_k weights[k] * op_k(x)`` (``None`` total means 0); with ``index`` only that op."""
        if index is not None:
            ks: Sequence[int] = () if self._zero[index] else (index,)
        else:
            ks = [k for k in range(len(self.ops)) if not self._zero[k]]
        for k in ks:
            y = self._apply_op(k, x, cache, key)
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


def fusable(modules: Sequence[nn.Module]) -> bool:
    """Whether ``fused_relu_conv_bn`` can run these ops as one: ReLU-conv-BN ops of equal shape and settings."""
    from workbench.nn.ops import ReLUConvBN

    if len(modules) < 2 or not all(type(m) is ReLUConvBN for m in modules):
        return False
    c0, b0 = modules[0][1], modules[0][2]
    for m in modules:
        conv, bn = m[1], m[2]
        if (conv.weight.shape != c0.weight.shape or conv.stride != c0.stride or conv.padding != c0.padding
                or conv.dilation != c0.dilation or conv.groups != c0.groups or conv.bias is not None
                or bn.affine != b0.affine or bn.track_running_stats != b0.track_running_stats
                or bn.momentum != b0.momentum or bn.eps != b0.eps or bn.training != b0.training):
            return False
    return b0.momentum is not None


def fused_relu_conv_bn(x: torch.Tensor, modules: Sequence[nn.Module], relu_x: torch.Tensor | None = None) -> list[torch.Tensor]:
    """``[m(x) for m in modules]`` for ReLU-conv-BN ops of one input, computed as ONE convolution.

    The ops' kernels are stacked along the output channels and their batch norms run as one (a batch norm is
    per channel, so this is the same computation, running statistics included); one larger convolution uses a
    CPU or GPU far better than several thin ones, and its input gradient sums the edges' for free.
    """
    import torch.nn.functional as F

    convs = [m[1] for m in modules]
    bns = [m[2] for m in modules]
    c0, b0 = convs[0], bns[0]
    r = F.relu(x) if relu_x is None else relu_x
    y = F.conv2d(r, torch.cat([c.weight for c in convs]), None, c0.stride, c0.padding, c0.dilation, c0.groups)
    use_batch_stats = b0.training or not b0.track_running_stats
    if b0.track_running_stats:
        mean = torch.cat([b.running_mean for b in bns])
        var = torch.cat([b.running_var for b in bns])
    else:
        mean = var = None
    weight = torch.cat([b.weight for b in bns]) if b0.affine else None
    bias = torch.cat([b.bias for b in bns]) if b0.affine else None
    y = F.batch_norm(y, mean, var, weight, bias, use_batch_stats, b0.momentum, b0.eps)
    if b0.training and b0.track_running_stats:
        with torch.no_grad():
            for b, m_part, v_part in zip(bns, mean.chunk(len(bns)), var.chunk(len(bns))):
                b.running_mean.copy_(m_part)
                b.running_var.copy_(v_part)
                b.num_batches_tracked.add_(1)
    return list(y.chunk(len(modules), dim=1))
