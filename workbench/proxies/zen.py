"""Zen-score: the expected Gaussian complexity of the network's pre-pooling feature map (data-free).

Lin, Wang, Sun, Chen, Sun, Qian, Li & Jin, "Zen-NAS: A Zero-Shot NAS for High-Performance Image
Recognition", ICCV 2021. Conv and linear weights are drawn from N(0, 1) (batch-norm scale 1, shift 0); two
inputs x ~ N(0, 1) and x + alpha * eps (eps ~ N(0, 1), alpha = 0.01) are pushed, in training mode, to the
feature map before global pooling; the score is log of the batch mean of sum |f(x) - f(x + alpha eps)|
plus, over batch-norm layers, log sqrt(mean running variance) after those two passes (Zen-NAS' correction
for the variance batch norm divides out).
"""
from __future__ import annotations

from workbench.proxies import register


@register("zen")
def zen(network, batch, *, seed: int = 0, alpha: float = 0.01) -> float:
    """Zen-score; random weights and inputs come from a generator seeded with ``seed``."""
    import math

    import torch
    from torch import nn

    from workbench.proxies._common import WEIGHTED, generator, reset_batch_norm, working_copy

    gen = generator(seed)
    net = working_copy(network)
    net.train()
    bns = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    pools = [m for m in net.modules() if isinstance(m, (nn.AdaptiveAvgPool2d, nn.AvgPool2d))]
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    feature_at = pools[-1] if pools else (linears[-1] if linears else None)
    if feature_at is None:
        raise ValueError("zen needs a network with a final pooling or linear layer to read the feature map at")
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, WEIGHTED):
                m.weight.normal_(0.0, 1.0, generator=gen)
                if m.bias is not None:
                    m.bias.zero_()
            else:
                reset_batch_norm(m)
    x = torch.randn(batch[0].shape, generator=gen)
    eps = torch.randn(batch[0].shape, generator=gen)
    features: list[torch.Tensor] = []
    handle = feature_at.register_forward_hook(lambda mod, inputs, out: features.append(inputs[0]))
    try:
        with torch.no_grad():
            net(x)
            net(x + alpha * eps)
    finally:
        handle.remove()
    diff = (features[0] - features[1]).abs()
    delta = float(diff.reshape(len(diff), -1).sum(dim=1).mean())
    bn_term = sum(0.5 * math.log(float(bn.running_var.mean())) for bn in bns
                  if bn.track_running_stats and float(bn.running_var.mean()) > 0)
    return math.log(delta) + bn_term if delta > 0 else float("-inf")
