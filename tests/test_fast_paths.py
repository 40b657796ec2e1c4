"""Issue 14: the tabular hot path, batched store writes, the study API, fast identical draws, light imports."""
from __future__ import annotations

import sqlite3
import subprocess
import sys

import numpy as np
import pytest

from workbench import OutOfSpaceError, Run, estimators, study
from workbench.runs import Store
from workbench.searchers._draws import FastDraws


def test_fast_draws_equal_numpy_call_by_call():
    for seed in range(40):
        plain, fast = np.random.default_rng(seed), FastDraws(np.random.default_rng(seed))
        script = np.random.default_rng(seed + 1000)
        for _ in range(50):
            kind = int(script.integers(5))
            if kind == 0:
                a, b = plain.integers(0, 5, size=6), fast.integers(0, 5, size=6)
            elif kind == 1:
                n = int(script.integers(1, 30))
                a, b = plain.integers(n), fast.integers(n)
            elif kind == 2:
                n = int(script.integers(1, 12))
                k = int(script.integers(0, n + 1))
                a, b = plain.choice(n, size=k, replace=False), fast.choice(n, size=k, replace=False)
            elif kind == 3:  # not a fast path: the real generator, put where the fast draws left it
                a, b = plain.random(), fast.random()
            else:
                a, b = plain.integers(3, 10**9), fast.integers(3, 10**9)
            np.testing.assert_array_equal(a, b)
        assert fast.bit_generator.state == plain.bit_generator.state


def test_a_search_loops_trial_equals_the_dataclass_trial():
    from workbench.runs.events import Trial

    fast = Trial._finished(3, "arch", None, "failed", "boom", 0.5, 7.0, 1.25, 99.0)
    slow = Trial(3, "arch", None, "failed", "boom", 0.5, 7.0, 1.25, 99.0)
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    with pytest.raises(AttributeError):
        fast.number = 4  # frozen, as every Trial


def test_tabular_index_is_shared_and_resolves_every_form(nb201, nb201_table):
    one = estimators.create("tabular", space=nb201, benchmark=nb201_table)
    two = estimators.create("tabular", space=nb201, benchmark=nb201_table, metric="val_acc", epochs=12)
    assert one._index is two._index and one._index.code_to_row is not None
    for row in (0, 11, 15624):
        text = str(nb201_table.arch_strings[row])
        arch = nb201.from_string(text)
        assert one.row(arch) == one.row(text) == one.row(list(arch)) == nb201_table.row(text) == row
        assert one.evaluate(arch) == one.evaluate(text)
        assert one.evaluate(arch).objective == nb201_table.query(text, "cifar10", "val_acc", 200)
        assert nb201_table.query(arch, "cifar10", "val_acc", 200) == nb201_table.query(text, "cifar10", "val_acc", 200)
    with pytest.raises(OutOfSpaceError, match="unknown NB201 op"):
        one.evaluate(("conv_9x9",) * 6)


def test_study_summaries_equal_the_runs_they_stand_for(nb201, nb201_table):
    est = estimators.create("tabular", space=nb201, benchmark=nb201_table)
    fast = study(space=nb201, searchers=["re", "random"], seeds=[3, 4], estimator=est, budget=120, record="summary")
    recorded = study(space=nb201, searchers=["re", "random"], seeds=[3, 4], estimator=est, budget=120, record="trials",
                     trace=True)
    assert fast.store is None and len(recorded.store.runs()) == 4
    for a, b in zip(fast.summaries, recorded.summaries):
        run = Run(space=nb201, searcher=a.searcher, estimator=est, budget=120, seed=a.seed).run()
        assert a.best_arch == b.best_arch == run.best.arch and a.best_objective == run.best.objective
        assert a.evaluations == b.evaluations == 120 and len(recorded.store.trials(b.run_id)) == 120
        assert b.incumbents[-1][1:] == (run.best.arch, run.best.objective)
    table = {row["searcher"]: row for row in fast.table()}
    assert table["re"]["runs"] == 2 and table["re"]["mean"] == np.mean(fast.values("re"))


def test_batched_commits_keep_the_kill_guarantee(nb201, nb201_table_path, tmp_path):
    """A snapshot of the store taken mid-run (what a kill leaves) holds whole batches and a checkpoint no
    newer than its trials; resuming from it gives exactly the uninterrupted run."""
    path, killed = tmp_path / "live.sqlite", tmp_path / "killed.sqlite"
    options = {"benchmark": str(nb201_table_path)}
    run = Run(space="nb201", searcher="re", estimator="tabular", estimator_options=options, budget=30, seed=2,
              store=str(path), checkpoint_every=4, commit_every=5, commit_seconds=3600)
    seen = []

    def snapshot(event):
        if getattr(event, "total", None) == 13:  # trial 13 finished; 10 are committed
            with sqlite3.connect(path) as src, sqlite3.connect(killed) as dst:
                src.backup(dst)
            seen.append(True)

    run.subscribe(snapshot)
    run.run()
    assert seen
    with sqlite3.connect(killed) as db:  # a real kill leaves the lease of a dead process; this one's pid lives on
        db.execute("DELETE FROM leases")
    store = Store(killed)
    assert [t.number for t in store.trials(run.id)] == list(range(10))
    assert store.latest_checkpoint(run.id)[0] == 8
    resumed = Run.restore(run.id, store=store).run()
    assert [t.arch for t in resumed.trials] == [t.arch for t in run.trials]
    assert [t.number for t in store.trials(run.id)] == list(range(30))
    with pytest.raises(ValueError, match="commit_every"):
        Run(space="nb201", searcher="re", estimator="tabular", estimator_options=options, commit_every=0)


def test_imports_stay_light():
    code = ("import sys, workbench; from workbench import spaces, searchers, estimators, benchmarks, runs, studies; "
            "import workbench.estimators.tabular; workbench.study; "
            "heavy = sorted(m for m in ('torch', 'scipy') if m in sys.modules); print(heavy); "
            "assert 'torch' not in sys.modules and 'scipy' not in sys.modules, heavy")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the command line answers --help without numpy (and so without torch or scipy)
    code = ("import sys, io, contextlib; from workbench import cli\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try: cli.main(['--help'])\n"
            "    except SystemExit: pass\n"
            "heavy = sorted(m for m in ('numpy', 'torch', 'scipy') if m in sys.modules)\n"
            "assert not heavy, heavy")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_study_command_prints_the_table_and_writes_rows(nb201_table_path, tmp_path, capsys):
    from workbench.cli import main

    out = tmp_path / "study.csv"
    assert main(["study", "--table", str(nb201_table_path), "--searchers", "random,re", "--seeds", "3",
                 "--budget", "30", "--summary", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "random" in text and "re " in text and "+-" in text
    lines = out.read_text().splitlines()
    assert len(lines) == 7 and lines[0].startswith("searcher,seed,searcher_seed")
    store = tmp_path / "all.sqlite"
    assert main(["study", "--table", str(nb201_table_path), "--searchers", "re", "--seeds", "2", "--budget", "15",
                 "--store", str(store)]) == 0
    assert [r["trials"] for r in Store(store).runs()] == [15, 15]


def test_reproduction_cells_in_processes_equal_one_process(nb201_table):
    from workbench.reproductions import nb201_table as T

    kwargs = dict(methods=("random", "re"), datasets=("cifar10",), runs=3, table=nb201_table)
    def plain(rows):
        return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]

    assert plain(T.reproduce(jobs=2, **kwargs)) == plain(T.reproduce(jobs=1, **kwargs))
