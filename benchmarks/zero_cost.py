"""Seconds per arch of every zero-cost proxy on the NB201 network (C=16, N=5, 3 x 32 x 32, 10 classes), and
each as a ratio to one forward+backward pass (cross-entropy, same batch) measured in the same round.

Each round samples a cell, builds its network, times one forward+backward pass, then every proxy; it prints
the round and the load average (the machine may be shared: compare ratios, not raw seconds). The summary
gives per proxy the median seconds and the median of the per-round ratios.

    OMP_NUM_THREADS=1 python benchmarks/zero_cost.py --rounds 5 --batch-size 64 --dataset fashion-mnist
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--proxies", default="")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    from workbench import proxies, spaces
    from workbench.proxies.study import forward_backward_seconds

    names = args.proxies.split(",") if args.proxies else proxies.names()
    space = spaces.create("nb201")
    scorer = proxies.ProxyScorer(space, {n: 1.0 for n in names}, seed=args.seed, dataset=args.dataset,
                                 batch_size=args.batch_size)
    batch = scorer.batch()
    # warm up lazy imports and one-time set-up (FlopCounterMode's first use imports torch._dynamo: seconds)
    warm_net = scorer.network(space.sample(np.random.default_rng(999)))
    for n in names:
        proxies.compute(n, warm_net, batch, seed=args.seed)
    print(f"torch {torch.__version__}, {args.threads} thread(s), batch {args.batch_size} of {args.dataset} "
          f"at 3x32x32, NB201 C=16 N=5; proxies {names}", flush=True)
    rng = np.random.default_rng(args.seed)
    seconds = {n: [] for n in names}
    ratios = {n: [] for n in names}
    fbs = []
    for r in range(args.rounds):
        arch = space.sample(rng)
        net = scorer.network(arch)
        fb = forward_backward_seconds(net, batch, repeats=3)
        fbs.append(fb)
        line = []
        for n in names:
            start = time.perf_counter()
            proxies.compute(n, net, batch, seed=args.seed)
            s = time.perf_counter() - start
            seconds[n].append(s)
            ratios[n].append(s / fb)
            line.append(f"{n} {s:.3f}s ({s / fb:.2f}x)")
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"round {r + 1}/{args.rounds} {space.to_string(arch)}: forward+backward {fb:.3f}s; "
              + ", ".join(line) + f"; load average {load}", flush=True)
    print(f"\nmedian forward+backward {np.median(fbs):.3f} s over {args.rounds} rounds")
    print(f"{'proxy':<10} {'s/arch':>8} {'x fwd+bwd':>10}")
    for n in names:
        print(f"{n:<10} {np.median(seconds[n]):8.3f} {np.median(ratios[n]):10.2f}")


if __name__ == "__main__":
    main()
