"""Budgets: when a run ends. Any combination of evaluations, simulated seconds, wall seconds and epochs;
the run ends as soon as one of the given limits is reached."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Mapping

from workbench.errors import BudgetError

_FIELDS = ("evaluations", "sim_seconds", "wall_seconds", "epochs")


@dataclass(frozen=True)
class Progress:
    evaluations: int = 0
    sim_seconds: float = 0.0
    wall_seconds: float = 0.0
    epochs: int = 0


@dataclass(frozen=True)
class Budget:
    """``Budget(evaluations=200)``, ``Budget(sim_seconds=12000)`` (the NB201 protocol), ``Budget(epochs=50)``..."""

    evaluations: int | None = None
    sim_seconds: float | None = None
    wall_seconds: float | None = None
    epochs: int | None = None

    def __post_init__(self) -> None:
        for name in _FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or value <= 0:
                raise BudgetError(f"budget {name} must be a positive number, got {value!r}")
        if all(getattr(self, name) is None for name in _FIELDS):
            raise BudgetError(f"a budget needs at least one limit of: {', '.join(_FIELDS)}")

    @classmethod
    def parse(cls, text: str) -> "Budget":
        """``"200"`` (evaluations) or ``"evaluations=200,sim_seconds=12000"``."""
        text = str(text).strip()
        try:
            count = int(text) if "=" not in text else None
            parts = {} if count is not None else dict(item.split("=", 1) for item in text.split(","))
        except ValueError:
            raise BudgetError(
                f"cannot read budget {text!r}; write a number of evaluations or name=value pairs of: {', '.join(_FIELDS)}"
            ) from None
        if count is not None:
            return cls(evaluations=count)
        unknown = set(parts) - set(_FIELDS)
        if unknown:
            raise BudgetError(f"unknown budget limit(s) {sorted(unknown)}; accepted: {', '.join(_FIELDS)}")
        try:
            values = {k: (int(v) if k in ("evaluations", "epochs") else float(v)) for k, v in parts.items()}
        except ValueError as exc:
            raise BudgetError(f"budget {text!r}: {exc}") from None
        return cls(**values)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Budget":
        return cls(**{k: v for k, v in data.items() if v is not None})

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def exhausted(self, progress: Progress) -> bool:
        return any(
            limit is not None and getattr(progress, name) >= limit
            for name in _FIELDS
            for limit in [getattr(self, name)]
        )

    def fraction(self, progress: Progress) -> float:
        """How much of the budget is used, 0..1 (the largest fraction over the given limits)."""
        fractions = [getattr(progress, n) / getattr(self, n) for n in _FIELDS if getattr(self, n) is not None]
        return min(1.0, max(fractions))

    def __str__(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.to_dict().items())
