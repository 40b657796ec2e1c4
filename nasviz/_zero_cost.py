"""Zero-cost proxy figures: a proxy against the benchmark's accuracy, and every proxy's rank correlation.

``plot_proxy_scatter(study, "synflow")`` draws one point per arch (the proxy on a signed log axis, since
proxies such as synflow span tens of orders of magnitude) with Spearman's rho and Kendall's tau in the
title; ``plot_proxy_correlations(study)`` draws each proxy's Spearman rho with its bootstrap interval and,
where Abdelfattah et al. (ICLR 2021) published one, their |rho| beside it. ``study`` is a
``workbench.proxies.study.CorrelationStudy`` or, for the bar chart, its ``table()`` rows.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go


def _signed_log(values: np.ndarray) -> np.ndarray:
    return np.sign(values) * np.log10(1.0 + np.abs(values))


def plot_proxy_scatter(study, proxy: str, *, log: bool | None = None, accuracy_label: str = "accuracy (%)") -> go.Figure:
    """One proxy's value against the benchmark accuracy over the study's archs."""
    if proxy not in study.values:
        raise KeyError(f"the study has no proxy {proxy!r}; it holds {', '.join(study.values)}")
    x = np.asarray(study.values[proxy], dtype=float)
    y = np.asarray(study.accuracy, dtype=float)[: len(x)]
    ok = np.isfinite(x) & np.isfinite(y)
    if log is None:
        spread = np.abs(x[ok]) if ok.any() else np.array([1.0])
        log = bool(spread.max() > 1e4 * max(spread.min(), 1e-300))
    shown = _signed_log(x) if log else x
    row = next((r for r in study.rows if r.proxy == proxy), None)
    title = f"{proxy} vs {accuracy_label}, {int(ok.sum())} archs"
    if row is not None:
        title += (f": Spearman rho {row.spearman:.3f} [{row.spearman_ci[0]:.2f}, {row.spearman_ci[1]:.2f}], "
                  f"Kendall tau {row.kendall:.3f}")
    fig = go.Figure(go.Scattergl(x=shown[ok], y=y[ok], mode="markers", marker={"size": 5, "opacity": 0.6},
                                 text=[study.archs[i] for i in np.flatnonzero(ok)],
                                 hovertemplate="%{text}<br>" + proxy + " %{x:.4g}<br>accuracy %{y:.2f}<extra></extra>"))
    fig.update_layout(title=title, xaxis_title=f"sign(v) log10(1 + |v|) of {proxy}" if log else proxy,
                      yaxis_title=accuracy_label, template="plotly_white", height=420)
    return fig


def _rows(study) -> list[Mapping[str, Any]]:
    return study.table() if hasattr(study, "table") else list(study)


def plot_proxy_correlations(study, *, statistic: str = "spearman", published: bool = True) -> go.Figure:
    """Each proxy's rank correlation (``"spearman"`` or ``"kendall"``) with its bootstrap interval; with
    ``published``, the published |Spearman rho| beside ours (Abdelfattah et al., NB201 CIFAR-10)."""
    if statistic not in ("spearman", "kendall"):
        raise ValueError(f"statistic must be 'spearman' or 'kendall', got {statistic!r}")
    rows = sorted(_rows(study), key=lambda r: -abs(r[statistic]) if math.isfinite(r[statistic]) else 0.0)
    names = [r["proxy"] for r in rows]
    value = [r[statistic] for r in rows]
    fig = go.Figure(go.Bar(
        x=names, y=value, name=f"{statistic} (this workbench)",
        error_y={"type": "data", "symmetric": False, "array": [r[f"{statistic}_hi"] - r[statistic] for r in rows],
                 "arrayminus": [r[statistic] - r[f"{statistic}_lo"] for r in rows]},
        hovertemplate="%{x}: %{y:.3f}<extra></extra>"))
    if published and statistic == "spearman":
        pub = [r.get("published_abs_rho") for r in rows]
        if any(p is not None for p in pub):
            fig.add_trace(go.Scatter(x=names, y=[p if p is not None else None for p in pub], mode="markers",
                                     marker={"symbol": "diamond", "size": 11, "color": "black"},
                                     name="published |rho| (Abdelfattah et al. 2021)"))
    n = max((r["n"] for r in rows), default=0)
    fig.update_layout(title=f"rank correlation of each zero-cost proxy with accuracy ({n} archs, 95% bootstrap interval)",
                      yaxis_title=statistic, yaxis_range=[-1, 1], template="plotly_white", height=420)
    return fig


def proxy_cost_table(study) -> list[dict[str, Any]]:
    """Rows: proxy, seconds per arch, ratio to one forward+backward pass (records for a table widget)."""
    return [{"proxy": r["proxy"], "seconds_per_arch": r["seconds"], "x_forward_backward": r["cost_ratio"]}
            for r in _rows(study)]


class LiveCorrelation:
    """Live view of a growing correlation study: ``update(study)`` redraws one proxy's scatter and the bars.

    Pass ``live.update`` as ``correlation_study(..., on_arch=live.update)``; display ``live.widget``.
    """

    def __init__(self, proxy: str) -> None:
        import ipywidgets as widgets

        self.proxy = proxy
        self.scatter = go.FigureWidget(layout={"title": f"{proxy} vs accuracy (waiting for archs)", "height": 420,
                                               "template": "plotly_white"})
        self.bars = go.FigureWidget(layout={"title": "rank correlations (waiting for archs)", "height": 420,
                                            "template": "plotly_white"})
        self.widget = widgets.HBox([self.scatter, self.bars])

    @staticmethod
    def _replace(widget, fig: go.Figure) -> None:
        with widget.batch_update():
            widget.data = []
            widget.add_traces(list(fig.data))
            widget.layout = fig.layout

    def update(self, study) -> None:
        if not study.rows:
            return
        self._replace(self.scatter, plot_proxy_scatter(study, self.proxy))
        self._replace(self.bars, plot_proxy_correlations(study))


__all__: Sequence[str] = ["LiveCorrelation", "plot_proxy_correlations", "plot_proxy_scatter", "proxy_cost_table"]
