"""nasviz: figures and live widgets for NAS Workbench runs.

Figures are pure functions, records in and ``plotly.graph_objects.Figure`` out, so batch reports and the
live dashboard draw the same pictures:

>>> import nasviz
>>> nasviz.plot_architecture(space, arch)           # any space's to_graph()
>>> nasviz.plot_history(run.trials)                  # trials, best so far, the incumbent's test metric
>>> nasviz.plot_alphas({"normal": weights}, ops=ops, edges=edges)
>>> nasviz.plot_alpha_history(run.epochs, edge=0)    # one edge's weights over the epochs
>>> nasviz.plot_epochs(run.epochs)                    # supernet and derived-arch accuracies per epoch
>>> nasviz.plot_comparison(rows)                     # mean and spread over runs of several methods
>>> nasviz.plot_proxy_scatter(study, "synflow")      # a zero-cost proxy against accuracy, with rho
>>> nasviz.plot_fidelity(scores, truth)              # a supernet's ranking against ground truth (tau)
>>> nasviz.plot_pareto(records, cost="latency_ms")    # accuracy against cost, the Pareto front highlighted

Every figure uses the ``workbench`` plotly template and sizes to its container; ``nasviz.style(fig)`` gives a
notebook's own figure the same look.

``Dashboard(run)`` follows and controls a running search; ``ControlPanel`` builds runs from dropdowns filled
from the registries. nasviz reads runs and records; the workbench library never imports nasviz.
"""
from __future__ import annotations

from nasviz._alphas import plot_alpha_history, plot_alphas
from nasviz._architecture import plot_architecture
from nasviz._comparison import comparison_rows, plot_against_published, plot_comparison
from nasviz._epochs import plot_epochs
from nasviz._fidelity import plot_distribution, plot_fidelity, plot_tau_history
from nasviz._history import plot_history
from nasviz._pareto import pareto_front, plot_pareto
from nasviz._style import style
from nasviz._zero_cost import plot_proxy_correlations, plot_proxy_scatter, proxy_cost_table

__all__ = ["ControlPanel", "Dashboard", "FidelityView", "LiveCorrelation", "comparison_rows", "pareto_front",
           "plot_against_published", "plot_alpha_history", "plot_alphas", "plot_architecture", "plot_comparison",
           "plot_distribution", "plot_epochs", "plot_fidelity", "plot_history", "plot_pareto",
           "plot_proxy_correlations", "plot_proxy_scatter", "plot_tau_history", "proxy_cost_table", "style"]


def __getattr__(name: str):
    # the widgets pull in ipywidgets and anywidget; figures alone do not need them
    if name == "Dashboard":
        from nasviz._dashboard import Dashboard

        return Dashboard
    if name == "LiveCorrelation":
        from nasviz._zero_cost import LiveCorrelation

        return LiveCorrelation
    if name == "FidelityView":
        from nasviz._fidelity import FidelityView

        return FidelityView
    if name == "ControlPanel":
        from nasviz._controls import ControlPanel

        return ControlPanel
    raise AttributeError(f"module 'nasviz' has no attribute {name!r}")
