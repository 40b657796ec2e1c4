"""The notebooks: every one runs under nbval in batch mode; the quickstart also matches its stored outputs
(strict ``--nbval`` with a sanitize file); the stored notebooks stay lean and follow the house rules."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
ALL = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
QUICKSTART = NOTEBOOKS / "00_quickstart.ipynb"
SANITIZE = NOTEBOOKS / "nbval_sanitize.cfg"


def _nbval(args: list[str], table: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "WORKBENCH_BATCH": "1", "WORKBENCH_NB201_TABLE": str(table), "OMP_NUM_THREADS": "1"}
    env.pop("WORKBENCH_STORE", None)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--nbval-current-env",
                           "-o", "addopts=", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_notebooks_exist():
    names = [p.name for p in ALL]
    assert {"00_quickstart.ipynb", "01_search_spaces.ipynb", "02_black_box_search.ipynb",
            "07_zero_cost.ipynb"} <= set(names)


def test_quickstart_matches_its_stored_outputs(nb201_table_path):
    done = _nbval(["--nbval", str(QUICKSTART), "--nbval-sanitize-with", str(SANITIZE)], nb201_table_path)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


@pytest.mark.parametrize("path", [p for p in ALL if p != QUICKSTART], ids=lambda p: p.stem)
def test_notebook_runs_in_batch_mode(path, nb201_table_path):
    done = _nbval(["--nbval-lax", str(path)], nb201_table_path)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "failed" not in done.stdout


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_notebook_structure(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.kernelspec.name == "python3"
    assert "widgets" not in nb.metadata, "stored notebooks must not carry widget state"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert nb.cells[0].cell_type == "markdown", "prose before code"
    params = code[0]
    assert "parameters" in params.metadata.get("tags", []), "the first code cell must be tagged 'parameters'"
    defaults = {}
    for node in ast.parse(params.source).body:
        assert isinstance(node, ast.Assign), f"parameters cell holds only assignments: {ast.unparse(node)}"
        defaults[node.targets[0].id] = ast.literal_eval(node.value)
    assert defaults["interactive"] is True
    if path.stem[:2] in ("00", "01", "02"):  # rerun by workbench batch, which sets store and run_name
        assert {"nb201_table", "store", "run_name"} <= set(defaults)
    for line in params.source.splitlines():  # papermill cannot parse '=' inside a comment
        assert "=" not in line.partition("#")[2], line
    for cell in code:
        tree = ast.parse("\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith(("%", "!"))))
        assert not any(isinstance(n, ast.ClassDef) for n in ast.walk(tree)), "no classes inside notebooks"
    if path != QUICKSTART:
        assert all(not c.outputs for c in code), f"{path.name} must be stored without outputs"
    else:  # strict nbval compares these: text only, no figures, no widgets
        kinds = {o.output_type for c in code for o in c.outputs}
        assert kinds == {"stream"}
    assert path.stat().st_size < 40_000


def test_papermill_sees_the_parameters():
    import papermill

    params = papermill.inspect_notebook(str(NOTEBOOKS / "02_black_box_search.ipynb"))
    assert params["interactive"]["default"] == "True"
    assert params["searcher"]["default"] == '"re"'
    assert params["seed"]["default"] == "0"
    assert params["eval_delay_s"]["help"].startswith("seconds each lookup waits")


def test_batch_mode_from_parameter_or_environment(monkeypatch):
    from nasviz.notebook import batch_mode

    monkeypatch.delenv("WORKBENCH_BATCH", raising=False)
    assert batch_mode(True) is False and batch_mode(False) is True
    monkeypatch.setenv("WORKBENCH_BATCH", "1")
    assert batch_mode(True) is True
    monkeypatch.setenv("WORKBENCH_BATCH", "0")
    assert batch_mode(True) is False


def test_missing_table_says_how_to_get_it(tmp_path, monkeypatch, nb201_table_path):
    from nasviz.notebook import find_nb201_table
    from workbench.errors import DataError

    with pytest.raises(DataError) as err:
        find_nb201_table(tmp_path / "nowhere.csv")
    message = str(err.value)
    assert "nowhere.csv" in message and "WORKBENCH_NB201_TABLE" in message and "README" in message
    monkeypatch.setenv("WORKBENCH_NB201_TABLE", str(nb201_table_path))
    assert find_nb201_table("") == str(nb201_table_path)


def test_workbench_lab_opens_the_notebooks_folder(tmp_path, monkeypatch, capsys):
    from workbench.cli import main

    monkeypatch.chdir(tmp_path)  # no ./notebooks here: the checkout's folder is found
    monkeypatch.delenv("WORKBENCH_NOTEBOOKS", raising=False)
    assert main(["lab", "--dry-run", "--port", "8899", "--no-browser", "--", "--ServerApp.ip=127.0.0.1"]) == 0
    command = capsys.readouterr().out.split()
    assert command[1:3] == ["-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={NOTEBOOKS}" in command
    assert "--ServerApp.port=8899" in command and "--no-browser" in command and "--ServerApp.ip=127.0.0.1" in command
    own = tmp_path / "mine"
    own.mkdir()
    assert main(["lab", "--dry-run", "--dir", str(own)]) == 0
    assert f"--ServerApp.root_dir={own}" in capsys.readouterr().out
    assert main(["lab", "--dry-run", "--dir", str(tmp_path / "missing")]) == 2
    assert "no such folder" in capsys.readouterr().err
