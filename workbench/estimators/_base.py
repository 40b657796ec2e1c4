"""The estimator interface: ``evaluate(arch) -> Result``."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from workbench.records import Result


class Estimator(ABC):
    """Base class: ``evaluate(arch)`` returns a ``Result``. ``space`` is the space the estimator serves."""

    name: str = ""
    #: names of the spaces this estimator accepts; None means any space
    spaces: tuple[str, ...] | None = None
    #: whether ``evaluate`` charges simulated seconds (``Result.cost_s > 0``) that a ``sim_seconds`` budget counts;
    #: an estimator that does says so (a class attribute, or a property computed from its table)
    charges_sim_time: bool = False
    #: why it charges none, for the error that refuses a budget it could never use up
    no_sim_time_reason: str = "it charges no simulated training time (every result has cost_s 0)"

    def check_budget(self, budget) -> None:
        """Refuse (``BudgetError``) a budget this estimator can never use up: ``sim_seconds`` alone when it
        charges no simulated time, or only ``epochs`` (which counts one-shot epochs, not evaluations)."""
        from workbench.errors import BudgetError

        if budget.evaluations is not None or budget.wall_seconds is not None:
            return
        if budget.sim_seconds is None:
            raise BudgetError(f"budget {budget} never runs out for a search with the {self.name!r} estimator: "
                              f"epochs count one-shot epochs only; give evaluations=N, sim_seconds=S or wall_seconds=S")
        if not self.charges_sim_time:
            raise BudgetError(
                f"budget sim_seconds={budget.sim_seconds:g} never runs out with the {self.name!r} estimator: "
                f"{self.no_sim_time_reason}; give evaluations=N or wall_seconds=S (alone or with sim_seconds), or "
                f"an estimator that charges training time (tabular on a table with training times such as NATS, "
                f"tabular with cost_s=..., the surrogate or training estimator)")

    def check_space(self, space) -> None:
        """Raise a clear error if ``space`` is not one this estimator can evaluate."""
        from workbench.errors import OutOfSpaceError

        if self.spaces is not None and getattr(space, "name", None) not in self.spaces:
            raise OutOfSpaceError(
                f"the {self.name!r} estimator serves the {', '.join(self.spaces)} space(s), "
                f"not {getattr(space, 'name', space)!r}"
            )

    @abstractmethod
    def evaluate(self, arch: Any) -> Result:
        """Estimate the performance of ``arch``."""

    def options(self) -> dict[str, Any]:
        """The constructor's options, JSON-able: with the space they rebuild an equal estimator,
        ``estimators.create(e.name, space=e.space, **e.options())`` (a run records them in its store)."""
        return {}

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options().items())
        return f"{type(self).__name__}({opts})"
