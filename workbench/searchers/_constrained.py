"""Cost limits for black-box searchers: ``max_latency_ms``, ``max_flops``, ``max_params`` (or a ready
``workbench.costs.Constraint``). The searcher rejects proposals over a limit before it asks for them to be
evaluated, from the constraint's cost model (a latency table, exact counts): it never calls an estimator."""
from __future__ import annotations

from typing import Any, Callable


class ConstrainedMixin:
    """Stores the limits; ``_feasible(propose)`` calls ``propose()`` until it returns an arch within them."""

    max_tries = 1000

    def _store_limits(self, constraint=None, max_latency_ms=None, max_flops=None, max_params=None,
                      latency_table=None) -> None:
        self._constraint_arg = constraint
        self._limits = {k: v for k, v in (("max_latency_ms", max_latency_ms), ("max_flops", max_flops),
                                          ("max_params", max_params)) if v is not None}
        self._latency_table = latency_table
        self._constraint = None

    @property
    def constraint(self):
        """The ``Constraint`` in force (built on first use), or None."""
        if self._constraint is None and (self._constraint_arg is not None or self._limits):
            from workbench.costs import Constraint

            self._constraint = self._constraint_arg or Constraint(self.space, table=self._latency_table,
                                                                  **self._limits)
        return self._constraint

    def _feasible(self, propose: Callable[[], Any]) -> Any:
        constraint = self.constraint
        if not constraint:
            return propose()
        last = None
        for _ in range(self.max_tries):
            arch = propose()
            last = constraint.violation(arch)
            if last is None:
                return arch
        raise ValueError(f"{self.name}: no arch within {constraint} in {self.max_tries} proposals (the last: {last}); "
                         f"loosen the limits")

    def _limit_options(self) -> dict[str, Any]:
        """The limits as given (a ``constraint`` object or a latency table object is not plain data: it is
        recorded as None, and a restored searcher rebuilds the constraint from the limits and this device's
        cached latency table)."""
        return {"constraint": None, "latency_table": None, "max_latency_ms": self._limits.get("max_latency_ms"),
                "max_flops": self._limits.get("max_flops"), "max_params": self._limits.get("max_params")}
