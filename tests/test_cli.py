"""The ``workbench`` command: runs, listing, export, clear errors, a killed run resumed, concurrent writers."""
from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from workbench.runs import Store


def cli(*args, check=True, **kw):
    proc = subprocess.run([sys.executable, "-m", "workbench.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=300, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"workbench {' '.join(map(str, args))} exited {proc.returncode}: {proc.stderr}")
    return proc


def test_run_ls_show_export(nb201_table_path, store_path):
    out = cli("run", "--table", nb201_table_path, "--searcher", "re", "--budget", "40", "--seed", "2",
              "--store", store_path, "--name", "cli-demo")
    assert out.stdout.startswith("best: ")
    assert "100.0%" in out.stderr  # the progress bar reached the end
    (info,) = Store(store_path).runs()
    assert info["trials"] == 40 and info["name"] == "cli-demo" and info["status"] == "finished"
    listing = cli("runs", "--store", store_path, "ls").stdout
    assert info["id"] in listing and "re/tabular" in listing
    shown = cli("runs", "--store", store_path, "show", info["id"][:5]).stdout
    assert "seed     2" in shown and "trials   40 (0 failed)" in shown
    rows = list(csv.DictReader(io.StringIO(cli("runs", "--store", store_path, "export", info["id"]).stdout)))
    assert len(rows) == 40 and [int(r["number"]) for r in rows] == list(range(40))
    assert float(rows[0]["val_acc@200"]) > 0
    exported = json.loads(cli("runs", "--store", store_path, "export", info["id"], "--format", "json").stdout)
    assert exported["run"]["seed"] == 2 and len(exported["records"]) == 40


@pytest.mark.parametrize("args,message", [
    (["run", "--searcher", "evolution"], "unknown searcher 'evolution'"),
    (["run", "--space", "nb999"], "unknown space 'nb999'"),
    (["run", "--estimator", "oracle"], "unknown estimator 'oracle'"),
    (["run", "--budget", "-5"], "must be a positive number"),
    (["run", "--budget", "lots"], "cannot read budget 'lots'"),
    (["run", "--table", "/nonexistent/nb201.csv"], "not found"),
    (["runs", "show", "abc"], "no store at"),
])
def test_errors_are_one_clear_line(args, message, tmp_path, nb201_table_path):
    store = tmp_path / "s.sqlite"
    if args[0] == "run" and "--table" not in args:
        args = args + ["--table", str(nb201_table_path)]
    args = args[:1] + ["--store", str(store)] + args[1:] if args[0] == "runs" else args + ["--store", str(store)]
    proc = cli(*args, check=False)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("workbench: error: "), proc.stderr
    assert message in lines[0]
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_killed_run_resumes_without_loss_or_duplicates(tmp_path, nb201_table_path):
    # a table lookup that takes 50 ms: the mechanics of a training run (trials committed in batches every
    # 0.5 s, checkpoints, replay on resume) without the training
    store_path = tmp_path / "killed.sqlite"
    budget = 40
    env = dict(os.environ, OMP_NUM_THREADS="1")
    slow = ["--table", str(nb201_table_path), "--estimator-opt", "delay_s=0.05"]
    proc = subprocess.Popen([sys.executable, "-m", "workbench.cli", "run", "--searcher", "re", "--searcher-opt",
                             "population_size=4", "--budget", str(budget), "--seed", "5", "--store", str(store_path),
                             "--quiet", *slow], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if store_path.exists():
            runs = Store(store_path).runs()
            done = runs[0]["trials"] if runs else 0
            if done >= 4:
                break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = Store(store_path)
    (info,) = store.runs()
    killed_at = len(store.trials(info["id"]))
    assert 4 <= killed_at < budget, "the run must be killed mid-way"
    assert info["status"] == "interrupted"
    cli("run", "--resume", info["id"], "--store", store_path, "--quiet", env=env)
    trials = Store(store_path).trials(info["id"])
    assert [t.number for t in trials] == list(range(budget))  # nothing lost, nothing repeated
    # and the resumed run proposed exactly what an uninterrupted run with the same seed proposes
    straight = tmp_path / "straight.sqlite"
    cli("run", "--searcher", "re", "--searcher-opt", "population_size=4", "--budget", budget, "--seed", 5,
        "--store", straight, "--quiet", *slow, env=env)
    (other,) = Store(straight).runs()
    reference = Store(straight).trials(other["id"])
    assert [t.arch for t in trials] == [t.arch for t in reference]
    assert [round(t.objective, 6) for t in trials] == [round(t.objective, 6) for t in reference]


@pytest.mark.slow
def test_two_processes_write_one_store(tmp_path, nb201_table_path):
    store_path = tmp_path / "shared.sqlite"
    procs = [subprocess.Popen([sys.executable, "-m", "workbench.cli", "run", "--table", str(nb201_table_path),
                               "--searcher", name, "--budget", "1500", "--seed", "1", "--store", str(store_path),
                               "--estimator-opt", "delay_s=0.002",  # paced (3 s): lookups alone end too fast to overlap
                               "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for name in ("re", "random")]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    runs = Store(store_path).runs()
    assert sorted(r["config"]["searcher"]["name"] for r in runs) == ["random", "re"]
    spans = []
    for r in runs:
        trials = Store(store_path).trials(r["id"])
        assert r["trials"] == 1500 and [t.number for t in trials] == list(range(1500))
        spans.append((trials[0].finished_at, trials[-1].finished_at))
    (a0, a1), (b0, b1) = spans
    assert a0 < b1 and b0 < a1, "the two writers must have overlapped in time"
