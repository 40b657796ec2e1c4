"""Ranking fidelity of weight-sharing supernets on a CPU: Kendall tau of SPOS, FairNAS and RSPS against
stand-alone training, on Fashion-MNIST with the NB201 space (issue 11; the CVPR 2021 challenge's question).

Setup (minutes on a CPU): Fashion-MNIST, the first ``--limit`` training images (half train the supernet's
weights, half are its validation data) and ``--limit / 4`` validation images; NB201 networks with
``--channels`` channels and 1 cell per stage. Ground truth: ``--archs`` archs sampled with seed 0, each
trained stand-alone with the ``train`` estimator (same data, same network size, ``--gt-epochs`` epochs, SGD
lr 0.05 cosine, batch 64), its validation accuracy; cached in ``--store`` and reused on later runs. Each
method trains its supernet for ``--epochs`` epochs (batch 64, SGD lr 0.05 cosine); after every epoch the
supernet scores the same archs with inherited weights (batch norms recalibrated on 2 training batches,
accuracy on 512 held-out images). Kendall tau with its 95 % bootstrap interval (1000 resamples) per
epoch and at the end.

    python benchmarks/oneshot_tau.py                     # the setup recorded in benchmarks/RESULTS.md
    python benchmarks/oneshot_tau.py --epochs 2 --archs 10 --gt-epochs 1   # a quick look
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.oneshot.fidelity import epoch_fidelity, study_setup  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--methods", default="spos,fairnas,rsps")
    p.add_argument("--data", default="fashion-mnist")
    p.add_argument("--limit", type=int, default=2000)
    p.add_argument("--channels", type=int, default=4)
    p.add_argument("--archs", type=int, default=30)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--gt-epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--store", default=os.environ.get("WORKBENCH_STORE")
                   or str(Path.home() / ".cache" / "workbench" / "oneshot_tau.sqlite"))
    args = p.parse_args(argv)
    Path(args.store).parent.mkdir(parents=True, exist_ok=True)
    import torch

    print(f"torch threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f}", flush=True)
    t0 = time.perf_counter()
    truth, runs = study_setup(methods=args.methods.split(","), data=args.data, limit=args.limit,
                              channels=args.channels, archs=args.archs, epochs=args.epochs, gt_epochs=args.gt_epochs,
                              seed=args.seed, store=args.store)
    values = sorted(truth.values())
    print(f"ground truth: {len(truth)} archs, val_acc {values[0]:.1f}..{values[-1]:.1f} % "
          f"({time.perf_counter() - t0:.0f} s incl. cache)", flush=True)

    summary = []
    for method, run in runs.items():
        t1 = time.perf_counter()

        def show(event, method=method):
            if type(event).__name__ == "EpochFinished" and event.scores:
                f = epoch_fidelity([event], truth, n_boot=200, seed=0)[0]
                print(f"  {method:8s} epoch {event.epoch + 1:2d}  train_acc {event.metrics['train_acc']:5.1f}  "
                      f"tau {f.kendall_tau:+.3f}  [{f.kendall_interval[0]:+.2f}, {f.kendall_interval[1]:+.2f}]  "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)

        run.subscribe(show)
        run.run()
        final = epoch_fidelity(run.epochs[-1:], truth, n_boot=1000, seed=0)[0]
        seconds = time.perf_counter() - t1
        summary.append((method, final, seconds))
        print(f"{method}: tau {final.kendall_tau:+.3f} (95% CI {final.kendall_interval[0]:+.3f}.."
              f"{final.kendall_interval[1]:+.3f}), rho {final.spearman_rho:+.3f}, top-{final.k} precision "
              f"{final.top_k_precision:.2f}, regret {final.regret:.2f} pp, {seconds:.0f} s", flush=True)
    print("\n| method | Kendall tau | 95 % CI | Spearman rho | supernet time (s) |")
    print("| --- | --- | --- | --- | --- |")
    for method, f, seconds in summary:
        print(f"| {method} | {f.kendall_tau:+.3f} | [{f.kendall_interval[0]:+.3f}, {f.kendall_interval[1]:+.3f}] | "
              f"{f.spearman_rho:+.3f} | {seconds:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
