"""Compare methods over repeated runs: ``plot_comparison(table) -> go.Figure``.

For each method, the best-so-far curve of every run is put on a common axis (evaluations, or a grid of
simulated seconds) and summarised as its mean with a band of one standard deviation, as NAS papers plot
random search against regularized evolution. Curves stop where the shortest run of a method stops, so a
mean never mixes runs that are there with runs that are not.

``table`` is either rows (mappings with ``method``, ``run`` (or ``run_id``), ``objective`` and, for the
simulated-time axis, ``sim_time_s``; the order of a run's rows is its trial order, or ``number`` sorts
them), or a mapping ``{method: [run, ...]}`` where a run is a sequence of trials (``Trial`` records, their
dicts) or of plain objective values.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Iterable, Mapping, NamedTuple

import numpy as np

X_AXES = {"evaluations": "evaluations", "sim_seconds": "simulated training seconds"}
_GRID_POINTS = 200


class MethodCurve(NamedTuple):
    method: str
    runs: int
    x: list[float]
    mean: list[float]
    std: list[float]
    low: list[float]  # min over runs
    high: list[float]  # max over runs
    final: list[float]  # each run's final best


class ComparisonInfo(NamedTuple):
    x_axis: str
    methods: list[MethodCurve]


def _objective_of(item: Any) -> tuple[float, float]:
    """(objective or nan, sim_time_s) of a trial, a trial dict or a number."""
    if isinstance(item, (int, float)):
        return float(item), math.nan
    if isinstance(item, Mapping):
        ok = item.get("status", "ok") == "ok" and item.get("objective") not in (None, "")
        sim = item.get("sim_time_s")
        return (float(item["objective"]) if ok else math.nan), (float(sim) if sim not in (None, "") else math.nan)
    ok = getattr(item, "ok", True) and getattr(item, "result", None) is not None
    return (float(item.objective) if ok else math.nan), float(getattr(item, "sim_time_s", math.nan))


def _runs_by_method(table: Any) -> dict[str, list[list[tuple[float, float]]]]:
    if hasattr(table, "to_dict") and not isinstance(table, Mapping):  # a pandas DataFrame
        table = table.to_dict("records")
    grouped: dict[str, dict[str, list]] = {}
    if isinstance(table, Mapping):
        for method, runs in table.items():
            grouped[str(method)] = {str(i): [_objective_of(t) for t in run] for i, run in enumerate(runs)}
        return {m: list(r.values()) for m, r in grouped.items()}
    rows = list(table)
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping) or "method" not in row or "objective" not in row:
            raise ValueError(f"comparison row {i} must be a mapping with 'method', 'run' and 'objective'; got {row!r}")
    ordered = sorted(enumerate(rows), key=lambda ir: (float(ir[1]["number"]) if ir[1].get("number") not in (None, "")
                                                       else ir[0], ir[0]))
    for _, row in ordered:
        run = str(row.get("run", row.get("run_id", "")))
        grouped.setdefault(str(row["method"]), {}).setdefault(run, []).append(_objective_of(row))
    return {m: list(r.values()) for m, r in grouped.items()}


def _best_so_far(values: np.ndarray) -> np.ndarray:
    filled = np.where(np.isnan(values), -np.inf, values)
    best = np.maximum.accumulate(filled)
    return np.where(np.isinf(best), np.nan, best)


def _get_comparison_info(table: Any, x: str = "evaluations") -> ComparisonInfo:
    """Per method: the mean, standard deviation, min and max of the runs' best-so-far curves."""
    if x not in X_AXES:
        raise ValueError(f"unknown comparison x axis {x!r}; accepted: {', '.join(X_AXES)}")
    methods = []
    for method, runs in _runs_by_method(table).items():
        runs = [r for r in runs if r]
        if not runs:
            continue
        curves = [_best_so_far(np.array([o for o, _ in run], dtype=float)) for run in runs]
        if x == "evaluations":
            length = min(len(c) for c in curves)
            grid = np.arange(1, length + 1, dtype=float)
            stacked = np.stack([c[:length] for c in curves])
        else:
            times = [np.array([s for _, s in run], dtype=float) for run in runs]
            if any(np.isnan(t).any() for t in times):
                raise ValueError(f"method {method!r}: x='sim_seconds' needs every row's sim_time_s")
            end = min(t[-1] for t in times)
            grid = np.linspace(0.0, end, _GRID_POINTS)
            stacked = np.stack([c[np.clip(np.searchsorted(t, grid, side="right") - 1, 0, None)]
                                for c, t in zip(curves, times)])
            before = np.stack([grid < t[0] for t in times])
            stacked = np.where(before, np.nan, stacked)
        with warnings.catch_warnings():  # all-NaN columns (no run has a value yet) are dropped below
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(stacked, axis=0) if stacked.size else stacked
            std = np.nanstd(stacked, axis=0)
            low, high = np.nanmin(stacked, axis=0), np.nanmax(stacked, axis=0)
        keep = ~np.isnan(mean)
        methods.append(MethodCurve(method, len(runs), grid[keep].tolist(), mean[keep].tolist(), std[keep].tolist(),
                                   low[keep].tolist(), high[keep].tolist(),
                                   [float(np.nanmax(c)) if not np.isnan(c).all() else math.nan for c in curves]))
    if not methods:
        raise ValueError("nothing to compare: the table holds no runs with trials")
    return ComparisonInfo(x, methods)


