"""Subcommands of the ``workbench`` command, one module each (see ``workbench.cli``)."""
from __future__ import annotations

import json

from workbench.settings import store_path


def default_store() -> str:
    """The store a command uses when none is given: ``$WORKBENCH_STORE`` or ``workbench-runs.sqlite`` here."""
    return store_path()


def parse_options(pairs: list[str] | None, what: str) -> dict:
    """``["k=v", ...]`` into a dict; values are read as JSON where they parse (numbers, lists, true), else text."""
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"{what} option {pair!r} must look like name=value")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out
