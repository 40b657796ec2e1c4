"""The search loop of a run whose evaluations run on several workers at once (``Run(executor="ray")``).

Searchers get results in completion order, not ask order: regularized evolution is then the steady-state
algorithm of Real et al. (a finished child joins the population whenever it arrives), random search is
unchanged and REINFORCE updates its controller per completed trial. Trials are numbered in completion order
and record the worker that ran them and when they were asked.

Every trial is stored with a checkpoint of the searcher and the list of archs still in flight, in one
transaction. A driver killed at any moment therefore resumes with exactly the recorded trials, and the
archs that were in flight are sent again (they were asked, not yet told): none is counted twice, none lost.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from workbench.errors import WorkbenchError
from workbench.records import Result
from workbench.runs.events import Trial, TrialFinished, TrialStarted
from workbench.runs.executors import Outcome, Task

if TYPE_CHECKING:
    from workbench.runs.executors import RayExecutor
    from workbench.runs.run import Run


def restore_pending(run: "Run", trials: list[Trial], checkpoint) -> list[str]:
    """Load the searcher's checkpoint, tell it the trials stored after it, and return the archs to re-issue."""
    done, pending = 0, []
    if checkpoint is not None:
        done, state = checkpoint
        run.searcher.load_state_dict(state["searcher"])
        pending = list(state.get("pending", []))
    for trial in trials[done:]:
        if trial.arch not in pending:
            raise WorkbenchError(f"cannot resume run {run.id}: trial {trial.number} ({trial.arch!r}) was not in "
                                 f"flight at the checkpoint before it; the store is inconsistent")
        pending.remove(trial.arch)
        if trial.result is not None:
            run.searcher.tell(run.space.from_string(trial.arch), trial.result)
    return pending


class ParallelSearch:
    """Keeps every worker busy, records results as they arrive, retries work whose worker died."""

    def __init__(self, run: "Run", executor: "RayExecutor", reissue: list[str]) -> None:
        self.run = run
        self.executor = executor
        self.reissue = list(reissue)
        self.retry: list[Task] = []  # tasks whose worker died, waiting for a free worker

    # --- what may start now ----------------------------------------------------------------------
    def _outstanding(self) -> int:
        return sum(len(t.archs) for t in self.executor.in_flight) + sum(len(t.archs) for t in self.retry)

    def _may_ask(self) -> bool:
        run = self.run
        if run._stop_flag.is_set() or not run._resume_flag.is_set():
            return False
        limit = run.budget.evaluations
        if limit is not None and len(run._trials) + self._outstanding() >= limit:
            return False
        return not run._budget_done()

    def _next_arch(self) -> str:
        if self.reissue:
            return self.reissue.pop(0)
        return self.run.space.to_string(self.run.searcher.ask())

    def _fill(self) -> None:
        while self.executor.free_slots and self.retry:
            task = self.retry.pop(0)
            self.executor.submit(task)
        while self.executor.free_slots and self._may_ask():
            archs, asked = [], []
            while len(archs) < self.executor.batch_size and self._may_ask_one(len(archs)):
                archs.append(self._next_arch())
                asked.append(time.time())
            if not archs:
                break
            task = self.executor.submit(Task(archs, asked))
            for arch in archs:
                self.run._publish(TrialStarted(self.run.id, time.time(), arch, task.worker,
                                               self._outstanding()))

    def _may_ask_one(self, extra: int) -> bool:
        limit = self.run.budget.evaluations
        if limit is not None and len(self.run._trials) + self._outstanding() + extra >= limit:
            return False
        return self._may_ask() if extra == 0 else not self.run._budget_done()

    # --- recording -------------------------------------------------------------------------------
    def _pending_after(self, task: Task, index: int) -> list[str]:
        """Archs asked and not yet recorded once outcome ``index`` of ``task`` is recorded."""
        pending = [a for t in self.executor.in_flight for a in t.archs]
        pending += [a for t in self.retry for a in t.archs]
        pending += task.archs[index + 1:]
        pending += self.reissue
        return pending

    def _record(self, task: Task, index: int, outcome: Outcome) -> None:
        run = self.run
        number = len(run._trials)
        result = Result.from_dict(outcome.result) if outcome.status == "ok" and outcome.result else None
        if result is not None:
            run.searcher.tell(run.space.from_string(outcome.arch), result)
            run._sim_time += result.cost_s
        trial = Trial(number, outcome.arch, result, "ok" if result is not None else "failed", outcome.error, wall_s=outcome.wall_s, sim_time_s=run._sim_time,
                      elapsed_s=run.progress().wall_seconds, finished_at=time.time(), worker=outcome.worker,
                      asked_at=task.asked_at[index])
        checkpoint = {"searcher": run.searcher.state_dict(), "pending": self._pending_after(task, index)}
        run.store.add_trial(run.id, trial, checkpoint)
        run._publish(TrialFinished(run.id, time.time(), trial, number + 1))

    def _give_up(self, task: Task) -> None:
        cause = "; ".join(task.causes[-1:]) or "worker died"
        for index, arch in enumerate(task.archs):
            self._record(task, index, Outcome(arch, "failed", None,
                                              f"worker lost {task.attempt + 1} times, last cause: {cause}",
                                              0.0, task.worker))

    # --- the loop --------------------------------------------------------------------------------
    def run_loop(self) -> None:
        while True:
            self.run._sync_status()  # only this (the run's) thread publishes pause/resume/stop
            self._fill()
            if not self.executor.in_flight and not self.retry:
                if self.run._stop_flag.is_set() or self.run._budget_done():
                    return
                if not self._may_ask():  # paused, or the budget's last trials are recorded
                    if self.run._resume_flag.wait(0.05) and self.run._budget_done():
                        return
                    continue
            done, lost = self.executor.wait(0.05)
            for task in lost:
                if task.attempt < self.executor.max_retries:
                    task.attempt += 1
                    self.retry.append(task)
                else:
                    self._give_up(task)
            for task, outcomes in done:
                for index, outcome in enumerate(outcomes):
                    self._record(task, index, outcome)


def parallel_search(run: "Run", executor: "RayExecutor", reissue: list[str]) -> None:
    """Run ``run``'s search on ``executor`` until its budget is spent or it is stopped."""
    executor.start(run.config["space"], run.config["estimator"])
    try:
        ParallelSearch(run, executor, reissue).run_loop()
    finally:
        executor.shutdown()


__all__ = ["ParallelSearch", "parallel_search", "restore_pending"]
