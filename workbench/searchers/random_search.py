"""Random search: sample uniformly from the space. The baseline every NAS method must beat."""
from __future__ import annotations

from typing import Any

from workbench.searchers import register
from workbench.searchers._base import Searcher
from workbench.searchers._constrained import ConstrainedMixin


@register("random")
class RandomSearch(ConstrainedMixin, Searcher):
    """Uniform sampling, with or without repeats (``unique=True`` skips archs already proposed).

    ``max_latency_ms`` / ``max_flops`` / ``max_params`` (with ``latency_table``), or ``constraint``: rejection
    sampling, only archs within the limits are proposed."""

    name = "random"
    fast_draws = True

    def __init__(self, *, space, seed: int | None = None, unique: bool = False, constraint=None,
                 max_latency_ms: float | None = None, max_flops: float | None = None, max_params: float | None = None,
                 latency_table=None) -> None:
        super().__init__(space=space, seed=seed)
        self.unique = unique
        self._store_limits(constraint, max_latency_ms, max_flops, max_params, latency_table)
        self._seen: set[str] = set()

    def ask(self) -> Any:
        for _ in range(1000):
            arch = self._feasible(lambda: self.space.sample(self.rng))
            if not self.unique:
                return arch
            key = self.space.to_string(arch)
            if key not in self._seen:
                self._seen.add(key)
                return arch
        return arch

    def options(self) -> dict[str, Any]:
        return {**super().options(), "unique": self.unique, **self._limit_options()}

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "seen": sorted(self._seen)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self._seen = set(state.get("seen", []))
