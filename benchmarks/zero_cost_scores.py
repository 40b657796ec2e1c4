"""Compute zero-cost proxy values of many NB201 cells at the benchmark's size on the CPU, into a JSON cache.

The correlation study, the comparison with NASLib's precomputed scores and the warm-up study read the
cache (``workbench.proxies.study.load_cache``); this script only computes, resumably (cells already in the
cache are skipped), one thread, printing progress and the load average. Sets of cells:

    random:N:SEED      N distinct cells drawn uniformly with numpy's default_rng(SEED)
    naslib[:N]         the cells of ../shared/data/nb201/naslib_zc_nasbench201_725.json (the first N)
    warmup:SEEDS:N     the warm-up candidates of searches with seeds 0..SEEDS-1 and zero_cost warmup=N

    python benchmarks/zero_cost_scores.py --cells random:1000:2026 --proxies synflow --out /tmp/zc.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def cells(spec: str, space) -> list:
    import numpy as np

    kind, _, rest = spec.partition(":")
    if kind == "random":
        n, seed = (int(v) for v in rest.split(":"))
        rng = np.random.default_rng(seed)
        seen: dict = {}
        while len(seen) < n:
            a = space.sample(rng)
            seen.setdefault(space.to_string(a), a)
        return list(seen.values())
    if kind == "naslib":
        from workbench.proxies.study import naslib_scores

        path = ROOT.parent / "shared" / "data" / "nb201" / "naslib_zc_nasbench201_725.json"
        archs = list(naslib_scores(path))
        return [space.from_string(a) for a in archs[: int(rest) if rest else None]]
    if kind == "warmup":
        from workbench.searchers._zerocost import ZeroCostGuide

        seeds, n = (int(v) for v in rest.split(":"))
        out: dict = {}
        for s in range(seeds):
            for a in ZeroCostGuide(space, s, {"warmup": n}, top=1, scorer=len).candidates():
                out.setdefault(space.to_string(a), a)
        return list(out.values())
    raise SystemExit(f"unknown cell set {spec!r}; accepted: random:N:SEED, naslib[:N], warmup:SEEDS:N")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", action="append", required=True)
    parser.add_argument("--proxies", default="synflow")
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    from workbench import proxies, spaces
    from workbench.proxies.study import update_cache

    space = spaces.create("nb201")
    names = args.proxies.split(",")
    scorer = proxies.ProxyScorer(space, {n: 1.0 for n in names}, seed=args.seed, dataset=args.dataset,
                                 batch_size=args.batch_size)
    todo = []
    for spec in args.cells:
        todo += cells(spec, space)
    out = Path(args.out)
    cache = json.loads(out.read_text()) if out.exists() else {}
    config = {"proxies": names, "seed": args.seed, "dataset": args.dataset, "batch_size": args.batch_size,
              "network": "NB201 C=16 N=5, 3x32x32, 10 classes", "torch_threads": 1}
    cache.setdefault("config", config)
    cache.setdefault("values", {})
    cache.setdefault("seconds", {})
    todo = [a for a in dict.fromkeys(space.to_string(a) for a in todo)
            if not all(n in cache["values"].get(a, {}) for n in names)]
    print(f"{len(todo)} cells to score with {names}; load average {os.getloadavg()}", flush=True)
    start = time.perf_counter()
    for i, text in enumerate(todo, 1):
        net = scorer.network(text)
        batch = scorer.batch()
        values, seconds = {}, {}
        for n in names:
            t = time.perf_counter()
            values[n] = proxies.compute(n, net, batch, seed=args.seed)
            seconds[n] = time.perf_counter() - t
        update_cache(cache, text, values, seconds)
        if i % 25 == 0 or i == len(todo):
            out.write_text(json.dumps(cache))
            el = time.perf_counter() - start
            print(f"{i}/{len(todo)} cells, {el:.0f} s ({el / i:.2f} s/cell), load average "
                  f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    out.write_text(json.dumps(cache))
    print(f"done: {len(todo)} cells in {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
