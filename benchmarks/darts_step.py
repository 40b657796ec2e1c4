"""Time per DARTS search step on the NB201 supernet, ours beside the ``xautodl`` package's, in one process.

A search step is one architecture update (first order: the validation gradient; second order: the unrolled
gradient with the finite-difference Hessian-vector product) followed by one weight update, on a pair of
32x32x3 batches. Both implementations get the same images (Fashion-MNIST padded to 32x32 and repeated on
three channels, or scikit-learn's digits upsampled when Fashion-MNIST is absent), the same supernet shape
(C=16, N=5 cells per stage, 5 NB201 ops, BN without affine parameters), the same optimizers (DARTS' SGD and
Adam settings) and the same thread count. Rounds alternate between the two so both see the same machine
load; the medians are compared.

xautodl (AutoDL-Projects' library, ``pip install --no-deps xautodl pyyaml``) ships the search model
(``get_cell_based_tiny_net`` -> ``TinyNetworkDarts``) but not its training loop, which lives in the
project's ``exps/NAS-Bench-201-algos/DARTS-V1.py`` and ``DARTS-V2.py`` scripts; the peer step below
follows those scripts' procedure (backward of the full loss for both updates; for second order, a deep copy
of the network holding the unrolled weights each step, then two forward/backward passes at w +- eps * v).

    OMP_NUM_THREADS=2 python benchmarks/darts_step.py --threads 2 --rounds 5 --steps 4
"""
from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench import oneshot, spaces  # noqa: E402
from workbench.data import Splits, load  # noqa: E402

NB201_OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]


def images_32x32(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, str]:
    """``n`` real images as (n, 3, 32, 32) float32 and their labels."""
    try:
        splits = load("fashion-mnist", limit=n, download=False)
        x = np.pad(splits.x_train, ((0, 0), (0, 0), (2, 2), (2, 2)))
        source = "Fashion-MNIST (28x28 padded to 32x32, 3 channels)"
    except Exception:  # noqa: BLE001 - fall back to the embedded data set
        splits = load("digits")
        x = torch.nn.functional.interpolate(torch.from_numpy(splits.x_train), size=(32, 32), mode="bilinear").numpy()
        source = "digits (8x8 upsampled to 32x32, 3 channels)"
    x, y = x[:n], splits.y_train[:n]
    return np.ascontiguousarray(np.repeat(x, 3, axis=1).astype(np.float32)), y.astype(np.int64), source


def make_ours(x: np.ndarray, y: np.ndarray, order: int, seed: int):
    half = len(y) // 2
    splits = Splits("bench", x, y, x[:half], y[:half], x[:half], y[:half], 10)
    strategy = oneshot.create("darts", space=spaces.create("nb201"), data=splits, order=order, seed=seed,
                              device="cpu", channels=16, cells_per_stage=5, batch_size=64)
    strategy._build()
    return lambda xt, yt, xv, yv: strategy._search_batch(xt, yt, xv, yv)


