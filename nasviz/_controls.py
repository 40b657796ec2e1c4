"""A control panel whose dropdowns come from the registries: a new space, searcher, one-shot strategy or
estimator appears in it the day it is registered, with no change here. The registries also say which spaces
each entry serves, so the panel offers only combinations that can run and says why the others are missing.

>>> panel = ControlPanel(searcher="re", estimator="tabular", budget=200,
...                      estimator_options={"tabular": {"benchmark": "nb201"}})
>>> run = panel.make_run()      # a workbench.Run from what the dropdowns show now
"""
from __future__ import annotations

from typing import Any, Mapping

ONESHOT_PREFIX = "oneshot:"


def _names():
    from workbench import estimators, oneshot, searchers, spaces

    return spaces.names(), searchers.names(), oneshot.names(), estimators.names()


def _registries():
    from workbench import estimators, oneshot, searchers

    return searchers.registry, oneshot.registry, estimators.registry


def method_choices(space: str) -> list[tuple[str, str]]:
    """(label, value) of every black-box searcher and one-shot strategy that serves ``space``."""
    searcher_reg, oneshot_reg, _ = _registries()
    return ([(n, n) for n in searcher_reg.names(space=space)] +
            [(f"{n} (one-shot)", ONESHOT_PREFIX + n) for n in oneshot_reg.names(space=space)])


def unavailable(space: str) -> list[str]:
    """Why each registered method or estimator is not offered for ``space`` (one sentence each)."""
    return [reg.why_not(n, space) for reg in _registries() for n in reg.names() if not reg.supports(n, space)]


def _check_options(kind: str, options: Mapping | None, known: list[str]) -> dict[str, dict]:
    """Options are given per component name (``{"tabular": {...}}``), since each component has its own."""
    out: dict[str, dict] = {}
    for name, value in (options or {}).items():
        if name not in known or not isinstance(value, Mapping):
            raise ValueError(f"{kind}_options maps a registered {kind} name to a dict of its options "
                             f"(e.g. {{'tabular': {{'benchmark': 'nb201'}}}}); got key {name!r} -> {value!r}; "
                             f"registered {kind}s: {', '.join(known) or 'none'}")
        out[name] = dict(value)
    return out


#: the estimator a space gets by default when the current one does not serve it (accuracy before cost)
PREFERRED = ("tabular", "surrogate", "train")

