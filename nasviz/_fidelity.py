"""Ranking fidelity of weight-sharing supernets, drawn: inherited accuracy against ground truth, Kendall tau
per epoch, and the supernet's architecture distribution (per-choice training counts, controller
probabilities or alphas).

Pure figures (records in, ``go.Figure`` out) and ``FidelityView``, a live widget that follows one or more
one-shot runs epoch by epoch:

>>> nasviz.plot_fidelity(run.epochs[-1].scores, truth)             # scatter with tau in the title
>>> nasviz.plot_tau_history({"SPOS": fidelities, "FairNAS": ...})  # tau per epoch with its interval
>>> nasviz.plot_distribution(run.epochs[-1].distribution)           # counts: FairNAS flat, SPOS noisy
>>> view = nasviz.FidelityView({"SPOS": spos_run, "FairNAS": fair_run}, truth); display(view)
"""
from __future__ import annotations

import queue
import threading
import time
from typing import Any, Mapping, Sequence

import numpy as np

from nasviz._alphas import KIND_TITLES

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")  # one colour per run



def _fidelity_of(scores: Mapping[str, float], truth: Mapping[str, float]):
    from workbench.oneshot.fidelity import score_fidelity

    common = [a for a in scores if a in truth]
    if len(common) < 2:
        return None
    return score_fidelity({a: scores[a] for a in common}, truth, n_boot=200)


def _scatter_data(scores: Mapping[str, float], truth: Mapping[str, float]) -> tuple[list, list, list]:
    common = [a for a in scores if a in truth]
    return [scores[a] for a in common], [truth[a] for a in common], common


def plot_fidelity(scores: Mapping[str, float] | Mapping[str, Mapping[str, float]], truth: Mapping[str, float], *,
                  title: str | None = None):
    """Scatter of supernet-inherited accuracy (x) against ground truth (y) for the archs both know; one
    trace per label when ``scores`` maps labels to score mappings. Kendall tau of each in the legend."""
    import plotly.graph_objects as go

    series = scores if scores and isinstance(next(iter(scores.values())), Mapping) else {"supernet": scores}
    fig = go.Figure(layout=dict(template="plotly_white", xaxis_title="inherited accuracy (%)",
                                yaxis_title="stand-alone accuracy (%)", height=380, margin=dict(l=60, r=20, t=50, b=50),
                                legend=dict(orientation="h", y=-0.2), meta="workbench-fidelity"))
    parts = []
    for i, (label, s) in enumerate(series.items()):
        x, y, archs = _scatter_data(s, truth)
        f = _fidelity_of(s, truth)
        tau = f"tau {f.kendall_tau:+.2f}" if f is not None else "tau -"
        parts.append(f"{label} {tau}")
        fig.add_scatter(x=x, y=y, mode="markers", name=f"{label} ({tau})", text=archs,
                        marker=dict(color=PALETTE[i % len(PALETTE)], size=8),
                        hovertemplate="%{text}<br>inherited %{x:.1f} %, stand-alone %{y:.1f} %<extra></extra>")
    fig.update_layout(title=title or "supernet ranking vs stand-alone training: " + ", ".join(parts))
    return fig


def plot_tau_history(curves: Mapping[str, Sequence[Any]], *, title: str = "Kendall tau per epoch (95 % interval)"):
    """Kendall tau per epoch, one line per label; ``curves`` maps a label to ``RankingFidelity`` (or None)
    per epoch."""
    import plotly.graph_objects as go

    fig = go.Figure(layout=dict(template="plotly_white", title=title, xaxis_title="epoch", yaxis_title="Kendall tau",
                                yaxis_range=[-1, 1], height=340, margin=dict(l=60, r=20, t=50, b=50),
                                legend=dict(orientation="h", y=-0.25), meta="workbench-tau"))
    for i, (label, values) in enumerate(curves.items()):
        x, y, lo, hi = _tau_points(values)
        fig.add_scatter(x=x, y=y, mode="lines+markers", name=label, line=dict(color=PALETTE[i % len(PALETTE)]),
                        error_y=dict(type="data", symmetric=False, array=[h - v for h, v in zip(hi, y)],
                                     arrayminus=[v - l for l, v in zip(lo, y)], thickness=1))
    return fig


def _tau_points(values: Sequence[Any]) -> tuple[list, list, list, list]:
    x, y, lo, hi = [], [], [], []
    for epoch, f in enumerate(values, start=1):
        if f is not None:
            x.append(epoch)
            y.append(f.kendall_tau)
            lo.append(f.kendall_interval[0])
            hi.append(f.kendall_interval[1])
    return x, y, lo, hi


