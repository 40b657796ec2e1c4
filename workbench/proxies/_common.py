"""Helpers the proxies share: loss, the layers that carry weights, seeded initialisation."""
from __future__ import annotations

import copy

import torch
from torch import nn
import torch.nn.functional as F

WEIGHTED = (nn.Conv2d, nn.Linear)


def weighted_layers(network: nn.Module) -> list[nn.Module]:
    """The convolutions and linear layers: the layers whose weights the pruning-based proxies score."""
    return [m for m in network.modules() if isinstance(m, WEIGHTED)]


def loss_and_backward(network: nn.Module, batch) -> torch.Tensor:
    """Cross-entropy of ``network`` on ``batch`` in train mode; gradients accumulate in ``.grad``."""
    x, y = batch
    network.train()
    network.zero_grad(set_to_none=True)
    loss = F.cross_entropy(network(x), y)
    loss.backward()
    return loss


def working_copy(network: nn.Module) -> nn.Module:
    """A deep copy, so a proxy may change weights, modes or layers without touching the caller's network."""
    return copy.deepcopy(network)


def default_init_(network: nn.Module, generator: torch.Generator) -> nn.Module:
    """PyTorch's default initialisation, drawn from ``generator`` instead of the global generator:
    conv and linear weights and biases uniform in +-1/sqrt(fan_in), batch-norm scale 1 and shift 0."""
    with torch.no_grad():
        for m in network.modules():
            if isinstance(m, WEIGHTED):
                fan_in = m.weight[0].numel()
                bound = 1.0 / fan_in ** 0.5
                m.weight.uniform_(-bound, bound, generator=generator)
                if m.bias is not None:
                    m.bias.uniform_(-bound, bound, generator=generator)
            else:
                reset_batch_norm(m)
    return network


def reset_batch_norm(module) -> None:
    """A batch-norm layer back to scale 1, shift 0 and fresh running statistics (other modules untouched)."""
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        with torch.no_grad():
            if module.affine:
                module.weight.fill_(1.0)
                module.bias.zero_()
        if module.track_running_stats:
            module.reset_running_stats()


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed))
