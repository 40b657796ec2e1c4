"""The 8 candidate operations of the DARTS cell space (Liu et al., ICLR 2019), keyed by their names.

``DARTS_OP_FACTORIES[name](channels, stride, affine=True, track_running_stats=True) -> nn.Module``. The
evaluation network (``darts_network``) and the search supernet (``supernet_darts``) both build their ops
from this table, so a derived genotype and the supernet agree on every op. Every op keeps the channel
count and divides the resolution by ``stride``; odd sizes round up (7x7 -> 4x4), as in every op here.

Shapes follow DARTS' ``cnn/operations.py``: separable convs apply (ReLU, depthwise k x k, pointwise 1x1,
BN) twice, the first time with the stride; dilated convs apply it once with dilation 2.
"""
from __future__ import annotations

from typing import Callable

from torch import nn

from workbench.nn.ops import FactorizedReduce, Zero


class DilConv(nn.Sequential):
    """ReLU -> depthwise k x k conv (dilated) -> pointwise 1x1 conv -> BN."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, dilation: int,
                 affine: bool = True, track_running_stats: bool = True) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, kernel, stride=stride, padding=padding, dilation=dilation, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, bias=False),
            nn.BatchNorm2d(c_out, affine=affine, track_running_stats=track_running_stats),
        )


class SepConv(nn.Sequential):
    """Two stacked depthwise-separable convs (the first strided), DARTS' ``sep_conv_kxk``."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, affine: bool = True,
                 track_running_stats: bool = True) -> None:
        super().__init__(
            DilConv(c_in, c_in, kernel, stride, padding, 1, affine, track_running_stats),
            DilConv(c_in, c_out, kernel, 1, padding, 1, affine, track_running_stats),
        )


def _skip(c: int, stride: int, affine: bool = True, track_running_stats: bool = True) -> nn.Module:
    if stride == 1:
        return nn.Identity()
    return FactorizedReduce(c, c, affine=affine, track_running_stats=track_running_stats)


def _max_pool(c: int, stride: int, affine: bool = True, track_running_stats: bool = True) -> nn.Module:
    return nn.MaxPool2d(3, stride=stride, padding=1)


def _avg_pool(c: int, stride: int, affine: bool = True, track_running_stats: bool = True) -> nn.Module:
    return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)


DARTS_OP_FACTORIES: dict[str, Callable[..., nn.Module]] = {
    "none": lambda c, stride, affine=True, track_running_stats=True: Zero(c, c, stride),
    "max_pool_3x3": _max_pool,
    "avg_pool_3x3": _avg_pool,
    "skip_connect": _skip,
    "sep_conv_3x3": lambda c, stride, affine=True, track_running_stats=True: SepConv(
        c, c, 3, stride, 1, affine, track_running_stats),
    "sep_conv_5x5": lambda c, stride, affine=True, track_running_stats=True: SepConv(
        c, c, 5, stride, 2, affine, track_running_stats),
    "dil_conv_3x3": lambda c, stride, affine=True, track_running_stats=True: DilConv(
        c, c, 3, stride, 2, 2, affine, track_running_stats),
    "dil_conv_5x5": lambda c, stride, affine=True, track_running_stats=True: DilConv(
        c, c, 5, stride, 4, 2, affine, track_running_stats),
}


def make_darts_op(name: str, channels: int, stride: int, affine: bool = True,
                  track_running_stats: bool = True) -> nn.Module:
    """Build op ``name``; an unknown name raises a ValueError listing the accepted ones."""
    try:
        factory = DARTS_OP_FACTORIES[name]
    except KeyError:
        raise ValueError(f"unknown DARTS op {name!r}; accepted: {', '.join(DARTS_OP_FACTORIES)}") from None
    return factory(channels, stride, affine=affine, track_running_stats=track_running_stats)


def is_parameter_free(name: str) -> bool:
    """Pools, skips and ``none``: DARTS' search cell follows pools with an affine-free BN."""
    return name in ("none", "max_pool_3x3", "avg_pool_3x3", "skip_connect")


__all__ = ["DARTS_OP_FACTORIES", "DilConv", "SepConv", "make_darts_op", "is_parameter_free"]
