"""The network of a ``layers`` arch: a chain of conv / pool / fc layers with concatenating skips (NAS-RL).

Each convolution is conv-BN-ReLU with same padding; its input is the previous layer's output concatenated
(along channels) with the outputs of its skip sources, as NAS-RL's anchor points do. Pools are max pools
padded so that a map of width R becomes ceil(R / stride). Before the first fully connected layer the map
is average-pooled to the size it has for the design input and flattened (so other input sizes also run);
without fc layers a global average pool feeds the classifier.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn


class _Pool(nn.Module):
    """Max pool that maps width R to ceil(R / stride) for any kernel (odd: padded; even: ceil mode)."""

    def __init__(self, kernel: int, stride: int) -> None:
        super().__init__()
        if kernel % 2:
            self.pool = nn.MaxPool2d(kernel, stride, padding=kernel // 2)
        else:
            self.pool = nn.MaxPool2d(kernel, stride, padding=0, ceil_mode=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x)


class LayersNetwork(nn.Module):
    """Build a network from a tuple of ``workbench.spaces.layers.Layer`` values."""

    def __init__(self, arch: Sequence, num_classes: int, in_channels: int = 3, input_size: int = 28) -> None:
        super().__init__()
        self.arch = tuple(arch)
        channels = [in_channels]  # channels of the input (index 0) and of each layer's output
        size = int(input_size)
        blocks: list[nn.Module] = []
        flat_at: int | None = None
        features = in_channels
        for i, layer in enumerate(self.arch):
            if layer.kind == "conv":
                c_in = channels[-1] + sum(channels[j + 1] for j in layer.skips)
                blocks.append(nn.Sequential(
                    nn.Conv2d(c_in, layer.filters, layer.kernel, stride=layer.stride, padding=layer.kernel // 2,
                              bias=False),
                    nn.BatchNorm2d(layer.filters), nn.ReLU(inplace=False)))
                channels.append(layer.filters)
                size = math.ceil(size / layer.stride)
            elif layer.kind == "pool":
                blocks.append(_Pool(layer.kernel, layer.stride))
                channels.append(channels[-1])
                size = math.ceil(size / layer.stride)
            else:
                if flat_at is None:
                    flat_at = i
                    features = channels[-1] * size * size
                blocks.append(nn.Sequential(nn.Linear(features, layer.units), nn.ReLU(inplace=False)))
                features = layer.units
                channels.append(layer.units)
        self.blocks = nn.ModuleList(blocks)
        self.flat_at = flat_at
        self.flat_size = size if flat_at is not None else 1
        self.flatten_pool = nn.AdaptiveAvgPool2d(self.flat_size)
        self.classifier = nn.Linear(features if flat_at is not None else channels[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs: list[torch.Tensor] = []
        for i, (layer, block) in enumerate(zip(self.arch, self.blocks)):
            if i == self.flat_at:
                x = self.flatten_pool(x).flatten(1)
            if layer.kind == "conv" and layer.skips:
                x = torch.cat([x] + [outputs[j] for j in layer.skips], dim=1)
            x = block(x)
            outputs.append(x)
        if self.flat_at is None:
            x = self.flatten_pool(x).flatten(1)
        return self.classifier(x)
