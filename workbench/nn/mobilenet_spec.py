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


# --- analytic costs (equal to workbench.nn.cost.count_params / count_flops of the built modules) -----------
def _conv(cin: int, cout: int, k: int, size_out: int, groups: int = 1, bn: bool = True) -> tuple[int, int]:
    """(params, FLOPs) of a bias-free conv (+ BN affine parameters); a multiply-add is two FLOPs."""
    params = cin // groups * cout * k * k + (2 * cout if bn else 0)
    return params, 2 * cin // groups * cout * k * k * size_out * size_out


def block_costs(spec: BlockSpec) -> tuple[int, int]:
    """(params, FLOPs at batch 1) of one MBConv block."""
    mid = middle_channels(spec.in_channels, spec.expand)
    size_out = out_size(spec.input_size, spec.stride)
    parts = [_conv(mid, mid, spec.kernel, size_out, groups=mid), _conv(mid, spec.out_channels, 1, size_out)]
    if spec.expand != 1:
        parts.append(_conv(spec.in_channels, mid, 1, spec.input_size))
    if spec.se:
        s = se_channels(mid)
        parts.append((2 * mid * s + s + mid, 4 * mid * s))
    return sum(p for p, _ in parts), sum(f for _, f in parts)


def stem_costs(config: MobileNetConfig) -> tuple[int, int]:
    """(params, FLOPs) of the stem conv and the fixed first block."""
    size = out_size(config.input_size, config.strides[0])
    p0, f0 = _conv(config.in_channels, config.widths[0], 3, size)
    p1, f1 = block_costs(BlockSpec(config.widths[0], config.widths[1], 3, 1, config.strides[1], size, "relu", False))
    return p0 + p1, f0 + f1


def head_costs(config: MobileNetConfig) -> tuple[int, int]:
    """(params, FLOPs) of the head: final expand conv, feature mix conv, classifier."""
    p0, f0 = _conv(config.widths[-3], config.widths[-2], 1, head_input_size(config))
    p1, f1 = _conv(config.widths[-2], config.widths[-1], 1, 1, bn=False)
    w, n = config.widths[-1], config.num_classes
    return p0 + p1 + w * n + n, f0 + f1 + 2 * w * n


def network_costs(config: MobileNetConfig, arch: Sequence[Sequence[tuple[int, float]]]) -> tuple[int, int]:
    """(params, FLOPs at batch 1) of the whole network of ``arch``."""
    parts = [stem_costs(config), head_costs(config)]
    parts += [block_costs(spec) for stage in block_specs(config, arch) for spec in stage]
    return sum(p for p, _ in parts), sum(f for _, f in parts)