# --- the peer: xautodl's TinyNetworkDarts driven as AutoDL-Projects' DARTS-V1/V2 scripts drive it --------
def make_peer(order: int, seed: int):
    from xautodl.models import get_cell_based_tiny_net

    config = {"name": "DARTS-V1" if order == 1 else "DARTS-V2", "C": 16, "N": 5, "max_nodes": 4,
              "num_classes": 10, "space": NB201_OPS, "affine": False, "track_running_stats": True}
    with torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(seed)
        model = get_cell_based_tiny_net(config)
    w_opt = torch.optim.SGD(model.get_weights(), lr=0.025, momentum=0.9, weight_decay=3e-4)
    a_opt = torch.optim.Adam(model.get_alphas(), lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    model.train()

    def flat(tensors):
        return torch.cat([t.reshape(-1) for t in tensors])

    def arch_grad_unrolled(xt, yt, xv, yv):
        lr = w_opt.param_groups[0]["lr"]
        wd = w_opt.param_groups[0]["weight_decay"]
        mom = w_opt.param_groups[0]["momentum"]
        weights = model.get_weights()
        loss = loss_fn(model(xt)[1], yt)
        with torch.no_grad():
            theta = flat(weights)
            try:
                moment = flat(w_opt.state[p]["momentum_buffer"] for p in weights).mul_(mom)
            except KeyError:
                moment = torch.zeros_like(theta)
            dtheta = flat(torch.autograd.grad(loss, weights)) + wd * theta
            unrolled_theta = theta - lr * (moment + dtheta)
        unrolled = copy.deepcopy(model)  # the scripts deep-copy the network for the unrolled weights
        state = unrolled.state_dict()
        offset = 0
        for name, p in model.named_parameters():
            if "arch_parameters" in name:
                continue
            state[name] = unrolled_theta[offset: offset + p.numel()].view_as(p)
            offset += p.numel()
        unrolled.load_state_dict(state)
        unrolled.zero_grad()
        val_loss = loss_fn(unrolled(xv)[1], yv)
        val_loss.backward()
        d_alpha = unrolled.arch_parameters.grad
        vector = [p.grad for p in unrolled.get_weights()]
        eps = 1e-2 / flat(vector).norm()
        with torch.no_grad():
            for p, v in zip(weights, vector):
                p.add_(v, alpha=float(eps))
        g_plus = torch.autograd.grad(loss_fn(model(xt)[1], yt), model.get_alphas())[0]
        with torch.no_grad():
            for p, v in zip(weights, vector):
                p.sub_(v, alpha=2 * float(eps))
        g_minus = torch.autograd.grad(loss_fn(model(xt)[1], yt), model.get_alphas())[0]
        with torch.no_grad():
            for p, v in zip(weights, vector):
                p.add_(v, alpha=float(eps))
        hvp = (g_plus - g_minus) / (2 * eps)
        model.arch_parameters.grad = (d_alpha - lr * hvp).detach().clone()

    def step(xt, yt, xv, yv):
        a_opt.zero_grad()
        if order == 1:
            loss_fn(model(xv)[1], yv).backward()
        else:
            arch_grad_unrolled(xt, yt, xv, yv)
        a_opt.step()
        w_opt.zero_grad()
        loss_fn(model(xt)[1], yt).backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5)
        w_opt.step()

    return step


def load_average() -> str:
    """The 1/5/15-minute load average: on a shared machine, read each figure beside it."""
    return "load %.2f %.2f %.2f" % os.getloadavg()


def time_steps(step, batches, steps: int) -> float:
    t0 = time.perf_counter()
    for i in range(steps):
        step(*batches[i % len(batches)])
    return (time.perf_counter() - t0) / steps


def have_xautodl() -> bool:
    """True when the peer (xautodl) can be imported; else say that only ours is timed."""
    try:
        import xautodl  # noqa: F401
    except ImportError:
        print("xautodl is not installed (pip install --no-deps xautodl pyyaml): timing ours alone")
        return False
    return True


def compare(label: str, ours, peer, batches, rounds: int, steps: int) -> None:
    """Warm both steps up, then time them in alternating rounds: print every round with the load average,
    then the medians and (with a peer) the ratio ours/xautodl."""
    for impl in (ours, peer):  # warm up (allocator, oneDNN primitive caches)
        if impl is not None:
            time_steps(impl, batches, 2)
    t_ours, t_peer = [], []
    for r in range(rounds):
        t_ours.append(time_steps(ours, batches, steps))
        line = f"  {label} round {r + 1}: ours {t_ours[-1] * 1e3:8.1f} ms/step"
        if peer is not None:
            t_peer.append(time_steps(peer, batches, steps))
            line += f"   xautodl {t_peer[-1] * 1e3:8.1f} ms/step   ratio {t_ours[-1] / t_peer[-1]:.2f}x"
        print(f"{line}   {load_average()}", flush=True)
    mo = statistics.median(t_ours)
    line = f"{label} median: ours {mo * 1e3:8.1f} ms/step"
    if peer is not None:
        mp = statistics.median(t_peer)
        line += f"   xautodl {mp * 1e3:8.1f} ms/step   ratio ours/xautodl {mo / mp:.2f}x"
    print(f"{line}   {load_average()}", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--rounds", type=int, default=5, help="alternating timing rounds per implementation")
    parser.add_argument("--steps", type=int, default=4, help="search steps per round")
    parser.add_argument("--orders", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    x, y, source = images_32x32(64 * 2 * 4, args.seed)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    batches = [(xs[i * 128: i * 128 + 64], ys[i * 128: i * 128 + 64], xs[i * 128 + 64: i * 128 + 128],
                ys[i * 128 + 64: i * 128 + 128]) for i in range(4)]
    have_peer = have_xautodl()
    print(f"NB201 supernet C=16 N=5, batch 64 of {source}; torch {torch.__version__}, {args.threads} thread(s); "
          f"median of {args.rounds} rounds x {args.steps} steps", flush=True)
    for order in args.orders:
        peer = make_peer(order, args.seed) if have_peer else None
        compare(f"order {order}", make_ours(x, y, order, args.seed), peer, batches, args.rounds, args.steps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
