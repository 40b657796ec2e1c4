"""``workbench batch NOTEBOOK -p NAME V1,V2 ... --jobs N --out DIR``: rerun a notebook over a grid."""
from __future__ import annotations

import argparse
import sys


def add_parser(sub) -> None:
    p = sub.add_parser(
        "batch", help="rerun a notebook over a grid of parameters (papermill), in parallel, into one store",
        description="Run NOTEBOOK once per combination of the -p values, in batch mode, N at a time. Every job "
                    "writes its runs to DIR/runs.sqlite; DIR/results.csv holds one row per job, DIR/comparison.html "
                    "compares the methods, DIR/notebooks/ the executed notebooks. A failed job is reported and the "
                    "others finish.")
    p.add_argument("notebook", help="the notebook to run, e.g. notebooks/02_black_box_search.ipynb")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUES"), default=[],
                   help="a notebook parameter and its comma-separated values (repeatable), e.g. -p seed 0,1,2")
    p.add_argument("--jobs", "-j", type=int, default=1, help="jobs run at once, each in its own process (default 1)")
    p.add_argument("--out", "-o", required=True, help="folder for the store, results.csv, comparison.html, notebooks")
    p.add_argument("--kernel", default=None, help="Jupyter kernel name (default: the notebook's own, python3)")
    p.add_argument("--timeout", type=float, default=None, help="seconds one cell may take (default: no limit)")
    p.add_argument("--no-figure", action="store_true", help="do not draw comparison.html")
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="where jobs run: processes here (local, the default) or Ray tasks on a cluster (ray)")
    p.add_argument("--address", default=None,
                   help="the Ray cluster for --executor ray (default: RAY_ADDRESS, else a local Ray)")
    p.set_defaults(func=_batch)


def _batch(args: argparse.Namespace) -> int:
    from pathlib import Path

    from workbench.batch import Grid, check_grid, format_table, run_batch

    grid = Grid.parse(args.parameter)
    if Path(args.notebook).is_file():
        check_grid(args.notebook, grid)  # before any output: an unknown parameter is one line
    print(f"{len(grid)} job(s) of {args.notebook}, {args.jobs} at a time, into {args.out}", file=sys.stderr)

    def done(result) -> None:
        note = "ok" if result.status == "ok" else f"FAILED: {result.error}"
        print(f"  [{result.index + 1}/{len(grid)}] {result.label}: {note} ({result.seconds:.1f} s)", file=sys.stderr)

    report = run_batch(args.notebook, grid, out=args.out, jobs=args.jobs, kernel=args.kernel, timeout_s=args.timeout,
                       on_done=done, figure=not args.no_figure, executor=args.executor,
                        address=args.address)
    print(format_table(report.rows, grid.names))
    print(f"results: {report.csv_path}")
    if report.figure_path:
        print(f"comparison: {report.figure_path}")
    elif report.figure_error:
        print(report.figure_error, file=sys.stderr)
    if report.failed:
        print(f"{len(report.failed)} of {len(report.rows)} job(s) failed", file=sys.stderr)
        return 1
    return 0
