"""FLOPs of one forward pass of one sample, counted by ``torch.utils.flop_counter``.

Reported as multiply-accumulates (torch's count / 2), the convention of NAS-Bench-201 (Dong & Yang, ICLR
2020) and NATS-Bench (Dong et al., TPAMI 2021), whose tables call them FLOPs. Only matrix products and
convolutions count (batch norm, pooling and additions do not), as in NATS' counter to within a percent.
"""
from __future__ import annotations

from workbench.proxies import register


@register("flops")
def flops(network, batch, *, seed: int = 0) -> float:
    """Multiply-accumulates of ``network`` on one sample of ``batch``'s shape (``seed`` unused)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from workbench.proxies._common import working_copy

    net = working_copy(network)
    net.eval()
    x = torch.zeros((1, *batch[0].shape[1:]), dtype=next(net.parameters()).dtype)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        net(x)
    return float(counter.get_total_flops()) / 2.0