def plot_distribution(distribution, *, title: str | None = None):
    """Heatmap of an ``ArchDistribution``: rows (edges or layers) x ops, one panel per group."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    groups = list(distribution.groups)
    fig = make_subplots(rows=1, cols=len(groups), subplot_titles=groups if len(groups) > 1 else None,
                        horizontal_spacing=0.12)
    for c, name in enumerate(groups, start=1):
        z = np.asarray(distribution.groups[name], dtype=float)
        text = np.where(np.isnan(z), "", np.vectorize(lambda v: f"{v:.0f}" if distribution.kind == "counts"
                                                       else f"{v:.2f}")(np.nan_to_num(z)))
        fig.add_trace(go.Heatmap(z=z, x=list(distribution.ops), y=list(distribution.rows), coloraxis="coloraxis",
                                 text=text, texttemplate="%{text}", name=name), row=1, col=c)
        fig.update_yaxes(autorange="reversed", row=1, col=c)
    kind = distribution.kind
    fig.update_layout(template="plotly_white", title=title or f"{KIND_TITLES[kind]} ({distribution.row_axis} x ops)",
                      coloraxis=dict(colorscale="Blues", cmin=0, cmax=None if kind == "counts" else 1),
                      height=max(260, 28 * len(distribution.rows) + 120), margin=dict(l=90, r=20, t=60, b=40),
                      meta=f"workbench-distribution-{kind}")
    return fig


class FidelityView:
    """A live view of one-shot runs: inherited vs stand-alone accuracy (scatter), Kendall tau per epoch, and
    each run's architecture distribution. It subscribes to the runs; the runs' threads only queue events,
    a render thread redraws at most every ``interval_s`` seconds."""

    def __init__(self, runs: Mapping[str, Any], truth: Mapping[str, float], *, interval_s: float = 0.5) -> None:
        import ipywidgets as widgets
        import plotly.graph_objects as go

        self.runs = dict(runs)
        self.truth = dict(truth)
        self.interval_s = interval_s
        self.scores: dict[str, dict[str, float]] = {label: {} for label in self.runs}
        self.fidelities: dict[str, list] = {label: [] for label in self.runs}
        self.distributions: dict[str, Any] = {}
        self.scatter = go.FigureWidget(plot_fidelity({label: {} for label in self.runs}, self.truth))
        self.tau = go.FigureWidget(plot_tau_history({label: [] for label in self.runs}))
        self.counts: dict[str, Any] = {}
        self.counts_box = widgets.HBox([])
        self.status = widgets.HTML("waiting for the first epoch")
        self.widget = widgets.VBox([self.status, widgets.HBox([self.scatter, self.tau]), self.counts_box])
        self._queue: queue.Queue = queue.Queue()
        self._pending = 0
        self._lock = threading.Lock()
        self._unsubscribe = [run.subscribe(lambda e, label=label: self._on_event(label, e))
                             for label, run in self.runs.items()]
        for label, run in self.runs.items():  # epochs that finished before the view existed
            for event in run.epochs:
                self._on_event(label, event)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._render_loop, name="nasviz-fidelity", daemon=True)
        self._thread.start()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _on_event(self, label: str, event: Any) -> None:
        if type(event).__name__ == "EpochFinished":
            with self._lock:
                self._pending += 1
            self._queue.put((label, event))

    def _render_loop(self) -> None:
        while not self._stop.is_set():
            time.sleep(self.interval_s)
            batch = []
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if batch:
                try:
                    self._apply(batch)
                finally:
                    with self._lock:
                        self._pending -= len(batch)

    def _apply(self, batch: list) -> None:
        for label, event in batch:
            if event.scores:
                self.scores[label] = dict(event.scores)
                self.fidelities[label].append(_fidelity_of(event.scores, self.truth))
            if event.distribution is not None:
                self.distributions[label] = (event.epoch, event.distribution)
        fresh_scatter = plot_fidelity(self.scores, self.truth)
        fresh_tau = plot_tau_history(self.fidelities)
        with self.scatter.batch_update():
            for trace, new in zip(self.scatter.data, fresh_scatter.data):
                trace.x, trace.y, trace.text, trace.name = new.x, new.y, new.text, new.name
            self.scatter.layout.title.text = fresh_scatter.layout.title.text
        with self.tau.batch_update():
            for trace, new in zip(self.tau.data, fresh_tau.data):
                trace.x, trace.y, trace.error_y = new.x, new.y, new.error_y
        for label, (epoch, dist) in self.distributions.items():
            fresh = plot_distribution(dist, title=f"{label}: {KIND_TITLES[dist.kind]} after epoch {epoch + 1}")
            if label not in self.counts:
                import plotly.graph_objects as go

                self.counts[label] = go.FigureWidget(fresh)
                self.counts_box.children = tuple(self.counts.values())
            else:
                fig = self.counts[label]
                with fig.batch_update():
                    for trace, new in zip(fig.data, fresh.data):
                        trace.z, trace.text = new.z, new.text
                    fig.layout.title.text = fresh.layout.title.text
        epochs = ", ".join(f"{label}: {len(run.epochs)} epochs" for label, run in self.runs.items())
        self.status.value = f"{epochs}; ground truth of {len(self.truth)} archs"

    def wait(self, timeout: float = 10.0) -> bool:
        """Block until every queued event is drawn (tests, batch mode); False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._pending == 0 and self._queue.empty():
                    return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        self._stop.set()
        for unsubscribe in self._unsubscribe:
            unsubscribe()


__all__ = ["FidelityView", "plot_distribution", "plot_fidelity", "plot_tau_history"]
