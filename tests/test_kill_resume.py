"""SIGKILL a tabular and a training search at seeded random moments, resume each time, and compare the
result bit for bit with an uninterrupted run of the same seed; several processes write one store at once.

By default each test kills a few times (seconds). ``WORKBENCH_KILL_ROUNDS=N`` repeats the kill tests over N
seeds and ``WORKBENCH_WRITERS=N`` runs N concurrent writers (the figures in docs/reliability.md); each test
prints its counts (``pytest -s``).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from workbench.runs import Store

ROUNDS = int(os.environ.get("WORKBENCH_KILL_ROUNDS", "1"))
WRITERS = int(os.environ.get("WORKBENCH_WRITERS", "3"))
TINY_TRAIN = {"dataset": "digits", "epochs": 1, "batch_size": 64, "device": "cpu",
              "build": {"channels": 4, "cells_per_stage": 1}, "data": {"limit": 300}}

WORKER = r"""
import json, sys
from workbench import Run
spec = json.loads(sys.argv[1])
if spec.get("resume"):
    Run.restore(spec["run_id"], store=spec["store"]).run()
else:
    Run(space="nb201", searcher=spec["searcher"], estimator=spec["estimator"], budget=spec["budget"],
        seed=spec["seed"], store=spec["store"], run_id=spec["run_id"], checkpoint_every=spec["checkpoint_every"],
        searcher_options=spec.get("searcher_options"), estimator_options=spec["estimator_options"]).run()
