"""Events a run publishes as things happen, and the trial record they carry.

Every listener (the run's own bookkeeping, a live dashboard, a progress bar) sees the same immutable
records in the same order. They hold plain data only, never a reference to the run.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Any, Mapping

from workbench.records import ArchDistribution, Result


class RunStatus(str, Enum):
    """Where a run is. A ``str`` enum: ``RunStatus.RUNNING == "running"``, and the store keeps the text.

    ``created`` -> ``running`` <-> ``paused``; ``stopping`` after ``stop()``; it ends ``finished`` (budget
    used up), ``stopped`` (by ``stop()``) or ``failed`` (an exception, kept in ``run.error``).
    """

    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"
    FINISHED = "finished"
    FAILED = "failed"
    STOPPED = "stopped"

    @property
    def final(self) -> bool:
        """True for the statuses a run ends in (finished, failed, stopped)."""
        return self in (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.STOPPED)

    def __str__(self) -> str:
        return self.value

    __format__ = str.__format__


STATUSES = tuple(RunStatus)
FINAL_STATUSES = tuple(s for s in RunStatus if s.final)


@dataclass(frozen=True)
class Trial:
    """One finished evaluation. ``number`` counts from 0; ``arch`` is the arch's text in its space.

    ``sim_time_s`` and ``elapsed_s`` are the run's cumulative simulated and wall seconds when it finished.
    A trial whose evaluation failed (e.g. a NaN loss) has ``status == "failed"``, ``result`` None and an
    ``error`` message.
    """

    number: int
    arch: str
    result: Result | None
    status: str = "ok"
    error: str | None = None
    wall_s: float = 0.0
    sim_time_s: float = 0.0
    elapsed_s: float = 0.0
    finished_at: float = 0.0
    worker: str | None = None  # the worker that ran it, for runs on several workers (``executor="ray"``)
    asked_at: float | None = None  # when the searcher proposed it, for runs on several workers

    @classmethod
    def _finished(cls, number: int, arch: str, result: Result | None, status: str, error: str | None,
                  wall_s: float, sim_time_s: float, elapsed_s: float, finished_at: float) -> "Trial":
        """A trial of a search loop (no worker), built without the frozen dataclass's per-field setattr
        (3 us, a tabular search's hot path); equal to ``Trial(...)`` of the same values."""
        self = object.__new__(cls)
        self.__dict__.update(number=number, arch=arch, result=result, status=status, error=error, wall_s=wall_s,
                             sim_time_s=sim_time_s, elapsed_s=elapsed_s, finished_at=finished_at, worker=None,
                             asked_at=None)
        return self

    @property
    def objective(self) -> float:
        return self.result.objective if self.result is not None else -math.inf

    @property
    def metrics(self) -> Mapping[str, float]:
        return self.result.metrics if self.result is not None else MappingProxyType({})

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "arch": self.arch, "status": self.status, "error": self.error,
                "objective": self.result.objective if self.result else None,
                "metrics": dict(self.metrics), "cost_s": self.result.cost_s if self.result else 0.0,
                "fidelity": self.result.fidelity if self.result else None, "wall_s": self.wall_s,
                "sim_time_s": self.sim_time_s, "elapsed_s": self.elapsed_s, "finished_at": self.finished_at,
                "worker": self.worker, "asked_at": self.asked_at}


@dataclass(frozen=True)
class Event:
    run_id: str
    time: float


@dataclass(frozen=True)
class StatusChanged(Event):
    status: RunStatus
    previous: RunStatus
    error: str | None = None


@dataclass(frozen=True)
class TrialStarted(Event):
    """An arch was sent to a worker (runs on several workers); ``in_flight`` counts all evaluations out."""

    arch: str
    worker: str
    in_flight: int
    previous_worker: str | None = None  # set when the arch is sent again because that worker died


@dataclass(frozen=True)
class TrialFinished(Event):
    trial: Trial
    total: int  # trials finished so far, this one included


@dataclass(frozen=True)
class IncumbentChanged(Event):
    trial: Trial  # the new best trial
    previous: Trial | None = None


@dataclass(frozen=True)
class EpochFinished(Event):
    """A finished epoch of a one-shot strategy: its metrics (accuracies in percent; ``derived_*`` when the
    run estimates the derived arch), its architecture distribution, the derived arch's text and the
    supernet's inherited accuracies of a fixed sample of archs (``scores``, by arch text).

    ``distribution`` is the typed record (``kind``: alphas, probabilities or counts; axes ``ops`` x ``rows``
    along ``row_axis``); ``alphas`` (``{"normal": [[...], ...]}``: per row, a value per op), ``ops`` and
    ``edges`` (the row labels) are its matrices and axes as plain data."""

    epoch: int
    metrics: Mapping[str, float] = field(default_factory=dict)
    alphas: Mapping[str, Any] | None = None
    ops: tuple[str, ...] = ()
    edges: tuple[str, ...] = ()
    arch: str | None = None
    distribution: ArchDistribution | None = None
    scores: Mapping[str, float] = field(default_factory=dict)
