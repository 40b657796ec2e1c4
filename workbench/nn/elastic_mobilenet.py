"""The Once-for-All elastic network over the mobilenet space (Cai et al., ICLR 2020).

One set of weights holds every network of the space:

- **elastic kernel**: each block keeps one depthwise kernel of the largest size; a smaller kernel is the centre
  of the next larger one passed through a learned *kernel transformation matrix* (one per block and size pair,
  shared by all channels, initialised to the identity): 7x7 -> centre 5x5 -> (25x25 matrix) -> 5x5 -> centre
  3x3 -> (9x9 matrix) -> 3x3;
- **elastic depth**: a stage of depth d runs its first d blocks;
- **elastic expand ratio**: a block of expand e uses the first ``make_divisible(round(in * e))`` middle
  channels; ``sort_channels()`` reorders them by importance (L1 norm of the projection weights) so the
  first ones are the most important before the expand ratio becomes elastic.

``set_active(arch)`` chooses the subnet the forward pass runs; ``subnet(arch)`` copies it out as an ordinary
``MobileNetNetwork`` of the space (same modules, same parameter count as ``space.build(arch)``), with the
inherited weights and no retraining.
"""
from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn
import torch.nn.functional as F

from workbench.nn.mobilenet import Head, MBConv, MobileNetNetwork, Stem, activation
from workbench.nn.mobilenet_spec import BlockSpec, block_specs, middle_channels, se_channels


def _bn(x: torch.Tensor, bn: nn.BatchNorm2d, c: int, training: bool) -> torch.Tensor:
    """Batch norm over the first ``c`` channels of ``bn`` (running statistics of the slice are updated)."""
    return F.batch_norm(x, bn.running_mean[:c], bn.running_var[:c], bn.weight[:c], bn.bias[:c],
                        training or not bn.track_running_stats, bn.momentum if bn.momentum is not None else 0.0,
                        bn.eps)


