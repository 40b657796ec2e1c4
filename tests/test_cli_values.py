"""Values given on the command line (and to the library): each bad one is one clear line naming it and what
is accepted; id prefixes are literal; a closed pipe is no error."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from workbench import Run, searchers, spaces
from workbench.cli import main
from workbench.runs import Store
from workbench.validate import SEED_MAX, OptionError, check_options


def _main(capsys, *args):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture()
def store_with_runs(store_path):
    store = Store(store_path)
    for rid in ("a1b2c3d4e5f6", "a1ffffffffff"):
        store.create_run(rid, kind="search", config={"space": {"name": "nb201", "options": {}},
                                                     "searcher": {"name": "re"}}, seed=0)
    store.close()
    return store_path


@pytest.mark.parametrize("args,message", [
    (["--seed", str(2**62) + "0"], "--seed 46116860184273879040 is out of range: seeds are integers in 0..2**63-1"),
    (["--seed", "-1"], "out of range"),
    (["--seed", "abc"], "--seed 'abc' is not an integer in 0..2**63-1"),
    (["--budget", ""], "cannot read budget ''"),
    (["--searcher-opt", "population_size=abc"], "searcher 're' option 'population_size' must be an integer, got 'abc'"),
    (["--searcher-opt", "population_size=10.5"], "option 'population_size' must be an integer, got 10.5"),
    (["--space-opt", "bogus=1"], "space 'nb201' has no option 'bogus'; accepted options: none"),
    (["--space", "layers", "--space-opt", "bogus=1"], "has no option 'bogus'; accepted options: max_depth, kernel_sizes"),
    (["--estimator-opt", "delay_s=soon"], "estimator 'tabular' option 'delay_s' must be a number, got 'soon'"),
])
def test_bad_run_values_are_one_clear_line(args, message, capsys, tmp_path):
    # no benchmark is needed: values are checked before any data is read
    code, _, err = _main(capsys, "run", "--store", tmp_path / "s.sqlite", "--quiet", *args)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("workbench: error: "), err
    assert message in lines[0]


@pytest.mark.parametrize("args,message", [
    (["run", "--resume", "%"], "no run '%'"),
    (["runs", "show", "_"], "no run '_'"),
    (["runs", "show", "a1"], "matches 2 runs"),
])
def test_id_prefixes_are_not_patterns(args, message, capsys, store_with_runs):
    if args[0] == "runs":
        args = ["runs", "--store", store_with_runs, *args[1:]]
    else:
        args = [*args, "--store", store_with_runs]
    code, _, err = _main(capsys, *args)
    assert code == 2 and message in err and err.count("\n") == 1


def test_export_to_an_unwritable_path_names_it(capsys, store_with_runs, tmp_path):
    target = tmp_path / "missing-folder" / "out.csv"
    code, _, err = _main(capsys, "runs", "--store", store_with_runs, "export", "a1b2", "--out", target)
    assert code == 2 and err.strip() == f"workbench: error: cannot write {target}: No such file or directory"


def test_a_closed_pipe_is_no_error(store_with_runs):
    for args in (["runs", "--store", store_with_runs, "ls"], ["runs", "--store", store_with_runs, "export", "a1b2"]):
        read_end, write_end = os.pipe()
        os.close(read_end)  # the reader (`head`) has gone before the first line
        proc = subprocess.run([sys.executable, "-m", "workbench.cli", *map(str, args)], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=60)
        os.close(write_end)
        assert proc.stderr == "" and proc.returncode == 141


def test_library_checks_options_at_the_cause(nb201):
    with pytest.raises(OptionError, match="space 'layers' has no option 'depth'; accepted options: max_depth"):
        spaces.create("layers", depth=3)
    with pytest.raises(OptionError, match="option 'sample_size' must be an integer, got '3'"):
        searchers.create("re", space=nb201, sample_size="3")
    with pytest.raises(OptionError, match=r"seed 18446744073709551616 is out of range.*0\.\.2\*\*63-1"):
        Run(space="nb201", searcher="random", estimator="tabular", seed=2**64)
    searchers.create("re", space=nb201, population_size=12, seed=SEED_MAX)  # the largest seed is fine

    def factory(*, space, rate: float = 0.5, name: str | None = None, count: int = 1):
        return rate, name, count

    check_options(factory, {"rate": 1, "name": None, "count": 2}, kind="thing", name="t")
    with pytest.raises(OptionError, match="'count' must be an integer, got True"):
        check_options(factory, {"count": True}, kind="thing", name="t")
    with pytest.raises(OptionError, match="'name' must be a text or null, got 3"):
        check_options(factory, {"name": 3}, kind="thing", name="t")
