"""The one-shot contract, and the machinery most weight-sharing strategies share.

``OneShotStrategy`` is the contract a ``Run`` drives (and all it relies on):

- ``step(should_stop=None) -> EpochReport``: train one epoch (or ``batches_per_step`` batches). When
  ``should_stop()`` turns true between two batches the step returns early with ``partial=True`` and the
  next ``step()`` continues that same epoch at the next batch;
- ``derive() -> Arch``: the arch the strategy would answer now (an arch of its space);
- ``distribution() -> ArchDistribution | None``: alphas, controller probabilities or choice counts, with
  named axes (ops x edges or layers);
- ``state_dict()`` / ``load_state_dict(state)``: everything that makes the next step what it would have been
  (weights, optimizer states, architecture parameters, random generators, the position inside an epoch);
  ``checkpoint_bytes()`` / ``load_checkpoint_bytes()`` are the same as bytes (what the store keeps);
- ``options()``: the options it was created with (recorded in the store, so a restored run is the same run).

The derived arch of an epoch is never estimated by the strategy: a ``Run`` given an estimator does that.

Spaces provide the supernet and the derivation rule, so no strategy ever branches on a space's name:
``space.supernet(num_classes, in_channels, **options)`` builds the supernet (``space.supernet_options()``
lists the accepted options with their defaults) and ``space.derive(weights, ops)`` turns per-group
(rows x ops) weights into an arch. A supernet offers ``weights()`` (what the weight optimizer trains),
``arch_parameters()`` (empty where there are none), ``ops``, ``choice_rows`` (``{group: row labels}``),
``row_axis``, ``index_of(arch)`` / ``arch_of(index)`` (an arch as ``{group: [op index per row]}``) and
``forward(x, weights=None, index=None)``: with ``index`` only the chosen op of every row is computed.

``SupernetStrategy`` implements the contract's common part: data loading and the split into a
weight-training half and a validation half, the supernet built from the space on ``device``, SGD with a
cosine learning rate for the weights, the epoch loop with its resumable position, metrics in percent, and
checkpoints. A strategy subclasses it and implements ``_search_batch`` (the updates of one batch) and
``derive``; it may add state through ``_extra_state`` / ``_load_extra_state``.
"""
from __future__ import annotations

import io
import math
import secrets
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import torch
from torch import nn

from workbench.records import ArchDistribution, EpochReport

CHECKPOINT_FORMAT = "workbench-oneshot-2"


