"""Runs on a Ray cluster: a local cluster started by these tests on the loopback interface, torn down after.

Nothing is lost or counted twice: with two workers, when a worker process is killed mid-trial, and when the
driver itself is killed and the run resumed from its store.
"""
from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from workbench import Budget, Run
from workbench.runs import Store, TrialStarted

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[ray]')")

pytestmark = pytest.mark.slow

TINY_TRAIN = {"dataset": "digits", "epochs": 1, "batch_size": 64, "device": "cpu",
              "build": {"channels": 2, "cells_per_stage": 1}, "data": {"limit": 300}}


def _free_ports(n: int) -> list[int]:
    import socket

    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory):
    """A two-CPU Ray head on 127.0.0.1 in its own process group and temp dir; its address."""
    temp = tmp_path_factory.mktemp("ray")
    port, metrics, agent, agent_grpc, env_agent = _free_ports(5)
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0",
           "PYTHONPATH": os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--block",
           "--node-ip-address=127.0.0.1", f"--port={port}", f"--metrics-export-port={metrics}",
           f"--dashboard-agent-listen-port={agent}", f"--dashboard-agent-grpc-port={agent_grpc}",
           f"--runtime-env-agent-port={env_agent}", "--num-cpus=2", "--include-dashboard=false",
           "--disable-usage-stats", f"--temp-dir={temp}"]
    log = open(temp / "head.log", "w")
    head = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    ready = False
    while time.monotonic() < deadline and head.poll() is None:
        probe = subprocess.run([sys.executable, "-c", f"import ray; ray.init(address={address!r}); ray.shutdown()"],
                               env=env, capture_output=True, timeout=60)
        if probe.returncode == 0:
            ready = True
            break
        time.sleep(1)
    if not ready:
        os.killpg(head.pid, signal.SIGKILL)
        tail = (temp / "head.log").read_text()[-400:]
        pytest.skip(f"a local Ray head did not come up on 127.0.0.1 within 90 s (an overloaded machine makes "
                    f"Ray's agents miss their 15 s start-up deadline): {tail}")
    os.environ["RAY_AUTH_MODE"] = "disabled"
    yield address
    if ray.is_initialized():
        ray.shutdown()
    os.killpg(head.pid, signal.SIGTERM)  # the head and every Ray process it started share its process group
    try:
        head.wait(5)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(head.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    head.wait()
    log.close()


def _assert_accounted(trials, budget):
    numbers = [t.number for t in trials]
    assert numbers == list(range(budget)), numbers
    assert all(t.worker for t in trials)


def test_tabular_re_on_two_workers_loses_nothing(ray_cluster, nb201_table_path, tmp_path):
    store = Store(tmp_path / "runs.sqlite")
    run = Run(space="nb201", searcher="re", estimator="tabular",
              estimator_options={"benchmark": str(nb201_table_path), "dataset": "cifar10", "metric": "val_acc",
                                 "epochs": 200},
              executor="ray", executor_options={"address": ray_cluster, "max_concurrent": 2, "batch_size": 10},
              budget=Budget(evaluations=120), seed=0, store=store)
    run.run()
    assert run.status == "finished"
    stored = store.trials(run.id)
    _assert_accounted(stored, 120)
    assert len({t.worker for t in stored}) == 2
    assert [t.arch for t in stored] == [t.arch for t in run.trials]
    assert run.best.objective == max(t.objective for t in stored)
    assert store.run_info(run.id)["config"]["executor"]["options"]["max_concurrent"] == 2


def test_a_worker_killed_mid_trial_is_retried(ray_cluster, tmp_path):
    store = Store(tmp_path / "runs.sqlite")
    run = Run(space="nb201", searcher="random", estimator="train", estimator_options=TINY_TRAIN,
              executor="ray", executor_options={"address": ray_cluster, "max_concurrent": 2, "max_retries": 2},
              budget=Budget(evaluations=6), seed=1, store=store)
    started: list[TrialStarted] = []
    killed: list[str] = []

    def on_event(event):
        if isinstance(event, TrialStarted):
            started.append(event)
            if not killed and event.worker:
                killed.append(event.worker)
                pid = int(event.worker.rsplit(":", 1)[1])
                threading.Timer(0.2, os.kill, (pid, signal.SIGKILL)).start()

    run.subscribe(on_event)
    run.run()
    stored = store.trials(run.id)
    _assert_accounted(stored, 6)
    assert killed, "no trial was started on a worker"
    asked = collections.Counter(e.arch for e in started)
    recorded = collections.Counter(t.arch for t in stored)
    assert recorded == asked  # every arch asked is recorded once: retried (ok) or failed with its cause
    assert killed[0] not in {t.worker for t in stored if t.ok} or len({t.worker for t in stored}) >= 2
    for t in stored:
        assert t.ok or "worker lost" in (t.error or "")


DRIVER = """
import sys
from workbench import Budget, Run
run = Run(space="nb201", searcher="re", estimator="train", estimator_options={train!r},
          searcher_options={{"population_size": 4, "sample_size": 2}},
          executor="ray", executor_options={{"address": {address!r}, "max_concurrent": 2}},
          budget=Budget(evaluations=7), seed=2, store={store!r}, run_id="driver-kill")
run.run()
"""


def test_driver_killed_then_resumed_reissues_in_flight_trials(ray_cluster, tmp_path):
    path = str(tmp_path / "runs.sqlite")
    script = DRIVER.format(train=TINY_TRAIN, address=ray_cluster, store=path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")]),
           "RAY_AUTH_MODE": "disabled"}
    driver = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    before = 0
    while time.monotonic() < deadline and driver.poll() is None:
        if os.path.exists(path):
            try:
                before = len(Store(path).trials("driver-kill"))
            except Exception:  # the run is not created yet
                before = 0
            if before >= 2:
                break
        time.sleep(0.1)
    assert driver.poll() is None, driver.stderr.read().decode()[-2000:]
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    store = Store(path)
    kept = store.trials("driver-kill")
    step, state = store.latest_checkpoint("driver-kill")
    assert step == len(kept)
    in_flight = list(state["pending"])
    run = Run.restore("driver-kill", store=store)
    assert run._reissue == in_flight
    run.run()
    stored = store.trials("driver-kill")
    _assert_accounted(stored, 7)
    assert [t.arch for t in stored[:len(kept)]] == [t.arch for t in kept]  # nothing recorded was redone
    later = collections.Counter(t.arch for t in stored[len(kept):])
    for arch in in_flight:  # the archs in flight at the kill were sent again, once each
        assert later[arch] >= 1


def test_batch_jobs_run_as_ray_tasks(ray_cluster, tmp_path, nb201_table_path, monkeypatch):
    from pathlib import Path

    from workbench.batch import Grid, run_batch

    monkeypatch.setenv("WORKBENCH_NB201_TABLE", str(nb201_table_path))
    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "02_black_box_search.ipynb"
    grid = Grid.parse([("searcher", "random,re")])
    report = run_batch(notebook, grid, out=tmp_path / "study", jobs=2, executor="ray", address=ray_cluster,
                       figure=False)
    assert [r["status"] for r in report.rows] == ["ok", "ok"], report.rows
    assert all(r["run_id"] and r["trials"] for r in report.rows)
    assert report.csv_path.is_file()
