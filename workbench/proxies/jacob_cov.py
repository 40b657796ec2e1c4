"""Jacobian covariance: how differently the network responds to the inputs of one minibatch.

Mellor, Turner, Storkey & Crowley, "Neural Architecture Search without Training" (arXiv v1, 2020); the
``jacob_cov`` of Abdelfattah et al., ICLR 2021. J holds, per sample, the gradient of the summed outputs
with respect to that sample's input; with C the correlation matrix of the rows of J and v its eigenvalues,
the score is -sum(log(v + k) + 1 / (v + k)), k = 1e-5 (higher: less correlated, better).
"""
from __future__ import annotations

from workbench.proxies import register


@register("jacob_cov")
def jacob_cov(network, batch, *, seed: int = 0) -> float:
    """Jacobian-covariance score (``seed`` unused; labels unused)."""
    import numpy as np
    import torch

    from workbench.proxies._common import working_copy

    net = working_copy(network)
    net.train()
    x = batch[0].detach().clone().requires_grad_(True)
    net(x).sum().backward()
    jac = x.grad.reshape(len(x), -1).double().numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(jac)
    if not np.isfinite(corr).all():  # a constant row (e.g. a cell of "none" edges): no information
        corr = np.nan_to_num(corr, nan=0.0)
        np.fill_diagonal(corr, 1.0)
    v = np.linalg.eigvalsh(corr)
    k = 1e-5
    v = np.clip(v, 0.0, None)
    return float(-np.sum(np.log(v + k) + 1.0 / (v + k)))
