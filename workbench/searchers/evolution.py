"""Regularized evolution (Real, Aggarwal, Huang & Le, AAAI 2019).

Keep a population of the ``population_size`` most recent evaluated archs. Until it is full, propose
random archs; then hold a tournament among ``sample_size`` members drawn at random, mutate the winner,
and when the child is told, it joins the population and the *oldest* member dies (aging, not the worst:
the "regularization" of the name).

The defaults (population 10, sample size 3) are those of the NAS-Bench-201 paper's RE baseline; Real et
al. used 100 and 25 on their far larger budgets.

``zero_cost={"proxy": "synflow", "warmup": N, "proposals": k}`` (off by default) fills the initial population
with the proxy's best of N random archs and proposes the proxy's best of k mutations (Abdelfattah et al.,
ICLR 2021, section 5; see ``workbench.searchers._zerocost``).
"""
from __future__ import annotations

from collections import deque
from typing import Any

from workbench.records import Result
from workbench.searchers import register
from workbench.searchers._base import Searcher
from workbench.searchers._zerocost import ZeroCostGuide
from workbench.searchers._constrained import ConstrainedMixin


@register("re")
class RegularizedEvolution(ConstrainedMixin, Searcher):
    """Aging evolution with tournament selection. ``max_latency_ms`` / ``max_flops`` / ``max_params`` (with
    ``latency_table``), or ``constraint``: random members and children over a limit are redrawn."""

    name = "re"
    fast_draws = True

    def __init__(self, *, space, seed: int | None = None, population_size: int = 10, sample_size: int = 3,
                 zero_cost: dict | None = None, scorer=None, constraint=None, max_latency_ms: float | None = None,
                 max_flops: float | None = None, max_params: float | None = None, latency_table=None) -> None:
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
        # zero-cost warm-up (initial population = the proxy's best) and move proposal; off by default
        self.zero_cost = ZeroCostGuide.maybe(space, seed, zero_cost, top=population_size, scorer=scorer)

    @property
    def population(self) -> list[tuple[Any, float]]:
        """The living members, oldest first, as (arch, objective)."""
        return list(self._population)

    def ask(self) -> Any:
        if len(self._population) < self.population_size:
            warm = self.zero_cost.next_warm() if self.zero_cost else None
            return self._feasible(lambda: self.space.sample(self.rng)) if warm is None else warm
        population, rng = self._population, self.rng
        sample = getattr(rng, "sample_indices", None)  # FastDraws: the same indices without an array
        picks = (sample(len(population), self.sample_size) if sample is not None else
                 rng.choice(len(population), size=self.sample_size, replace=False).tolist())
        parent, top = population[picks[0]]
        for i in picks[1:]:  # the first of equals wins, as max() picks it
            if population[i][1] > top:
                parent, top = population[i]
        if self.zero_cost and self.zero_cost.proposals:
            return self.zero_cost.best([self._feasible(lambda: self.space.mutate(parent, rng))
                                        for _ in range(self.zero_cost.proposals)])
        return self._feasible(lambda: self.space.mutate(parent, rng))

    def tell(self, arch: Any, result: Result) -> None:
        super().tell(arch, result)
        self._population.append((self.space.validate(arch), float(result.objective)))
        while len(self._population) > self.population_size:
            self._population.popleft()

    def options(self) -> dict[str, Any]:
        return {**super().options(), "population_size": self.population_size, "sample_size": self.sample_size,
                "zero_cost": self.zero_cost.options() if self.zero_cost else None, "scorer": None,
                **self._limit_options()}

    def state_dict(self) -> dict[str, Any]:
        members = [[self.space.to_string(a), v] for a, v in self._population]
        zero_cost = {"zero_cost": self.zero_cost.state_dict()} if self.zero_cost else {}
        return {**super().state_dict(), "population": members, **zero_cost}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self._population = deque((self.space.from_string(a), float(v)) for a, v in state["population"])
        if self.zero_cost and "zero_cost" in state:
            self.zero_cost.load_state_dict(state["zero_cost"])
