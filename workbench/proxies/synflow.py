"""SynFlow: the synaptic flow through a network with all weights made positive (data-free).

Tanaka, Kunin, Yamins & Ganguli, "Pruning neural networks without any data by iteratively conserving
synaptic flow", NeurIPS 2020; used as a NAS proxy by Abdelfattah et al., "Zero-Cost Proxies for Lightweight
NAS", ICLR 2021. With every parameter replaced by its absolute value and batch normalisation removed, an
all-ones input of one sample is pushed through and R = sum of the outputs is back-propagated; the score is
sum over conv and linear weights of |theta * dR/dtheta|. The products of many positive weights overflow
float32 on deep nets, so the copy runs in float64.
"""
from __future__ import annotations

from workbench.proxies import register


@register("synflow")
def synflow(network, batch, *, seed: int = 0) -> float:
    """SynFlow score of ``network`` (only the shape of ``batch`` is used; ``seed`` unused: deterministic)."""
    import torch
    from torch import nn

    from workbench.proxies._common import weighted_layers, working_copy

    net = working_copy(network).double()
    for name, module in list(net.named_modules()):  # batch norm would rescale the flow: remove it
        for child_name, child in list(module.named_children()):
            if isinstance(child, nn.modules.batchnorm._BatchNorm):
                setattr(module, child_name, nn.Identity())
    with torch.no_grad():
        for p in net.parameters():
            p.abs_()
    net.eval()
    net.zero_grad(set_to_none=True)
    x = torch.ones((1, *batch[0].shape[1:]), dtype=torch.float64)
    net(x).sum().backward()
    with torch.no_grad():
        return float(sum((layer.weight * layer.weight.grad).abs().sum() for layer in weighted_layers(net)
                         if layer.weight.grad is not None))
