"""Settings: every environment variable the workbench reads, and the defaults they override, in one place.

>>> from workbench import settings
>>> settings.batch_mode(interactive=False)
True
>>> settings.store_path("", default=":memory:")     # a notebook without a ``store`` parameter   # doctest: +SKIP
':memory:'

==========================  ==========================================================================
``WORKBENCH_BATCH``         ``1`` runs notebooks in batch mode (synchronously, text summary at the end)
``WORKBENCH_STORE``         the SQLite store of runs (CLI default ``./workbench-runs.sqlite``)
``WORKBENCH_CACHE``         the cache folder (default ``~/.cache/nas-workbench``): benchmarks, data sets
``WORKBENCH_NB201_TABLE``   a benchmark file for ``nb201`` (likewise ``_NATS_SSS_TABLE``, ``_NB101_TABLE``)
``WORKBENCH_FASHION_MNIST``  a folder of Fashion-MNIST IDX files (likewise ``WORKBENCH_MNIST``)
``WORKBENCH_NOTEBOOKS``     the notebooks ``workbench lab`` opens
``WORKBENCH_NB301_MODEL``   the NB301 surrogate's ONNX model (default in the cache folder)
==========================  ==========================================================================

This module imports nothing heavy, so any layer (data, benchmarks, runs, the CLI, nasviz) may use it.
"""
from __future__ import annotations

import os
from pathlib import Path

BATCH_ENV = "WORKBENCH_BATCH"
STORE_ENV = "WORKBENCH_STORE"
CACHE_ENV = "WORKBENCH_CACHE"
NOTEBOOKS_ENV = "WORKBENCH_NOTEBOOKS"
NB301_MODEL_ENV = "WORKBENCH_NB301_MODEL"
#: benchmark name -> the variable naming its file
TABLE_ENVS = {"nb201": "WORKBENCH_NB201_TABLE", "nats_sss": "WORKBENCH_NATS_SSS_TABLE",
              "nb101": "WORKBENCH_NB101_TABLE"}
#: data set name -> the variable naming its folder of IDX files
DATASET_ENVS = {"fashion-mnist": "WORKBENCH_FASHION_MNIST", "mnist": "WORKBENCH_MNIST"}
#: the store the command-line tools use when neither ``--store`` nor ``WORKBENCH_STORE`` is given
DEFAULT_STORE_FILE = "workbench-runs.sqlite"

_TRUE = ("1", "true", "yes", "on")


def batch_mode(interactive: bool = True) -> bool:
    """True when a notebook should run in batch mode: ``interactive`` is false or ``WORKBENCH_BATCH=1``."""
    return (not interactive) or os.environ.get(BATCH_ENV, "").strip().lower() in _TRUE


def store_path(given: str | os.PathLike | None = None, *, default: str = DEFAULT_STORE_FILE) -> str:
    """The store to use: ``given`` if not empty, else ``$WORKBENCH_STORE``, else ``default``.

    The command-line tools keep the default (a file in the current folder); notebooks pass
    ``default=":memory:"`` so that an interactive session leaves no file behind unless asked to.
    """
    if given:
        return os.fspath(given)
    return os.environ.get(STORE_ENV) or default


def cache_dir() -> Path:
    """The workbench's cache folder (``WORKBENCH_CACHE`` moves it): benchmarks, downloads, data sets, models."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "nas-workbench")


def table_env(name: str) -> str:
    """The environment variable that names benchmark ``name``'s file (``WORKBENCH_<NAME>_TABLE``)."""
    return TABLE_ENVS.get(name, f"WORKBENCH_{name.upper().replace('-', '_')}_TABLE")


def dataset_env(name: str) -> str:
    """The environment variable that names data set ``name``'s folder (``WORKBENCH_<NAME>``)."""
    return DATASET_ENVS.get(name, f"WORKBENCH_{name.upper().replace('-', '_')}")


__all__ = ["BATCH_ENV", "CACHE_ENV", "DATASET_ENVS", "DEFAULT_STORE_FILE", "NB301_MODEL_ENV", "NOTEBOOKS_ENV", "STORE_ENV",
           "TABLE_ENVS", "batch_mode", "cache_dir", "dataset_env", "store_path", "table_env"]
