"""NASWOT: the log-determinant of the Hamming kernel of the network's ReLU activation patterns.

Mellor, Turner, Storkey & Crowley, "Neural Architecture Search without Training", ICML 2021. Each sample's
binary code c says which ReLU units are active; K[i, j] = N_A - Hamming(c_i, c_j) counts the units on which
samples i and j agree; the score is log|det K| (higher: the network separates the inputs better).
"""
from __future__ import annotations

from workbench.proxies import register


@register("naswot")
def naswot(network, batch, *, seed: int = 0) -> float:
    """Log-determinant of the activation-agreement kernel (``seed`` unused; labels unused)."""
    import numpy as np
    import torch
    from torch import nn

    from workbench.proxies._common import working_copy

    net = working_copy(network)
    net.train()
    n = len(batch[0])
    kernel = torch.zeros((n, n), dtype=torch.float64)

    def agree(module, inputs, output):
        codes = (output.detach().reshape(n, -1) > 0).double()
        kernel.add_(codes @ codes.T + (1.0 - codes) @ (1.0 - codes).T)

    handles = [m.register_forward_hook(agree) for m in net.modules() if isinstance(m, nn.ReLU)]
    try:
        with torch.no_grad():
            net(batch[0])
    finally:
        for h in handles:
            h.remove()
    sign, logdet = np.linalg.slogdet(kernel.numpy())
    return float(logdet) if sign != 0 else float("-inf")
