"""Records shared by every part of the workbench: what an evaluation learned (``Result``), and what one
epoch of a one-shot strategy did (``EpochReport`` with its ``ArchDistribution``).

Searchers, estimators, strategies, events and the store all import them from here, a neutral module that
imports neither torch nor any registry.
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


DISTRIBUTION_KINDS = ("alphas", "probabilities", "counts")
ROW_AXES = ("edges", "layers")


@dataclass(frozen=True)
class ArchDistribution:
    """Where a one-shot strategy's architecture stands: one (rows x ops) matrix per group.

    ``kind`` says what the numbers are: ``"alphas"`` (softmaxed architecture weights, DARTS/GDAS),
    ``"probabilities"`` (a controller's or sampler's choice probabilities, ENAS) or ``"counts"`` (how often
    each choice was trained so far: SPOS, FairNAS, RSPS). ``groups`` maps a group name (a cell type such as
    ``"normal"``/``"reduce"``, or ``"layers"``) to its matrix; every matrix has one row per entry of ``rows``
    (named along ``row_axis``: ``"edges"`` such as ``"0->1"``, or ``"layers"``) and one column per ``ops``
    entry. A choice a row does not offer is NaN.
    """

    kind: str
    ops: tuple[str, ...]
    rows: tuple[str, ...]
    groups: Mapping[str, tuple[tuple[float, ...], ...]]
    row_axis: str = "edges"

    def __post_init__(self) -> None:
        if self.kind not in DISTRIBUTION_KINDS:
            raise ValueError(f"ArchDistribution kind must be one of {DISTRIBUTION_KINDS}, got {self.kind!r}")
        if self.row_axis not in ROW_AXES:
            raise ValueError(f"ArchDistribution row_axis must be one of {ROW_AXES}, got {self.row_axis!r}")
        ops, rows = tuple(str(o) for o in self.ops), tuple(str(r) for r in self.rows)
        groups = {}
        for name, matrix in dict(self.groups).items():
            # a choice a row does not offer is NaN (JSON stores it as null): always the one math.nan object
            m = tuple(tuple(math.nan if v is None or v != v else float(v) for v in row) for row in matrix)
            if len(m) != len(rows) or any(len(row) != len(ops) for row in m):
                raise ValueError(f"ArchDistribution group {name!r} must be {len(rows)} rows x {len(ops)} ops, "
                                 f"got {len(m)} rows of lengths {sorted({len(r) for r in m})}")
            groups[str(name)] = m
        object.__setattr__(self, "ops", ops)
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "groups", MappingProxyType(groups))

    def as_lists(self) -> dict[str, list[list[float]]]:
        """``{group: [[value per op] per row]}`` as plain lists (what the store and figures take)."""
        return {name: [list(row) for row in m] for name, m in self.groups.items()}

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "ops": list(self.ops), "rows": list(self.rows), "row_axis": self.row_axis,
                "groups": self.as_lists()}


@dataclass(frozen=True)
class EpochReport:
    """What one ``step()`` of a one-shot strategy did.

    ``epoch`` counts from 0. ``metrics`` holds the epoch's losses and accuracies (in percent: ``train_loss``,
    ``train_acc``, ``val_loss``, ``val_acc``) and the strategy's own numbers (``lr``, ``tau``, ``batches``,
    ``seconds`` ...). ``distribution`` is the architecture distribution (None where a strategy has none),
    ``arch`` the text of the arch the strategy derives now, ``scores`` the inherited accuracies (percent)
    the supernet gives a fixed sample of archs (by arch text; empty unless the strategy was asked for them).
    ``partial`` is True when ``should_stop`` ended the step inside the epoch: the next ``step()`` continues
    that epoch, and only ``epoch``, ``partial`` and the running ``metrics`` mean anything.
    """

    epoch: int
    metrics: Mapping[str, float] = field(default_factory=dict)
    distribution: ArchDistribution | None = None
    arch: str | None = None
    scores: Mapping[str, float] = field(default_factory=dict)
    partial: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "metrics", MappingProxyType({str(k): float(v) for k, v in dict(self.metrics).items()}))
        object.__setattr__(self, "scores", MappingProxyType({str(k): float(v) for k, v in dict(self.scores).items()}))


__all__ = ["ArchDistribution", "EpochReport", "Result"]
