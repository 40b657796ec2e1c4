"""Time per supernet training step of RSPS and ENAS on the NB201 supernet, ours beside ``xautodl``'s.

A step trains one sampled path: draw an arch (RSPS: uniformly; ENAS: from the LSTM controller), then
forward, backward, gradient clipping at 5 and one SGD update of the shared weights, on a batch of 64
32x32x3 images (Fashion-MNIST padded and repeated on three channels, as ``darts_step.py``). Both sides get
the same supernet shape (C=16, N=5 cells per stage, 5 NB201 ops, BN without affine parameters), the same
SGD settings and the same threads. The peer is xautodl's ``TinyNetworkRANDOM`` and ``TinyNetworkENAS``
driven as AutoDL-Projects' ``RANDOM-NAS.py`` and ``ENAS.py`` train them (``random_genotype(True)``; the
controller sampled under ``no_grad`` then ``update_arch``), except that the peer then trains the very path
ours drew in the same step (a step's cost depends on its path: ``none`` edges cost nothing, 3x3
convolutions most). Rounds alternate between the two so both see the same machine load (printed with each
round); the medians are compared.

    pip install --no-deps --target /work/xautodl_pkgs xautodl pyyaml
    PYTHONPATH=/work/xautodl_pkgs OMP_NUM_THREADS=1 python benchmarks/oneshot_step.py --threads 1 --rounds 5 --steps 4
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from darts_step import NB201_OPS, compare, have_xautodl, images_32x32  # noqa: E402

from workbench import oneshot, spaces  # noqa: E402
from workbench.data import Splits  # noqa: E402


def make_ours(method: str, x, y, seed: int, drawn: list):
    """Our step; every path it draws is appended to ``drawn`` (the peer then trains the same paths)."""
    half = len(y) // 2
    splits = Splits("bench", x, y, x[:half], y[:half], x[:half], y[:half], 10)
    strategy = oneshot.create(method, space=spaces.create("nb201"), data=splits, seed=seed, device="cpu",
                              channels=16, cells_per_stage=5, batch_size=64)
    strategy._build()
    sample = strategy._sample_index

    def recorded():
        index = sample()
        drawn.append(list(index["normal"]))
        return index

    strategy._sample_index = recorded
    return lambda xt, yt: strategy._search_batch(xt, yt, None, None)


def make_peer(method: str, seed: int, drawn: list):
    """xautodl's step as its scripts drive it: the arch is drawn (``random_genotype`` / the controller under
    ``no_grad``), then replaced by the next one ours drew, so both sides time the same paths."""
    from xautodl.models import get_cell_based_tiny_net
    from xautodl.models.cell_searchs.genotypes import Structure

    config = {"name": "RANDOM" if method == "rsps" else "ENAS", "C": 16, "N": 5, "max_nodes": 4,
              "num_classes": 10, "space": NB201_OPS, "affine": False, "track_running_stats": True}
    with torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(seed)
        model = get_cell_based_tiny_net(config)
        controller = model.create_controller() if method == "enas" else None
    random.seed(seed)
    w_opt = torch.optim.SGD(model.parameters(), lr=0.025, momentum=0.9, weight_decay=3e-4)
    loss_fn = nn.CrossEntropyLoss()
    model.train()

    def structure(ops: list[int]) -> Structure:  # NB201 edge order = xautodl's (1<-0, 2<-0, 2<-1, 3<-0, ...)
        return Structure([tuple((NB201_OPS[ops[k + j]], j) for j in range(i)) for i, k in ((1, 0), (2, 1), (3, 3))])

    def step(xt, yt):
        if controller is None:
            model.random_genotype(True)
            model.arch_cache = structure(drawn.pop(0))
        else:
            with torch.no_grad():
                controller()
            model.update_arch(drawn.pop(0))
        w_opt.zero_grad()
        loss = loss_fn(model(xt)[1], yt)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5)
        w_opt.step()

    return step


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--rounds", type=int, default=5, help="alternating timing rounds per implementation")
    parser.add_argument("--steps", type=int, default=4, help="training steps per round")
    parser.add_argument("--methods", nargs="+", default=["rsps", "enas"], choices=["rsps", "enas"],
                        help="the one-shot steps xautodl also has")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    x, y, source = images_32x32(64 * 4, args.seed)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    batches = [(xs[i * 64: (i + 1) * 64], ys[i * 64: (i + 1) * 64]) for i in range(4)]
    have_peer = have_xautodl()
    print(f"NB201 supernet C=16 N=5, batch 64 of {source}; torch {torch.__version__}, {args.threads} thread(s); "
          f"median of {args.rounds} rounds x {args.steps} steps", flush=True)
    for method in args.methods:
        drawn: list = []
        ours = make_ours(method, x, y, args.seed, drawn)
        peer = make_peer(method, args.seed, drawn) if have_peer else None
        compare(method, ours, peer, batches, args.rounds, args.steps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
