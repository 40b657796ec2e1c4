"""Candidate operations shared by the NB201 space, its networks and its supernet.

Each entry of ``NB201_OPS`` maps an op name to ``factory(C_in, C_out, stride) -> nn.Module``, so a derived
network and a supernet's mixed op are built from exactly the same modules.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn


class ReLUConvBN(nn.Sequential):
    """ReLU -> Conv(k x k) -> BatchNorm, the convolution of NB201 and DARTS cells."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, dilation: int = 1,
                 affine: bool = True, track_running_stats: bool = True) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, dilation=dilation, bias=False),
            nn.BatchNorm2d(c_out, affine=affine, track_running_stats=track_running_stats),
        )


class Zero(nn.Module):
    """The ``none`` op: outputs zeros of the right shape (keeps the graph uniform)."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.c_out, self.stride = c_out, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            x = x[:, :, :: self.stride, :: self.stride]
        if x.shape[1] != self.c_out:
            shape = list(x.shape)
            shape[1] = self.c_out
            return x.new_zeros(shape)
        return x.mul(0.0)


class FactorizedReduce(nn.Module):
    """Halves the resolution with two offset 1x1 convolutions (used where a skip must reduce)."""

    def __init__(self, c_in: int, c_out: int, affine: bool = True, track_running_stats: bool = True) -> None:
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, padding=0, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out - c_out // 2, 1, stride=2, padding=0, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine, track_running_stats=track_running_stats)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        shifted = nn.functional.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(shifted)], dim=1))


def _skip(c_in: int, c_out: int, stride: int, **bn) -> nn.Module:
    if stride == 1 and c_in == c_out:
        return nn.Identity()
    if stride == 2:
        return FactorizedReduce(c_in, c_out, **bn)
    return ReLUConvBN(c_in, c_out, 1, 1, 0, **bn)


def _pool(c_in: int, c_out: int, stride: int, **bn) -> nn.Module:
    pool = nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
    if c_in == c_out:
        return pool
    return nn.Sequential(ReLUConvBN(c_in, c_out, 1, 1, 0, **bn), pool)


NB201_OPS: dict[str, Callable[..., nn.Module]] = {
    "none": lambda c_in, c_out, stride, **bn: Zero(c_in, c_out, stride),
    "skip_connect": _skip,
    "nor_conv_1x1": lambda c_in, c_out, stride, **bn: ReLUConvBN(c_in, c_out, 1, stride, 0, **bn),
    "nor_conv_3x3": lambda c_in, c_out, stride, **bn: ReLUConvBN(c_in, c_out, 3, stride, 1, **bn),
    "avg_pool_3x3": _pool,
}
