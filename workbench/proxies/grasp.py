"""GraSP: gradient signal preservation, -theta * (H g) summed.

Wang, Zhang & Grosse, "Picking Winning Tickets Before Training by Preserving Gradient Flow", ICLR 2020;
summed over a network as a NAS proxy by Abdelfattah et al., ICLR 2021. g is the gradient of the minibatch
loss, H its Hessian; H g comes from differentiating g . stop_grad(g) once more. The score is
-sum over conv and linear weights of theta * (H g).
"""
from __future__ import annotations

from workbench.proxies import register


@register("grasp")
def grasp(network, batch, *, seed: int = 0) -> float:
    """GraSP score (``seed`` unused: deterministic given the network and batch)."""
    import torch
    import torch.nn.functional as F

    from workbench.proxies._common import weighted_layers, working_copy

    net = working_copy(network)
    net.train()
    weights = [m.weight for m in weighted_layers(net)]
    x, y = batch
    grads = torch.autograd.grad(F.cross_entropy(net(x), y), weights, allow_unused=True)
    fixed = [torch.zeros_like(w) if g is None else g.detach() for w, g in zip(weights, grads)]
    grads = torch.autograd.grad(F.cross_entropy(net(x), y), weights, create_graph=True, allow_unused=True)
    z = sum((g * f).sum() for g, f in zip(grads, fixed) if g is not None)
    hg = torch.autograd.grad(z, weights, allow_unused=True)
    with torch.no_grad():
        return float(-sum((w * h).sum().double() for w, h in zip(weights, hg) if h is not None))
