"""nasviz: figures and live widgets for NAS Workbench runs.

Figures are pure functions, records in and ``plotly.graph_objects.Figure`` out, so batch reports and the
live dashboard draw the same pictures:

>>> import nasviz
>>> nasviz.plot_architecture(space, arch)           # any space's to_graph()
>>> nasviz.plot_history(run.trials)                  # trials, best so far, the incumbent's test metric
>>> nasviz.plot_alphas({"normal": weights}, ops=ops, edges=edges)
>>> nasviz.plot_comparison(rows)                     # mean and spread over runs of several methods
>>> nasviz.plot_pareto(records, cost="latency_ms")    # accuracy against cost, the Pareto front highlighted

``Dashboard(run)`` follows and controls a running search; ``ControlPanel`` builds runs from dropdowns filled
from the registries. nasviz reads runs and records; the workbench library never imports nasviz.
"""
from __future__ import annotations

from nasviz._alphas import plot_alphas
from nasviz._architecture import plot_architecture
from nasviz._comparison import comparison_rows, plot_comparison
from nasviz._history import plot_history
from nasviz._pareto import pareto_front, plot_pareto

__all__ = ["ControlPanel", "Dashboard", "comparison_rows", "plot_alphas", "plot_architecture", "plot_comparison",
           "plot_history",
           "pareto_front", "plot_pareto"]


def __getattr__(name: str):
    # the widgets pull in ipywidgets and anywidget; figures alone do not need them
    if name == "Dashboard":
        from nasviz._dashboard import Dashboard

        return Dashboard
    if name == "ControlPanel":
        from nasviz._controls import ControlPanel

        return ControlPanel
    raise AttributeError(f"module 'nasviz' has no attribute {name!r}")
