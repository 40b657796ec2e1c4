"""Ray scale-out: speed-up of a real training search on 1 vs 2 workers, and Ray's dispatch cost per trial.

    python benchmarks/ray_scaling.py [--table ../shared/data/nb201/nb201_table.csv] [--evaluations 8]

1. A random search that really trains small NB201 networks on digits, once on one Ray worker and once on
   two: the speed-up as a ratio measured in one run, next to the machine's limit (its CPU count).
2. Tabular lookups (pure bookkeeping): seconds per trial inline, on Ray with one arch per task, and on Ray
   with a batch of archs per task: Ray's per-call overhead as a ratio to the inline trial.
Each round is printed with the load average; a busy machine shows in both.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

from workbench import Budget, Run  # noqa: E402

TRAIN = {"dataset": "digits", "epochs": 2, "batch_size": 64, "device": "cpu",
         "build": {"channels": 4, "cells_per_stage": 1}}


def load() -> str:
    return "load %.2f %.2f %.2f" % os.getloadavg()


def timed_run(**kwargs) -> tuple[float, float]:
    """Seconds of the whole run, and of its steady state: first to last finished trial, per trial after the first
    (this leaves out starting Ray workers, each of which imports torch on its first evaluation)."""
    from workbench.runs import TrialFinished

    finished: list[float] = []
    run = Run(**kwargs)
    run.subscribe(lambda event: finished.append(time.perf_counter()) if isinstance(event, TrialFinished) else None)
    start = time.perf_counter()
    run.run()
    total = time.perf_counter() - start
    return total, (finished[-1] - finished[0]) / max(1, len(finished) - 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default=str(Path(__file__).resolve().parents[2] / "shared/data/nb201/nb201_table.csv"))
    parser.add_argument("--evaluations", type=int, default=12, help="training trials per search")
    parser.add_argument("--lookups", type=int, default=400, help="tabular trials per run")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    import ray

    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
    print(f"Ray {ray.__version__}, {os.cpu_count()} CPUs; {load()}")
    address = ray.get_runtime_context().gcs_address

    print("\n1. training search (NB201 C=4 N=1 on digits, 2 epochs per trial), "
          f"{args.evaluations} trials")
    speedups = []
    for r in range(args.rounds):
        common = dict(space="nb201", searcher="random", estimator="train", estimator_options=TRAIN,
                      budget=Budget(evaluations=args.evaluations), seed=r)
        one_total, one = timed_run(**common, executor="ray", executor_options={"address": address, "max_concurrent": 1})
        two_total, two = timed_run(**common, executor="ray", executor_options={"address": address, "max_concurrent": 2})
        speedups.append(one / two)
        print(f"  round {r}: 1 worker {one:.2f} s/trial ({one_total:.1f} s in all), 2 workers {two:.2f} s/trial "
              f"({two_total:.1f} s in all): steady-state speed-up {one / two:.2f}x, whole runs {one_total / two_total:.2f}x "
              f"(limit {os.cpu_count()}x); {load()}")
    print(f"  median speed-up {statistics.median(speedups):.2f}x of a possible {os.cpu_count()}x "
          f"({statistics.median(speedups) / os.cpu_count():.0%} of the limit)")

    if not Path(args.table).is_file():
        print(f"\n2. skipped: no NB201 table at {args.table}")
        return
    print(f"\n2. tabular lookups, {args.lookups} trials of RE per run")
    tab = dict(space="nb201", searcher="re", estimator="tabular",
               estimator_options={"benchmark": args.table, "dataset": "cifar10", "metric": "val_acc", "epochs": 200},
               budget=Budget(evaluations=args.lookups), seed=0)
    rows = []
    for r in range(args.rounds):
        _, inline = timed_run(**tab)
        _, per_task = timed_run(**tab, executor="ray", executor_options={"address": address, "max_concurrent": 2})
        _, batched = timed_run(**tab, executor="ray",
                               executor_options={"address": address, "max_concurrent": 2, "batch_size": 50})
        rows.append((inline, per_task, batched))
        print(f"  round {r}: inline {1e3 * inline:.3f} ms/trial, Ray 1 arch/task {1e3 * per_task:.3f} ms "
              f"({per_task / inline:.0f}x), Ray 50 archs/task {1e3 * batched:.3f} ms ({batched / inline:.0f}x); "
              f"{load()}")
    inline, per_task, batched = (statistics.median(c) for c in zip(*rows))
    print(f"  median: Ray per task {per_task / inline:.0f}x inline, batched {batched / inline:.0f}x inline; "
          f"batching saves {per_task / batched:.1f}x")
    ray.shutdown()


if __name__ == "__main__":
    main()
