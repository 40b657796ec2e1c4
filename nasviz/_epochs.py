"""Curves over the epochs of a one-shot search: ``plot_epochs(run.epochs) -> go.Figure``.

The supernet's own accuracies (``train_acc``, ``val_acc``) and the benchmark value of the arch derived after
each epoch (``derived_val_acc@200`` on NB201, else ``derived_objective``) measure different things, so they get
two panels over the same epochs. ``plot_epochs({"DARTS": run_a.epochs, "GDAS": run_b.epochs}, metric=...)``
compares one metric across runs instead.
"""
from __future__ import annotations

from typing import Any, Mapping, NamedTuple, Sequence

SUPERNET_METRICS = ("train_acc", "val_acc")
DERIVED_METRICS = ("derived_val_acc@200", "derived_objective")


class Curve(NamedTuple):
    name: str
    epochs: list[int]  # 1-based
    values: list[float]


def _epoch_and_metrics(record: Any) -> tuple[int, Mapping[str, Any]]:
    if isinstance(record, Mapping):
        return int(record["epoch"]), record.get("metrics") or {}
    return int(record.epoch), getattr(record, "metrics", None) or {}


def _curve(name: str, records: Sequence[Any], metric: str) -> Curve:
    points = []
    for record in records:
        epoch, metrics = _epoch_and_metrics(record)
        value = metrics.get(metric)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            points.append((epoch + 1, float(value)))
    return Curve(name, [p[0] for p in points], [p[1] for p in points])


def _derived_metric(records: Sequence[Any]) -> str | None:
    present = {k for r in records for k in _epoch_and_metrics(r)[1]}
    return next((m for m in DERIVED_METRICS if m in present), None)


def _get_epochs_info(records: Sequence[Any], metrics: Sequence[str] | None = None) -> tuple[list[Curve], list[Curve]]:
    """(supernet curves, derived-arch curves) of one run, as plain data."""
    records = list(records)
    if metrics is None:
        supernet = [_curve(m, records, m) for m in SUPERNET_METRICS]
        derived_name = _derived_metric(records)
        derived = [_curve(derived_name, records, derived_name)] if derived_name else []
    else:
        supernet = [_curve(m, records, m) for m in metrics if not m.startswith("derived")]
        derived = [_curve(m, records, m) for m in metrics if m.startswith("derived")]
    return [c for c in supernet if c.epochs], [c for c in derived if c.epochs]


def plot_epochs(records: Sequence[Any] | Mapping[str, Sequence[Any]], *, metric: str = "val_acc",
                metrics: Sequence[str] | None = None, title: str = "accuracies per epoch",
                y_title: str = "accuracy"):
    """Curves over epochs of a one-shot run (``run.epochs``, or their dicts).

    Given one run, the supernet's metrics (``metrics``, default train and validation accuracy) go in the top
    panel and the derived arch's benchmark value, where there is one, in the bottom panel. Given a mapping from
    labels to runs' epochs, one line per run shows ``metric``.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from nasviz._colors import _PALETTE
    from nasviz._style import integer_ticks, style

    if isinstance(records, Mapping):
        curves = [_curve(label, list(recs), metric) for label, recs in records.items()]
        panels = [[c for c in curves if c.epochs]]
        titles = [None]
        y_titles = [f"{y_title} ({metric})"]
    else:
        supernet, derived = _get_epochs_info(records, metrics)
        panels = [p for p in (supernet, derived) if p]
        titles = [t for t, p in (("supernet", supernet), ("derived arch (benchmark)", derived)) if p]
        y_titles = [y_title] * len(panels)
    if not panels or not any(panels):
        raise ValueError(f"no epoch record has the metrics to plot ({metrics or metric!r}); "
                         "pass run.epochs of a run that finished at least one epoch")
    rows = len(panels)
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=titles if rows > 1 else None)
    last = 1
    k = 0
    for row, panel in enumerate(panels, start=1):
        for curve in panel:
            fig.add_trace(go.Scatter(x=curve.epochs, y=curve.values, name=curve.name, mode="lines+markers",
                                     line=dict(color=_PALETTE[k % len(_PALETTE)], width=2)), row=row, col=1)
            k += 1
            last = max([last, *curve.epochs])
        fig.update_yaxes(title_text=y_titles[row - 1], row=row, col=1)
    fig.update_xaxes(**integer_ticks(last, 1))
    fig.update_xaxes(title_text="epoch", row=rows, col=1)
    style(fig, meta="workbench-epochs", height=300 if rows == 1 else 460)
    fig.update_layout(title=dict(text=title))
    return fig

