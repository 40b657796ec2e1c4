"""What differentiable one-shot strategies (DARTS, GDAS) share: data split, supernet, optimizers, epochs, checkpoints.

A strategy subclasses ``DifferentiableSearch`` and implements ``_search_batch`` (one architecture update
and one weight update on a pair of batches). The base class owns everything else:

- the constructor only stores its arguments; ``_build()`` loads the data, splits the training data into a
  weight-training half and an architecture-validation half (DARTS, sec. 3.1.1), builds the supernet of the
  space (``nb201`` or ``darts``) on ``device``, and the optimizers (SGD with a cosine learning rate for
  the weights, Adam for the alphas);
- ``step(should_stop)`` trains one epoch (or ``batches_per_step`` batches) and returns the report a
  ``Run`` records: metrics, softmaxed alphas per cell type, op and edge names, and the derived arch's
  text. A ``should_stop()`` that turns true mid-epoch ends the step early with ``partial=True``; the
  next ``step()`` continues the same epoch at the next batch (so a paused or stopped run that resumes
  from a checkpoint trains exactly as one that was never interrupted);
- ``derive()`` turns alphas into an arch of the space; ``checkpoint_bytes()`` / ``load_checkpoint_bytes()``
  save and restore weights, optimizer states, alphas, the random generator and the position in the epoch;
- each finished epoch, the derived arch is estimated when a benchmark is given (``benchmark="nb201"`` or
  a table path on NB201: its tabular accuracy; ``benchmark="nb301"`` on the DARTS space: the surrogate),
  as ``derived_*`` metrics: the curve on which DARTS' collapse to skip connections shows.
"""
from __future__ import annotations

import io
import math
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import torch
from torch import nn

SPACES = ("nb201", "darts")
CHECKPOINT_FORMAT = "workbench-differentiable-1"


@dataclass
class EpochState:
    """Where the current epoch stands: the batch order, the next batch and running sums of the metrics."""

    train_order: torch.Tensor
    val_order: torch.Tensor
    batches: int
    cursor: int = 0
    sums: dict[str, float] | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"train_order": self.train_order.cpu(), "val_order": self.val_order.cpu(), "batches": self.batches,
                "cursor": self.cursor, "sums": dict(self.sums or {}), "seconds": self.seconds}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "EpochState":
        return cls(d["train_order"], d["val_order"], int(d["batches"]), int(d["cursor"]), dict(d["sums"]),
                   float(d["seconds"]))


def cosine_lr(epoch: int, epochs: int, lr: float, lr_min: float) -> float:
    """DARTS' schedule: cosine annealing from ``lr`` (epoch 0) towards ``lr_min`` over ``epochs`` epochs."""
    if epoch >= epochs:
        return lr_min
    return lr_min + 0.5 * (lr - lr_min) * (1.0 + math.cos(math.pi * epoch / epochs))


