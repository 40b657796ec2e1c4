"""Once-for-All (Cai, Gan, Wang, Zhang & Han, ICLR 2020), at small scale.

Train one elastic network (``workbench.nn.elastic_mobilenet``) over the ``mobilenet`` space, then specialise it to
a latency budget with no retraining.

Progressive shrinking (``PHASES``): train the largest network; then let the kernel size vary (3/5/7 via the
kernel transformation matrices); then the depth (first {4, 3}, then {4, 3, 2}); then, after sorting every block's
middle channels by importance, the expand ratio (first {6, 4}, then {6, 4, 3}). Each batch of a shrinking phase
trains the largest network on the labels and ``subnets_per_batch`` random subnets of the phase on the labels plus
*in-place knowledge distillation* from the largest network's (detached) outputs on the same batch.

Specialisation (``specialise(max_latency_ms, table)``): evaluate ``predictor_samples`` random subnets with
inherited weights (batch-norm statistics recalibrated on a few training batches, as OFA does), fit an accuracy
predictor (ridge regression on the space's encoding), run an evolutionary search for the subnet of highest
predicted accuracy under the latency limit (from the device's latency table), and report its inherited-weight
accuracy on the validation and test splits.

At small scale (``benchmarks/ofa_fashion.py``: Fashion-MNIST, 6,000 images, six phases of 30 batches, about 20
minutes on a loaded 2-core CPU) the smallest subnet reaches 65.6 % validation accuracy without retraining, the
largest 74.6 % (``benchmarks/RESULTS.md``).

Each ``step()`` is one epoch of the current phase (``steps_per_phase`` epochs per phase; or ``batches_per_step``
batches). The report's metrics are the largest and the smallest subnet's validation accuracy (percent).
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable, Mapping

import numpy as np

from workbench.oneshot import register
from workbench.oneshot._base import OneShotStrategy
from workbench.records import EpochReport

PHASES = ("largest", "kernel", "depth-1", "depth-2", "expand-1", "expand-2")


@register("ofa", spaces=("mobilenet",))
class OnceForAll(OneShotStrategy):
    """Progressive shrinking of an elastic mobilenet network; ``specialise()`` picks a subnet per latency budget."""

    name = "ofa"
    pause_within_epoch = False

    def __init__(self, *, space, data: Any = "fashion-mnist", data_options: dict | None = None, batch_size: int = 64,
                 lr: float = 0.05, momentum: float = 0.9, weight_decay: float = 3e-5, kd_ratio: float = 1.0,
                 subnets_per_batch: int = 1, steps_per_phase: int = 1, batches_per_step: int | None = None,
                 calibration_batches: int = 4, device: str = "cpu", seed: int = 0, **sizes: Any) -> None:
        from workbench.costs import _require

        _require(space, "latency_keys", "Once-for-All")
        self.space, self.data, self.data_options = space, data, dict(data_options or {})
        self.batch_size, self.lr, self.momentum, self.weight_decay = int(batch_size), float(lr), momentum, weight_decay
        self.kd_ratio, self.subnets_per_batch = float(kd_ratio), int(subnets_per_batch)
        self.steps_per_phase, self.batches_per_step = int(steps_per_phase), batches_per_step
        self.calibration_batches, self.device, self.seed = int(calibration_batches), device, seed
        if self.steps_per_phase < 1 or self.batch_size < 1:
            raise ValueError(f"steps_per_phase and batch_size must be >= 1, got {steps_per_phase}, {batch_size}")
        from workbench.oneshot._base import SIZE_OPTIONS

        unknown = sorted(set(sizes) - set(SIZE_OPTIONS))
        if unknown:
            raise TypeError(f"unknown OFA option(s) {unknown}")
        self.epoch_ = 0
        self._epoch: dict[str, Any] | None = None
        self._built = False

    def options(self) -> dict[str, Any]:
        return {"data": self.data if isinstance(self.data, str) else getattr(self.data, "name", "splits"),
                "data_options": self.data_options, "batch_size": self.batch_size, "lr": self.lr,
                "momentum": self.momentum, "weight_decay": self.weight_decay, "kd_ratio": self.kd_ratio,
                "subnets_per_batch": self.subnets_per_batch, "steps_per_phase": self.steps_per_phase,
                "batches_per_step": self.batches_per_step, "calibration_batches": self.calibration_batches,
                "device": self.device, "seed": self.seed}

    # --- setup -----------------------------------------------------------------------------------------
    def _build(self) -> None:
        if self._built:
            return
        import torch

        from workbench import data
        from workbench.nn.elastic_mobilenet import ElasticMobileNet
        from workbench.nn.training import resolve_device

        self._device = resolve_device(self.device)
        self.splits = self.data if hasattr(self.data, "tensors") else data.load(self.data, **self.data_options)
        self._x, self._y = self.splits.tensors("train", self._device)
        self._torch_gen = torch.Generator().manual_seed(self.seed)
        self._rng = np.random.default_rng(self.seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.net = ElasticMobileNet(self.space, self.splits.num_classes, self.splits.in_channels,
                                        self.splits.image_size[0]).to(self._device)
        self._sorted = False
        self._new_optimizer()
        self._built = True

    def _new_optimizer(self) -> None:
        import torch

        self.optimizer = torch.optim.SGD(self.net.parameters(), lr=self.lr, momentum=self.momentum,
                                         weight_decay=self.weight_decay, nesterov=True)

    @property
    def phase(self) -> str:
        return PHASES[min(self.epoch_ // self.steps_per_phase, len(PHASES) - 1)]

    def choices(self, phase: str | None = None) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """(kernels, expands, depths) a phase samples from."""
        sp = self.space
        phase = phase or self.phase
        ks = sp.kernels if phase != "largest" else (max(sp.kernels),)
        depth_n = {"largest": 1, "kernel": 1, "depth-1": 2}.get(phase, len(sp.depths))
        expand_n = {"expand-1": 2, "expand-2": len(sp.expands)}.get(phase, 1)
        return ks, tuple(sorted(sp.expands)[-expand_n:]), tuple(sorted(sp.depths)[-depth_n:])

    def sample_subnet(self, rng: np.random.Generator, phase: str | None = None) -> tuple:
        ks, es, ds = self.choices(phase)
        return tuple(tuple((int(rng.choice(ks)), int(rng.choice(es))) for _ in range(int(rng.choice(ds))))
                     for _ in range(self.space.num_stages))

    def smallest(self) -> tuple:
        sp = self.space
        return tuple(((min(sp.kernels), min(sp.expands)),) * min(sp.depths) for _ in range(sp.num_stages))

    # --- training ----------------------------------------------------------------------------------------
    def step(self, should_stop: Callable[[], bool] | None = None):
        """Train one epoch of the current phase (``batches_per_step`` batches, or one pass over the training data);
        a ``should_stop()`` that turns true ends it early with ``partial=True``, the next step continues it."""
        import torch
        import torch.nn.functional as F

        from workbench.errors import EvaluationError

        self._build()
        phase = self.phase
        if phase.startswith("expand") and not self._sorted:
            self.net.sort_channels()  # OFA: sort by channel importance before the expand ratio shrinks
            self._sorted = True
            self._new_optimizer()
        n = len(self._y)
        if self._epoch is None:
            total = math.ceil(n / self.batch_size) if self.batches_per_step is None else int(self.batches_per_step)
            order = torch.cat([torch.randperm(n, generator=self._torch_gen)
                               for _ in range(math.ceil(total * self.batch_size / n))])
            self._epoch = {"order": order, "total": total, "cursor": 0, "loss": 0.0, "correct": 0, "seen": 0,
                           "seconds": 0.0}
        ep = self._epoch
        start = time.perf_counter()
        self.net.train()
        while ep["cursor"] < ep["total"]:
            done, total = ep["cursor"], ep["total"]
            lr = 0.5 * self.lr * (1 + math.cos(math.pi * done / total))
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            idx = ep["order"][done * self.batch_size:(done + 1) * self.batch_size].to(self._device)
            xb, yb = self._x[idx], self._y[idx]
            self.optimizer.zero_grad(set_to_none=True)
            self.net.set_active(self.net.largest)
            logits = self.net(xb)
            loss = F.cross_entropy(logits, yb)
            if not math.isfinite(loss.item()):
                raise EvaluationError(f"OFA training loss became {loss.item()} in phase {phase}")
            loss.backward()
            if phase != "largest":  # in-place distillation from the largest network on the same batch
                soft = F.softmax(logits.detach(), dim=1)
                for _ in range(self.subnets_per_batch):
                    self.net.set_active(self.sample_subnet(self._rng, phase))
                    sub = self.net(xb)
                    sub_loss = F.cross_entropy(sub, yb) + self.kd_ratio * F.kl_div(
                        F.log_softmax(sub, dim=1), soft, reduction="batchmean")
                    sub_loss.backward()
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), 5.0)
            self.optimizer.step()
            ep["loss"] += loss.item() * len(yb)
            ep["correct"] += int((logits.argmax(1) == yb).sum())
            ep["seen"] += len(yb)
            ep["cursor"] += 1
            if should_stop is not None and ep["cursor"] < ep["total"] and should_stop():
                ep["seconds"] += time.perf_counter() - start
                self.net.set_active(self.net.largest)
                return EpochReport(epoch=self.epoch_, metrics=self._running(ep), partial=True)
        ep["seconds"] += time.perf_counter() - start
        self.net.set_active(self.net.largest)
        metrics = self._running(ep)
        self._epoch = None
        self.epoch_ += 1
        metrics.update(largest_val_acc=self.evaluate(self.net.largest), smallest_val_acc=self.evaluate(self.smallest()),
                       phase=float(PHASES.index(phase)))
        metrics["val_acc"] = metrics["largest_val_acc"]
        return EpochReport(epoch=self.epoch_ - 1, metrics=metrics, arch=self.space.to_string(self.derive()))

    @staticmethod
    def _running(ep: Mapping[str, Any]) -> dict[str, float]:
        seen = max(ep["seen"], 1)
        return {"train_loss": ep["loss"] / seen, "train_acc": 100.0 * ep["correct"] / seen,
                "batches": float(ep["cursor"]), "seconds": ep["seconds"]}

    @property
    def model_(self):
        """The elastic network (None before the first step)."""
        return self.net if self._built else None

    def derive(self) -> tuple:
        """The specialised subnet if ``specialise`` ran, else the largest network."""
        self._build()
        return getattr(self, "_specialised", None) or self.net.largest

    # --- subnets -------------------------------------------------------------------------------------------
    def subnet(self, arch: Any):
        """``arch``'s network with inherited weights and recalibrated batch-norm statistics (no retraining)."""
        import torch

        self._build()
        net = self.net.subnet(arch)
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.reset_running_stats()
                m.momentum = None  # cumulative average over the calibration batches
        net.train()
        size = max(self.batch_size, 128)  # the first training images (already shuffled by the data split)
        with torch.no_grad():
            for i in range(min(self.calibration_batches, math.ceil(len(self._y) / size))):
                net(self._x[i * size:(i + 1) * size])
        return net.eval()

    def evaluate(self, arch: Any, split: str = "val") -> float:
        """Inherited-weight accuracy (percent) of ``arch`` on ``split``."""
        from workbench.nn.training import accuracy

        net = self.subnet(arch)
        _, acc = accuracy(net, *self.splits.tensors(split, self._device))
        return 100.0 * acc

    # --- specialisation -------------------------------------------------------------------------------------
    def fit_predictor(self, samples: int = 40, seed: int = 0):
        """Fit the accuracy predictor on ``samples`` random subnets (plus the largest and the smallest)."""
        from sklearn.linear_model import Ridge

        rng = np.random.default_rng(seed)
        archs = [self.net.largest, self.smallest()] + [self.sample_subnet(rng, PHASES[-1]) for _ in range(samples)]
        accs = np.array([self.evaluate(a) for a in archs])
        X = np.stack([self.space.encode(a) for a in archs])
        self.predictor = Ridge(alpha=1.0).fit(X, accs)
        self.predictor_data = (archs, accs)
        return self.predictor

    def predict(self, archs: list) -> np.ndarray:
        return self.predictor.predict(np.stack([self.space.encode(a) for a in archs]))

    def specialise(self, max_latency_ms: float, table, *, population: int = 48, generations: int = 15,
                   predictor_samples: int = 40, seed: int = 0) -> dict[str, Any]:
        """The subnet of highest predicted accuracy whose table latency is at most ``max_latency_ms``; returns
        its arch text, predicted latency, predicted and inherited-weight (measured) validation and test accuracy."""
        from workbench.costs import Constraint

        self._build()
        if getattr(self, "predictor", None) is None:
            self.fit_predictor(predictor_samples, seed)
        constraint = Constraint(self.space, max_latency_ms=max_latency_ms, table=table)
        rng = np.random.default_rng(seed)
        pop = []
        for _ in range(population * 200):
            arch = self.sample_subnet(rng, PHASES[-1])
            if constraint.ok(arch):
                pop.append(arch)
                if len(pop) == population:
                    break
        if not pop:
            smallest = table.predict_ms(self.smallest())
            raise ValueError(f"no subnet under max_latency_ms={max_latency_ms:g} (the smallest takes {smallest:.3f} ms "
                             f"on {table.info.get('device_name')})")
        for _ in range(generations):
            scores = self.predict(pop)
            parents = [pop[i] for i in np.argsort(-scores)[:max(2, len(pop) // 4)]]
            children = []
            for _ in range(population * 20):
                if len(children) >= population - len(parents):
                    break
                a = parents[int(rng.integers(len(parents)))]
                if rng.random() < 0.5:
                    b = parents[int(rng.integers(len(parents)))]
                    child = tuple(sa if rng.random() < 0.5 else sb for sa, sb in zip(a, b))
                else:
                    child = self.space.mutate(a, rng)
                if constraint.ok(child):
                    children.append(child)
            pop = list(dict.fromkeys(parents + children))
        scores = self.predict(pop)
        best = pop[int(np.argmax(scores))]
        self._specialised = best
        return {"arch": self.space.to_string(best), "latency_ms": table.predict_ms(best),
                "max_latency_ms": float(max_latency_ms), "predicted_val_acc": float(np.max(scores)),
                "val_acc": self.evaluate(best), "test_acc": self.evaluate(best, "test"),
                **self.space.costs(best, self.splits.num_classes, self.splits.in_channels)}

    # --- checkpoints ------------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        self._build()
        spec = getattr(self, "_specialised", None)
        return {"strategy": self.name, "net": self.net.state_dict(), "optimizer": self.optimizer.state_dict(),
                "epoch": self.epoch_, "sorted": self._sorted, "torch_gen": self._torch_gen.get_state(),
                "rng": self._rng.bit_generator.state, "epoch_state": self._epoch,
                "specialised": None if spec is None else self.space.to_string(spec)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        from workbench.errors import WorkbenchError

        self._build()
        if not isinstance(state, Mapping) or state.get("strategy") != self.name:
            raise WorkbenchError(f"not a checkpoint of the {self.name!r} strategy")
        self.net.load_state_dict(state["net"])
        self.epoch_, self._sorted = int(state["epoch"]), bool(state["sorted"])
        self._new_optimizer()
        self.optimizer.load_state_dict(state["optimizer"])
        self._torch_gen.set_state(state["torch_gen"].cpu())
        self._rng.bit_generator.state = state["rng"]
        ep = state.get("epoch_state")
        self._epoch = None if ep is None else {**ep, "order": ep["order"].cpu()}
        if state.get("specialised"):
            self._specialised = self.space.from_string(state["specialised"])

    def __repr__(self) -> str:
        return f"OnceForAll(space={self.space.name!r}, data={self.data!r}, seed={self.seed})"
