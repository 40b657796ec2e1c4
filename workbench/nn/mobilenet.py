"""MobileNet-style networks of inverted-residual (MBConv) blocks, as in ProxylessNAS, MobileNetV3 and OFA.

Layout (that of the Once-for-All MobileNetV3 network, so parameter counts can be compared with it):

    stem        conv 3x3 (stride ``strides[0]``), BN, h-swish                         -> widths[0]
    first block MBConv, expand 1, kernel 3, ReLU, no SE (residual when widths agree) -> widths[1]
    stages      per stage s: ``depth`` MBConv blocks (kernel k, expand e, activation ``acts[s]``,
                squeeze-excite when ``se[s]``); the first block has the stage's stride, a residual
                connection wherever input and output shapes agree                    -> widths[2 + s]
    head        1x1 conv, BN, h-swish -> widths[-2]; global average pool; 1x1 conv (no BN, no bias),
                h-swish -> widths[-1]; dropout; linear classifier

An MBConv block: 1x1 expansion conv to ``make_divisible(round(in * e))`` channels, BN, activation (left
out at expand 1); depthwise k x k conv, BN, activation; optional squeeze-excite (reduction 4, ReLU then
hard sigmoid); 1x1 projection conv, BN (linear bottleneck).

Everything in this module is a plain function of a ``MobileNetConfig`` and an arch (a tuple of stages,
each a tuple of ``(kernel, expand)`` pairs); the space in ``workbench.spaces.mobilenet`` holds the config.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
import torch.nn.functional as F

from workbench.nn.mobilenet_spec import (BlockSpec, MobileNetConfig, block_specs, make_divisible,  # noqa: F401
                                        middle_channels, se_channels)

def activation(name: str) -> nn.Module:
    if name == "relu":
        return nn.ReLU(inplace=True)
    if name == "hswish":
        return nn.Hardswish(inplace=True)
    raise ValueError(f"unknown activation {name!r}; accepted: relu, hswish")


class ConvBNAct(nn.Sequential):
    def __init__(self, cin: int, cout: int, kernel: int = 1, stride: int = 1, groups: int = 1,
                 act: str | None = "relu") -> None:
        layers: list[nn.Module] = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False),
                                   nn.BatchNorm2d(cout)]
        if act:
            layers.append(activation(act))
        super().__init__(*layers)


class SqueezeExcite(nn.Module):
    """MobileNetV3 squeeze-excite: global pool, 1x1 reduce (bias), ReLU, 1x1 expand (bias), hard sigmoid."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        mid = se_channels(channels)
        self.reduce = nn.Conv2d(channels, mid, 1, bias=True)
        self.expand = nn.Conv2d(mid, channels, 1, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x.mean((2, 3), keepdim=True)
        return x * F.hardsigmoid(self.expand(F.relu(self.reduce(y))))


class MBConv(nn.Module):
    """An inverted-residual block (see the module docstring)."""

    def __init__(self, spec: BlockSpec) -> None:
        super().__init__()
        self.spec = spec
        mid = middle_channels(spec.in_channels, spec.expand)
        self.expand = None if spec.expand == 1 else ConvBNAct(spec.in_channels, mid, 1, act=spec.act)
        self.depthwise = ConvBNAct(mid, mid, spec.kernel, spec.stride, groups=mid, act=spec.act)
        self.se = SqueezeExcite(mid) if spec.se else None
        self.project = ConvBNAct(mid, spec.out_channels, 1, act=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x if self.expand is None else self.expand(x)
        y = self.depthwise(y)
        if self.se is not None:
            y = self.se(y)
        y = self.project(y)
        return x + y if self.spec.residual else y


class Stem(nn.Sequential):
    def __init__(self, config: MobileNetConfig) -> None:
        w0, w1 = config.widths[0], config.widths[1]
        super().__init__(ConvBNAct(config.in_channels, w0, 3, config.strides[0], act="hswish"),
                         MBConv(BlockSpec(w0, w1, 3, 1, config.strides[1], 0, "relu", False)))


class Head(nn.Module):
    def __init__(self, config: MobileNetConfig) -> None:
        super().__init__()
        cin = config.widths[-3]
        self.final_expand = ConvBNAct(cin, config.widths[-2], 1, act="hswish")
        self.feature_mix = nn.Conv2d(config.widths[-2], config.widths[-1], 1, bias=False)
        self.dropout = nn.Dropout(config.dropout) if config.dropout > 0 else nn.Identity()
        self.classifier = nn.Linear(config.widths[-1], config.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.final_expand(x).mean((2, 3), keepdim=True)
        x = F.hardswish(self.feature_mix(x)).flatten(1)
        return self.classifier(self.dropout(x))


class MobileNetNetwork(nn.Module):
    """A stand-alone network of the mobilenet space (``stem``, ``blocks``, ``head``)."""

    def __init__(self, config: MobileNetConfig, arch: Sequence[Sequence[tuple[int, float]]]) -> None:
        super().__init__()
        self.config = config
        self.stem = Stem(config)
        self.blocks = nn.Sequential(*[MBConv(spec) for stage in block_specs(config, arch) for spec in stage])
        self.head = Head(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))
