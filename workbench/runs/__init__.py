"""Runs: ``Run`` (a strategy bound to a budget, a seed and a store), ``Budget``, events and the store."""
from __future__ import annotations

from workbench.runs.budget import Budget, Progress
from workbench.runs.events import (FINAL_STATUSES, STATUSES, EpochFinished, Event, IncumbentChanged, RunStatus,
                                   StatusChanged, Trial, TrialFinished, TrialStarted)
from workbench.runs.run import Run, child_seeds
from workbench.runs.store import Store

__all__ = ["Budget", "EpochFinished", "Event", "FINAL_STATUSES", "IncumbentChanged", "Progress", "Run", "RunStatus", "STATUSES",
           "StatusChanged", "Store", "Trial", "TrialFinished", "TrialStarted", "child_seeds"]
