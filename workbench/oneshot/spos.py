"""Single Path One-Shot (Guo et al., ECCV 2020): uniform path sampling, then an evolutionary search.

Training: every batch trains one path drawn uniformly (each choice of each row equally likely: the
paper's uniform sampling). Search (the paper's Algorithm 1 and sec. 3.3): a population of archs within the
FLOPs/params limits; each generation keeps the ``top_k`` best seen so far and breeds the next population
from them, half by mutation (each decision redrawn with probability ``mutation_prob``) and half by
crossover (each decision from one of two parents); fitness is the accuracy with inherited weights on
held-out validation examples after recalibrating the batch norms on training batches for that candidate.

The paper searches with population 50, 20 generations, top-k 10 and mutation probability 0.1. Every epoch
reports a derived arch, so the defaults here are smaller (20, 5, 5, 0.1); pass the paper's for a final
search (``strategy.search()`` after training) or set them as options.

>>> from workbench import oneshot
>>> spos = oneshot.create("spos", space="spos_chain", data="fashion-mnist", batches_per_step=20, seed=0)
>>> spos.step().distribution.groups["layers"]    # how often each block of each layer was trained
"""
from __future__ import annotations

from typing import Any

import numpy as np

from workbench.errors import OutOfSpaceError
from workbench.oneshot import register
from workbench.oneshot._single_path import SPACES, SinglePathSearch, uniform_index
from workbench.oneshot.rsps import sample_distinct


@register("spos", spaces=SPACES)
class SPOS(SinglePathSearch):
    """SPOS: uniform single-path training, evolutionary search with inherited weights."""

    name = "spos"

    def __init__(self, *, space, population: int = 20, generations: int = 5, top_k: int = 5,
                 mutation_prob: float = 0.1, **options: Any) -> None:
        super().__init__(space=space, **options)
        for label, value in (("population", population), ("generations", generations), ("top_k", top_k)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{label} must be a positive integer, got {value!r}")
        if not 0.0 <= mutation_prob <= 1.0:
            raise ValueError(f"mutation_prob must be in [0, 1], got {mutation_prob!r}")
        try:
            space.decisions()
        except NotImplementedError:
            raise ValueError(f"SPOS evolves decision sequences; the {space.name!r} space lists none") from None
        self.population, self.generations, self.top_k = population, generations, top_k
        self.mutation_prob = float(mutation_prob)

    def options(self) -> dict[str, Any]:
        return {**super().options(), "population": self.population, "generations": self.generations,
                "top_k": self.top_k, "mutation_prob": self.mutation_prob}

    def _sample_index(self):
        return uniform_index(self.space, self.model_, self.rng_)

    def _child(self, choices: list[int]):
        try:
            arch = self.space.from_decisions(choices)
        except OutOfSpaceError:
            return None
        return arch if self.allowed(arch) else None

    def search(self) -> list[tuple[Any, float]]:
        """The evolutionary search: every arch it evaluated with its fitness, best first."""
        self._build()
        space, rng = self.space, self._search_rng()
        sizes = [len(options) for _, options in space.decisions()]
        scored: dict[str, tuple[Any, float, int]] = {}  # key -> (arch, fitness, order of evaluation)

        def evaluate(archs) -> None:
            for arch in archs:
                k = space.key(arch)
                if k not in scored:
                    scored[k] = (arch, self.fitness(arch), len(scored))

        def best(n: int) -> list:
            return [a for a, _, _ in sorted(scored.values(), key=lambda t: (-t[1], t[2]))[:n]]

        evaluate(sample_distinct(self, rng, self.population))
        for _ in range(self.generations - 1):
            parents = [space.to_decisions(a) for a in best(self.top_k)]
            children: list = []
            seen = set(scored)
            n_mutate = self.population // 2
            for attempt in range(20 * self.population):
                if len(children) == self.population:
                    break
                if len(children) < n_mutate:
                    parent = parents[rng.integers(len(parents))]
                    choices = [int(rng.integers(n)) if rng.random() < self.mutation_prob else c
                               for c, n in zip(parent, sizes)]
                else:
                    a, b = (parents[i] for i in rng.integers(len(parents), size=2))
                    choices = [x if rng.random() < 0.5 else y for x, y in zip(a, b)]
                child = self._child(choices)
                if child is not None and space.key(child) not in seen:
                    seen.add(space.key(child))
                    children.append(child)
            evaluate(children)
        return [(a, f) for a, f, _ in sorted(scored.values(), key=lambda t: (-t[1], t[2]))]


def chi_square_uniformity(counts: np.ndarray) -> tuple[float, int]:
    """Pearson's chi-square statistic of per-row choice counts against uniform, summed over rows, and its
    degrees of freedom (rows x (choices - 1))."""
    counts = np.asarray(counts, dtype=float)
    expected = counts.sum(axis=1, keepdims=True) / counts.shape[1]
    stat = float(((counts - expected) ** 2 / np.where(expected > 0, expected, 1.0)).sum())
    return stat, counts.shape[0] * (counts.shape[1] - 1)
