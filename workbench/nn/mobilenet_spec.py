"""The torch-free arithmetic of mobilenet-space networks: channel rounding, block shapes, the skeleton.

The space, the cost tables and the constraint models use it without importing torch; the modules in
``workbench.nn.mobilenet`` are built from it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

DIVISOR = 8


def make_divisible(value: float, divisor: int = DIVISOR) -> int:
    """Round ``value`` to the nearest multiple of ``divisor`` (at least ``divisor``), never more than 10% down
    (the rule of the MobileNet and OFA code bases, so channel counts agree with theirs)."""
    new = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if new < 0.9 * value:
        new += divisor
    return int(new)


def middle_channels(in_channels: int, expand: float) -> int:
    """Channels inside an MBConv block of expand ratio ``expand``."""
    return in_channels if expand == 1 else make_divisible(round(in_channels * expand))


def se_channels(channels: int) -> int:
    """Channels of the squeeze-excite bottleneck (reduction 4)."""
    return make_divisible(channels // 4)


@dataclass(frozen=True)
class BlockSpec:
    """Everything that fixes one MBConv block's shape and cost (a latency-table key)."""

    in_channels: int
    out_channels: int
    kernel: int
    expand: float
    stride: int
    input_size: int
    act: str
    se: bool

    @property
    def residual(self) -> bool:
        return self.stride == 1 and self.in_channels == self.out_channels

    def key(self) -> str:
        return (f"mb:{self.in_channels}-{self.out_channels}:k{self.kernel}:e{self.expand:g}:s{self.stride}"
                f":r{self.input_size}:{self.act}:{'se' if self.se else 'nose'}")


@dataclass(frozen=True)
class MobileNetConfig:
    """The fixed skeleton of a mobilenet-space network (what is not searched)."""

    widths: tuple[int, ...]          # stem, first block, one per stage, final expand, last channel
    strides: tuple[int, ...]         # stem, first block, one per stage
    acts: tuple[str, ...]            # one per stage
    se: tuple[bool, ...]             # one per stage
    input_size: int = 28
    in_channels: int = 3
    num_classes: int = 10
    dropout: float = 0.0

    @property
    def num_stages(self) -> int:
        return len(self.widths) - 4


def out_size(size: int, stride: int) -> int:
    """Spatial size after a same-padded conv of ``stride``."""
    return (size - 1) // stride + 1


def block_specs(config: MobileNetConfig, arch: Sequence[Sequence[tuple[int, float]]]) -> list[list[BlockSpec]]:
    """The ``BlockSpec`` of every searched block, per stage."""
    size = out_size(out_size(config.input_size, config.strides[0]), config.strides[1])
    channels = config.widths[1]
    out: list[list[BlockSpec]] = []
    for s, stage in enumerate(arch):
        specs = []
        for i, (k, e) in enumerate(stage):
            stride = config.strides[2 + s] if i == 0 else 1
            specs.append(BlockSpec(channels, config.widths[2 + s], int(k), e, stride, size, config.acts[s],
                                   bool(config.se[s])))
            size = out_size(size, stride)
            channels = config.widths[2 + s]
        out.append(specs)
    return out


def stem_spec(config: MobileNetConfig) -> BlockSpec:
    """The stem conv and the fixed first block, as one table entry."""
    return BlockSpec(config.in_channels, config.widths[1], 3, 1, config.strides[0], config.input_size, "hswish",
                     False)


def head_input_size(config: MobileNetConfig) -> int:
    size = config.input_size
    for stride in config.strides:
        size = out_size(size, stride)
    return size
