"""Shared fixtures: where the real NAS-Bench data lives (``../shared/data``), and skips that say why."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

# The tests' networks are tiny: one OpenMP thread runs them as fast as two, and stays fast when another job
# holds the second core (two threads then spin against it). Set before torch is imported; a value given by
# the caller wins.
os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("WORKBENCH_SHARED_DATA", ROOT.parent / "shared" / "data"))
NB201_TABLE = SHARED_DATA / "nb201" / "nb201_table.csv"
FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


SHARED_HOW = ("the benchmark data lives in ../shared/data beside the repository, or where WORKBENCH_SHARED_DATA "
              "points (see the README's 'Running the tests')")


def need(path: Path, what: str, how: str = SHARED_HOW) -> Path:
    """``path``, or skip the test saying what is missing, where it was looked for and how to get it."""
    if not path.exists():
        pytest.skip(f"{what} not found at {path}: {how}")
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return need(SHARED_DATA, "shared NAS benchmark data")


@pytest.fixture(scope="session")
def nb201_table_path() -> Path:
    return need(NB201_TABLE, "NB201 table CSV")


@pytest.fixture(scope="session")
def nb201_table(nb201_table_path):
    from workbench import benchmarks

    return benchmarks.load(nb201_table_path)


@pytest.fixture(scope="session")
def nb201():
    from workbench import spaces

    return spaces.create("nb201")


@pytest.fixture(scope="session")
def fashion_mnist_dir() -> Path:
    return need(FASHION_MNIST, "Fashion-MNIST IDX files",
                "install Debian's dataset-fashion-mnist package (apt-get install dataset-fashion-mnist)")


@pytest.fixture()
def store_path(tmp_path) -> Path:
    return tmp_path / "runs.sqlite"