class ControlPanel:
    """Dropdowns for space, searcher (black-box searchers and one-shot strategies) and estimator, a budget
    and a seed. ``*_options`` give each component's options by name; ``make_run()`` builds the Run."""

    def __init__(self, *, space: str = "nb201", searcher: str = "re", estimator: str = "tabular",
                 budget: int = 100, seed: int = 0, space_options: Mapping | None = None,
                 searcher_options: Mapping | None = None, estimator_options: Mapping | None = None,
                 strategy_options: Mapping | None = None, store: Any = None, name: str | None = None) -> None:
        import ipywidgets as widgets

        space_names, searcher_names, oneshot_names, estimator_names = _names()
        method_values = searcher_names + [ONESHOT_PREFIX + n for n in oneshot_names]
        for kind, value, known in (("space", space, space_names), ("searcher", searcher, method_values),
                                   ("estimator", estimator, estimator_names)):
            if value not in known:
                raise ValueError(f"unknown {kind} {value!r}; registered: {', '.join(known)}")
        searcher_reg, oneshot_reg, estimator_reg = _registries()
        method_reg, method_name = ((oneshot_reg, searcher[len(ONESHOT_PREFIX):]) if searcher.startswith(ONESHOT_PREFIX)
                                   else (searcher_reg, searcher))
        for reg, name in ((method_reg, method_name), (estimator_reg, estimator)):
            if not reg.supports(name, space):
                raise ValueError(f"{reg.why_not(name, space)}; for {space!r} choose from: "
                                 f"{', '.join(reg.names(space=space)) or 'none registered'}")
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
            raise ValueError(f"budget must be a positive whole number (evaluations, or epochs), got {budget!r}")
        self.space_options = _check_options("space", space_options, space_names)
        self.searcher_options = _check_options("searcher", searcher_options, searcher_names)
        self.estimator_options = _check_options("estimator", estimator_options, estimator_names)
        self.strategy_options = _check_options("strategy", strategy_options, oneshot_names) if oneshot_names else {}
        if strategy_options and not oneshot_names:
            raise ValueError("strategy_options given, but no one-shot strategy is registered")
        self.store = store
        self.name = name

        style = {"description_width": "80px"}
        self.space = widgets.Dropdown(options=space_names, value=space, description="space", style=style)
        self.searcher = widgets.Dropdown(options=method_choices(space), value=searcher, description="searcher",
                                         style=style)
        self.estimator = widgets.Dropdown(options=estimator_reg.names(space=space), value=estimator,
                                          description="estimator", style=style)
        #: says which methods and estimators the chosen space rules out, and why
        self.note = widgets.HTML(layout=widgets.Layout(margin="0 0 0 8px"))
        self.budget = widgets.BoundedIntText(value=budget, min=1, max=10**7, description="evaluations", style=style)
        self.seed = widgets.IntText(value=int(seed), description="seed", style=style)
        self.searcher.observe(self._on_method, names="value")
        self.space.observe(self._on_space, names="value")
        self._on_method()
        self._on_space()
        self.widget = widgets.VBox([widgets.HBox([self.space, self.searcher, self.estimator]),
                                    widgets.HBox([self.budget, self.seed]), self.note])

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _on_space(self, _change=None) -> None:
        """Offer only the methods and estimators that serve the chosen space (keeping the choice if it fits)."""
        import html

        space = self.space.value
        _, _, estimator_reg = _registries()
        for dropdown, choices in ((self.searcher, method_choices(space)),
                                  (self.estimator, estimator_reg.names(space=space))):
            values = [c[1] if isinstance(c, tuple) else c for c in choices]
            preferred = [v for v in PREFERRED if v in values]  # what measures accuracy before cost-only estimators
            keep = dropdown.value if dropdown.value in values else (preferred or values or [None])[0]
            dropdown.options = choices
            dropdown.value = keep
        reasons = unavailable(space)
        self.note.value = ("<small>not offered: " + "; ".join(html.escape(r, quote=False) for r in reasons) + "</small>"
                           if reasons else "")

    def _on_method(self, _change=None) -> None:
        oneshot = self.searcher.value.startswith(ONESHOT_PREFIX)
        self.estimator.disabled = oneshot
        self.budget.description = "epochs" if oneshot else "evaluations"

    def selection(self) -> dict[str, Any]:
        """What the panel shows now, as plain data."""
        method = self.searcher.value
        out: dict[str, Any] = {"space": self.space.value, "budget": int(self.budget.value), "seed": int(self.seed.value)}
        if method.startswith(ONESHOT_PREFIX):
            out["strategy"] = method[len(ONESHOT_PREFIX):]
        else:
            out["searcher"], out["estimator"] = method, self.estimator.value
        return out

    def make_run(self, *, store: Any = None, name: str | None = None):
        """A new (not started) ``workbench.Run`` from the current selection."""
        from workbench.runs import Budget, Run

        sel = self.selection()
        common = dict(space=sel["space"], seed=sel["seed"], store=store if store is not None else self.store,
                      name=name if name is not None else self.name,
                      space_options=self.space_options.get(sel["space"], {}))
        if "strategy" in sel:
            return Run(strategy=sel["strategy"], strategy_options=self.strategy_options.get(sel["strategy"], {}),
                       budget=Budget(epochs=sel["budget"]), **common)
        return Run(searcher=sel["searcher"], estimator=sel["estimator"], budget=Budget(evaluations=sel["budget"]),
                   searcher_options=self.searcher_options.get(sel["searcher"], {}),
                   estimator_options=self.estimator_options.get(sel["estimator"], {}), **common)

    def __repr__(self) -> str:
        return f"ControlPanel({self.selection()})"
