"""The tabular path against its numpy floor: per-lookup ratios, and 500 RE searches of 200 evaluations.

    OMP_NUM_THREADS=1 python benchmarks/tabular_overhead.py [--table ../shared/data/nb201/nb201_table.csv]
                                                            [--runs 500] [--evals 200] [--rounds 5]

Part 1, per lookup, as a ratio to a raw numpy lookup ``float(column[row])`` measured in the same round
(the three alternate in blocks of 250 lookups; each takes its fastest block, the one no other process broke):
``table.query(arch_text, dataset, metric, epochs)`` and the tabular estimator's ``evaluate(arch)`` (rounds
after the first see archs the shared index has resolved before; round 1 is first sight).

Part 2, 500 searches of the NB201 paper's RE protocol (population 10, tournament of 3, one-edge mutation,
200 evaluations, CIFAR-10 validation accuracy after 200 epochs):
- the floor: a vectorised numpy RE that runs all searches in lockstep;
- the README's way: one ``Run(space="nb201", searcher="re", estimator="tabular", estimator_options=...)``
  per search, every trial recorded in the run's in-memory store;
- the study API, ``workbench.study(..., record="trials")`` (every trial in one store) and
  ``record="summary"`` (only each search's best).
Every round is printed with the load average (the machine is shared), then the median; part 2 gives wall
and CPU seconds (this process's own), and its ratios use CPU seconds, the steadier figure under load.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from pathlib import Path

import numpy as np

from workbench import Run, estimators, spaces, study
from workbench.runs import Store

DEFAULT_TABLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "nb201" / "nb201_table.csv"


def load() -> str:
    return "load %.2f %.2f %.2f" % os.getloadavg()


def per_lookup(table, est, space, n: int = 20000, seed: int = 0, block: int = 250) -> tuple[float, float, float]:
    """Seconds per raw lookup, per ``table.query`` by text and per ``est.evaluate`` by arch tuple: the three
    alternate in blocks of ``block`` lookups, and each takes its fastest block (a shared machine preempts
    processes for milliseconds at a time; the fastest block is the one that ran undisturbed)."""
    column = table.column("cifar10", "val_acc", 200)
    rows = np.random.default_rng(seed).integers(0, len(table), size=n).tolist()
    texts = [str(table.arch_strings[r]) for r in rows]
    archs = [space.from_string(t) for t in texts]
    query, evaluate, clock = table.query, est.evaluate, time.perf_counter
    best = [math.inf, math.inf, math.inf]
    for lo in range(0, n, block):
        t0 = clock()
        for r in rows[lo:lo + block]:
            float(column[r])
        t1 = clock()
        for s in texts[lo:lo + block]:
            query(s, "cifar10", "val_acc", 200)
        t2 = clock()
        for a in archs[lo:lo + block]:
            evaluate(a)
        t3 = clock()
        best = [min(best[0], t1 - t0), min(best[1], t2 - t1), min(best[2], t3 - t2)]
    return best[0] / block, best[1] / block, best[2] / block


def numpy_re(code_to_row: np.ndarray, column: np.ndarray, runs: int, evals: int, seed: int = 0,
             population: int = 10, sample: int = 3) -> tuple[float, np.ndarray]:
    """RE of the NB201 paper, all ``runs`` searches at once in numpy; returns (seconds, best value per search)."""
    t = time.perf_counter()
    rng = np.random.default_rng(seed)
    place = 5 ** np.arange(5, -1, -1)                                   # code = base-5 digits, edge 0 first
    pop = rng.integers(0, 5, size=(runs, population, 6))                # the random first generation
    vals = column[code_to_row[pop @ place]]
    best = vals.max(axis=1)
    everyone = np.arange(runs)
    for step in range(population, evals):
        picks = np.argsort(rng.random((runs, population)), axis=1)[:, :sample]   # `sample` distinct members
        parent = picks[everyone, vals[everyone[:, None], picks].argmax(axis=1)]
        child = pop[everyone, parent].copy()
        edge = rng.integers(0, 6, size=runs)
        child[everyone, edge] = (child[everyone, edge] + rng.integers(1, 5, size=runs)) % 5   # another op
        value = column[code_to_row[child @ place]]
        oldest = step % population                                     # aging: the oldest member dies
        pop[:, oldest], vals[:, oldest] = child, value
        np.maximum(best, value, out=best)
    return time.perf_counter() - t, best


def timed(fn, *args):
    """(wall seconds, CPU seconds of this process, fn's result): on a shared machine the CPU time is the
    steadier figure (it leaves out the time other processes held the cores)."""
    w, c = time.perf_counter(), time.process_time()
    out = fn(*args)
    return time.perf_counter() - w, time.process_time() - c, out


def readme_way(table_path: str, runs: int, evals: int) -> float:
    options = {"benchmark": table_path, "dataset": "cifar10", "metric": "val_acc", "epochs": 200}
    best = [Run(space="nb201", searcher="re", estimator="tabular", estimator_options=options, budget=evals,
                seed=s).run().best.objective for s in range(runs)]
    return float(np.mean(best))


def study_way(est, space, runs: int, evals: int, record: str, store=None) -> float:
    out = study(space=space, searchers=["re"], seeds=runs, estimator=est, budget=evals, record=record, store=store)
    return float(np.mean(out.values("re")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default=os.environ.get("WORKBENCH_NB201_TABLE", str(DEFAULT_TABLE)))
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--evals", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    table_path = str(args.table)

    space = spaces.create("nb201")
    t = time.perf_counter()
    est = estimators.create("tabular", space=space, benchmark=table_path, dataset="cifar10", metric="val_acc",
                            epochs=200)
    first_s = time.perf_counter() - t
    t = time.perf_counter()
    estimators.create("tabular", space=space, benchmark=table_path, dataset="cifar10", metric="val_acc", epochs=200)
    second_s = time.perf_counter() - t
    table = est.table
    print(f"tabular estimator: first {first_s * 1e3:.1f} ms (reads the table, builds the shared index), "
          f"then {second_s * 1e3:.2f} ms each ({load()})")

    print("\nper lookup (20,000 random archs in blocks of 250, alternating; each method's fastest block), "
          "ratio to the raw numpy lookup in the same round:")
    q_ratios, e_ratios = [], []
    for r in range(args.rounds):
        raw, q, e = per_lookup(table, est, space, seed=r)
        q_ratios.append(q / raw)
        e_ratios.append(e / raw)
        print(f"  round {r + 1}: raw {raw * 1e9:6.0f} ns  query {q * 1e9:6.0f} ns ({q / raw:5.1f}x)  "
              f"evaluate {e * 1e9:6.0f} ns ({e / raw:5.1f}x)  {'first sight  ' if r == 0 else ''}{load()}")
    print(f"  median: query {statistics.median(q_ratios):.1f}x, evaluate {statistics.median(e_ratios):.1f}x "
          f"the raw lookup")

    code_to_row = est._index.code_to_row
    column = np.asarray(table.column("cifar10", "val_acc", 200), dtype=np.float64)
    print(f"\n{args.runs} RE searches x {args.evals} evaluations (mean best val_acc@200 in brackets):")
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    names = {"floor": "numpy floor", "summary": "study, summaries", "recorded": "study, every trial in one store",
             "readme": "README way (a Run per search, every trial recorded)"}
    for r in range(args.rounds):
        store = Store()
        jobs = {"floor": (lambda: float(numpy_re(code_to_row, column, args.runs, args.evals, seed=r)[1].mean()),),
                "summary": (study_way, est, space, args.runs, args.evals, "summary"),
                "recorded": (study_way, est, space, args.runs, args.evals, "trials", store),
                "readme": (readme_way, table_path, args.runs, args.evals)}
        parts = []
        for key, job in jobs.items():
            wall, cpu, mean_best = timed(*job)
            walls.setdefault(key, []).append(wall)
            cpus.setdefault(key, []).append(cpu)
            ratio = "" if key == "floor" else f" = {cpu / cpus['floor'][-1]:.1f}x"
            parts.append(f"{key} {wall:.2f} s wall / {cpu:.2f} s CPU{ratio} [{mean_best:.2f}]")
        store.close()
        print(f"  round {r + 1}: " + "; ".join(parts) + f"   {load()}")
    print(f"  medians ({load()}); ratios of CPU seconds to the numpy floor's:")
    floor_cpu = statistics.median(cpus["floor"])
    for key, label in names.items():
        wall, cpu = statistics.median(walls[key]), statistics.median(cpus[key])
        print(f"    {label:<52} {wall:7.2f} s wall {cpu:7.2f} s CPU  {cpu / floor_cpu:6.1f}x")


if __name__ == "__main__":
    main()
