"""Regularized evolution (Real, Aggarwal, Huang & Le, AAAI 2019).

Keep a population of the ``population_size`` most recent evaluated archs. Until it is full, propose
random archs; then hold a tournament among ``sample_size`` members drawn at random, mutate the winner,
and when the child is told, it joins the population and the *oldest* member dies (aging, not the worst:
the "regularization" of the name).

The defaults (population 10, sample size 3) are those of the NAS-Bench-201 paper's RE baseline; Real et
al. used 100 and 25 on their far larger budgets.
"""
from __future__ import annotations

from collections import deque
from typing import Any

from workbench.records import Result
from workbench.searchers import register
from workbench.searchers._base import Searcher
from workbench.searchers._constrained import ConstrainedMixin


@register("re")
class RegularizedEvolution(ConstrainedMixin, Searcher):
    """Aging evolution with tournament selection. ``max_latency_ms`` / ``max_flops`` / ``max_params`` (with
    ``latency_table``), or ``constraint``: random members and children over a limit are redrawn."""

    name = "re"

    def __init__(self, *, space, seed: int | None = None, population_size: int = 10, sample_size: int = 3,
                 constraint=None, max_latency_ms: float | None = None, max_flops: float | None = None,
                 max_params: float | None = None, latency_table=None) -> None:
        super().__init__(space=space, seed=seed)
        self._store_limits(constraint, max_latency_ms, max_flops, max_params, latency_table)
        if population_size < 1 or not 1 <= sample_size <= population_size:
            raise ValueError(
                f"regularized evolution needs population_size >= 1 and 1 <= sample_size <= population_size, "
                f"got population_size={population_size}, sample_size={sample_size}"
            )
        self.population_size = population_size
        self.sample_size = sample_size
        self._population: deque[tuple[Any, float]] = deque()

    @property
    def population(self) -> list[tuple[Any, float]]:
        """The living members, oldest first, as (arch, objective)."""
        return list(self._population)

    def ask(self) -> Any:
        if len(self._population) < self.population_size:
            return self._feasible(lambda: self.space.sample(self.rng))
        picks = self.rng.choice(len(self._population), size=self.sample_size, replace=False)
        parent = max((self._population[int(i)] for i in picks), key=lambda member: member[1])[0]
        return self._feasible(lambda: self.space.mutate(parent, self.rng))

    def tell(self, arch: Any, result: Result) -> None:
        super().tell(arch, result)
        self._population.append((self.space.validate(arch), float(result.objective)))
        while len(self._population) > self.population_size:
            self._population.popleft()

    def hyperparameters(self) -> dict[str, Any]:
        return {"population_size": self.population_size, "sample_size": self.sample_size,
                **self._limit_hyperparameters()}

    def state_dict(self) -> dict[str, Any]:
        members = [[self.space.to_string(a), v] for a, v in self._population]
        return {**super().state_dict(), "population": members}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self._population = deque((self.space.from_string(a), float(v)) for a, v in state["population"])
