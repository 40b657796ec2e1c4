"""Random search with parameter sharing (Li & Talwalkar, UAI 2019; "RSPS" in the NAS-Bench-201 paper).

Training: every batch trains one path of the supernet, drawn uniformly from the space (``space.sample``).
Search: ``search_samples`` distinct archs drawn uniformly (within the FLOPs/params limits, if any) are
ranked by their accuracy with the inherited weights on held-out validation examples (batch norms
recalibrated per candidate); the best is the derived arch. The NB201 paper's RSPS samples 100 candidates
(AutoDL-Projects ``RANDOM-NAS``), the default here.

>>> from workbench import oneshot
>>> rsps = oneshot.create("rsps", space="nb201", data="digits", batches_per_step=4, search_samples=8, seed=0)
>>> report = rsps.step()             # one (short) epoch; report.distribution counts the trained choices
>>> rsps.search()[:3]                # (arch, inherited accuracy %) best first
"""
from __future__ import annotations

from typing import Any

from workbench.oneshot import register
from workbench.oneshot._single_path import SPACES, SinglePathSearch, uniform_index


def sample_distinct(strategy: SinglePathSearch, rng, n: int) -> list:
    """Up to ``n`` distinct archs drawn uniformly from the strategy's space within its limits."""
    space = strategy.space
    out, seen = [], set()
    for _ in range(50 * n):
        if len(out) == n:
            break
        arch = space.sample(rng)
        key = space.key(arch)
        if key not in seen and strategy.allowed(arch):
            seen.add(key)
            out.append(arch)
    if not out:
        raise ValueError(f"no arch of the {space.name!r} space within max_params={strategy.max_params}, "
                         f"max_flops={strategy.max_flops} (millions) in {50 * n} draws")
    return out


@register("rsps", spaces=SPACES)
class RSPS(SinglePathSearch):
    """Random sampling with parameter sharing; ``search_samples`` candidates per search."""

    name = "rsps"

    def __init__(self, *, space, search_samples: int = 100, **options: Any) -> None:
        super().__init__(space=space, **options)
        if not isinstance(search_samples, int) or isinstance(search_samples, bool) or search_samples < 1:
            raise ValueError(f"search_samples must be a positive integer, got {search_samples!r}")
        self.search_samples = search_samples

    def options(self) -> dict[str, Any]:
        return {**super().options(), "search_samples": self.search_samples}

    def _sample_index(self):
        return uniform_index(self.space, self.model_, self.rng_)

    def search(self) -> list[tuple[Any, float]]:
        self._build()
        scored = [(arch, self.fitness(arch)) for arch in sample_distinct(self, self._search_rng(), self.search_samples)]
        return sorted(scored, key=lambda item: -item[1])
