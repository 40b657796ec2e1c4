"""Batched trial records: a search run commits its trials to the store every ``every`` trials or
``seconds`` seconds, whichever comes first, instead of one transaction per trial.

The kill guarantee stays: trials and the checkpoints taken among them go into the store in one transaction
(``Store.add_trials``), so a process killed at any moment loses at most the trials not yet committed (at most
``every`` trials or ``seconds`` of work), and the store never holds a checkpoint newer than its trials. A
resumed run replays the committed trials after the newest checkpoint through ask/tell and evaluates the
lost ones again; none is recorded twice. A run flushes before it pauses, stops, ends or fails.
"""
from __future__ import annotations

import time
from typing import Any

from workbench.runs.events import Trial

#: defaults of ``Run(commit_every=..., commit_seconds=...)``: a tabular search (thousands of trials a
#: second) commits 64 at a time; a trial that takes longer than ``COMMIT_SECONDS`` is committed at once
COMMIT_EVERY = 64
COMMIT_SECONDS = 0.5


def check_commit_policy(every: Any, seconds: Any) -> None:
    """Refuse a commit policy that is not ``every >= 1`` trials and ``seconds >= 0``."""
    if not isinstance(every, int) or isinstance(every, bool) or every < 1:
        raise ValueError(f"commit_every must be a whole number of trials >= 1, got {every!r}")
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not seconds >= 0:
        raise ValueError(f"commit_seconds must be a number of seconds >= 0, got {seconds!r}")


class TrialWriter:
    """Collects one run's finished trials (and checkpoints) and commits them in batches."""

    def __init__(self, store, run_id: str, *, every: int = COMMIT_EVERY, seconds: float = COMMIT_SECONDS) -> None:
        check_commit_policy(every, seconds)
        self.store, self.run_id = store, run_id
        self.every, self.seconds = every, float(seconds)
        self._trials: list[Trial] = []
        self._checkpoints: list[tuple[int, Any]] = []
        self._last = time.monotonic()

    @property
    def pending(self) -> int:
        """Trials finished but not yet committed."""
        return len(self._trials)

    def add(self, trial: Trial, checkpoint: Any = None) -> None:
        """Queue ``trial`` (and the strategy's state after it); commit when the batch is full or old enough."""
        self._trials.append(trial)
        if checkpoint is not None:
            self._checkpoints.append((trial.number + 1, checkpoint))
        if len(self._trials) >= self.every or time.monotonic() - self._last >= self.seconds:
            self.flush()

    def checkpoint(self, step: int, state: Any) -> None:
        """Queue a checkpoint taken after ``step`` trials; it is committed with the trials before it."""
        self._checkpoints.append((step, state))

    def flush(self) -> None:
        """Commit what is queued in one transaction (the newest two checkpoints, as the store keeps)."""
        if self._trials or self._checkpoints:
            self.store.add_trials(self.run_id, self._trials, self._checkpoints[-2:])
            self._trials, self._checkpoints = [], []
        self._last = time.monotonic()