class OneShotStrategy(ABC):
    """The contract of a weight-sharing strategy (see the module docstring). ``name`` is its registry name."""

    name = ""
    #: the number of epochs its schedules span when the user gives none
    default_epochs = 50
    #: whether a Run's pause takes effect at the next batch (``step`` then returns ``partial=True``)
    pause_within_epoch = True

    @abstractmethod
    def step(self, should_stop: Callable[[], bool] | None = None) -> EpochReport:
        """Train one epoch (fewer batches if ``should_stop()`` turns true: then ``partial=True``)."""

    @abstractmethod
    def derive(self) -> Any:
        """The arch of the space this strategy answers now."""

    def distribution(self) -> ArchDistribution | None:
        """The architecture distribution (alphas, probabilities or counts); None where there is none."""
        return None

    @abstractmethod
    def state_dict(self) -> dict[str, Any]:
        """Everything the next ``step()`` depends on, as tensors and plain values."""

    @abstractmethod
    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what ``state_dict()`` returned (of the same strategy, space and options)."""

    @abstractmethod
    def options(self) -> dict[str, Any]:
        """The options this strategy was created with (plain values)."""

    def checkpoint_bytes(self) -> bytes:
        """``state_dict()`` as bytes (``torch.save``)."""
        buffer = io.BytesIO()
        torch.save(self.state_dict(), buffer)
        return buffer.getvalue()

    def load_checkpoint_bytes(self, data: bytes) -> None:
        """Restore from ``checkpoint_bytes()`` (tensors only: no pickled code is ever loaded)."""
        from workbench.errors import WorkbenchError

        try:
            state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - whatever the bytes are, say what they are not
            raise WorkbenchError(f"not a checkpoint of the {self.name!r} strategy: {exc}") from None
        self.load_state_dict(state)


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
        return cls(d["train_order"].cpu(), d["val_order"].cpu(), int(d["batches"]), int(d["cursor"]),
                   dict(d["sums"]), float(d["seconds"]))


def cosine_lr(epoch: int, epochs: int, lr: float, lr_min: float) -> float:
    """Cosine annealing from ``lr`` (epoch 0) towards ``lr_min`` over ``epochs`` epochs (DARTS, SPOS, ...)."""
    if epoch >= epochs:
        return lr_min
    return lr_min + 0.5 * (lr - lr_min) * (1.0 + math.cos(math.pi * epoch / epochs))


#: options that size the supernet, accepted by strategies directly for convenience; each space uses the
#: ones its supernet has (``space.supernet_options()``), e.g. NB201 ``cells_per_stage``, DARTS ``layers``
SIZE_OPTIONS = ("channels", "cells_per_stage", "layers")


def supernet_options_for(space, given: Mapping[str, Any], sizes: Mapping[str, Any], strategy: str) -> dict[str, Any]:
    """The options for ``space.supernet``: its defaults, updated by ``sizes`` where the space has them and by
    ``given`` (every key of which must be one it accepts)."""
    try:
        accepted = dict(space.supernet_options())
    except NotImplementedError:
        raise ValueError(f"the {strategy!r} strategy trains a supernet, and the {space.name!r} space provides "
                         f"none (spaces with one implement supernet(); see workbench.oneshot)") from None
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        raise ValueError(f"unknown supernet option(s) {unknown} for the {space.name!r} space; accepted: "
                         f"{', '.join(sorted(accepted))}")
    out = dict(accepted)
    for key, value in sizes.items():
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{key} must be a positive integer, got {value!r}")
        if key in accepted:
            out[key] = value
    out.update(given)
    return out


class SupernetStrategy(OneShotStrategy):
    """The shared part of supernet-training strategies; keyword-only options (see the module docstring).

    ``data`` is a data set name (with ``data_options``) or loaded splits; ``train_portion`` of the training
    data trains the weights, the rest is the validation half (architecture updates, rewards, fitness).
    ``epochs`` is the length of the schedules; ``batches_per_step`` caps the batches of an epoch. The
    supernet is ``space.supernet(**supernet_options)``; ``channels``, ``cells_per_stage`` and ``layers``
    are shortcuts for the supernet options of those names (each space uses those it has).
    """

    def __init__(self, *, space, data: Any = "digits", data_options: Mapping | None = None, seed: int | None = 0,
                 device: Any = "auto", batch_size: int = 64, epochs: int | None = None, lr: float = 0.025,
                 lr_min: float = 0.001, momentum: float = 0.9, weight_decay: float = 3e-4,
                 grad_clip: float | None = 5.0, train_portion: float = 0.5, batches_per_step: int | None = None,
                 channels: int | None = None, cells_per_stage: int | None = None, layers: int | None = None,
                 track_running_stats: bool | None = None, supernet_options: Mapping | None = None) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        if batches_per_step is not None and (not isinstance(batches_per_step, int) or batches_per_step < 1):
            raise ValueError(f"batches_per_step must be a positive integer or None (a whole epoch), got {batches_per_step!r}")
        if not 0.0 < train_portion < 1.0:
            raise ValueError(f"train_portion must be in (0, 1), got {train_portion!r}")
        if epochs is not None and (not isinstance(epochs, int) or epochs < 1):
            raise ValueError(f"epochs (the length of the schedules) must be a positive integer, got {epochs!r}")
        sizes = {"channels": channels, "cells_per_stage": cells_per_stage, "layers": layers}
        given = dict(supernet_options or {})
        if track_running_stats is not None:
            given["track_running_stats"] = bool(track_running_stats)
        self.supernet_options_ = supernet_options_for(space, given, sizes, self.name)
        self.space = space
        self.data = data
        self.data_options = dict(data_options or {})
        self.seed = seed
        self.device = device
        self.batch_size = batch_size
        self.epochs = epochs if epochs is not None else self.default_epochs
        self.lr, self.lr_min, self.momentum, self.weight_decay = lr, lr_min, momentum, weight_decay
        self.grad_clip = grad_clip
        self.train_portion = train_portion
        self.batches_per_step = batches_per_step
        self._given_supernet_options = given
        self._sizes = sizes
        self.model_ = None
        self.epoch_ = 0
        self.epoch_state_: EpochState | None = None  # set while an epoch is under way
        self._build_lock = threading.Lock()

    # --- description -----------------------------------------------------------------------------
    def options(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in ("data", "data_options", "seed", "device", "batch_size", "epochs", "lr",
                                             "lr_min", "momentum", "weight_decay", "grad_clip", "train_portion",
                                             "batches_per_step")}
        out["supernet_options"] = dict(self.supernet_options_)
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
        self.seed_ = int(seed)
        self.generator_ = torch.Generator().manual_seed(self.seed_)
        with torch.random.fork_rng(devices=[]):  # module init draws from torch's global generator
            torch.random.default_generator.manual_seed(self.seed_)  # the CPU one only: CUDA state stays
            model = self.space.supernet(splits.num_classes, splits.in_channels, **self.supernet_options_)
        self._init_model(model)
        model = model.to(self.device_)
        self.weight_optimizer_ = torch.optim.SGD(model.weights(), lr=self.lr, momentum=self.momentum,
                                                 weight_decay=self.weight_decay)
        self.loss_fn_ = nn.CrossEntropyLoss()
        self.epoch_state_ = None
        self._init_strategy(model)
        self.model_ = model  # last: a built strategy has everything above

    def _init_model(self, model: nn.Module) -> None:
        """Hook: initialise the freshly built supernet (on the CPU, before it moves to the device)."""

    def _init_strategy(self, model: nn.Module) -> None:
        """Hook: build what the strategy adds (optimizers of architecture parameters, controllers, ...)."""

    # --- views -----------------------------------------------------------------------------------
    @property
    def ops(self) -> tuple[str, ...]:
        self._build()
        return tuple(self.model_.ops)

    @property
    def edge_labels(self) -> tuple[str, ...]:
        """The labels of the supernet's rows (edges ``"j->i"`` or layers), in the order of its matrices."""
        self._build()
        return tuple(next(iter(self.model_.choice_rows.values())))

    def current_lr(self) -> float:
        return cosine_lr(self.epoch_, self.epochs, self.lr, self.lr_min)

    # --- the epoch loop --------------------------------------------------------------------------
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

    def _on_epoch_end(self) -> None:
        """Hook: after the last batch of an epoch, before the epoch counter moves on."""

    def step(self, should_stop: Callable[[], bool] | None = None) -> EpochReport:
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
            parts = [("train", train_logits, train_loss, yt)]
            if val_logits is not None:
                parts.append(("val", val_logits, val_loss, yv))
            for prefix, logits, loss, labels in parts:
                for key, value in ((f"{prefix}_loss", loss.detach() * len(labels)),
                                   (f"{prefix}_correct", (logits.argmax(1) == labels).sum()),
                                   (f"{prefix}_seen", torch.tensor(len(labels)))):
                    value = value.to(device=self.device_, dtype=torch.float32)
                    sums[key] = sums[key] + value if key in sums else value
            state.cursor += 1
            if should_stop is not None and state.cursor < state.batches and should_stop():
                state.sums = {k: float(v) for k, v in sums.items()}
                state.seconds += time.perf_counter() - t0
                return EpochReport(epoch=self.epoch_, metrics=self._metrics(state), partial=True)
        state.sums = {k: float(v) for k, v in sums.items()}
        state.seconds += time.perf_counter() - t0
        metrics = self._metrics(state)
        self._check_finite(metrics)
        self._on_epoch_end()
        self.epoch_state_ = None
        self.epoch_ += 1
        arch = self.derive()
        return EpochReport(epoch=self.epoch_ - 1, metrics=metrics, distribution=self.distribution(),
                           arch=self.space.to_string(arch), scores=self._scores())

    def _search_batch(self, xt, yt, xv, yv):
        """The updates of one batch pair; returns ``(train_logits, train_loss, val_logits, val_loss)`` (the
        validation pair may be ``(None, None)`` where the strategy does not look at the batch)."""
        raise NotImplementedError

    def _metrics(self, state: EpochState) -> dict[str, float]:
        s = state.sums or {}
        metrics = {}
        for prefix in ("train", "val"):
            seen = s.get(f"{prefix}_seen", 0.0)
            if seen or prefix == "train":
                seen = max(seen, 1.0)
                metrics[f"{prefix}_loss"] = s.get(f"{prefix}_loss", 0.0) / seen
                metrics[f"{prefix}_acc"] = 100.0 * s.get(f"{prefix}_correct", 0.0) / seen
        metrics.update({"lr": self.current_lr(), "batches": float(state.cursor), "seconds": state.seconds})
        metrics.update(self._extra_metrics())
        return metrics

    def _extra_metrics(self) -> dict[str, float]:
        return {}

    def _scores(self) -> dict[str, float]:
        return {}

    @staticmethod
    def _check_finite(metrics: Mapping[str, float]) -> None:
        from workbench.errors import EvaluationError

        for key in ("train_loss", "val_loss"):
            if key in metrics and not math.isfinite(metrics[key]):
                raise EvaluationError(f"the supernet's {key} became {metrics[key]}")

    # --- shared update pieces --------------------------------------------------------------------
    def _weight_update(self, xt: torch.Tensor, yt: torch.Tensor, **forward: Any):
        """One SGD step of the supernet's weights on a training batch (gradients of the weights only)."""
        weights = self.model_.weights()
        logits = self.model_(xt, **forward)
        loss = self.loss_fn_(logits, yt)
        grads = torch.autograd.grad(loss, weights, allow_unused=True)
        for p, g in zip(weights, grads):
            p.grad = g
        self._clip_and_step(weights)
        return logits.detach(), loss.detach()

    def _clip_and_step(self, weights) -> None:
        if self.grad_clip:
            nn.utils.clip_grad_norm_([p for p in weights if p.grad is not None], self.grad_clip)
        self.weight_optimizer_.step()
        self.weight_optimizer_.zero_grad(set_to_none=True)

    # --- checkpoints -----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Weights, optimizer state, the random generator, the epoch and the position in it, and ``extra``."""
        self._build()
        return {"format": CHECKPOINT_FORMAT, "strategy": self.name, "space": self.space.name,
                "model": self.model_.state_dict(), "weight_optimizer": self.weight_optimizer_.state_dict(),
                "epoch": self.epoch_, "generator": self.generator_.get_state(),
                "epoch_state": None if self.epoch_state_ is None else self.epoch_state_.to_dict(),
                "extra": self._extra_state()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        from workbench.errors import WorkbenchError

        self._build()
        if not isinstance(state, Mapping) or state.get("format") != CHECKPOINT_FORMAT:
            raise WorkbenchError(f"not a {self.name} checkpoint (expected format {CHECKPOINT_FORMAT!r})")
        if state["strategy"] != self.name or state["space"] != self.space.name:
            raise WorkbenchError(f"checkpoint of {state['strategy']!r} on {state['space']!r} cannot restore "
                                 f"{self.name!r} on {self.space.name!r}")
        self.model_.load_state_dict(state["model"])
        self.weight_optimizer_.load_state_dict(state["weight_optimizer"])
        self.epoch_ = int(state["epoch"])
        self.generator_.set_state(state["generator"].cpu())
        es = state["epoch_state"]
        self.epoch_state_ = None if es is None else EpochState.from_dict(es)
        self._load_extra_state(state.get("extra") or {})

    def _extra_state(self) -> dict[str, Any]:
        return {}

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        pass


__all__ = ["CHECKPOINT_FORMAT", "EpochState", "OneShotStrategy", "SIZE_OPTIONS", "SupernetStrategy", "cosine_lr",
           "supernet_options_for"]
