"""The ``workbench`` command. Each subcommand lives in ``workbench/commands/<name>.py`` and defines
``add_parser(subparsers)`` (which sets ``func``); a new module there is a new subcommand.

Errors the user can fix (unknown names, a bad budget, a missing file) end with one line and exit 2.
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from workbench.errors import WorkbenchError


def build_parser() -> argparse.ArgumentParser:
    from workbench import __version__, commands

    parser = argparse.ArgumentParser(prog="workbench", description="NAS Workbench: neural architecture search, live and in batch.")
    parser.add_argument("--version", action="version", version=f"nas-workbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"workbench.commands.{info.name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at exit
        return code
    except BrokenPipeError:  # `workbench ... | head`: the reader has gone; stop quietly, like SIGPIPE would
        _silence_stdout()
        return 141
    except KeyboardInterrupt:
        print("workbench: interrupted", file=sys.stderr)
        return 130
    except (WorkbenchError, KeyError, ValueError, OSError, TypeError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"workbench: error: {message}", file=sys.stderr)
        return 2


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that Python's flush at exit does not fail on the closed pipe again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
