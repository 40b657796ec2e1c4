"""Once-for-All at small scale on Fashion-MNIST: progressive shrinking, then specialisation to latency budgets.

    OMP_NUM_THREADS=1 python benchmarks/ofa_fashion.py --limit 8000 --batches-per-step 40 --steps-per-phase 2

The mobilenet space's defaults (OFA MobileNetV3 skeleton at width 0.25) with OFA's stride-2 stem on 28x28
inputs (1 channel). Prints after each epoch the phase, training loss and the largest/smallest subnet's
inherited-weight validation accuracy; then, for each budget (a fraction of the way from the smallest to the
largest subnet's table latency), the specialised subnet, its table latency and its inherited-weight accuracy
(no retraining). ``--json`` writes everything to a file.
"""
from __future__ import annotations

import argparse
import json
import os
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=8000, help="training images (val and test: a quarter each)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--batches-per-step", type=int, default=40)
    ap.add_argument("--steps-per-phase", type=int, default=2)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--predictor-samples", type=int, default=20)
    ap.add_argument("--budgets", default="0.25,0.6", help="fractions from the smallest to the largest latency")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    from workbench import oneshot, spaces
    from workbench.costs import LatencyTable
    from workbench.oneshot.ofa import PHASES

    space = spaces.create("mobilenet", strides=(2, 1, 2, 2, 2, 1, 2))
    ofa = oneshot.create("ofa", space=space, data="fashion-mnist", data_options={"limit": args.limit},
                         batch_size=args.batch, batches_per_step=args.batches_per_step,
                         steps_per_phase=args.steps_per_phase, lr=args.lr, seed=args.seed, device="cpu")
    print(f"load average {os.getloadavg()}; {ofa.hyperparameters()}", flush=True)
    out = {"setup": {**ofa.hyperparameters(), "space": space.options()}, "epochs": [], "specialised": []}
    start = time.perf_counter()
    for _ in range(len(PHASES) * args.steps_per_phase):
        report = ofa.step()
        m, phase = report.metrics, PHASES[int(report.metrics["phase"])]
        print(f"{phase:9s} epoch {report.epoch}: loss {m['train_loss']:.3f}, largest {m['largest_val_acc']:.1f} %"
              f", smallest {m['smallest_val_acc']:.1f} % ({m['seconds']:.0f} s training)", flush=True)
        out["epochs"].append({"phase_name": phase, **m})
    train_s = time.perf_counter() - start
    table = LatencyTable.measure(space, in_channels=1)
    low, high = table.predict_ms(ofa.smallest()), table.predict_ms(ofa.net.largest)
    smallest = {"arch": space.to_string(ofa.smallest()), "latency_ms": low, "val_acc": ofa.evaluate(ofa.smallest()),
                "test_acc": ofa.evaluate(ofa.smallest(), "test")}
    largest = {"arch": space.to_string(ofa.net.largest), "latency_ms": high,
               "val_acc": ofa.evaluate(ofa.net.largest), "test_acc": ofa.evaluate(ofa.net.largest, "test")}
    print(f"smallest subnet: {smallest}\nlargest subnet: {largest}", flush=True)
    out.update(smallest=smallest, largest=largest, table=table.info, train_s=train_s)
    for fraction in [float(f) for f in args.budgets.split(",")]:
        limit = low + fraction * (high - low)
        res = ofa.specialise(limit, table, predictor_samples=args.predictor_samples, seed=args.seed)
        print(f"budget {limit:.2f} ms: {res}", flush=True)
        out["specialised"].append(res)
    print(f"total {time.perf_counter() - start:.0f} s; load average {os.getloadavg()}", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1, default=str)


if __name__ == "__main__":
    main()
