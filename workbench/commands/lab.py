"""``workbench lab``: start JupyterLab on the workbench's notebooks.

Where the notebooks are looked for, in order: ``--dir``; ``$WORKBENCH_NOTEBOOKS``; ``./notebooks`` in the
current folder; the ``notebooks`` folder of the source checkout this package runs from; the copy an
installed package keeps in ``<prefix>/share/nas-workbench/notebooks``.

On POSIX systems the command becomes JupyterLab (``exec``): ``kill <pid>`` or Ctrl-C reach the server itself,
which shuts its kernels down and frees its port. Elsewhere it runs JupyterLab as a child and forwards
Ctrl-C and termination to it, waiting for it to clean up.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from workbench.settings import NOTEBOOKS_ENV as ENV_VAR


def notebook_dir_candidates() -> list[tuple[str, Path]]:
    import workbench

    found = []
    if os.environ.get(ENV_VAR):
        found.append((f"${ENV_VAR}", Path(os.environ[ENV_VAR])))
    found.append(("the current folder", Path.cwd() / "notebooks"))
    found.append(("the source checkout", Path(workbench.__file__).resolve().parents[1] / "notebooks"))
    found.append(("the installed package", Path(sys.prefix) / "share" / "nas-workbench" / "notebooks"))
    return found


def find_notebooks(directory: str | os.PathLike | None = None) -> Path:
    """The folder of notebooks to open; a clear error lists where it looked."""
    if directory is not None:
        path = Path(directory).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(f"--dir {directory}: no such folder")
        return path.resolve()
    candidates = notebook_dir_candidates()
    for _, path in candidates:
        if path.is_dir() and any(path.glob("*.ipynb")):
            return path.resolve()
    looked = "; ".join(f"{what}: {path}" for what, path in candidates)
    raise FileNotFoundError(f"no workbench notebooks found (looked in {looked}); pass --dir FOLDER, or run "
                            f"from a checkout of the repository")


def lab_command(directory: Path, *, port: int | None = None, no_browser: bool = False,
                extra: list[str] | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={directory}"]
    if port is not None:
        cmd.append(f"--ServerApp.port={port}")
    if no_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers often run as root; JupyterLab refuses without this
    return cmd + list(extra or [])


def add_parser(sub) -> None:
    p = sub.add_parser("lab", help="start JupyterLab on the workbench notebooks",
                       description="Start JupyterLab on the workbench's notebooks (arguments after -- go to "
                                   "JupyterLab).")
    p.add_argument("--dir", default=None, help="folder of notebooks to open (default: found automatically)")
    p.add_argument("--port", type=int, default=None, help="port for the server (default JupyterLab's 8888 or next free)")
    p.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    p.add_argument("--dry-run", action="store_true", help="print the command and exit")
    p.add_argument("jupyter_args", nargs=argparse.REMAINDER, help="further JupyterLab options, after --")
    p.set_defaults(func=_lab)


def _lab(args: argparse.Namespace) -> int:
    directory = find_notebooks(args.dir)
    extra = [a for a in args.jupyter_args if a != "--"]
    cmd = lab_command(directory, port=args.port, no_browser=args.no_browser, extra=extra)
    print(f"notebooks: {directory}", file=sys.stderr)
    if args.dry_run:
        print(" ".join(cmd))
        return 0
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execvp(cmd[0], cmd)  # never returns: this process is JupyterLab from here on
    return run_forwarding_signals(cmd)


def run_forwarding_signals(cmd: list[str], grace_s: float = 30.0) -> int:
    """Run ``cmd`` as a child; pass SIGINT/SIGTERM on to it and wait for it to shut down (its kernels with it),
    killing it only if it has not ended ``grace_s`` seconds after the signal."""
    child = subprocess.Popen(cmd)

    def forward(signum, _frame):
        if child.poll() is None:
            child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return child.wait()  # signals arrive in forward(); the child decides when it is done
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if child.poll() is None:
            try:
                child.wait(grace_s)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
