"""Records shared by every part of the workbench: what an evaluation learned (``Result``).

Searchers, estimators, events and the store all import it from here, a neutral module that imports
neither torch nor any registry.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from workbench.errors import EvaluationError


def _finite_number(name: str, value: Any) -> float:
    """``value`` as a float if it is a finite real number (Python or numpy scalar); else EvaluationError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise EvaluationError(f"{name} must be a finite real number, got {value!r} ({type(value).__name__})")
    out = float(value)
    if not math.isfinite(out):
        raise EvaluationError(f"{name} must be finite, got {out!r}")
    return out


@dataclass(frozen=True)
class Result:
    """What an evaluation learned about one arch.

    ``objective`` is the number searchers maximise (the estimator's search metric, e.g. validation
    accuracy in percent at the chosen fidelity); ``metrics`` holds it and every reported metric (``val_acc``,
    ``test_acc``, ``params``, ``flops``, ``latency_ms``, ...); ``cost_s`` is the simulated training seconds a
    tabular lookup charges, or the measured seconds of real training; ``fidelity`` is e.g. the epochs.
    A non-finite objective or cost (NaN, inf) is refused with ``EvaluationError``: that trial fails, the
    search goes on. numpy scalars are accepted and stored as Python floats.
    """

    objective: float
    metrics: Mapping[str, float] = field(default_factory=dict)
    cost_s: float = 0.0
    fidelity: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "objective", _finite_number("objective", self.objective))
        object.__setattr__(self, "cost_s", _finite_number("cost_s", self.cost_s))
        if self.cost_s < 0:
            raise EvaluationError(f"cost_s must be >= 0, got {self.cost_s!r}")
        object.__setattr__(self, "metrics", MappingProxyType(dict(self.metrics)))

    @classmethod
    def _trusted(cls, objective: float, metrics: dict, cost_s: float, fidelity: float | None) -> "Result":
        """A Result of values the caller has checked already (finite Python floats, ``cost_s >= 0``), built
        without re-validation: a table lookup's hot path."""
        self = object.__new__(cls)
        self.__dict__.update(objective=objective, metrics=MappingProxyType(metrics), cost_s=cost_s, fidelity=fidelity)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"objective": self.objective, "metrics": dict(self.metrics), "cost_s": self.cost_s,
                "fidelity": self.fidelity}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Result":
        return cls(objective=float(data["objective"]), metrics=dict(data.get("metrics", {})),
                   cost_s=float(data.get("cost_s", 0.0)), fidelity=data.get("fidelity"))


__all__ = ["Result"]