class DifferentiableSearch:
    """Base class of DARTS-like strategies; see the module docstring. Keyword-only hyperparameters.

    Defaults are DARTS' (Liu et al. 2019, sec. 3.1.1 and its ``train_search.py``): batch 64, SGD lr 0.025
    annealed (cosine) to 0.001 over 50 epochs, momentum 0.9, weight decay 3e-4, gradient clipping at 5;
    Adam for the alphas with lr 3e-4, betas (0.5, 0.999), weight decay 1e-3; half of the training data
    trains the weights, the other half the alphas. Supernet size: NB201 C=16, N=5 cells per stage (the
    NB201 paper's search setting); DARTS space C=16 with 8 layers.
    """

    name = ""
    default_epochs = 50
    #: a Run's pause takes effect at the next batch (``step`` returns ``partial=True`` and resumes mid-epoch)
    pause_within_epoch = True

    def __init__(self, *, space, data: Any = "digits", data_options: Mapping | None = None, seed: int | None = 0,
                 device: Any = "auto", batch_size: int = 64, epochs: int | None = None, lr: float = 0.025,
                 lr_min: float = 0.001, momentum: float = 0.9, weight_decay: float = 3e-4, arch_lr: float = 3e-4,
                 arch_betas: Sequence[float] = (0.5, 0.999), arch_weight_decay: float = 1e-3,
                 grad_clip: float | None = 5.0, train_portion: float = 0.5, batches_per_step: int | None = None,
                 channels: int = 16, cells_per_stage: int = 5, layers: int = 8, track_running_stats: bool = True,
                 benchmark: Any = None, benchmark_options: Mapping | None = None) -> None:
        if getattr(space, "name", None) not in SPACES:
            raise ValueError(f"the {self.name!r} strategy searches the {', '.join(SPACES)} spaces, "
                             f"not {getattr(space, 'name', space)!r}")
        for label, value in (("batch_size", batch_size), ("channels", channels), ("cells_per_stage", cells_per_stage),
                             ("layers", layers)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{label} must be a positive integer, got {value!r}")
        if batches_per_step is not None and (not isinstance(batches_per_step, int) or batches_per_step < 1):
            raise ValueError(f"batches_per_step must be a positive integer or None (a whole epoch), got {batches_per_step!r}")
        if not 0.0 < train_portion < 1.0:
            raise ValueError(f"train_portion must be in (0, 1), got {train_portion!r}")
        if epochs is not None and (not isinstance(epochs, int) or epochs < 1):
            raise ValueError(f"epochs (the length of the schedules) must be a positive integer, got {epochs!r}")
        self.space = space
        self.data = data
        self.data_options = dict(data_options or {})
        self.seed = seed
        self.device = device
        self.batch_size = batch_size
        self.epochs = epochs if epochs is not None else self.default_epochs
        self.lr, self.lr_min, self.momentum, self.weight_decay = lr, lr_min, momentum, weight_decay
        self.arch_lr, self.arch_betas, self.arch_weight_decay = arch_lr, tuple(arch_betas), arch_weight_decay
        self.grad_clip = grad_clip
        self.train_portion = train_portion
        self.batches_per_step = batches_per_step
        self.channels, self.cells_per_stage, self.layers = channels, cells_per_stage, layers
        self.track_running_stats = track_running_stats
        self.benchmark = benchmark
        self.benchmark_options = dict(benchmark_options or {})
        self.model_ = None
        self.epoch_ = 0
        self.epoch_state_: EpochState | None = None  # set while an epoch is under way
        self._build_lock = threading.Lock()
        self.estimator_note_: str | None = None  # why derived archs are not estimated, when they are not

    # --- description -----------------------------------------------------------------------------
    def options(self) -> dict[str, Any]:
        """The constructor's options: with the space they rebuild an equal strategy,
        ``oneshot.create(s.name, space=s.space, **s.options())``."""
        keys = ("data", "data_options", "seed", "device", "batch_size", "epochs", "lr", "lr_min", "momentum",
                "weight_decay", "arch_lr", "arch_betas", "arch_weight_decay", "grad_clip", "train_portion",
                "batches_per_step", "channels", "cells_per_stage", "layers", "track_running_stats", "benchmark",
                "benchmark_options")
        out = {k: getattr(self, k) for k in keys}
        out["arch_betas"] = list(self.arch_betas)
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(space={self.space.name!r}, data={self.data!r}, seed={self.seed!r})"

    # --- building --------------------------------------------------------------------------------
    def _build(self) -> None:
        if self.model_ is not None:
            return
        with self._build_lock:  # a notebook cell may ask for ops while the run's thread builds
            if self.model_ is None:
                self._build_now()

    def _build_now(self) -> None:
        from workbench import data as datasets
        from workbench.nn.training import resolve_device

        self.device_ = resolve_device(self.device)
        splits = self.data if hasattr(self.data, "tensors") else datasets.load(self.data, **self.data_options)
        x, y = splits.tensors("train", self.device_)
        n_train = int(len(y) * self.train_portion)
        if n_train < 1 or n_train >= len(y):
            raise ValueError(f"train_portion {self.train_portion} leaves an empty half of {len(y)} training examples")
        self.x_train_, self.y_train_ = x[:n_train], y[:n_train]
        self.x_val_, self.y_val_ = x[n_train:], y[n_train:]
        self.splits_ = splits
        seed = self.seed if self.seed is not None else secrets.randbits(63)  # fresh, without touching torch's
        self.generator_ = torch.Generator().manual_seed(int(seed))
        with torch.random.fork_rng(devices=[]):  # module init draws from torch's global generator
            torch.random.default_generator.manual_seed(int(seed))  # the CPU one only: CUDA state stays
            model = self._make_supernet(splits.num_classes, splits.in_channels)
        with torch.no_grad():
            for a in model.arch_parameters():  # DARTS: alphas start at 1e-3 * N(0, 1)
                a.copy_(1e-3 * torch.randn(a.shape, generator=self.generator_))
        model = model.to(self.device_)
        self.weight_optimizer_ = torch.optim.SGD(model.weights(), lr=self.lr, momentum=self.momentum,
                                                 weight_decay=self.weight_decay)
        self.arch_optimizer_ = torch.optim.Adam(model.arch_parameters(), lr=self.arch_lr, betas=self.arch_betas,
                                                weight_decay=self.arch_weight_decay)
        self.loss_fn_ = nn.CrossEntropyLoss()
        self.epoch_state_ = None
        self.estimator_ = self._make_estimator()
        self.estimates_: dict[str, dict[str, float]] = {}
        self.model_ = model  # last: a built strategy has everything above

    def _make_supernet(self, num_classes: int, in_channels: int) -> nn.Module:
        if self.space.name == "nb201":
            from workbench.nn.supernet_nb201 import NB201Supernet

            return NB201Supernet(num_classes, in_channels, self.channels, self.cells_per_stage,
                                 track_running_stats=self.track_running_stats)
        from workbench.nn.supernet_darts import DARTSSupernet

        return DARTSSupernet(num_classes, in_channels, self.channels, self.layers,
                             track_running_stats=self.track_running_stats)

    def _make_estimator(self):
        """The estimator of derived archs, or None. ``"auto"`` uses what is installed and skips silently."""
        if self.benchmark is None:
            return None
        from workbench import estimators
        from workbench.errors import DataError, UnknownNameError

        optional = self.benchmark == "auto"
        try:
            if self.space.name == "nb201":
                table = "nb201" if self.benchmark in ("auto", "nb201", "tabular") else self.benchmark
                return estimators.create("tabular", space=self.space, benchmark=table, **self.benchmark_options)
            options = dict(self.benchmark_options)
            if self.benchmark not in ("auto", "nb301", "surrogate"):  # the path of the surrogate's ONNX model
                options.setdefault("model", self.benchmark)
            return estimators.create("surrogate", space=self.space, **options)
        except (UnknownNameError, DataError, ImportError, FileNotFoundError) as exc:
            if optional or (self.space.name == "darts" and isinstance(exc, UnknownNameError)):
                self.estimator_note_ = f"derived archs are not estimated: {exc}"
                return None
            raise

    # --- the search ------------------------------------------------------------------------------
    @property
    def ops(self) -> tuple[str, ...]:
        self._build()
        return tuple(self.model_.ops)

    @property
    def edge_labels(self) -> tuple[str, ...]:
        self._build()
        return tuple(f"{j}->{i}" for j, i in self.model_.edges)

    def alphas(self) -> dict[str, list[list[float]]]:
        """Softmaxed architecture weights per cell type: ``{"normal": [[w per op] per edge], ...}``."""
        self._build()
        with torch.no_grad():
            return {kind: torch.softmax(a.detach().float(), dim=-1).cpu().tolist()
                    for kind, a in self.model_.alphas_by_type().items()}

    def current_lr(self) -> float:
        return cosine_lr(self.epoch_, self.epochs, self.lr, self.lr_min)

    def _new_epoch(self) -> EpochState:
        n_train, n_val = len(self.y_train_), len(self.y_val_)
        batches = math.ceil(n_train / self.batch_size)
        if self.batches_per_step is not None:
            batches = min(batches, self.batches_per_step)
        train_order = torch.randperm(n_train, generator=self.generator_)
        repeats = math.ceil(n_train / n_val)
        val_order = torch.cat([torch.randperm(n_val, generator=self.generator_) for _ in range(repeats)])[:n_train]
        return EpochState(train_order, val_order, batches, 0, {}, 0.0)

    def _on_epoch_start(self) -> None:
        """Hook: set the epoch's schedules (the base sets the weights' learning rate)."""
        for group in self.weight_optimizer_.param_groups:
            group["lr"] = self.current_lr()

    def step(self, should_stop: Callable[[], bool] | None = None) -> dict[str, Any]:
        """Train one epoch (or ``batches_per_step`` batches; fewer if ``should_stop()`` turns true)."""
        self._build()
        if self.epoch_state_ is None:
            self.epoch_state_ = self._new_epoch()
        state = self.epoch_state_
        self._on_epoch_start()
        self.model_.train()
        t0 = time.perf_counter()
        sums = {k: torch.tensor(v, device=self.device_, dtype=torch.float32) for k, v in state.sums.items()}
        bs = self.batch_size
        while state.cursor < state.batches:
            lo = state.cursor * bs
            ti = state.train_order[lo: lo + bs].to(self.device_)
            vi = state.val_order[lo: lo + bs].to(self.device_)
            xt, yt, xv, yv = self.x_train_[ti], self.y_train_[ti], self.x_val_[vi], self.y_val_[vi]
            train_logits, train_loss, val_logits, val_loss = self._search_batch(xt, yt, xv, yv)
            for key, value in (("train_loss", train_loss.detach() * len(yt)),
                               ("train_correct", (train_logits.argmax(1) == yt).sum()),
                               ("train_seen", torch.tensor(len(yt))),
                               ("val_loss", val_loss.detach() * len(yv)),
                               ("val_correct", (val_logits.argmax(1) == yv).sum()),
                               ("val_seen", torch.tensor(len(yv)))):
                value = value.to(device=self.device_, dtype=torch.float32)
                sums[key] = sums[key] + value if key in sums else value
            state.cursor += 1
            if should_stop is not None and state.cursor < state.batches and should_stop():
                state.sums = {k: float(v) for k, v in sums.items()}
                state.seconds += time.perf_counter() - t0
                return {"partial": True, "metrics": self._metrics(state), "epoch": self.epoch_}
        state.sums = {k: float(v) for k, v in sums.items()}
        state.seconds += time.perf_counter() - t0
        metrics = self._metrics(state)
        self._check_finite(metrics)
        self.epoch_state_ = None
        self.epoch_ += 1
        arch = self.derive()
        text = self.space.to_string(arch)
        metrics.update(self._estimate(arch, text))
        return {"metrics": metrics, "alphas": self.alphas(), "ops": self.ops, "edges": self.edge_labels,
                "arch": text, "epoch": self.epoch_ - 1}

    def _metrics(self, state: EpochState) -> dict[str, float]:
        s = state.sums or {}
        seen_t, seen_v = max(s.get("train_seen", 0.0), 1.0), max(s.get("val_seen", 0.0), 1.0)
        metrics = {"train_loss": s.get("train_loss", 0.0) / seen_t, "train_acc": s.get("train_correct", 0.0) / seen_t,
                   "val_loss": s.get("val_loss", 0.0) / seen_v,
                   "val_acc": s.get("val_correct", 0.0) / seen_v,
                   "lr": self.current_lr(), "batches": float(state.cursor), "seconds": state.seconds}
        metrics.update(self._extra_metrics())
        return metrics

    def _extra_metrics(self) -> dict[str, float]:
        return {}

    @staticmethod
    def _check_finite(metrics: Mapping[str, float]) -> None:
        from workbench.errors import EvaluationError

        for key in ("train_loss", "val_loss"):
            if not math.isfinite(metrics[key]):
                raise EvaluationError(f"the supernet's {key} became {metrics[key]}")

    def _estimate(self, arch, text: str) -> dict[str, float]:
        if self.estimator_ is None:
            return {}
        if text not in self.estimates_:
            result = self.estimator_.evaluate(arch)
            values = {"derived_objective": float(result.objective)}
            values.update({f"derived_{k}": float(v) for k, v in result.metrics.items()
                           if isinstance(v, (int, float)) and not isinstance(v, bool)})
            self.estimates_[text] = values
        return dict(self.estimates_[text])

    def _search_batch(self, xt, yt, xv, yv):
        """One architecture update and one weight update; returns (train_logits, train_loss, val_logits, val_loss)."""
        raise NotImplementedError

    # --- shared update pieces --------------------------------------------------------------------
    def _weight_update(self, xt: torch.Tensor, yt: torch.Tensor, **forward: Any):
        """One SGD step of the supernet's weights on a training batch (gradients of the weights only)."""
        weights = self.model_.weights()
        logits = self.model_(xt, **forward)
        loss = self.loss_fn_(logits, yt)
        grads = torch.autograd.grad(loss, weights, allow_unused=True)
        for p, g in zip(weights, grads):
            p.grad = g
        if self.grad_clip:
            nn.utils.clip_grad_norm_([p for p in weights if p.grad is not None], self.grad_clip)
        self.weight_optimizer_.step()
        self.weight_optimizer_.zero_grad(set_to_none=True)
        return logits.detach(), loss.detach()

    def _apply_arch_grads(self, grads: Sequence[torch.Tensor]) -> None:
        for a, g in zip(self.model_.arch_parameters(), grads):
            a.grad = g
        self.arch_optimizer_.step()
        self.arch_optimizer_.zero_grad(set_to_none=True)

    # --- deriving --------------------------------------------------------------------------------
    def derive(self):
        """The arch the alphas point at: argmax per edge on NB201; top-2 inputs per node on DARTS."""
        self._build()
        weights = {kind: torch.softmax(a.detach().float(), dim=-1).cpu()
                   for kind, a in self.model_.alphas_by_type().items()}
        if self.space.name == "nb201":
            return self.space.validate(derive_nb201(weights["normal"], self.model_.ops))
        return self.space.validate(derive_darts(weights, self.model_.ops, self.model_.steps))

    # --- checkpoints -----------------------------------------------------------------------------
    def checkpoint_bytes(self) -> bytes:
        """Weights, optimizer states, alphas, the random generator and the epoch position, as bytes."""
        self._build()
        state = {"format": CHECKPOINT_FORMAT, "strategy": self.name, "space": self.space.name,
                 "model": self.model_.state_dict(), "weight_optimizer": self.weight_optimizer_.state_dict(),
                 "arch_optimizer": self.arch_optimizer_.state_dict(), "epoch": self.epoch_,
                 "generator": self.generator_.get_state(),
                 "epoch_state": None if self.epoch_state_ is None else self.epoch_state_.to_dict(),
                 "extra": self._extra_state()}
        buffer = io.BytesIO()
        torch.save(state, buffer)
        return buffer.getvalue()

    def load_checkpoint_bytes(self, data: bytes) -> None:
        from workbench.errors import WorkbenchError

        self._build()
        state = torch.load(io.BytesIO(data), map_location=self.device_, weights_only=True)
        if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
            raise WorkbenchError(f"not a {self.name} checkpoint (expected format {CHECKPOINT_FORMAT!r})")
        if state["strategy"] != self.name or state["space"] != self.space.name:
            raise WorkbenchError(f"checkpoint of {state['strategy']!r} on {state['space']!r} cannot restore "
                                 f"{self.name!r} on {self.space.name!r}")
        self.model_.load_state_dict(state["model"])
        self.weight_optimizer_.load_state_dict(state["weight_optimizer"])
        self.arch_optimizer_.load_state_dict(state["arch_optimizer"])
        self.epoch_ = int(state["epoch"])
        self.generator_.set_state(state["generator"].cpu())
        es = state["epoch_state"]
        self.epoch_state_ = None if es is None else EpochState.from_dict(
            {**es, "train_order": es["train_order"].cpu(), "val_order": es["val_order"].cpu()})
        self._load_extra_state(state.get("extra") or {})

    def _extra_state(self) -> dict[str, Any]:
        return {}

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        pass


def derive_nb201(weights: torch.Tensor, ops: Sequence[str]) -> tuple[str, ...]:
    """NB201 arch: the op of largest weight on each edge (``none`` included, as the NB201 paper's DARTS does)."""
    return tuple(ops[int(k)] for k in weights.argmax(dim=-1))


def derive_darts(weights: Mapping[str, torch.Tensor], ops: Sequence[str], steps: int = 4):
    """DARTS genotype (Liu et al. 2019, sec. 2.4): per node, the two inputs whose strongest non-``none`` op
    weighs most, each with that op; pairs listed strongest first, as DARTS' ``genotype()`` does."""
    from workbench.spaces.darts import Genotype

    none = ops.index("none") if "none" in ops else None

    def cell(w: torch.Tensor) -> list[tuple[str, int]]:
        pairs: list[tuple[str, int]] = []
        start = 0
        for i in range(2, 2 + steps):
            rows = w[start: start + i]
            best = []
            for j in range(i):
                candidates = [(float(rows[j, k]), -k) for k in range(len(ops)) if k != none]
                strength, neg_k = max(candidates)
                best.append((strength, -j, -neg_k))
            for strength, neg_j, k in sorted(best, reverse=True)[:2]:
                pairs.append((ops[k], -neg_j))
            start += i
        return pairs

    concat = list(range(2, 2 + steps))
    return Genotype(normal=cell(weights["normal"]), normal_concat=concat, reduce=cell(weights["reduce"]),
                    reduce_concat=concat)
