"""Tabular benchmark data: ``load(name_or_path)`` returns a ``Table`` bound to its search space.

Where the data is looked for, in order: an explicit path; the environment variable named in
``ENV_VARS`` for that benchmark; the workbench cache folder (``WORKBENCH_CACHE``, default
``~/.cache/nas-workbench``). A missing file gives a ``DataError`` that says how to get it.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from workbench.benchmarks._table import Table, column_name, split_column_name
from workbench.errors import DataError

ENV_VARS = {"nb201": "WORKBENCH_NB201_TABLE"}
FILE_NAMES = {"nb201": "nb201_table.csv"}

_cache: dict[str, Table] = {}
_lock = threading.Lock()


def cache_dir() -> Path:
    """The folder where benchmark files are installed (``WORKBENCH_CACHE`` moves it)."""
    return Path(os.environ.get("WORKBENCH_CACHE", Path.home() / ".cache" / "nas-workbench"))


def find(name: str) -> Path:
    """The file that holds benchmark ``name``, or a DataError that says how to get it."""
    if name not in FILE_NAMES:
        raise DataError(f"unknown benchmark {name!r}; known benchmarks: {', '.join(sorted(FILE_NAMES))}")
    env = os.environ.get(ENV_VARS[name])
    if env:
        if not Path(env).is_file():
            raise DataError(f"{ENV_VARS[name]}={env} does not name a file")
        return Path(env)
    candidate = cache_dir() / "benchmarks" / FILE_NAMES[name]
    if candidate.is_file():
        return candidate
    raise DataError(
        f"benchmark {name!r} is not installed: set {ENV_VARS[name]} to the path of {FILE_NAMES[name]}, "
        f"or copy it to {candidate}"
    )


def load(name_or_path: str | os.PathLike) -> Table:
    """Load a benchmark by name ("nb201") or by path to its file; loaded tables are shared per process."""
    text = os.fspath(name_or_path)
    path = find(text) if text in FILE_NAMES else Path(text)
    key = str(Path(path).resolve())
    with _lock:
        if key not in _cache:
            _cache[key] = _read(Path(path))
        return _cache[key]


def _read(path: Path) -> Table:
    if not path.exists():
        raise DataError(f"benchmark file not found: {path}")
    if path.suffix == ".csv":
        from workbench.benchmarks.nb201_csv import read_nb201_csv

        return read_nb201_csv(path)
    raise DataError(f"cannot read benchmark file {path}: accepted formats: .csv (NB201 table)")


__all__ = ["Table", "cache_dir", "column_name", "find", "load", "split_column_name"]