"""


def _spawn(spec: dict) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(spec)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _count(store_path, run_id) -> int:
    if not store_path.exists():
        return 0
    try:
        store = Store(store_path)
        try:
            return len(store.trials(run_id))
        finally:
            store.close()
    except Exception:  # the file is being created by the worker right now
        return 0


def _signature(trial, with_cost: bool) -> tuple:
    """What must be identical bit for bit (the training estimator's cost is its wall time: not compared)."""
    r = trial.result
    return (trial.number, trial.arch, trial.status, r.objective if r else None,
            json.dumps(dict(r.metrics), sort_keys=True) if r else None, r.cost_s if r and with_cost else None)


def _kill_and_resume(tmp_path, spec: dict, kill_points: list[int], timeout: float = 300.0) -> dict:
    """Run ``spec``; SIGKILL it once ``kill_points[i]`` trials are stored (plus a random fraction of a
    trial), resume, and so on; then let the last resume finish. Returns the counts against a straight run."""
    rng = np.random.default_rng(spec["seed"])
    store_path = tmp_path / f"{spec['run_id']}.sqlite"
    spec = {**spec, "store": str(store_path)}
    kills = 0
    proc = _spawn(spec)
    for point in kill_points:
        deadline = time.monotonic() + timeout
        while _count(store_path, spec["run_id"]) < point:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker ended before trial {point}: {proc.stderr.read().decode()[-500:]}")
            time.sleep(0.02)
        time.sleep(float(rng.uniform(0, spec.get("jitter_s", 0.01))))  # somewhere inside the next trial
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        kills += 1
        proc = _spawn({"resume": True, "run_id": spec["run_id"], "store": spec["store"]})
    _, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err.decode()[-2000:]
    straight_path = tmp_path / "straight.sqlite"
    ref = _spawn({**spec, "store": str(straight_path), "run_id": "straight"})
    _, err = ref.communicate(timeout=timeout)
    assert ref.returncode == 0, err.decode()[-2000:]
    got = Store(store_path).trials(spec["run_id"])
    want = Store(straight_path).trials("straight")
    numbers = [t.number for t in got]
    with_cost = spec["estimator"] != "train"
    mismatched = sum(_signature(a, with_cost) != _signature(b, with_cost) for a, b in zip(got, want))
    return {"kills": kills, "trials": len(got), "lost": len(set(range(len(want))) - set(numbers)),
            "duplicated": len(numbers) - len(set(numbers)), "mismatched": mismatched,
            "exact": int(mismatched == 0 and len(got) == len(want))}


def _kill_points(seed: int, budget: int, kills: int) -> list[int]:
    rng = np.random.default_rng(1000 + seed)
    return sorted(int(k) for k in rng.choice(np.arange(2, budget - 1), size=kills, replace=False))


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_tabular_search_killed_at_random_moments_resumes_exactly(tmp_path, nb201_table_path, round_):
    budget = 60
    spec = {"run_id": f"tab{round_}", "searcher": "re", "estimator": "tabular", "budget": budget, "seed": round_,
            "checkpoint_every": 7, "searcher_options": {"population_size": 10},
            "estimator_options": {"benchmark": str(nb201_table_path), "delay_s": 0.01}, "jitter_s": 0.01}
    kills = 2 if ROUNDS == 1 else 4
    counts = _kill_and_resume(tmp_path, spec, _kill_points(round_, budget, kills))
    print(f"\ntabular seed {round_}: {counts}")
    assert counts == {"kills": kills, "trials": budget, "lost": 0, "duplicated": 0, "mismatched": 0, "exact": 1}


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_training_search_killed_at_random_moments_resumes_exactly(tmp_path, round_):
    budget = 6
    spec = {"run_id": f"train{round_}", "searcher": "re", "estimator": "train", "budget": budget, "seed": round_,
            "checkpoint_every": 4, "searcher_options": {"population_size": 3, "sample_size": 2},
            "estimator_options": TINY_TRAIN, "jitter_s": 0.2}
    kills = 1 if ROUNDS == 1 else 2
    counts = _kill_and_resume(tmp_path, spec, _kill_points(round_, budget, kills))
    print(f"\ntraining seed {round_}: {counts}")
    assert counts == {"kills": kills, "trials": budget, "lost": 0, "duplicated": 0, "mismatched": 0, "exact": 1}


def test_concurrent_writers_lose_nothing(tmp_path, nb201_table_path):
    store_path = tmp_path / "shared.sqlite"
    budget = 150 if WRITERS > 3 else 100
    procs = [_spawn({"run_id": f"w{i}", "searcher": "re" if i % 2 else "random", "estimator": "tabular",
                     "budget": budget, "seed": i, "checkpoint_every": 5, "store": str(store_path),
                     "estimator_options": {"benchmark": str(nb201_table_path)}}) for i in range(WRITERS)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()[-2000:]
    store = Store(store_path)
    runs = store.runs()
    rows = {r["id"]: [t.number for t in store.trials(r["id"])] for r in runs}
    spans = [(store.trials(r)[0].finished_at, store.trials(r)[-1].finished_at) for r in rows]
    overlapping = sum(a0 < b1 and b0 < a1 for i, (a0, a1) in enumerate(spans) for (b0, b1) in spans[i + 1:])
    counts = {"writers": WRITERS, "runs": len(runs), "trials": sum(map(len, rows.values())),
              "expected": WRITERS * budget, "lost": sum(budget - len(set(n)) for n in rows.values()),
              "duplicated": sum(len(n) - len(set(n)) for n in rows.values()), "overlapping pairs": overlapping,
              "finished": sum(r["status"] == "finished" for r in runs)}
    print(f"\nconcurrent writers: {counts}")
    assert counts["runs"] == counts["finished"] == WRITERS and counts["trials"] == counts["expected"]
    assert counts["lost"] == counts["duplicated"] == 0
    assert all(n == list(range(budget)) for n in rows.values())


@pytest.mark.slow
def test_two_live_resumes_of_one_run_second_is_refused(tmp_path, nb201_table_path):
    """Two processes resume one run: while the first runs, the second is refused with a clear message
    (not an IntegrityError); once the first has been killed, its lease is stale and a resume takes over."""
    store_path = tmp_path / "lease.sqlite"
    spec = {"run_id": "leased", "searcher": "re", "estimator": "tabular", "budget": 150, "seed": 3,
            "checkpoint_every": 20, "store": str(store_path),
            "estimator_options": {"benchmark": str(nb201_table_path), "delay_s": 0.01}}
    first = _spawn(spec)
    try:
        deadline = time.monotonic() + 120
        while _count(store_path, "leased") < 3:
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        second = _spawn({"resume": True, "run_id": "leased", "store": str(store_path)})
        _, err = second.communicate(timeout=120)
        text = err.decode()
        assert second.returncode != 0 and "RunLeasedError: run leased is being executed by process" in text
        assert f"process {first.pid} " in text and "IntegrityError" not in text
    finally:
        first.kill()
        first.wait()
    done = _spawn({"resume": True, "run_id": "leased", "store": str(store_path)})
    _, err = done.communicate(timeout=300)
    assert done.returncode == 0, err.decode()[-2000:]
    trials = Store(store_path).trials("leased")
    assert [t.number for t in trials] == list(range(150))
    assert Store(store_path).run_info("leased")["status"] == "finished"
