"""Cost of a torch network: parameters and floating-point operations (one counter for the whole workbench).

``count_flops`` uses ``torch.utils.flop_counter.FlopCounterMode`` on one forward pass of a batch of one, so
it counts every convolution, matrix product and attention op torch knows the cost of (multiply-adds count as
two FLOPs, torch's convention); element-wise ops (BN, activations) are not counted.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn


def count_params(net: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (all of them, or only those that require grad)."""
    return int(sum(p.numel() for p in net.parameters() if p.requires_grad or not trainable_only))


def count_flops(net: nn.Module, input_shape: Sequence[int]) -> int:
    """FLOPs of one forward pass on an input of ``input_shape`` (e.g. ``(1, 3, 28, 28)``), in eval mode."""
    from torch.utils.flop_counter import FlopCounterMode

    was_training = net.training
    net.eval()
    try:
        param = next(net.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
        x = torch.zeros(*[int(d) for d in input_shape], device=device)
        counter = FlopCounterMode(display=False)
        with torch.no_grad(), counter:
            net(x)
        return int(counter.get_total_flops())
    finally:
        net.train(was_training)
