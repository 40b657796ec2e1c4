"""Runs: threads, pause/resume/stop, failures, events, seeds, the store and resuming."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from workbench import Budget, BudgetError, Run, estimators
from workbench.estimators import Estimator
from workbench.runs import IncumbentChanged, StatusChanged, Store, TrialFinished

TINY_TRAIN = {"dataset": "digits", "epochs": 1, "batch_size": 64, "device": "cpu",
              "build": {"channels": 4, "cells_per_stage": 1}, "data": {"limit": 300}}


def _tabular(nb201, table):
    return estimators.create("tabular", space=nb201, benchmark=table)


def _wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def test_same_seed_same_trials(nb201, nb201_table):
    def trials(seed):
        run = Run(space=nb201, searcher="re", estimator=_tabular(nb201, nb201_table), budget=120, seed=seed).run()
        return [(t.arch, t.objective) for t in run.trials]

    assert trials(4) == trials(4)
    assert trials(4) != trials(5)


def test_events_tell_the_whole_story(nb201, nb201_table):
    run = Run(space=nb201, searcher="random", estimator=_tabular(nb201, nb201_table), budget=60, seed=0)
    seen = []
    run.subscribe(seen.append)
    run.run()
    statuses = [e.status for e in seen if isinstance(e, StatusChanged)]
    assert statuses == ["running", "finished"]
    finished = [e for e in seen if isinstance(e, TrialFinished)]
    assert [e.total for e in finished] == list(range(1, 61))
    incumbents = [e.trial.objective for e in seen if isinstance(e, IncumbentChanged)]
    assert incumbents == sorted(incumbents) and len(set(incumbents)) == len(incumbents)
    assert run.best.objective == incumbents[-1] == max(t.objective for t in run.trials)
    # the best-so-far after each trial, derived from events alone, equals the run's own view
    assert run.status == "finished" and len(run.trials) == 60


def _slow_tabular(nb201, table, delay_s=0.05):
    """A table lookup that takes ``delay_s``: the same run mechanics as real training, in a fraction of the time."""
    return estimators.create("tabular", space=nb201, benchmark=table, delay_s=delay_s)


def test_pause_holds_resume_continues_stop_ends(nb201, nb201_table):
    run = Run(space=nb201, searcher="random", estimator=_slow_tabular(nb201, nb201_table), budget=1000, seed=0)

    def pause_after_the_second_trial(event):  # called in the worker, right after a trial is recorded
        if isinstance(event, TrialFinished) and event.total == 2:
            run.pause()

    run.subscribe(pause_after_the_second_trial)
    run.start()
    assert run.status in ("created", "running")
    _wait_for(lambda: run.status == "paused")
    time.sleep(0.5)
    assert len(run.trials) == 2, "no evaluation may start while paused"
    assert len(run.store.trials(run.id)) == 2, "a paused run's store holds every finished trial"
    run.resume()
    assert run.status == "running"
    _wait_for(lambda: len(run.trials) >= 4)
    run.stop()
    at_stop = len(run.trials)
    assert run.status == "stopping"
    assert run.join(timeout=60) == "stopped"
    assert len(run.trials) <= at_stop + 1, "stop must end the run within one evaluation"


def test_stop_while_paused(nb201, nb201_table):
    run = Run(space=nb201, searcher="random", estimator=_slow_tabular(nb201, nb201_table), budget=1000, seed=1)
    run.start()
    _wait_for(lambda: len(run.trials) >= 1)
    run.pause()
    run.stop()
    assert run.join(timeout=60) == "stopped"


class _Exploding(Estimator):
    """An estimator that breaks on its third call (as a buggy user estimator would)."""

    name = "exploding"

    def __init__(self, inner):
        self.inner, self.calls = inner, 0

    def evaluate(self, arch):
        self.calls += 1
        if self.calls == 3:
            raise RuntimeError("estimator exploded on call 3")
        return self.inner.evaluate(arch)


def test_failure_in_the_thread_is_reraised_by_join(nb201, nb201_table, store_path):
    run = Run(space=nb201, searcher="random", estimator=_Exploding(_tabular(nb201, nb201_table)), budget=10,
              seed=0, store=str(store_path))
    run.start()
    with pytest.raises(RuntimeError, match="exploded on call 3"):
        run.join(timeout=30)
    assert run.status == "failed"
    assert len(run.trials) == 2
    info = Store(store_path).run_info(run.id)
    assert info["status"] == "failed" and "exploded" in info["error"]
    assert len(Store(store_path).trials(run.id)) == 2  # what was finished stays recorded


def test_nan_loss_fails_the_trial_not_the_run(nb201):
    options = dict(TINY_TRAIN, lr=1e9, momentum=0.0)
    run = Run(space=nb201, searcher="random", estimator="train", estimator_options=options, budget=3, seed=0).run()
    assert run.status == "finished"
    failed = [t for t in run.trials if not t.ok]
    assert failed, "an absurd learning rate must produce a NaN/inf loss"
    assert all("loss became" in t.error for t in failed)


def test_store_records_config_seed_versions_and_trials(nb201, nb201_table_path, store_path):
    run = Run(space="nb201", searcher="re", estimator="tabular",
              estimator_options={"benchmark": str(nb201_table_path)}, budget=25, seed=9,
              store=str(store_path), name="demo").run()
    store = Store(store_path)
    info = store.run_info(run.id[:6])
    assert info["seed"] == 9 and info["name"] == "demo" and info["status"] == "finished"
    assert info["config"]["searcher"]["name"] == "re"
    assert {"python", "numpy", "torch"} <= set(info["versions"])
    stored = store.trials(run.id)
    assert [(t.arch, t.objective) for t in stored] == [(t.arch, t.objective) for t in run.trials]
    assert store.latest_checkpoint(run.id)[0] == 25


def test_resume_replays_after_the_last_checkpoint(nb201, nb201_table_path, store_path):
    options = {"benchmark": str(nb201_table_path)}
    first = Run(space="nb201", searcher="re", estimator="tabular", estimator_options=options, budget=20, seed=3,
                store=str(store_path), checkpoint_every=7).run()
    assert Store(store_path).latest_checkpoint(first.id)[0] == 20  # the final checkpoint
    # simulate a kill between checkpoints: the last checkpoint is the one after trial 14
    with sqlite3.connect(store_path) as conn:
        conn.execute("DELETE FROM checkpoints WHERE step = 20")
    assert Store(store_path).latest_checkpoint(first.id)[0] == 14  # trials 14..19 must be replayed
    resumed = Run.restore(first.id, store=str(store_path), budget=45).run()
    straight = Run(space="nb201", searcher="re", estimator="tabular", estimator_options=options, budget=45, seed=3).run()
    assert [t.arch for t in resumed.trials] == [t.arch for t in straight.trials]
    assert [t.number for t in Store(store_path).trials(first.id)] == list(range(45))


def test_budget_validation():
    with pytest.raises(BudgetError, match="positive"):
        Budget(evaluations=0)
    with pytest.raises(BudgetError, match="at least one limit"):
        Budget()
    with pytest.raises(BudgetError, match="unknown budget limit"):
        Budget.parse("evals=3")
    assert Budget.parse("evaluations=5,sim_seconds=100") == Budget(evaluations=5, sim_seconds=100.0)
    assert Budget.parse("200") == Budget(evaluations=200)


def test_simulated_seconds_budget(nb201, nb201_table):
    est = estimators.create("tabular", space=nb201, benchmark=nb201_table, cost_s=30.0)
    run = Run(space=nb201, searcher="random", estimator=est, budget=Budget(sim_seconds=300), seed=0).run()
    assert len(run.trials) == 10
    assert run.trials[-1].sim_time_s == pytest.approx(300.0)


def test_threads_do_not_share_state(nb201, nb201_table):
    est = _tabular(nb201, nb201_table)
    runs = [Run(space=nb201, searcher="re", estimator=est, budget=150, seed=s) for s in (1, 1, 2)]
    threads = [threading.Thread(target=r.run) for r in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [t.arch for t in runs[0].trials] == [t.arch for t in runs[1].trials]
    assert [t.arch for t in runs[0].trials] != [t.arch for t in runs[2].trials]