class ElasticMBConv(nn.Module):
    """An MBConv block whose kernel and expand ratio are chosen at run time (``active = (kernel, expand)``)."""

    def __init__(self, cin: int, cout: int, kernels: Sequence[int], expands: Sequence[int], stride: int, act: str,
                 se: bool, input_size: int) -> None:
        super().__init__()
        self.cin, self.cout, self.stride, self.se, self.act_name, self.input_size = cin, cout, stride, se, act, input_size
        self.kernels, self.expands = tuple(sorted(kernels)), tuple(sorted(expands))
        mid = middle_channels(cin, max(self.expands))
        self.expand_conv = nn.Conv2d(cin, mid, 1, bias=False)
        self.expand_bn = nn.BatchNorm2d(mid)
        self.dw_conv = nn.Conv2d(mid, mid, max(self.kernels), stride, max(self.kernels) // 2, groups=mid, bias=False)
        self.dw_bn = nn.BatchNorm2d(mid)
        # kernel transformation matrices, from each size to the next smaller one
        self.transforms = nn.ParameterDict({
            f"{big}to{small}": nn.Parameter(torch.eye(small * small))
            for big, small in zip(self.kernels[::-1], self.kernels[::-1][1:])})
        if se:
            s = se_channels(mid)
            self.se_reduce = nn.Conv2d(mid, s, 1, bias=True)
            self.se_expand = nn.Conv2d(s, mid, 1, bias=True)
        self.project = nn.Conv2d(mid, cout, 1, bias=False)
        self.project_bn = nn.BatchNorm2d(cout)
        self.act = activation(act)
        self.active = (max(self.kernels), max(self.expands))

    def depthwise_weight(self, kernel: int) -> torch.Tensor:
        """The ``kernel`` x ``kernel`` depthwise weights: centre crops through the transformation matrices."""
        weight = self.dw_conv.weight
        size = weight.shape[-1]
        for big, small in zip(self.kernels[::-1], self.kernels[::-1][1:]):
            if size <= kernel:
                break
            start = (big - small) // 2
            crop = weight[:, :, start:start + small, start:start + small]
            c = crop.shape[0]
            weight = (crop.reshape(c, small * small) @ self.transforms[f"{big}to{small}"]).reshape(c, 1, small, small)
            size = small
        if size != kernel:
            raise ValueError(f"kernel {kernel} is not elastic here; accepted: {list(self.kernels)}")
        return weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kernel, expand = self.active
        mid = middle_channels(self.cin, expand)
        y = self.act(_bn(F.conv2d(x, self.expand_conv.weight[:mid]), self.expand_bn, mid, self.training))
        y = F.conv2d(y, self.depthwise_weight(kernel)[:mid], None, self.stride, kernel // 2, 1, mid)
        y = self.act(_bn(y, self.dw_bn, mid, self.training))
        if self.se:
            s = se_channels(mid)
            z = F.conv2d(y.mean((2, 3), keepdim=True), self.se_reduce.weight[:s, :mid], self.se_reduce.bias[:s])
            z = F.conv2d(F.relu(z), self.se_expand.weight[:mid, :s], self.se_expand.bias[:mid])
            y = y * F.hardsigmoid(z)
        y = _bn(F.conv2d(y, self.project.weight[:, :mid]), self.project_bn, self.cout, self.training)
        return x + y if (self.stride == 1 and self.cin == self.cout) else y

    @torch.no_grad()
    def sort_channels(self) -> None:
        """Reorder the middle channels by importance (L1 norm of their projection weights), most important first."""
        order = self.project.weight.abs().sum(dim=(0, 2, 3)).argsort(descending=True)
        self.expand_conv.weight.copy_(self.expand_conv.weight[order])
        self.dw_conv.weight.copy_(self.dw_conv.weight[order])
        for bn in (self.expand_bn, self.dw_bn):
            for t in (bn.weight, bn.bias, bn.running_mean, bn.running_var):
                t.copy_(t[order])
        if self.se:
            self.se_reduce.weight.copy_(self.se_reduce.weight[:, order])
            self.se_expand.weight.copy_(self.se_expand.weight[order])
            self.se_expand.bias.copy_(self.se_expand.bias[order])
        self.project.weight.copy_(self.project.weight[:, order])

    @torch.no_grad()
    def export(self, kernel: int, expand: int) -> MBConv:
        """The static block of this setting, with the inherited weights."""
        mid = middle_channels(self.cin, expand)
        block = MBConv(BlockSpec(self.cin, self.cout, kernel, expand, self.stride, self.input_size, self.act_name,
                                 self.se))

        def copy_bn(dst: nn.BatchNorm2d, src: nn.BatchNorm2d, c: int) -> None:
            for name in ("weight", "bias", "running_mean", "running_var"):
                getattr(dst, name).copy_(getattr(src, name)[:c])

        block.expand[0].weight.copy_(self.expand_conv.weight[:mid])
        copy_bn(block.expand[1], self.expand_bn, mid)
        block.depthwise[0].weight.copy_(self.depthwise_weight(kernel)[:mid])
        copy_bn(block.depthwise[1], self.dw_bn, mid)
        if self.se:
            s = se_channels(mid)
            block.se.reduce.weight.copy_(self.se_reduce.weight[:s, :mid])
            block.se.reduce.bias.copy_(self.se_reduce.bias[:s])
            block.se.expand.weight.copy_(self.se_expand.weight[:mid, :s])
            block.se.expand.bias.copy_(self.se_expand.bias[:mid])
        block.project[0].weight.copy_(self.project.weight[:, :mid])
        copy_bn(block.project[1], self.project_bn, self.cout)
        return block


class ElasticMobileNet(nn.Module):
    """Every network of a mobilenet space in one module (see the module docstring)."""

    def __init__(self, space, num_classes: int = 10, in_channels: int = 3, input_size: int | None = None) -> None:
        super().__init__()
        self.space = space
        self.config = space.config(num_classes, in_channels, input_size)
        largest = tuple(((max(space.kernels), max(space.expands)),) * max(space.depths)
                        for _ in range(space.num_stages))
        self.stem = Stem(self.config)
        self.stages = nn.ModuleList(
            nn.ModuleList(ElasticMBConv(s.in_channels, s.out_channels, space.kernels, space.expands, s.stride, s.act,
                                        s.se, s.input_size) for s in stage)
            for stage in block_specs(self.config, largest))
        self.head = Head(self.config)
        self.largest = largest
        self.active = largest

    def set_active(self, arch: Any) -> None:
        """Run the subnet of ``arch`` (an arch of the space, or its text) from now on."""
        arch = self.space.validate(arch)
        for stage, blocks in zip(self.stages, arch):
            for block, setting in zip(stage, blocks):
                block.active = setting
        self.active = arch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for stage, blocks in zip(self.stages, self.active):
            for block in stage[:len(blocks)]:
                x = block(x)
        return self.head(x)

    def sort_channels(self) -> None:
        for stage in self.stages:
            for block in stage:
                block.sort_channels()

    @torch.no_grad()
    def subnet(self, arch: Any) -> MobileNetNetwork:
        """``arch``'s network as an ordinary ``MobileNetNetwork`` with the inherited weights (on this device)."""
        arch = self.space.validate(arch)
        net = MobileNetNetwork(self.config, arch)
        net.stem.load_state_dict(self.stem.state_dict())
        net.head.load_state_dict(self.head.state_dict())
        blocks = [stage[i].export(k, e) for stage, setting in zip(self.stages, arch) for i, (k, e) in
                  enumerate(setting)]
        net.blocks = nn.Sequential(*blocks)
        return net.to(next(self.parameters()).device)
