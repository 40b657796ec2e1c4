"""The searcher interface: black-box strategies that propose archs (ask) and learn from results (tell).

A searcher never calls an estimator. Its constructor only stores its arguments; the generator is made
from ``seed`` on first use, and ``state_dict()`` carries it, so a restored searcher continues identically.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from workbench.records import Result
from workbench.searchers._draws import FastDraws


class Searcher(ABC):
    """Base class of ask/tell searchers."""

    name: str = ""
    #: searchers whose every draw is a small integer (RE, random search) draw through ``FastDraws``: the same
    #: values as the plain generator, several times faster (``workbench.searchers._draws``)
    fast_draws: bool = False

    def __init__(self, *, space, seed: int | None = None) -> None:
        self.space = space
        self.seed = seed
        self._rng: np.random.Generator | None = None
        self.num_told = 0

    @property
    def rng(self) -> np.random.Generator:
        if self._rng is None:
            gen = np.random.default_rng(self.seed)
            self._rng = FastDraws(gen) if self.fast_draws and FastDraws.supports(gen) else gen
        return self._rng

    @abstractmethod
    def ask(self) -> Any:
        """Propose the next arch to evaluate."""

    def tell(self, arch: Any, result: Result) -> None:
        """Learn from the result of evaluating ``arch``."""
        self.num_told += 1

    # --- persistence -----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue identically, JSON-serialisable (archs as strings)."""
        return {"name": self.name, "seed": self.seed, "num_told": self.num_told,
                "rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.num_told = int(state["num_told"])
        self.rng.bit_generator.state = state["rng"]

    def options(self) -> dict[str, Any]:
        """The constructor's options (the seed and every hyperparameter), JSON-able: with the space they
        rebuild an equal searcher, ``searchers.create(s.name, space=s.space, **s.options())``. Subclasses
        add theirs to ``super().options()``."""
        return {"seed": self.seed}

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options().items())
        return f"{type(self).__name__}(space={self.space.name!r}, {opts})"
