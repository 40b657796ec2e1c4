"""One settings place, lazy subpackages, one NB201 vocabulary, and a layering without sideways imports."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from workbench import settings

ROOT = Path(__file__).resolve().parents[1]


def test_store_path_precedence(monkeypatch):
    monkeypatch.delenv(settings.STORE_ENV, raising=False)
    assert settings.store_path() == "workbench-runs.sqlite"
    assert settings.store_path("", default=":memory:") == ":memory:"
    monkeypatch.setenv(settings.STORE_ENV, "/tmp/env.sqlite")
    assert settings.store_path("") == settings.store_path(None, default=":memory:") == "/tmp/env.sqlite"
    assert settings.store_path("given.sqlite") == "given.sqlite"


def test_one_cache_dir_for_benchmarks_data_and_models(monkeypatch, tmp_path):
    from workbench import benchmarks
    from workbench.data._loaders import data_root
    from workbench.estimators.surrogate import default_model_path

    monkeypatch.setenv(settings.CACHE_ENV, str(tmp_path))
    assert settings.cache_dir() == benchmarks.cache_dir() == tmp_path
    assert benchmarks.benchmarks_dir() == tmp_path / "benchmarks"
    assert data_root() == tmp_path / "datasets"
    assert default_model_path().parent == tmp_path / "nb301"
    monkeypatch.delenv(settings.CACHE_ENV)
    assert settings.cache_dir() == Path.home() / ".cache" / "nas-workbench"


def test_environment_variable_names_are_spelt_once():
    from workbench import batch, benchmarks
    from workbench.commands import lab
    from workbench.data import _loaders

    from workbench.estimators import surrogate

    assert batch.BATCH_ENV is settings.BATCH_ENV and lab.ENV_VAR is settings.NOTEBOOKS_ENV
    assert surrogate.ENV_VAR is settings.NB301_MODEL_ENV
    assert benchmarks.ENV_VARS is settings.TABLE_ENVS and _loaders.ENV_VARS is settings.DATASET_ENVS
    assert settings.table_env("nb201") == "WORKBENCH_NB201_TABLE" and settings.table_env("my-bench") == "WORKBENCH_MY_BENCH_TABLE"


def test_notebook_helpers_use_the_settings(monkeypatch):
    notebook = pytest.importorskip("nasviz.notebook")
    assert notebook.BATCH_ENV is settings.BATCH_ENV and notebook.batch_mode is settings.batch_mode
    monkeypatch.delenv(settings.STORE_ENV, raising=False)
    assert notebook.notebook_store("") == ":memory:" and notebook.notebook_store("x.sqlite") == "x.sqlite"


def test_missing_table_message_says_exactly_what_works(tmp_path):
    notebook = pytest.importorskip("nasviz.notebook")
    from workbench.errors import DataError

    with pytest.raises(DataError) as err:
        notebook.find_nb201_table(tmp_path / "nowhere.csv")
    message = str(err.value)
    for works in ("workbench bench download nats-tss --allow-pickle", "workbench bench import PATH --name nb201",
                  "WORKBENCH_NB201_TABLE=/path/to/nb201_table.csv workbench lab", "nb201_table = "):
        assert works in message
    from workbench.benchmarks.download import SOURCES

    assert SOURCES["nats-tss"].benchmark == "nb201"  # the download the message names installs this table


def _fresh_python(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_subpackages_load_on_attribute_access_without_torch():
    out = _fresh_python(
        "import sys, workbench as wb\n"
        "assert 'workbench.spaces' not in sys.modules\n"
        "assert wb.spaces.create('nb201').size() == 15625\n"
        "assert not {'torch', 'scipy'} & set(sys.modules)\n"
        "assert wb.searchers.names() and wb.estimators.names() and wb.benchmarks.cache_dir()\n"
        "assert wb.Run.__name__ == 'Run' and wb.RunStatus.PAUSED == 'paused' and wb.Result.__name__ == 'Result'\n"
        "assert {'runs', 'spaces', 'oneshot'} <= set(dir(wb))\n"
        "try:\n    wb.nothing\nexcept AttributeError as e:\n    print(e)\n"
        "print(sorted(m for m in ('torch', 'nasviz', 'plotly') if m in sys.modules))")
    assert out.splitlines() == ["module 'workbench' has no attribute 'nothing'", "[]"]


def test_data_does_not_import_benchmarks():
    out = _fresh_python("import sys, workbench.data\nprint('workbench.benchmarks' in sys.modules)")
    assert out == "False"


def test_nb201_ops_and_edges_are_written_once():
    """The space, the networks and the supernet import them from ``workbench.vocabulary`` (torch-free)."""
    from workbench.spaces import nb201
    from workbench.vocabulary import NB201_EDGES, NB201_OP_NAMES

    assert nb201.OPS is NB201_OP_NAMES and nb201.EDGES is NB201_EDGES
    spelt = [p.relative_to(ROOT).as_posix() for p in (ROOT / "workbench").rglob("*.py")
             if '"nor_conv_1x1", "nor_conv_3x3"' in p.read_text() or "(0, 1), (0, 2), (1, 2)" in p.read_text()]
    assert spelt == ["workbench/vocabulary.py"]
