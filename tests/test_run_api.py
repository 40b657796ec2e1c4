"""The run's front door: one meaning per name (resume unpauses, restore rebuilds), a status enum, control
methods that only set flags (the worker alone publishes and writes), and every component's options recorded."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from workbench import Budget, Run, WorkbenchError, estimators, searchers, spaces
from workbench.runs import FINAL_STATUSES, RunStatus, StatusChanged, Store, TrialFinished


def _wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("condition not reached in time")


def _slow_tabular_run(nb201_table_path, **kwargs) -> Run:
    """A run that lasts: each lookup waits 20 ms, as a notebook's paced search does."""
    return Run(space="nb201", searcher="random", estimator="tabular", budget=10_000, seed=0,
               estimator_options={"benchmark": str(nb201_table_path), "delay_s": 0.02}, **kwargs)


# --- resume means unpause; restore rebuilds a stored run -------------------------------------------------
def test_resume_with_arguments_points_to_restore(tmp_path):
    with pytest.raises(WorkbenchError, match=r"Run\.restore\(run_id, store=\.\.\.\)"):
        Run.resume("abc123", store=str(tmp_path / "runs.sqlite"))
    run = Run(space="nb201", searcher="random", estimator="train", budget=1)
    with pytest.raises(WorkbenchError, match=r"only unpauses.*Run\.restore"):
        run.resume("abc123", store=str(tmp_path / "runs.sqlite"))
    run.resume()  # a run that is not paused: nothing happens
    assert run.status is RunStatus.CREATED


def test_restore_rebuilds_components_given_as_objects(store_path):
    """A ``layers`` space with ``max_depth=3`` passed as an object comes back with ``max_depth=3``."""
    space = spaces.create("layers", max_depth=3, input_size=8, filters=[4], kernel_sizes=[3], fc_units=[16])
    searcher = searchers.create("random", space=space, seed=5, unique=True)
    estimator = estimators.create("train", space=space, dataset="digits", epochs=1, lr=0.1, device="cpu",
                                  data={"limit": 120}, seed=3)
    run = Run(space=space, searcher=searcher, estimator=estimator, budget=2, seed=1, store=str(store_path))
    run.stop()
    run.run()  # recorded in the store, stopped before its first (torch) evaluation: this test stays fast

    restored = Run.restore(run.id, store=str(store_path))
    assert restored.space.max_depth == 3
    assert restored.space.options() == space.options()
    no_limits = {"constraint": None, "latency_table": None, "max_latency_ms": None, "max_flops": None,
                 "max_params": None}
    assert restored.searcher.options() == searcher.options() == {"seed": 5, "unique": True, **no_limits}
    assert restored.estimator.options() == estimator.options()
    assert restored.config == run.config
    assert [restored.searcher.ask() for _ in range(3)] == [searcher.ask() for _ in range(3)]


def test_options_of_a_component_object_cannot_be_mixed_with_its_object():
    space = spaces.create("nb201")
    with pytest.raises(ValueError, match="searcher_options=.*only apply to a searcher given by name"):
        Run(space=space, searcher=searchers.create("re", space=space), searcher_options={"population_size": 4},
            estimator="train", budget=1)


# --- the status enum -------------------------------------------------------------------------------------
def test_status_is_one_enum_that_compares_as_text():
    assert RunStatus.FINISHED == "finished" and str(RunStatus.PAUSED) == "paused" and f"{RunStatus.FAILED}" == "failed"
    assert RunStatus("stopped").final and not RunStatus.PAUSED.final
    assert FINAL_STATUSES == (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.STOPPED)
    assert [s.value for s in RunStatus] == ["created", "running", "paused", "stopping", "finished", "failed",
                                            "stopped"]


# --- control methods set flags; the worker publishes and writes ------------------------------------------
def test_every_event_comes_from_the_worker_thread(nb201_table_path, store_path):
    run = _slow_tabular_run(nb201_table_path, store=str(store_path))
    seen: list[tuple[object, int]] = []
    run.subscribe(lambda event: seen.append((event, threading.get_ident())))
    run.start()
    _wait_for(lambda: len(run.trials) >= 3)
    run.pause()
    assert run.status is RunStatus.PAUSED  # at once, before the worker has noticed
    _wait_for(lambda: any(isinstance(e, StatusChanged) and e.status == "paused" for e, _ in seen))
    run.resume()
    assert run.status is RunStatus.RUNNING
    _wait_for(lambda: any(isinstance(e, StatusChanged) and e.status == "running" and e.previous == "paused"
                          for e, _ in seen))
    run.stop()
    assert run.status is RunStatus.STOPPING
    assert run.join(30) is RunStatus.STOPPED

    statuses = [e.status for e, _ in seen if isinstance(e, StatusChanged)]
    assert statuses == ["running", "paused", "running", "stopping", "stopped"]
    assert all(isinstance(s, RunStatus) for s in statuses)
    assert {ident for _, ident in seen} == {run._thread.ident} != {threading.get_ident()}
    assert Store(store_path).run_info(run.id)["status"] == "stopped"


def test_pause_does_not_wait_for_a_busy_store(nb201_table_path, store_path):
    """Another process holds the store's write lock: pause/resume/stop still return within 50 ms."""
    run = _slow_tabular_run(nb201_table_path, store=str(store_path))
    run.start()
    _wait_for(lambda: len(run.trials) >= 2)
    other = sqlite3.connect(store_path, timeout=0.1, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the write lock, as a batch writing many trials holds it
    try:
        time.sleep(0.1)  # the worker is now blocked on its next write
        for control, expected in ((run.pause, RunStatus.PAUSED), (run.resume, RunStatus.RUNNING),
                                  (run.pause, RunStatus.PAUSED)):
            t0 = time.perf_counter()
            control()
            assert time.perf_counter() - t0 < 0.05, f"{control.__name__} waited for the store"
            assert run.status is expected
    finally:
        other.execute("ROLLBACK")
        other.close()
    _wait_for(lambda: Store(store_path).run_info(run.id)["status"] == "paused")
    t0 = time.perf_counter()
    run.stop()
    assert time.perf_counter() - t0 < 0.05
    assert run.join(30) is RunStatus.STOPPED


def test_stop_before_start_ends_the_run_at_once(nb201_table_path):
    run = _slow_tabular_run(nb201_table_path)
    run.stop()
    assert run.status is RunStatus.CREATED  # nothing runs yet, so nothing is stopping
    run.start()
    assert run.join(30) is RunStatus.STOPPED and run.trials == []


class _HandWritten:
    """A learner's own estimator: duck-typed, no ``options()``."""

    name = "hand-written"

    def __init__(self, inner):
        self.inner = inner

    def check_space(self, space):
        self.inner.check_space(space)

    def evaluate(self, arch):
        return self.inner.evaluate(arch)


def test_a_component_without_options_runs_but_restore_says_why_not(nb201_table, store_path):
    space = spaces.create("nb201")
    estimator = _HandWritten(estimators.create("tabular", space=space, benchmark=nb201_table))
    run = Run(space=space, searcher="re", estimator=estimator, budget=5, store=str(store_path)).run()
    assert run.status is RunStatus.FINISHED and run.config["estimator"] == {"name": "hand-written", "options": None}
    with pytest.raises(WorkbenchError, match="estimator 'hand-written' was given as an object without an options"):
        Run.restore(run.id, store=str(store_path))
