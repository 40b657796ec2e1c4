"""Load time, peak memory and query throughput of the NB201 compact benchmark file.

The file holds every NB201 metric the shared data has (the official NATS tss files with curves, the NB201
table CSV, NASLib's Zen-NAS and zero-cost extracts). Load is timed in a fresh Python process (the page cache
is warm, as after any first use), with the process's peak RSS before and after. Query throughput is a ratio
to the physical floor in the same process: a raw numpy index lookup ``column[row]`` per query.

    python benchmarks/benchmark_load.py [--queries 20000]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "nb201"

_CHILD = r"""
import json, sys, time

def memory_mb():
    # this process's own peak and current RSS (VmHWM/VmRSS): ru_maxrss would carry the parent's peak over
    # fork and exec, which is why it once reported '+0.0 MB' for the table
    fields = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                fields[key] = int(value.split()[0]) / 1024
    return fields["VmHWM"], fields["VmRSS"]

peak0, rss0 = memory_mb()
import numpy
from workbench.benchmarks import compact
peak1, rss1 = memory_mb()
t = time.perf_counter(); table = compact.read(sys.argv[1]); load_s = time.perf_counter() - t
t = time.perf_counter(); table.query(11, "cifar10", "val_acc", 200); first_q = time.perf_counter() - t
peak2, rss2 = memory_mb()
full = sum(int(numpy.asarray(c).sum() != 0) for c in table.columns.values())  # touch every headline column
peak3, rss3 = memory_mb()
print(json.dumps({"load_s": load_s, "first_query_s": first_q, "peak_start_mb": peak0, "peak_imports_mb": peak1,
                  "peak_after_load_mb": peak2, "rss_after_load_mb": rss2, "peak_after_reading_columns_mb": peak3,
                  "columns": len(table.columns), "curves": len(table.curves)}))
"""


def load_average() -> str:
    return "load %.2f %.2f %.2f" % os.getloadavg()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=20000)
    args = parser.parse_args()
    sources = [DATA / "nats_official_format" / "NATS-tss-v1_0-3ffb9-simple", DATA / "nb201_table.csv",
               DATA / "naslib_nb201_zen.zip", DATA / "naslib_zc_nasbench201_725.json"]
    missing = [str(p) for p in sources if not p.exists()]
    if missing:
        sys.exit(f"shared NB201 data not found: {missing}")
    from workbench import benchmarks, estimators, spaces
    from workbench.benchmarks import compact

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "nb201.wbench.npz"
        t = time.perf_counter()
        benchmarks.import_benchmark(sources, dest=path, allow_pickle=True)
        convert_s = time.perf_counter() - t
        loads = []
        for r in range(3):  # a fresh, small Python per round (no parent's pages: the child starts from exec)
            loads.append(json.loads(subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True,
                                                   text=True, check=True, cwd=ROOT).stdout))
            print(f"  load round {r + 1}: {loads[-1]['load_s'] * 1e3:.1f} ms, peak RSS after imports "
                  f"{loads[-1]['peak_imports_mb']:.1f} MB, after load {loads[-1]['peak_after_load_mb']:.1f} MB   "
                  f"{load_average()}")
        best = min(loads, key=lambda r: r["load_s"])
        table = compact.read(path)
        space = spaces.create("nb201")
        rng = np.random.default_rng(0)
        rows = rng.integers(0, len(table), size=args.queries)
        texts = [str(s) for s in table.arch_strings[rows]]
        archs = [space.from_string(s) for s in texts]
        column = np.asarray(table.column("cifar10", "val_acc", 200))

        est = estimators.create("tabular", space=space, benchmark=table, dataset="cifar10", metric="val_acc", epochs=200)
        rounds: dict[str, list[float]] = {"raw": [], "text": [], "arch": [], "est": []}
        for r in range(3):  # interleaved rounds; round 1 resolves each arch for the first time
            t = time.perf_counter()
            raw = [float(column[r]) for r in rows.tolist()]
            rounds["raw"].append(time.perf_counter() - t)
            t = time.perf_counter()
            by_text = [table.query(s, "cifar10", "val_acc", 200) for s in texts]
            rounds["text"].append(time.perf_counter() - t)
            t = time.perf_counter()
            by_arch = [table.query(a, "cifar10", "val_acc", 200) for a in archs]
            rounds["arch"].append(time.perf_counter() - t)
            t = time.perf_counter()
            by_est = [est.evaluate(a).objective for a in archs]
            rounds["est"].append(time.perf_counter() - t)
            assert raw == by_text == by_arch == by_est
            print(f"  query round {r + 1}: raw {rounds['raw'][-1] / args.queries * 1e9:.0f} ns, by text "
                  f"{rounds['text'][-1] / rounds['raw'][-1]:.1f}x, by tuple {rounds['arch'][-1] / rounds['raw'][-1]:.1f}x, "
                  f"evaluate {rounds['est'][-1] / rounds['raw'][-1]:.1f}x   {load_average()}")
        raw_s, text_s, arch_s, est_s = (statistics.median(rounds[k]) for k in ("raw", "text", "arch", "est"))
        n = args.queries
        print(f"compact file: {path.stat().st_size / 1e6:.1f} MB, {best['columns']} columns, {best['curves']} curves; "
              f"converted from the shared data in {convert_s:.2f} s")
        print(f"load (fresh process, best of 3): {best['load_s'] * 1e3:.1f} ms; first query {best['first_query_s'] * 1e3:.1f} ms")
        print(f"peak RSS of a fresh child (VmHWM): {best['peak_imports_mb']:.1f} MB after imports, "
              f"{best['peak_after_load_mb']:.1f} MB after load (+{best['peak_after_load_mb'] - best['peak_imports_mb']:.1f} MB "
              f"for opening the table), {best['peak_after_reading_columns_mb']:.1f} MB after reading every headline "
              f"column (+{best['peak_after_reading_columns_mb'] - best['peak_imports_mb']:.1f} MB; file "
              f"{path.stat().st_size / 1e6:.1f} MB, memory-mapped)")
        print(f"medians of 3 rounds ({load_average()}):")
        print(f"raw numpy lookup column[row]:      {n / raw_s:12,.0f} queries/s (1.00x the floor)")
        print(f"table.query(arch string, ...):     {n / text_s:12,.0f} queries/s ({text_s / raw_s:.1f}x the raw lookup's time)")
        print(f"table.query(arch tuple, ...):      {n / arch_s:12,.0f} queries/s ({arch_s / raw_s:.1f}x)")
        print(f"tabular estimator evaluate(arch):  {n / est_s:12,.0f} queries/s ({est_s / raw_s:.1f}x)")


if __name__ == "__main__":
    main()
