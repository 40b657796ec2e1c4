"""Parameter count, the simplest proxy (Abdelfattah et al., ICLR 2021, report it as a baseline; NAS-Bench-201,
Dong & Yang, ICLR 2020, list it for every cell)."""
from __future__ import annotations

from workbench.proxies import register


@register("params")
def params(network, batch=None, *, seed: int = 0) -> float:
    """Number of parameters of ``network`` (trainable and not; ``batch`` and ``seed`` unused)."""
    return float(sum(p.numel() for p in network.parameters()))
