"""Gradient norm: the sum over layers of the Euclidean norm of the loss gradient of each layer's weights.

Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS", ICLR 2021 (their ``grad_norm`` baseline).
"""
from __future__ import annotations

from workbench.proxies import register


@register("grad_norm")
def grad_norm(network, batch, *, seed: int = 0) -> float:
    """Sum of per-layer gradient norms of conv and linear weights (``seed`` unused)."""
    import torch

    from workbench.proxies._common import loss_and_backward, weighted_layers, working_copy

    net = working_copy(network)
    loss_and_backward(net, batch)
    with torch.no_grad():
        return float(sum(m.weight.grad.double().norm() for m in weighted_layers(net) if m.weight.grad is not None))