def _get_comparison_plot(info: ComparisonInfo, title: str = "best so far: mean ± 1 std over runs",
                         y_title: str = "best validation objective"):
    import plotly.graph_objects as go

    from nasviz._colors import _PALETTE

    fig = go.Figure()
    for i, m in enumerate(info.methods):
        color = _PALETTE[i % len(_PALETTE)]
        r, g, b = (int(color[k:k + 2], 16) for k in (1, 3, 5))
        upper = [a + s for a, s in zip(m.mean, m.std)]
        lower = [a - s for a, s in zip(m.mean, m.std)]
        fig.add_trace(go.Scatter(x=m.x + m.x[::-1], y=upper + lower[::-1], fill="toself", mode="lines",
                                 line=dict(width=0), fillcolor=f"rgba({r},{g},{b},0.18)", hoverinfo="skip",
                                 legendgroup=m.method, showlegend=False, name=f"{m.method} ± std"))
        fig.add_trace(go.Scatter(x=m.x, y=m.mean, mode="lines", line=dict(color=color, width=2.5), line_shape="hv",
                                 legendgroup=m.method, name=f"{m.method} ({m.runs} runs)"))
    from nasviz._style import style

    style(fig, meta="workbench-comparison", height=380)
    fig.update_layout(title=dict(text=title), xaxis_title=X_AXES[info.x_axis], yaxis_title=y_title)
    return fig


def plot_comparison(table: Any, x: str = "evaluations", *, title: str = "best so far: mean ± 1 std over runs",
                    y_title: str = "best validation objective"):
    """Mean and spread of best-so-far curves across the runs of each method."""
    return _get_comparison_plot(_get_comparison_info(table, x), title, y_title)


def comparison_rows(trials_by_run: Iterable[tuple[str, str, Iterable[Any]]]) -> list[dict[str, Any]]:
    """Rows for ``plot_comparison`` from ``(method, run_id, trials)`` triples."""
    rows = []
    for method, run_id, trials in trials_by_run:
        for i, t in enumerate(trials):
            objective, sim = _objective_of(t)
            rows.append({"method": method, "run": run_id, "number": i,
                         "objective": None if math.isnan(objective) else objective, "sim_time_s": sim})
    return rows


def plot_against_published(rows: Iterable[Mapping[str, Any]], *, value: str = "val",
                           title: str = "ours and published: mean ± 1 std",
                           y_title: str = "validation accuracy (%)"):
    """Ours beside a paper's numbers, as points with error bars, one panel per data set (each on its own,
    zoomed axis, since differences of tenths of a point vanish on an axis from 0). ``rows`` are dicts with
    ``method``, ``dataset``, ``{value}_mean``, ``{value}_std`` and, where published, ``published_{value}_mean``
    and ``published_{value}_std`` (e.g. ``workbench.reproductions.nb201_table.reproduce``)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from nasviz._style import style

    rows = list(rows)
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    if not rows:
        raise ValueError("no rows to plot: expected dicts with method, dataset, "
                         f"{value}_mean and {value}_std")
    fig = make_subplots(rows=1, cols=len(datasets), subplot_titles=datasets, horizontal_spacing=0.08)
    for col, dataset in enumerate(datasets, start=1):
        mine = {r["method"]: r for r in rows if r["dataset"] == dataset}
        for label, prefix, shift, color, symbol in (("ours", "", -0.12, "#1f77b4", "circle"),
                                                    ("published", "published_", 0.12, "#d62728", "diamond")):
            pts = [(i + shift, m, mine[m]) for i, m in enumerate(methods)
                   if m in mine and mine[m].get(f"{prefix}{value}_mean") is not None]
            if not pts:
                continue
            fig.add_trace(go.Scatter(
                x=[p[0] for p in pts], y=[p[2][f"{prefix}{value}_mean"] for p in pts], mode="markers", name=label,
                legendgroup=label, showlegend=col == 1, marker=dict(size=9, color=color, symbol=symbol),
                error_y=dict(type="data", array=[p[2].get(f"{prefix}{value}_std") or 0.0 for p in pts],
                             thickness=1.5, width=5),
                customdata=[p[1] for p in pts],
                hovertemplate=f"{label} · %{{customdata}} on {dataset}: %{{y:.2f}}<extra></extra>"), row=1, col=col)
        fig.update_xaxes(tickmode="array", tickvals=list(range(len(methods))), ticktext=methods,
                         range=[-0.5, len(methods) - 0.5], row=1, col=col)
    fig.update_yaxes(title_text=y_title, row=1, col=1)
    style(fig, meta="workbench-published", height=360)
    fig.update_layout(title=dict(text=title))
    return fig
