"""Latency lookup table: predicted (sum of per-block medians) vs measured latency of whole sampled networks.

    OMP_NUM_THREADS=1 python benchmarks/latency_table.py --archs 50 --threads 1

Measures the mobilenet space's table on this CPU (CUDA with --device cuda), samples networks, times each
whole network the same way (warm-up, repeats, median) and prints the mean absolute percentage error, the
rank correlation, the table's build time, and the load average (the machine may be shared).
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--archs", type=int, default=50)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from scipy.stats import spearmanr

    from workbench import spaces
    from workbench.costs import LatencyTable
    from workbench.nn.latency import mape, prediction_vs_measurement

    space = spaces.create("mobilenet")
    print(f"load average before: {os.getloadavg()}")
    start = time.perf_counter()
    table = LatencyTable.measure(space, device=args.device, batch_size=args.batch, warmup=args.warmup,
                                 repeats=args.repeats, num_threads=args.threads, cache=False)
    print(f"{table}: {len(table)} entries measured in {time.perf_counter() - start:.1f} s")
    rng = np.random.default_rng(args.seed)
    archs = [space.sample(rng) for _ in range(args.archs)]
    start = time.perf_counter()
    pairs = prediction_vs_measurement(table, archs)
    pred, meas = np.array(pairs).T
    print(f"{args.archs} networks timed in {time.perf_counter() - start:.1f} s "
          f"(warm-up {args.warmup}, repeats {args.repeats}, median; batch {args.batch}, threads {args.threads})")
    print(f"measured ms: min {meas.min():.3f} median {np.median(meas):.3f} max {meas.max():.3f}")
    print(f"predicted/measured ratio: median {np.median(pred / meas):.3f}")
    print(f"MAPE {mape(pairs):.1f} %, Spearman rho {spearmanr(pred, meas)[0]:.3f}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
