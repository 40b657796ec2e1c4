"""The tabular path against its numpy floor: per-lookup ratios, and 500 RE searches of 200 evaluations.

    OMP_NUM_THREADS=1 python benchmarks/tabular_overhead.py [--table ../shared/data/nb201/nb201_table.csv]
                                                            [--runs 500] [--evals 200] [--rounds 5]

Part 1, per lookup, as a ratio to a raw numpy lookup ``float(column[row])`` measured in the same round:
``table.query(arch_text, dataset, metric, epochs)`` and the tabular estimator's ``evaluate(arch)`` (rounds
after the first see archs the shared index has resolved before; round 1 is first sight).

Part 2, 500 searches of the NB201 paper's RE protocol (population 10, tournament of 3, one-edge mutation,
200 evaluations, CIFAR-10 validation accuracy after 200 epochs):
- the floor: a vectorised numpy RE that runs all searches in lockstep;
- the README's way: one ``Run(space="nb201", searcher="re", estimator="tabular", estimator_options=...)``
  per search, every trial recorded in the run's in-memory store;
- the study API, ``workbench.study(..., record="trials")`` (every trial in one store) and
  ``record="summary"`` (only each search's best).
Every round is printed with the load average (the machine is shared), then the median.
"""
from __future__ import annotations

import argparse
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


def per_lookup(table, est, space, n: int = 20000, seed: int = 0) -> tuple[float, float, float]:
    """Seconds per raw lookup, per ``table.query`` by text, per ``est.evaluate`` by arch tuple."""
    column = table.column("cifar10", "val_acc", 200)
    rows = np.random.default_rng(seed).integers(0, len(table), size=n).tolist()
    texts = [str(table.arch_strings[r]) for r in rows]
    archs = [space.from_string(t) for t in texts]
    query, evaluate = table.query, est.evaluate
    t = time.perf_counter()
    for r in rows:
        float(column[r])
    raw = time.perf_counter() - t
    t = time.perf_counter()
    for s in texts:
        query(s, "cifar10", "val_acc", 200)
    q = time.perf_counter() - t
    t = time.perf_counter()
    for a in archs:
        evaluate(a)
    e = time.perf_counter() - t
    return raw / n, q / n, e / n


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


def readme_way(table_path: str, runs: int, evals: int) -> tuple[float, float]:
    options = {"benchmark": table_path, "dataset": "cifar10", "metric": "val_acc", "epochs": 200}
    t = time.perf_counter()
    best = [Run(space="nb201", searcher="re", estimator="tabular", estimator_options=options, budget=evals,
                seed=s).run().best.objective for s in range(runs)]
    return time.perf_counter() - t, float(np.mean(best))


def study_way(est, space, runs: int, evals: int, record: str, store=None) -> tuple[float, float]:
    t = time.perf_counter()
    out = study(space=space, searchers=["re"], seeds=runs, estimator=est, budget=evals, record=record, store=store)
    return time.perf_counter() - t, float(np.mean(out.values("re")))


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

    print("\nper lookup (20,000 random archs), ratio to the raw numpy lookup in the same round:")
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
    results: dict[str, list[float]] = {}
    for r in range(args.rounds):
        floor, best = numpy_re(code_to_row, column, args.runs, args.evals, seed=r)
        summary, m_summary = study_way(est, space, args.runs, args.evals, "summary")
        store = Store()
        recorded, m_recorded = study_way(est, space, args.runs, args.evals, "trials", store)
        store.close()
        readme, m_readme = readme_way(table_path, args.runs, args.evals)
        for k, v in (("floor", floor), ("summary", summary), ("recorded", recorded), ("readme", readme)):
            results.setdefault(k, []).append(v)
        print(f"  round {r + 1}: numpy floor {floor:6.3f} s [{best.mean():.2f}]   study summaries {summary:6.2f} s "
              f"({summary / floor:5.1f}x) [{m_summary:.2f}]   study recorded {recorded:6.2f} s ({recorded / floor:5.1f}x)   "
              f"README way {readme:6.2f} s ({readme / floor:5.1f}x) [{m_readme:.2f}]   {load()}")
    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"  median: numpy floor {med['floor']:.3f} s; study (summaries) {med['summary']:.2f} s = "
          f"{med['summary'] / med['floor']:.1f}x; study (every trial in one store) {med['recorded']:.2f} s = "
          f"{med['recorded'] / med['floor']:.1f}x; README way (a Run per search, every trial recorded) "
          f"{med['readme']:.2f} s = {med['readme'] / med['floor']:.1f}x")


if __name__ == "__main__":
    main()
