"""A chain of ShuffleNetV2 choice blocks: the network of Single Path One-Shot's block search (Guo et al. 2020).

Each layer is one of four blocks (SPOS, sec. 4.1): ShuffleNetV2 units whose depthwise convolution is
3x3, 5x5 or 7x7, or an Xception-like unit (three depthwise 3x3 convolutions). A unit splits its input
channels in two (even and odd channels); with stride 1 one half passes unchanged and the other goes
through the main branch (1x1 conv, depthwise kxk, 1x1 conv); with stride 2 both halves are the whole
input, one through a depthwise-strided projection, the other through the main branch; the two are
concatenated. Taking even/odd channels after the concatenation is ShuffleNetV2's channel shuffle.

``ChoiceChain`` is both the stand-alone network (one block per layer) and the supernet (every block in
every layer, one alpha matrix of layers x blocks): ``forward(x, index={"layers": [k per layer]})`` runs a
single path, ``weights`` mixes blocks (DARTS-like), both together scale the chosen block (GDAS-like).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

BLOCKS: tuple[str, ...] = ("3x3", "5x5", "7x7", "xception")


def _bn(c: int, track: bool) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, track_running_stats=track)


class ShuffleUnit(nn.Module):
    """A ShuffleNetV2 unit (``kernel`` 3/5/7) or its Xception variant (``xception=True``)."""

    def __init__(self, c_in: int, c_out: int, stride: int, kernel: int = 3, xception: bool = False,
                 track_running_stats: bool = True) -> None:
        super().__init__()
        if stride not in (1, 2) or (stride == 1 and c_in != c_out) or c_out % 2:
            raise ValueError(f"a shuffle unit maps c_in -> c_out with stride 1 (c_in == c_out) or 2, c_out even; "
                             f"got {c_in} -> {c_out}, stride {stride}")
        self.stride = stride
        t = track_running_stats
        c_main_in = c_in // 2 if stride == 1 else c_in
        c_main_out = c_out - (c_in // 2 if stride == 1 else c_in)
        mid = c_out // 2
        pad = kernel // 2
        if xception:
            layers: list[nn.Module] = []
            c = c_main_in
            for k, s in enumerate((stride, 1, 1)):
                c_next = mid if k < 2 else c_main_out
                layers += [nn.Conv2d(c, c, 3, s, 1, groups=c, bias=False), _bn(c, t),
                           nn.Conv2d(c, c_next, 1, bias=False), _bn(c_next, t), nn.ReLU(inplace=True)]
                c = c_next
            self.main = nn.Sequential(*layers)
        else:
            self.main = nn.Sequential(
                nn.Conv2d(c_main_in, mid, 1, bias=False), _bn(mid, t), nn.ReLU(inplace=True),
                nn.Conv2d(mid, mid, kernel, stride, pad, groups=mid, bias=False), _bn(mid, t),
                nn.Conv2d(mid, c_main_out, 1, bias=False), _bn(c_main_out, t), nn.ReLU(inplace=True))
        if stride == 2:
            k = 3 if xception else kernel
            self.proj = nn.Sequential(
                nn.Conv2d(c_in, c_in, k, 2, k // 2, groups=c_in, bias=False), _bn(c_in, t),
                nn.Conv2d(c_in, c_in, 1, bias=False), _bn(c_in, t), nn.ReLU(inplace=True))
        else:
            self.proj = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.proj is None:
            return torch.cat((x[:, 0::2], self.main(x[:, 1::2])), dim=1)
        return torch.cat((self.proj(x), self.main(x)), dim=1)


def make_block(name: str, c_in: int, c_out: int, stride: int, track_running_stats: bool = True) -> ShuffleUnit:
    if name not in BLOCKS:
        raise ValueError(f"unknown block {name!r}; accepted: {', '.join(BLOCKS)}")
    if name == "xception":
        return ShuffleUnit(c_in, c_out, stride, xception=True, track_running_stats=track_running_stats)
    return ShuffleUnit(c_in, c_out, stride, kernel=int(name[0]), track_running_stats=track_running_stats)


def layer_plan(stages: Sequence[int], channels: int) -> list[tuple[int, int, int]]:
    """``(c_in, c_out, stride)`` of every layer: stage s has width ``channels * 2**(s+1)``, its first layer
    halves the resolution."""
    plan, c = [], channels
    for s, depth in enumerate(stages):
        width = channels * 2 ** (s + 1)
        for i in range(depth):
            plan.append((c, width, 2 if i == 0 else 1))
            c = width
    return plan


class ChoiceChain(nn.Module):
    """Stem (3x3 conv, stride 2), layers of choice blocks, global pooling, classifier.

    ``choices`` lists, per layer, the block names it holds: one each for a stand-alone network, all of
    ``BLOCKS`` for the supernet.
    """

    row_axis = "layers"
    free_choices = True

    def __init__(self, choices: Sequence[Sequence[str]], num_classes: int, in_channels: int = 3,
                 channels: int = 8, stages: Sequence[int] = (2, 2, 2), track_running_stats: bool = True) -> None:
        super().__init__()
        plan = layer_plan(stages, channels)
        if len(choices) != len(plan):
            raise ValueError(f"{len(choices)} layers of choices for a chain of {len(plan)} layers ({list(stages)})")
        self.ops = tuple(BLOCKS)
        self.layer_choices = [tuple(c) for c in choices]
        self.stem = nn.Sequential(nn.Conv2d(in_channels, channels, 3, 2, 1, bias=False),
                                  _bn(channels, track_running_stats), nn.ReLU(inplace=True))
        self.layers = nn.ModuleList(
            nn.ModuleList(make_block(name, c_in, c_out, stride, track_running_stats) for name in names)
            for names, (c_in, c_out, stride) in zip(self.layer_choices, plan))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(plan[-1][1], num_classes)
        if any(len(c) > 1 for c in self.layer_choices):  # the supernet: architecture weights, layers x blocks
            self.alphas = nn.Parameter(torch.zeros(len(plan), len(BLOCKS)))
        else:
            self.alphas = None

    # --- the supernet's interface (workbench.oneshot._base) --------------------------------------
    @property
    def choice_rows(self) -> dict[str, tuple[str, ...]]:
        return {"layers": tuple(f"layer {i}" for i in range(len(self.layers)))}

    def index_of(self, arch: Sequence[str]) -> dict[str, list[int]]:
        return {"layers": [BLOCKS.index(op) for op in arch]}

    def arch_of(self, index: dict[str, Sequence[int]]) -> tuple[str, ...]:
        return tuple(BLOCKS[int(k)] for k in index["layers"])

    def arch_parameters(self) -> list[nn.Parameter]:
        return [] if self.alphas is None else [self.alphas]

    def alphas_by_type(self) -> dict[str, torch.Tensor]:
        return {"layers": self.alphas}

    def weights(self) -> list[nn.Parameter]:
        return [p for name, p in self.named_parameters() if name != "alphas"]

    def forward(self, x: torch.Tensor, weights: dict[str, torch.Tensor] | None = None,
                index: dict[str, Sequence[int]] | None = None) -> torch.Tensor:
        x = self.stem(x)
        w = None if weights is None else weights["layers"]
        chosen = None if index is None else index["layers"]
        if w is None and chosen is None and any(len(c) > 1 for c in self.layer_choices):
            w = torch.softmax(self.alphas, dim=-1)  # the supernet without a path: mix every block
        for i, blocks in enumerate(self.layers):
            if len(blocks) == 1:  # a stand-alone network
                x = blocks[0](x)
            elif chosen is not None:
                k = int(chosen[i])
                x = blocks[k](x) if w is None else blocks[k](x) * w[i, k]
            else:
                x = sum(w[i, k] * block(x) for k, block in enumerate(blocks))
        return self.classifier(self.pool(x).flatten(1))


__all__ = ["BLOCKS", "ChoiceChain", "ShuffleUnit", "layer_plan", "make_block"]
