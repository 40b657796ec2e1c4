"""The zero-cost figures of benchmarks/RESULTS.md, from score caches written by zero_cost_scores.py.

1. synflow (and any other cached proxy) vs NB201 CIFAR-10 200-epoch validation accuracy over every cached
   cell: Spearman rho and Kendall tau with 95% bootstrap intervals, beside Abdelfattah et al.'s |rho|;
2. our scores vs NASLib's precomputed ones (``naslib_zc_nasbench201_725.json``) on the same cells, per proxy;
3. warm-up RE vs plain RE on the NB201 table (``--seeds`` seeds x ``--evaluations`` evaluations), the warm-up
   scorer preloaded from the synflow cache (same network, seed and batch, so nothing is recomputed).

    python benchmarks/zero_cost_study.py --synflow /tmp/zc/synflow.json --naslib /tmp/zc/naslib_free.json \\
        --naslib /tmp/zc/naslib_data.json --seeds 100 --evaluations 100 --warmup 15 --top 5
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data" / "nb201"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synflow", help="score cache of random cells (the correlation study, the warm-up scorer)")
    parser.add_argument("--naslib", action="append", default=[], help="score caches of NASLib's cells")
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--evaluations", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=15)
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--searcher", default="re", help="re or reinforce")
    args = parser.parse_args()

    import numpy as np

    from workbench import estimators, proxies, ranking, spaces
    from workbench.proxies.study import correlate, load_cache, naslib_scores, warmup_comparison

    space = spaces.create("nb201")
    lookup = estimators.create("tabular", space=space, benchmark=str(SHARED / "nb201_table.csv"))
    if args.synflow:
        cache = load_cache(args.synflow)
        texts = list(cache["values"])
        names = sorted({n for row in cache["values"].values() for n in row})
        acc = [lookup.evaluate(t).objective for t in texts]
        values = {n: [cache["values"][t].get(n, float("nan")) for t in texts] for n in names}
        seconds = {n: float(np.mean([cache["seconds"][t][n] for t in texts if n in cache["seconds"][t]])) for n in names}
        print(f"## proxies vs NB201 CIFAR-10 200-epoch validation accuracy, {len(texts)} random cells "
              f"(cache config {cache.get('config')})")
        for r in correlate(values, acc, seconds=seconds, n_boot=args.n_boot):
            print(f"{r.proxy:10s} n {r.n}  spearman {r.spearman:+.3f} [{r.spearman_ci[0]:+.3f}, {r.spearman_ci[1]:+.3f}]  "
                  f"kendall {r.kendall:+.3f} [{r.kendall_ci[0]:+.3f}, {r.kendall_ci[1]:+.3f}]  published |rho| "
                  f"{r.published}  mean {r.seconds:.3f} s/cell; total {sum(cache['seconds'][t][r.proxy] for t in texts):.0f} s")
    if args.naslib:
        from workbench import benchmarks

        theirs = naslib_scores(SHARED / "naslib_zc_nasbench201_725.json")
        zen = benchmarks.read_source(SHARED / "naslib_nb201_zen.zip")  # NASLib's Zen-NAS scores of every cell
        for text, row in theirs.items():
            row["zen"] = float(zen.query(text, "cifar10", "zc_zen"))
        print("\n## ours vs NASLib's precomputed scores (Spearman rho on the same cells)")
        for path in args.naslib:
            cache = load_cache(path)
            print(f"cache {path}: {cache.get('config')}")
            texts = [t for t in cache["values"] if t in theirs]
            names = sorted({n for t in texts for n in cache["values"][t]})
            for n in names:
                both = [(cache["values"][t][n], theirs[t][n]) for t in texts if n in cache["values"][t] and n in theirs[t]]
                if not both:
                    print(f"{n:10s} NASLib has no such proxy")
                    continue
                ours, their = np.array(both).T
                ok = np.isfinite(ours) & np.isfinite(their)
                rho = ranking.spearman_rho(ours[ok], their[ok])
                lo, hi = ranking.bootstrap_interval(ranking.spearman_rho, ours[ok], their[ok], n_boot=args.n_boot)
                acc = np.array([theirs[t]["val_acc"] for t in texts if n in cache["values"][t] and n in theirs[t]])[ok]
                print(f"{n:10s} {int(ok.sum())} cells: rho(ours, NASLib) {rho:+.3f} [{lo:+.3f}, {hi:+.3f}]; "
                      f"rho with val acc: ours {ranking.spearman_rho(ours[ok], acc):+.3f}, "
                      f"NASLib {ranking.spearman_rho(their[ok], acc):+.3f}")
    if args.seeds:
        scorer = proxies.ProxyScorer(space, "synflow")
        if args.synflow:
            print(f"\npreloaded {scorer.preload(load_cache(args.synflow)['values'])} synflow values")
        start = time.perf_counter()
        cmp = warmup_comparison(space, lookup, searcher=args.searcher, seeds=range(args.seeds), evaluations=args.evaluations,
                                zero_cost={"proxy": "synflow", "warmup": args.warmup, "top": args.top}, scorer=scorer)
        print(f"## warm-up {args.searcher} (best {args.top} of {args.warmup} by synflow) vs plain {args.searcher}, NB201 CIFAR-10 val acc "
              f"(200 epochs), {time.perf_counter() - start:.0f} s")
        print(cmp.text())
        diff = cmp.accuracy["warmup"] - cmp.accuracy["plain"]
        print(f"paired difference (warm-up - plain): {diff.mean():+.3f} +- {diff.std(ddof=1) / np.sqrt(len(diff)):.3f} "
              f"(standard error); warm-up better in {(diff > 0).sum()}, worse in {(diff < 0).sum()}, tied in "
              f"{(diff == 0).sum()} of {len(diff)} seeds")


if __name__ == "__main__":
    main()
