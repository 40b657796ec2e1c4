"""``workbench run``: one search from the command line, with a progress bar; ``--resume ID`` continues one."""
from __future__ import annotations

import argparse
import os
import sys
import time

from workbench.commands import default_store, parse_options, parse_seed


def add_parser(sub) -> None:
    p = sub.add_parser("run", help="run a search (or resume one) and record it in a store",
                       description="Run a black-box search: a space, a searcher and an estimator under a budget.")
    p.add_argument("--space", default="nb201", help="search space name (default nb201)")
    p.add_argument("--searcher", default="re", help="searcher name (default re)")
    p.add_argument("--estimator", default="tabular", help="estimator name (default tabular)")
    p.add_argument("--budget", default=None, help="evaluations (e.g. 200) or name=value pairs: evaluations, sim_seconds, wall_seconds")
    p.add_argument("--seed", default="0", help="the run's seed, an integer in 0..2**63-1 (default 0)")
    p.add_argument("--store", default=None, help="SQLite store (default $WORKBENCH_STORE or ./workbench-runs.sqlite)")
    p.add_argument("--name", default=None, help="a label for the run")
    p.add_argument("--table", default=None, help="benchmark file or name for the tabular estimator (sets estimator benchmark=)")
    p.add_argument("--space-opt", action="append", metavar="K=V", help="space option (repeatable)")
    p.add_argument("--searcher-opt", action="append", metavar="K=V", help="searcher hyperparameter (repeatable)")
    p.add_argument("--estimator-opt", action="append", metavar="K=V", help="estimator option (repeatable)")
    p.add_argument("--executor", default=None, choices=("inline", "ray"),
                   help="where evaluations run: in this process (inline, the default) or on a Ray cluster (ray)")
    p.add_argument("--executor-opt", action="append", metavar="K=V",
                   help="executor option (repeatable), e.g. address=HOST:6379, max_concurrent=4, num_gpus=1")
    p.add_argument("--resume", metavar="RUN_ID", default=None, help="continue a stored run (Run.restore) to its budget (or --budget)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from workbench.runs import Budget, Run, RunStatus, Store

    store = Store(args.store or default_store())
    budget = Budget.parse(args.budget) if args.budget is not None else None
    if args.resume:
        run = Run.restore(args.resume, store=store, budget=budget)
    else:
        est_opts = parse_options(args.estimator_opt, "estimator")
        if args.table:
            if not os.path.exists(args.table) and os.sep in args.table:
                raise FileNotFoundError(f"benchmark file not found: {args.table}")
            est_opts["benchmark"] = args.table
        run = Run(space=args.space, searcher=args.searcher, estimator=args.estimator, budget=budget or Budget(evaluations=100),
                  seed=parse_seed(args.seed), store=store, name=args.name, space_options=parse_options(args.space_opt, "space"),
                  searcher_options=parse_options(args.searcher_opt, "searcher"), estimator_options=est_opts,
                  executor=args.executor, executor_options=parse_options(args.executor_opt, "executor"))
    show = not args.quiet
    print(f"run {run.id}: {run.config['searcher']['name'] if run.kind == 'search' else run.config['strategy']['name']}"
          f" on {run.space.name}, budget {run.budget}, seed {run.seed}, store {store.path}", file=sys.stderr)
    run.start()
    try:
        while not run.status.final:
            if show:
                _draw(run)
            time.sleep(0.1)
    except KeyboardInterrupt:
        run.stop()
        print("\nstopping after the current evaluation ...", file=sys.stderr)
    run.join()
    if show:
        _draw(run)
        print(file=sys.stderr)
    best = run.best
    if best is not None:
        print(f"best: {best.objective:.4g}  {best.arch}  (trial {best.number}, {len(run.trials)} trials, run {run.id})")
    return 0 if run.status in (RunStatus.FINISHED, RunStatus.STOPPED) else 1


def _draw(run) -> None:
    frac = run.fraction_done()
    width = 30
    bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
    best = f"best {run.best.objective:.4g}" if run.best else ""
    sys.stderr.write(f"\r[{bar}] {100 * frac:5.1f}%  {len(run.trials)} trials  {best}  {run.status}   ")
    sys.stderr.flush()
