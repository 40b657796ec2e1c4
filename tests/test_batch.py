"""``workbench batch``: a notebook rerun over a grid with papermill, in parallel processes, into one store."""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import nbformat
import pytest

from workbench.batch import Grid, job_label, parse_value
from workbench.cli import main

ROOT = Path(__file__).resolve().parents[1]
BLACK_BOX = ROOT / "notebooks" / "02_black_box_search.ipynb"


def test_grid_is_every_combination_in_order():
    grid = Grid.parse([("searcher", "random,re"), ("seed", "0,1,2"), ("evaluations", "30")])
    points = grid.points()
    assert len(grid) == 6
    assert points[0] == {"searcher": "random", "seed": 0, "evaluations": 30}
    assert [(p["searcher"], p["seed"]) for p in points] == [("random", 0), ("random", 1), ("random", 2),
                                                           ("re", 0), ("re", 1), ("re", 2)]
    assert grid.varying == ("searcher", "seed")
    assert job_label(points[4], grid.varying) == "searcher=re,seed=1"
    assert [parse_value(v) for v in ("0", "1.5", "true", "null", "re", '"7"')] == [0, 1.5, True, None, "re", "7"]


@pytest.mark.parametrize("pairs, message", [
    ([("seed", "0,,1")], "empty value"),
    ([("seed", "0"), ("seed", "1")], "given twice"),
    ([("store", "x.sqlite")], "reserved"),
    ([("not-a-name", "1")], "not a Python identifier"),
])
def test_grid_errors_say_what_is_wrong(pairs, message):
    with pytest.raises(ValueError, match=message):
        Grid.parse(pairs)


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_batch_of_black_box_search_over_two_searchers_and_three_seeds(tmp_path, nb201_table_path, monkeypatch,
                                                                        capsys):
    monkeypatch.setenv("WORKBENCH_NB201_TABLE", str(nb201_table_path))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    out = tmp_path / "study"
    code = main(["batch", str(BLACK_BOX), "-p", "searcher", "random,re", "-p", "seed", "0,1,2",
                 "-p", "evaluations", "25", "-p", "compare_seeds", "1", "-p", "compare_evaluations", "10",
                 "--jobs", "2", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    rows = _read_csv(out / "results.csv")
    assert len(rows) == 6
    assert [(r["searcher"], r["seed"]) for r in rows] == [("random", "0"), ("random", "1"), ("random", "2"),
                                                         ("re", "0"), ("re", "1"), ("re", "2")]
    assert all(r["status"] == "ok" and r["run_status"] == "finished" and r["trials"] == "25" for r in rows), rows
    assert "searcher=re,seed=2" in printed and "results:" in printed

    # every job wrote its run into the one store, named after the job
    from workbench import Budget, Run
    from workbench.runs import Store

    store = Store(out / "runs.sqlite")
    runs = {r["name"]: r for r in store.runs()}
    assert sorted(runs) == sorted(r["job"] for r in rows)
    assert {r["run_id"] for r in rows} == {r["id"] for r in runs.values()}

    # and the numbers are the search's own: the same seed in this process finds the same best
    again = Run(space="nb201", searcher="re", estimator="tabular", budget=Budget(evaluations=25), seed=1,
                estimator_options={"benchmark": str(nb201_table_path)}).run()
    (re1,) = [r for r in rows if r["job"] == "searcher=re,seed=1"]
    assert float(re1["best"]) == pytest.approx(again.best.objective)

    curves = _read_csv(out / "curves.csv")
    assert len(curves) == 6 * 25
    assert {c["method"] for c in curves} == {"searcher=random", "searcher=re"}
    html = (out / "comparison.html").read_text()
    assert "workbench-comparison" in html and "searcher=re (3 runs)" in html

    # executed notebooks are kept, in batch mode, without widget state, each with its parameters
    for r in rows:
        nb = nbformat.read(out / r["notebook"], as_version=4)
        assert "widgets" not in nb.metadata
        injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
        assert f"run_name = \"{r['job']}\"" in injected.source and "interactive = False" in injected.source
        assert os.path.getsize(out / r["notebook"]) < 100_000


FAILING = {
    "cells": [
        {"cell_type": "code", "id": "cell-1", "metadata": {"tags": ["parameters"]}, "source": "x = 1\nstore = ''\nrun_name = ''\ninteractive = True",
         "outputs": [], "execution_count": None},
        {"cell_type": "code", "id": "cell-2", "metadata": {}, "source": "assert x != 2, 'x must not be 2'\nprint('x is', x)",
         "outputs": [], "execution_count": None},
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5,
}


@pytest.mark.slow
def test_a_failing_job_reports_its_error_and_the_others_finish(tmp_path, capsys):
    notebook = tmp_path / "fails_for_two.ipynb"
    notebook.write_text(json.dumps(FAILING))
    out = tmp_path / "out"
    code = main(["batch", str(notebook), "-p", "x", "1,2,3", "--jobs", "2", "--out", str(out), "--no-figure"])
    captured = capsys.readouterr()
    assert code == 1
    rows = _read_csv(out / "results.csv")
    assert [r["status"] for r in rows] == ["ok", "failed", "ok"]
    assert "AssertionError: x must not be 2" in rows[1]["error"]
    assert rows[0]["error"] == rows[2]["error"] == ""
    assert "error in x=2: AssertionError: x must not be 2" in captured.out
    assert "1 of 3 job(s) failed" in captured.err
    ok = nbformat.read(out / rows[2]["notebook"], as_version=4)
    assert ok.cells[-1].outputs[0]["text"] == "x is 3\n"


def test_missing_notebook_is_a_clear_error(tmp_path, capsys):
    assert main(["batch", str(tmp_path / "nope.ipynb"), "-p", "seed", "0", "--out", str(tmp_path)]) == 2
    assert "notebook not found" in capsys.readouterr().err


def test_a_parameter_the_notebook_does_not_define_is_refused(tmp_path, capsys):
    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "02_black_box_search.ipynb"
    assert main(["batch", str(notebook), "-p", "seeds", "0,1", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "has no parameter 'seeds'" in err
    assert "seed, evaluations" in err and "interactive" not in err
    assert not (tmp_path / "out").exists()  # refused before any job (or store) was made
