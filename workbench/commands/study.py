"""``workbench study``: N seeds x M searchers over one benchmark table in one process (``workbench.study``)."""
from __future__ import annotations

import argparse
import csv
import os
import sys

from workbench.commands import default_store, parse_options


def add_parser(sub) -> None:
    p = sub.add_parser("study", help="many searches (seeds x searchers) over one table in one process",
                       description="Run every searcher once per seed on one tabular benchmark, as the NB201 paper's "
                                   "500-search protocol; prints mean and std of the best objective per searcher.")
    p.add_argument("--space", default="nb201", help="search space name (default nb201)")
    p.add_argument("--searchers", default="random,re", help="comma-separated searcher names (default random,re)")
    p.add_argument("--seeds", type=int, default=10, help="searches per searcher: run seeds 0..N-1 (default 10)")
    p.add_argument("--budget", default="100", help="evaluations (e.g. 200) or name=value pairs, as `workbench run`")
    p.add_argument("--table", default=None, help="benchmark file or name (sets estimator benchmark=)")
    p.add_argument("--estimator-opt", action="append", metavar="K=V", help="tabular estimator option (repeatable)")
    p.add_argument("--summary", action="store_true",
                   help="record only each search's summary (no store; fastest) instead of every trial")
    p.add_argument("--store", default=None, help="SQLite store for every trial (default $WORKBENCH_STORE or "
                                                  "./workbench-runs.sqlite); not used with --summary")
    p.add_argument("--out", default=None, help="write one CSV row per search here")
    p.set_defaults(func=_study)


def _study(args: argparse.Namespace) -> int:
    from workbench.runs import Budget
    from workbench.studies import study

    options = parse_options(args.estimator_opt, "estimator")
    if args.table:
        if not os.path.exists(args.table) and os.sep in args.table:
            raise FileNotFoundError(f"benchmark file not found: {args.table}")
        options["benchmark"] = args.table
    names = [n for n in args.searchers.split(",") if n]
    store = None if args.summary else (args.store or default_store())
    result = study(space=args.space, searchers=names, seeds=args.seeds, estimator="tabular", estimator_options=options,
                   budget=Budget.parse(args.budget), record="summary" if args.summary else "trials", store=store)
    print(f"{len(result.summaries)} searches in {result.seconds:.2f} s"
          + (f"; every trial in {result.store.path}" if result.store is not None else ""), file=sys.stderr)
    print(f"{'searcher':<12} {'runs':>5} {'evaluations':>11}  best objective (mean +- std)")
    for row in result.table():
        print(f"{row['searcher']:<12} {row['runs']:>5} {row['evaluations']:>11.0f}  {row['mean']:.4g} +- {row['std']:.3g}")
    if args.out:
        rows = result.rows()
        fields = list(dict.fromkeys(k for r in rows for k in r))
        with open(args.out, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
    return 0
