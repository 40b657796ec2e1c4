"""Stable colours for operations, so the same op has the same colour in every figure."""
from __future__ import annotations

import hashlib

# the ops of the field's common spaces (NB201, NB101, DARTS, MobileNet-like chains)
KNOWN_OPS: dict[str, str] = {
    "none": "#b0b0b0",
    "zero": "#b0b0b0",
    "skip_connect": "#2ca02c",
    "identity": "#2ca02c",
    "nor_conv_1x1": "#1f77b4",
    "conv1x1-bn-relu": "#1f77b4",
    "nor_conv_3x3": "#d62728",
    "conv3x3-bn-relu": "#d62728",
    "avg_pool_3x3": "#9467bd",
    "max_pool_3x3": "#8c564b",
    "maxpool3x3": "#8c564b",
    "sep_conv_3x3": "#ff7f0e",
    "sep_conv_5x5": "#e377c2",
    "dil_conv_3x3": "#17becf",
    "dil_conv_5x5": "#bcbd22",
}

_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
            "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173")

# ops drawn as faint dotted lines: they carry nothing (NB201's "none", DARTS's "zero")
EMPTY_OPS = frozenset({"none", "zero"})


def op_color(op: str | None) -> str:
    """The colour of ``op``: fixed for the field's common ops, else stable by name (not by order seen)."""
    if op is None:
        return "#444444"
    if op in KNOWN_OPS:
        return KNOWN_OPS[op]
    digest = hashlib.sha1(str(op).encode()).digest()
    return _PALETTE[digest[0] % len(_PALETTE)]
