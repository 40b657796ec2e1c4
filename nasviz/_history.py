"""The search history: ``plot_history(trials, x="evaluations"|"sim_seconds") -> go.Figure``.

Every finished trial is a point (its validation objective); the best-so-far line is the incumbent's
objective after each trial, and a dashed line shows the incumbent's test metric, which is what NAS papers
report. ``HistoryAccumulator`` takes trials one at a time, so the live dashboard and the pure figure
function compute exactly the same numbers.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, NamedTuple

X_AXES = {"evaluations": "evaluations", "sim_seconds": "simulated training seconds"}
TRACE_NAMES = ("trials", "best so far", "test of best")  # trace order, relied on by the dashboard
_MISSING = object()


class HistoryInfo(NamedTuple):
    x_axis: str
    x: list[float]  # one entry per successful trial
    objective: list[float]
    best: list[float]  # best-so-far objective after each successful trial (never decreases)
    test_metric: str | None
    test_of_best: list[float | None]  # the incumbent's test metric after each successful trial
    best_arch: str | None
    failed: int


def _as_row(trial: Any) -> dict[str, Any]:
    """A Trial (``workbench.runs.Trial``) or its ``to_dict()`` as a plain dict."""
    if isinstance(trial, Mapping):
        ok = trial.get("status", "ok") == "ok" and trial.get("objective") is not None
        return {"number": int(trial["number"]), "arch": trial.get("arch"), "ok": ok,
                "objective": float(trial["objective"]) if ok else None, "metrics": dict(trial.get("metrics") or {}),
                "sim_time_s": float(trial.get("sim_time_s") or 0.0)}
    ok = bool(getattr(trial, "ok", True)) and getattr(trial, "result", None) is not None
    return {"number": int(trial.number), "arch": trial.arch, "ok": ok, "objective": trial.objective if ok else None,
            "metrics": dict(trial.metrics), "sim_time_s": float(trial.sim_time_s)}


def default_test_metric(metrics: Mapping[str, float], fidelity: Any = None) -> str | None:
    """The test metric to show beside a validation objective: ``test_acc`` if reported, else a
    ``test_acc...@E`` metric at the same epochs as the objective (e.g. ``test_acc_analognas@200``)."""
    if "test_acc" in metrics:
        return "test_acc"
    candidates = sorted(k for k in metrics if k.startswith("test_acc"))
    if fidelity is not None:
        same = [k for k in candidates if k.endswith(f"@{int(fidelity)}")]
        return same[0] if same else None
    return candidates[0] if candidates else None


class HistoryAccumulator:
    """Running history of a search: add trials in order, read ``info()`` at any time."""

    def __init__(self, x: str = "evaluations", test_metric: str | None = None) -> None:
        if x not in X_AXES:
            raise ValueError(f"unknown history x axis {x!r}; accepted: {', '.join(X_AXES)}")
        self.x_axis = x
        self.test_metric = test_metric
        self._auto_test = test_metric is None
        self.x: list[float] = []
        self.objective: list[float] = []
        self.best: list[float] = []
        self.test_of_best: list[float | None] = []
        self.best_arch: str | None = None
        self.best_metrics: Mapping[str, Any] = {}  # the incumbent's metrics
        self.failed = 0
        self._best = -math.inf
        self._best_test: float | None = None

    def add(self, trial: Any) -> None:
        result = getattr(trial, "result", _MISSING)
        if result is _MISSING:  # a trial's dict
            row = _as_row(trial)
            ok, objective, number, sim = row["ok"], row["objective"], row["number"], row["sim_time_s"]
            metrics, arch, fidelity = row["metrics"], row["arch"], trial.get("fidelity")
        else:  # a Trial record: read its fields directly (the live dashboard adds thousands a second)
            ok = result is not None and getattr(trial, "status", "ok") == "ok"
            objective = result.objective if ok else None
            number, sim, arch = trial.number, trial.sim_time_s, trial.arch
            metrics, fidelity = (result.metrics, result.fidelity) if ok else ({}, None)
        if not ok:
            self.failed += 1
            return
        if self._auto_test and self.test_metric is None:
            self.test_metric = default_test_metric(metrics, fidelity)
        self.x.append(float(number + 1) if self.x_axis == "evaluations" else float(sim))
        self.objective.append(objective)
        if objective > self._best:
            self._best = objective
            self.best_arch = arch
            self.best_metrics = metrics
            value = metrics.get(self.test_metric) if self.test_metric else None
            self._best_test = float(value) if value is not None else None
        self.best.append(self._best)
        self.test_of_best.append(self._best_test)

    def extend(self, trials: Iterable[Any]) -> "HistoryAccumulator":
        for trial in trials:
            self.add(trial)
        return self

    def info(self) -> HistoryInfo:
        return HistoryInfo(self.x_axis, list(self.x), list(self.objective), list(self.best), self.test_metric,
                           list(self.test_of_best), self.best_arch, self.failed)


def _get_history_info(trials: Iterable[Any], x: str = "evaluations", test_metric: str | None = None) -> HistoryInfo:
    """The history of ``trials`` (Trial records or their dicts, in finishing order) as plain data."""
    return HistoryAccumulator(x, test_metric).extend(trials).info()


def _get_history_plot(info: HistoryInfo, title: str = "search history", y_title: str = "validation objective"):
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.add_trace(go.Scatter(x=info.x, y=info.objective, mode="markers", name=TRACE_NAMES[0],
                             marker=dict(size=5, color="rgba(31,119,180,0.45)")))
    fig.add_trace(go.Scatter(x=info.x, y=info.best, mode="lines", name=TRACE_NAMES[1], line_shape="hv",
                             line=dict(color="#d62728", width=2.5)))
    test_x = [x for x, t in zip(info.x, info.test_of_best) if t is not None]
    test_y = [t for t in info.test_of_best if t is not None]
    fig.add_trace(go.Scatter(x=test_x, y=test_y, mode="lines", line_shape="hv", line=dict(color="#2ca02c", dash="dash"),
                             name=f"{TRACE_NAMES[2]} ({info.test_metric})" if info.test_metric else TRACE_NAMES[2]))
    from nasviz._style import integer_ticks, style

    style(fig, meta="workbench-history", height=360)
    # three legend entries may wrap to two or three rows in a narrow box: room above the plot for them
    fig.update_layout(title=dict(text=title), xaxis_title=X_AXES[info.x_axis], yaxis_title=y_title,
                      margin=dict(t=96), legend=dict(font=dict(size=10), tracegroupgap=0))
    if info.x_axis == "evaluations":
        fig.update_xaxes(rangemode="tozero", **integer_ticks(max(info.x, default=1)))
    return fig


def plot_history(trials: Iterable[Any], x: str = "evaluations", *, test_metric: str | None = None,
                 title: str = "search history", y_title: str = "validation objective"):
    """Every trial as a point, the best-so-far line and the incumbent's test metric, against evaluations
    or simulated training seconds."""
    return _get_history_plot(_get_history_info(trials, x, test_metric), title, y_title)
