"""Accuracy against cost (latency, FLOPs, parameters): ``plot_pareto(records) -> go.Figure``.

Every record is one network: a mapping with ``arch`` (its text), the accuracy metric (``val_acc`` by default,
percent) and the cost metric (``latency_ms``, ``flops`` or ``params``), optionally a ``method`` (ProxylessNAS,
OFA, random, ...) that colours it; or a ``Trial`` (its ``arch`` and ``result.metrics`` are read). The Pareto
front (no other network is both at most as costly and at least as accurate, one of them strictly) is drawn
as a step line and its points are ringed; hovering a point shows its architecture.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, NamedTuple

COSTS = {"latency_ms": "latency (ms)", "flops": "FLOPs", "params": "parameters"}


class ParetoPoint(NamedTuple):
    method: str
    arch: str
    cost: float
    accuracy: float
    on_front: bool


class ParetoInfo(NamedTuple):
    cost: str
    metric: str
    points: list[ParetoPoint]
    front: list[ParetoPoint]  # by increasing cost


def _row(item: Any, i: int, cost: str, metric: str) -> tuple[str, str, float, float] | None:
    if isinstance(item, Mapping):
        metrics = item.get("metrics") if isinstance(item.get("metrics"), Mapping) else item
        method = str(item.get("method", ""))
        arch = str(item.get("arch", ""))
    else:
        metrics = getattr(item, "metrics", None)
        if metrics is None:
            raise ValueError(f"pareto record {i} must be a mapping or a Trial, got {type(item).__name__}")
        method, arch = str(getattr(item, "method", "")), str(getattr(item, "arch", ""))
    if cost not in metrics or metric not in metrics:
        return None
    c, a = metrics[cost], metrics[metric]
    if c is None or a is None or not (math.isfinite(float(c)) and math.isfinite(float(a))):
        return None
    return method, arch, float(c), float(a)


def pareto_front(pairs: Iterable[tuple[float, float]]) -> list[int]:
    """Indices of the non-dominated (cost, accuracy) pairs (lower cost, higher accuracy), by increasing cost."""
    indexed = sorted(enumerate(pairs), key=lambda ip: (ip[1][0], -ip[1][1]))
    front, best = [], -math.inf
    for i, (_, acc) in indexed:
        if acc > best:
            front.append(i)
            best = acc
    return front


def _get_pareto_info(records: Iterable[Any], cost: str = "latency_ms", metric: str = "val_acc") -> ParetoInfo:
    if cost not in COSTS:
        raise ValueError(f"unknown cost {cost!r}; accepted: {', '.join(COSTS)}")
    rows = [r for r in (_row(item, i, cost, metric) for i, item in enumerate(records)) if r is not None]
    if not rows:
        raise ValueError(f"no record has both {cost!r} and {metric!r}; nothing to plot")
    on_front = set(pareto_front([(c, a) for _, _, c, a in rows]))
    points = [ParetoPoint(m, arch, c, a, i in on_front) for i, (m, arch, c, a) in enumerate(rows)]
    front = sorted((p for p in points if p.on_front), key=lambda p: p.cost)
    return ParetoInfo(cost, metric, points, front)


def _get_pareto_plot(info: ParetoInfo, title: str | None = None, log_x: bool | None = None):
    import plotly.graph_objects as go

    from nasviz._colors import _PALETTE

    fig = go.Figure()
    methods = list(dict.fromkeys(p.method for p in info.points))
    unit = COSTS[info.cost]
    for i, method in enumerate(methods):
        pts = [p for p in info.points if p.method == method]
        fig.add_trace(go.Scatter(
            x=[p.cost for p in pts], y=[p.accuracy for p in pts], mode="markers", name=method or "networks",
            marker=dict(color=_PALETTE[i % len(_PALETTE)], size=[11 if p.on_front else 7 for p in pts],
                        line=dict(color=["black" if p.on_front else "white" for p in pts], width=1.5)),
            customdata=[p.arch for p in pts],
            hovertemplate=f"%{{customdata}}<br>{unit}: %{{x:.4g}}<br>{info.metric}: %{{y:.2f}}<extra>{method}</extra>"))
    fig.add_trace(go.Scatter(x=[p.cost for p in info.front], y=[p.accuracy for p in info.front], mode="lines",
                             line=dict(color="black", width=1.5, dash="dot"), line_shape="hv",
                             name=f"Pareto front ({len(info.front)})", hoverinfo="skip"))
    if log_x is None:
        log_x = info.cost in ("flops", "params")
    fig.update_layout(title=dict(text=title or f"{info.metric} against {unit}: Pareto front", font=dict(size=12)),
                      template="plotly_white", height=380, margin=dict(l=10, r=10, t=40, b=10),
                      xaxis_title=unit, yaxis_title=f"{info.metric} (%)" if "acc" in info.metric else info.metric,
                      xaxis_type="log" if log_x else "linear", meta="workbench-pareto")
    return fig


def plot_pareto(records: Iterable[Any], cost: str = "latency_ms", metric: str = "val_acc", *,
                title: str | None = None, log_x: bool | None = None):
    """Accuracy against ``cost`` (``latency_ms``, ``flops``, ``params``), the Pareto front highlighted, each
    point's architecture on hover. ``log_x`` defaults to a log axis for FLOPs and parameters."""
    return _get_pareto_plot(_get_pareto_info(records, cost, metric), title, log_x)
