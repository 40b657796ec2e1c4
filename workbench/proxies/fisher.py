"""Fisher: the diagonal-Fisher estimate of the loss change from removing each activation channel.

Theis, Korshunova, Tejani & Huszar, "Faster gaze prediction with dense networks and Fisher pruning", 2018;
Turner, Crowley, O'Boyle, Storkey & Gray, "BlockSwap", ICLR 2020; as a NAS proxy Abdelfattah et al.,
ICLR 2021. For the output a of every conv and linear layer and its loss gradient g, a channel's saliency is
0.5 * mean over the batch of (sum over positions of a * g)^2; the score sums all channels of all layers.
"""
from __future__ import annotations

from workbench.proxies import register


@register("fisher")
def fisher(network, batch, *, seed: int = 0) -> float:
    """Fisher channel saliency summed over the network (``seed`` unused)."""
    import torch

    from workbench.proxies._common import loss_and_backward, weighted_layers, working_copy

    net = working_copy(network)
    outputs: list[torch.Tensor] = []

    def keep(module, inputs, output):
        output.retain_grad()
        outputs.append(output)

    handles = [m.register_forward_hook(keep) for m in weighted_layers(net)]
    try:
        loss_and_backward(net, batch)
    finally:
        for h in handles:
            h.remove()
    total = torch.zeros((), dtype=torch.float64)
    with torch.no_grad():
        for a in outputs:
            if a.grad is None:
                continue
            prod = (a * a.grad).double()
            per_channel = prod.sum(dim=tuple(range(2, prod.dim()))) if prod.dim() > 2 else prod
            total += 0.5 * per_channel.pow(2).mean(dim=0).sum()
    return float(total)
