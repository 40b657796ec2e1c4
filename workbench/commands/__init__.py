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


def parse_seed(text: str) -> int:
    """``--seed`` text as an integer in 0..2**63-1 (``workbench.validate.SEED_MAX``); else one clear error."""
    from workbench.validate import OptionError, check_seed

    text = str(text).strip()
    if len(text) > 25 or not text.lstrip("+-").isdigit():
        raise OptionError(f"--seed {text[:40]!r} is not an integer in 0..2**63-1")
    return check_seed(int(text), "--seed")


def write_output(path: str, text: str) -> None:
    """Write ``text`` to ``path``; an unwritable path is one clear line naming it."""
    try:
        with open(path, "w", newline="") as f:
            f.write(text)
    except OSError as exc:
        raise OSError(f"cannot write {path}: {exc.strerror or exc}") from None
