"""Random search: sample uniformly from the space. The baseline every NAS method must beat."""
from __future__ import annotations

from typing import Any

from workbench.searchers import register
from workbench.searchers._base import Searcher


@register("random")
class RandomSearch(Searcher):
    """Uniform sampling, with or without repeats (``unique=True`` skips archs already proposed)."""

    name = "random"
    fast_draws = True

    def __init__(self, *, space, seed: int | None = None, unique: bool = False) -> None:
        super().__init__(space=space, seed=seed)
        self.unique = unique
        self._seen: set[str] = set()

    def ask(self) -> Any:
        for _ in range(1000):
            arch = self.space.sample(self.rng)
            if not self.unique:
                return arch
            key = self.space.to_string(arch)
            if key not in self._seen:
                self._seen.add(key)
                return arch
        return arch

    def options(self) -> dict[str, Any]:
        return {**super().options(), "unique": self.unique}

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "seen": sorted(self._seen)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self._seen = set(state.get("seen", []))
