"""The notebooks: every one runs under nbval in batch mode; the stored notebooks carry no outputs, stay lean and
follow the house rules."""
from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
ALL = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def _nbval(args: list[str], table: Path) -> subprocess.Popen:
    env = {**os.environ, "WORKBENCH_BATCH": "1", "WORKBENCH_NB201_TABLE": str(table), "OMP_NUM_THREADS": "1"}
    env.pop("WORKBENCH_STORE", None)
    return subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--nbval-current-env",
                             "-o", "addopts=", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


#: seconds each notebook took under nbval on a quiet 2-core machine (to balance the two lanes below)
_SECONDS = {"00": 15, "01": 7, "02": 8, "03": 20, "04": 24, "05": 26, "06": 22, "07": 16, "10": 14}


def _plain(text: str) -> str:
    """``text`` without the terminal colour codes nbval writes (escaped as ``#x1B[...m`` in JUnit XML)."""
    return re.sub(r"(#x1B|\x1b)\[[0-9;]*m", "", text)


@pytest.fixture(scope="module")
def batch_runs(request, nb201_table_path, tmp_path_factory) -> dict[str, tuple[list[str], str]]:
    """Run every notebook this session selected under nbval, in two nbval processes at once (one kernel
    each: the notebooks use one thread, the machine has two cores). Returns, per notebook file name, the
    failing cells' reports and its lane's output."""
    wanted = sorted({item.callspec.params["path"] for item in request.session.items
                     if getattr(item, "originalname", "") == "test_notebook_runs_in_batch_mode"})
    lanes: list[list[Path]] = [[], []]
    for path in sorted(wanted, key=lambda p: _SECONDS.get(p.stem[:2], 20), reverse=True):
        min(lanes, key=lambda lane: sum(_SECONDS.get(p.stem[:2], 20) for p in lane)).append(path)
    folder = tmp_path_factory.mktemp("nbval")
    procs = []
    for i, lane in enumerate(l for l in lanes if l):
        xml = folder / f"lane{i}.xml"
        procs.append((lane, xml, _nbval(["--nbval-lax", f"--junitxml={xml}", *map(str, lane)], nb201_table_path)))
    out: dict[str, tuple[list[str], str]] = {}
    for lane, xml, proc in procs:
        text = proc.communicate(timeout=900)[0]
        failures: dict[str, list[str]] = {p.name: [] for p in lane}
        if xml.exists():
            for case in ElementTree.parse(xml).getroot().iter("testcase"):
                for bad in [*case.iter("failure"), *case.iter("error")]:
                    where = case.get("classname", "") + "::" + case.get("name", "")
                    name = next((n for n in failures if n in where or Path(n).stem in where), None)
                    report = _plain(f"{where}: {bad.get('message', '')}\n{(bad.text or '')[-3000:]}")
                    failures.setdefault(name or "?", []).append(report)
        if proc.returncode != 0 and not any(failures.values()):  # nbval itself failed: blame every notebook
            failures = {p.name: [f"nbval exited {proc.returncode}"] for p in lane}
        for p in lane:
            out[p.name] = (failures[p.name] + failures.get("?", []), text)
    return out


def test_notebooks_exist():
    names = [p.name for p in ALL]
    assert {"00_quickstart.ipynb", "01_search_spaces.ipynb", "02_black_box_search.ipynb",
            "07_zero_cost.ipynb"} <= set(names)


@pytest.mark.slow
@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_notebook_runs_in_batch_mode(path, batch_runs):
    failures, output = batch_runs[path.name]
    assert not failures, "\n\n".join(failures)[-6000:] + "\n" + output[-2000:]


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
    # a reader's first sight must not be a batch run's outputs ("mode: batch")
    assert all(not c.outputs and c.execution_count is None for c in code), f"{path.name} must be stored without outputs"
    assert path.stat().st_size < 40_000


def test_papermill_sees_the_parameters():
    import papermill

    params = papermill.inspect_notebook(str(NOTEBOOKS / "02_black_box_search.ipynb"))
    assert params["interactive"]["default"] == "True"
    assert params["searcher"]["default"] == '"re"'
    assert params["seed"]["default"] == "0"
    assert params["eval_delay_s"]["help"].startswith("seconds each lookup waits")


@pytest.mark.parametrize("name", ["00_quickstart", "02_black_box_search", "03_reinforcement_learning"])
def test_live_searches_last_about_a_minute(name):
    """Interactive defaults: evaluations x delay of the live search is about a minute (batch mode waits 0 s)."""
    import papermill

    params = papermill.inspect_notebook(str(NOTEBOOKS / f"{name}.ipynb"))
    seconds = float(params["evaluations"]["default"]) * float(params["eval_delay_s"]["default"])
    assert 40 <= seconds <= 90, f"{name}: the live search lasts {seconds:.0f} s"


def test_store_fallback_comes_from_the_library(monkeypatch):
    from nasviz.notebook import notebook_store

    monkeypatch.delenv("WORKBENCH_STORE", raising=False)
    assert notebook_store("") == ":memory:" and notebook_store("runs.sqlite") == "runs.sqlite"
    monkeypatch.setenv("WORKBENCH_STORE", "/tmp/batch.sqlite")
    assert notebook_store("") == "/tmp/batch.sqlite"
    for path in ALL:
        assert 'os.environ.get("WORKBENCH_STORE")' not in path.read_text(), f"{path.name} copies the store fallback"


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
