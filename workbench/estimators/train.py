"""Train-from-scratch estimator: build the arch's network and train it on a real data set.

The most faithful and the most expensive estimator. Each arch is trained with a seed derived from the
estimator's seed and the arch's key, so a result does not depend on the order archs are evaluated in, and
on the CPU the same seed gives the same numbers.
"""
from __future__ import annotations

import hashlib
import time
from typing import Any

from workbench.estimators import register
from workbench.estimators._base import Estimator, Result


def arch_seed(seed: int, key: str) -> int:
    """A 63-bit seed from a base seed and an arch key, stable across processes (unlike ``hash``)."""
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


@register("train")
class TrainEstimator(Estimator):
    """Train ``space.build(arch)`` for ``epochs`` on ``dataset``; report validation and test accuracy (%).

    ``build`` options (e.g. ``{"channels": 8, "cells_per_stage": 1}`` for a small NB201 network on a CPU)
    pass through to the space. ``device="auto"`` uses CUDA when present.
    """

    name = "train"
    charges_sim_time = True  # cost_s is the measured training time

    def __init__(self, *, space, dataset: str = "digits", epochs: int = 5, batch_size: int = 64,
                 optimizer: str = "sgd", lr: float = 0.05, momentum: float = 0.9, weight_decay: float = 5e-4,
                 device: str = "auto", seed: int = 0, build: dict | None = None, data: dict | None = None) -> None:
        self.space = space
        self.dataset, self.epochs, self.batch_size = dataset, int(epochs), int(batch_size)
        self.optimizer, self.lr, self.momentum, self.weight_decay = optimizer, lr, momentum, weight_decay
        self.device, self.seed = device, seed
        self.build_options = dict(build or {})
        self.data_options = dict(data or {})
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(f"epochs and batch_size must be >= 1, got epochs={epochs}, batch_size={batch_size}")

    def splits(self):
        from workbench import data

        return data.load(self.dataset, **self.data_options)

    def evaluate(self, arch: Any) -> Result:
        import torch

        from workbench.nn import training

        arch = self.space.validate(arch)
        splits = self.splits()
        device = training.resolve_device(self.device)
        seed = arch_seed(self.seed, self.space.key(arch))
        start = time.perf_counter()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = self.space.build(arch, num_classes=splits.num_classes, in_channels=splits.in_channels,
                                     **self.build_options).to(device)
        generator = torch.Generator().manual_seed(seed)
        opt = training.make_optimizer(self.optimizer, model.parameters(), self.lr, self.momentum, self.weight_decay)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.epochs)
        x_train, y_train = splits.tensors("train", device)
        train_loss = train_acc = float("nan")
        for _ in range(self.epochs):
            train_loss, train_acc = training.train_epoch(model, x_train, y_train, opt, batch_size=self.batch_size,
                                                         generator=generator)
            sched.step()
        val_loss, val_acc = training.accuracy(model, *splits.tensors("val", device))
        _, test_acc = training.accuracy(model, *splits.tensors("test", device))
        cost = time.perf_counter() - start
        metrics = {"val_acc": 100 * val_acc, "test_acc": 100 * test_acc, "train_acc": 100 * train_acc,
                   "train_loss": train_loss, "val_loss": val_loss, "params": training.count_parameters(model)}
        return Result(objective=100 * val_acc, metrics=metrics, cost_s=cost, fidelity=self.epochs)

    def options(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "epochs": self.epochs, "batch_size": self.batch_size,
                "optimizer": self.optimizer, "lr": self.lr, "momentum": self.momentum,
                "weight_decay": self.weight_decay, "device": self.device, "seed": self.seed,
                "build": self.build_options, "data": self.data_options}
