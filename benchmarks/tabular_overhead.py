"""Per-evaluation overhead of a Run of regularized evolution on the tabular estimator, as a ratio to a raw
numpy index lookup measured in the same process; and the wall time of 500 RE runs of 200 evaluations.

    python benchmarks/tabular_overhead.py [--table ../shared/data/nb201/nb201_table.csv] [--runs 500]

What a tabular evaluation must do beyond the lookup: the searcher's ask/tell, validating the arch, building
the Result, the trial record, events, and the store's transaction. The ratio says what that costs.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from workbench import Run, estimators, spaces
from workbench.runs import Store

DEFAULT_TABLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "nb201" / "nb201_table.csv"


def raw_lookup_seconds(column: np.ndarray, n: int = 200_000) -> float:
    """Seconds per lookup of one value by row index, the floor of any tabular evaluation."""
    rows = np.random.default_rng(0).integers(0, len(column), size=n).tolist()
    start = time.perf_counter()
    total = 0.0
    for r in rows:
        total += float(column[r])
    return (time.perf_counter() - start) / n


def ask_tell_seconds(space, est, runs: int, evals: int) -> float:
    """Seconds per evaluation of the bare loop: searcher + estimator, no Run, no store."""
    from workbench import searchers

    start = time.perf_counter()
    for seed in range(runs):
        s = searchers.create("re", space=space, seed=seed)
        for _ in range(evals):
            arch = s.ask()
            s.tell(arch, est.evaluate(arch))
    return (time.perf_counter() - start) / (runs * evals)


def run_seconds(space, est, runs: int, evals: int, store_factory) -> tuple[float, float]:
    start = time.perf_counter()
    for seed in range(runs):
        Run(space=space, searcher="re", estimator=est, budget=evals, seed=seed, store=store_factory()).run()
    wall = time.perf_counter() - start
    return wall / (runs * evals), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default=os.environ.get("WORKBENCH_NB201_TABLE", DEFAULT_TABLE))
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--evals", type=int, default=200)
    args = parser.parse_args()

    space = spaces.create("nb201")
    est = estimators.create("tabular", space=space, benchmark=str(args.table), dataset="cifar10", metric="val_acc",
                            epochs=200)
    column = est.table.column("cifar10", "val_acc", 200)
    raw = raw_lookup_seconds(column)
    bare = ask_tell_seconds(space, est, runs=50, evals=args.evals)
    per_eval_mem, wall_mem = run_seconds(space, est, args.runs, args.evals, lambda: Store(":memory:"))
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"tabular_overhead_{os.getpid()}.sqlite"
    per_eval_file, wall_file = run_seconds(space, est, max(1, args.runs // 5), args.evals, lambda: Store(tmp))
    for suffix in ("", "-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)

    print(f"raw numpy index lookup           {raw * 1e6:9.3f} us")
    print(f"bare RE ask/evaluate/tell        {bare * 1e6:9.1f} us/eval   ratio to raw lookup {bare / raw:8.0f}x")
    print(f"Run, in-memory store             {per_eval_mem * 1e6:9.1f} us/eval   ratio to raw lookup {per_eval_mem / raw:8.0f}x")
    print(f"Run, SQLite file store (WAL)     {per_eval_file * 1e6:9.1f} us/eval   ratio to raw lookup {per_eval_file / raw:8.0f}x")
    print(f"{args.runs} RE runs x {args.evals} evaluations (in-memory store): {wall_mem:.2f} s wall")


if __name__ == "__main__":
    main()
