"""Time per progressive-shrinking step: the workbench's elastic network against the `ofa` package's OFAMobileNetV3.

    OMP_NUM_THREADS=1 python benchmarks/ofa_step.py --rounds 3 --steps 5 --batch 64

Both networks are OFA MobileNetV3 at width 0.25 (kernels 3/5/7, expand ratios 3/4/6, depths 2/3/4, 10 classes,
OFA's strides, 3x28x28 inputs). One step is what a batch of progressive shrinking costs: the largest network's
forward and backward on the labels, one sampled subnet's forward and backward with in-place distillation from
the largest network's outputs, one SGD step. Both run the *same* sequence of sampled subnets. Rounds alternate
the two (so a change in machine load hits both); the median step time of each, their ratio (workbench / ofa;
below 1 is faster) and the load average are printed.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import torch
    import torch.nn.functional as F

    try:
        from ofa.imagenet_classification.elastic_nn.networks import OFAMobileNetV3
    except ImportError:
        raise SystemExit("the `ofa` package is not installed (pip install ofa, or the dev extra)") from None
    from workbench import spaces
    from workbench.nn.elastic_mobilenet import ElasticMobileNet

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    space = spaces.create("mobilenet", strides=(2, 1, 2, 2, 2, 1, 2))
    ours = ElasticMobileNet(space, num_classes=10, in_channels=3)
    theirs = OFAMobileNetV3(n_classes=10, width_mult=0.25, ks_list=[3, 5, 7], expand_ratio_list=[3, 4, 6],
                            depth_list=[2, 3, 4], dropout_rate=0)
    x = torch.randn(args.batch, 3, 28, 28)
    y = torch.randint(0, 10, (args.batch,))
    rng = np.random.default_rng(args.seed)
    subnets = [space.sample(rng) for _ in range(args.rounds * args.steps)]

    def step(net, set_largest, set_sub, opt, arch):
        opt.zero_grad(set_to_none=True)
        set_largest()
        logits = net(x)
        F.cross_entropy(logits, y).backward()
        soft = F.softmax(logits.detach(), dim=1)
        set_sub(arch)
        sub = net(x)
        (F.cross_entropy(sub, y) + F.kl_div(F.log_softmax(sub, dim=1), soft, reduction="batchmean")).backward()
        opt.step()

    runners = {
        "workbench": (ours, lambda: ours.set_active(ours.largest), ours.set_active,
                      torch.optim.SGD(ours.parameters(), lr=0.01, momentum=0.9)),
        "ofa": (theirs, theirs.set_max_net, lambda a: theirs.set_active_subnet(**space.to_ofa(a)),
                torch.optim.SGD(theirs.parameters(), lr=0.01, momentum=0.9)),
    }
    for net, set_largest, set_sub, opt in runners.values():  # warm-up
        net.train()
        step(net, set_largest, set_sub, opt, subnets[0])
    times = {name: [] for name in runners}
    print(f"load average before: {os.getloadavg()}")
    for r in range(args.rounds):
        for name, (net, set_largest, set_sub, opt) in runners.items():
            start = time.perf_counter()
            for arch in subnets[r * args.steps:(r + 1) * args.steps]:
                step(net, set_largest, set_sub, opt, arch)
            times[name].append((time.perf_counter() - start) / args.steps)
        print(f"round {r}: " + ", ".join(f"{n} {t[-1] * 1000:.0f} ms/step" for n, t in times.items()), flush=True)
    med = {n: statistics.median(t) for n, t in times.items()}
    print(f"median ms/step: workbench {med['workbench'] * 1000:.0f}, ofa {med['ofa'] * 1000:.0f}; "
          f"ratio workbench/ofa {med['workbench'] / med['ofa']:.2f} (batch {args.batch}, threads {args.threads}, "
          f"{args.rounds} rounds x {args.steps} steps)")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
