"""The estimator interface: ``evaluate(arch) -> Result``."""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from workbench.errors import EvaluationError


@dataclass(frozen=True)
class Result:
    """What an evaluation learned about one arch.

    ``objective`` is the number searchers maximise (the estimator's search metric, e.g. validation
    accuracy at the chosen fidelity); ``metrics`` holds it and every reported metric (``val_acc``,
    ``test_acc``, ``params``, ``flops``, ``latency_ms``, ...); ``cost_s`` is the simulated training seconds a
    tabular lookup charges, or the measured seconds of real training; ``fidelity`` is e.g. the epochs.
    """

    objective: float
    metrics: Mapping[str, float] = field(default_factory=dict)
    cost_s: float = 0.0
    fidelity: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "metrics", MappingProxyType(dict(self.metrics)))
        if not isinstance(self.objective, (int, float)) or math.isnan(self.objective):
            raise EvaluationError(f"objective must be a number, got {self.objective!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"objective": self.objective, "metrics": dict(self.metrics), "cost_s": self.cost_s,
                "fidelity": self.fidelity}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Result":
        return cls(objective=float(data["objective"]), metrics=dict(data.get("metrics", {})),
                   cost_s=float(data.get("cost_s", 0.0)), fidelity=data.get("fidelity"))


class Estimator(ABC):
    """Base class: ``evaluate(arch)`` returns a ``Result``. ``space`` is the space the estimator serves."""

    name: str = ""
    #: names of the spaces this estimator accepts; None means any space
    spaces: tuple[str, ...] | None = None

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

    def config(self) -> dict[str, Any]:
        """The options that describe this estimator (recorded in the store)."""
        return {}

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({opts})"
