"""SNIP: connection sensitivity of the loss at initialisation.

Lee, Ajanthan & Torr, "SNIP: Single-shot Network Pruning based on Connection Sensitivity", ICLR 2019;
summed over a network as a NAS proxy by Abdelfattah et al., ICLR 2021: sum over conv and linear weights of
|theta * dL/dtheta| for the cross-entropy L of one minibatch.
"""
from __future__ import annotations

from workbench.proxies import register


@register("snip")
def snip(network, batch, *, seed: int = 0) -> float:
    """SNIP saliency summed over the network (``seed`` unused: deterministic given the network and batch)."""
    import torch

    from workbench.proxies._common import loss_and_backward, weighted_layers, working_copy

    net = working_copy(network)
    loss_and_backward(net, batch)
    with torch.no_grad():
        return float(sum((m.weight * m.weight.grad).abs().sum().double() for m in weighted_layers(net)
                         if m.weight.grad is not None))
