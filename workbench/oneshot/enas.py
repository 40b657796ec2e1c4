"""ENAS: efficient neural architecture search via parameter sharing (Pham et al., ICML 2018).

An LSTM controller emits an arch decision by decision (``space.decisions()``: NB201's 6 edge ops, the
DARTS cell's inputs and ops per node) and all archs share the supernet's weights. Each epoch alternates two
phases, as the paper does:

1. shared weights: every training batch trains the path of an arch sampled from the controller;
2. controller: ``controller_steps`` times, sample an arch, reward it with its accuracy (a fraction) with the
   shared weights on a held-out validation batch, and take a REINFORCE step (Adam) against an exponential
   moving-average baseline (decay ``baseline_decay``), with an entropy bonus.

The controller is the REINFORCE searcher's numpy LSTM (``workbench.searchers.reinforce.LSTMPolicy`` and its
``Adam``): the same code, a policy over the same decision sequence. Defaults follow the NB201 paper's ENAS
run (AutoDL-Projects ``ENAS.config``: LSTM size 32, Adam lr 0.001, entropy weight 1e-4, baseline decay
0.95, 50 controller steps per epoch). The derived arch is the best, by inherited accuracy (batch norms
recalibrated), of ``derive_samples`` archs sampled from the controller and its most likely arch. The
report's distribution is the controller's probabilities of each decision's options along its most likely
arch (NaN where a decision does not offer an option).
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import torch

from workbench.oneshot import register
from workbench.oneshot._single_path import SPACES, SinglePathSearch
from workbench.records import ArchDistribution


@register("enas", spaces=SPACES)
class ENAS(SinglePathSearch):
    """ENAS on any space with a decision sequence and a supernet (NB201, DARTS, spos_chain)."""

    name = "enas"
    default_epochs = 250

    def __init__(self, *, space, controller_steps: int = 50, controller_lr: float = 0.001, hidden_size: int = 32,
                 entropy_weight: float = 1e-4, baseline_decay: float = 0.95, derive_samples: int = 10,
                 **options: Any) -> None:
        super().__init__(space=space, **options)
        for label, value in (("controller_steps", controller_steps), ("hidden_size", hidden_size),
                             ("derive_samples", derive_samples)):
            if not isinstance(value, int) or isinstance(value, bool) or value < (0 if label == "derive_samples" else 1):
                raise ValueError(f"{label} must be a positive integer, got {value!r}")
        if not controller_lr > 0 or not 0.0 <= baseline_decay < 1.0:
            raise ValueError(f"controller_lr must be > 0 and baseline_decay in [0, 1), got {controller_lr!r}, "
                             f"{baseline_decay!r}")
        try:
            self.decisions = list(space.decisions())
        except NotImplementedError:
            raise ValueError(f"the ENAS controller emits decision sequences; the {space.name!r} space lists none") from None
        self.controller_steps, self.controller_lr, self.hidden_size = controller_steps, float(controller_lr), hidden_size
        self.entropy_weight, self.baseline_decay = float(entropy_weight), float(baseline_decay)
        self.derive_samples = derive_samples

    def options(self) -> dict[str, Any]:
        return {**super().options(), "controller_steps": self.controller_steps, "controller_lr": self.controller_lr,
                "hidden_size": self.hidden_size, "entropy_weight": self.entropy_weight,
                "baseline_decay": self.baseline_decay, "derive_samples": self.derive_samples}

    # --- the controller --------------------------------------------------------------------------
    def _init_strategy(self, model) -> None:
        from workbench.searchers.reinforce import Adam, LSTMPolicy

        super()._init_strategy(model)
        init_rng = np.random.default_rng(np.random.SeedSequence([self.seed_, 3]))
        self.policy_ = LSTMPolicy([len(options) for _, options in self.decisions], self.hidden_size, init_rng)
        self.controller_optimizer_ = Adam(self.policy_.flat.size, self.controller_lr)
        self.baseline_: float | None = None
        #: per controller step: (reward, baseline after the step, entropy)
        self.controller_history_: list[tuple[float, float, float]] = []
        self._epoch_controller: dict[str, float] = {}  # the last finished controller phase's numbers

    def sample_arch(self, rng: np.random.Generator):
        """An arch sampled from the controller."""
        self._build()
        choices, _ = self.policy_.sample(rng)
        return self.space.from_decisions(choices)

    def most_likely(self):
        self._build()
        choices, _ = self.policy_.sample(self.rng_, greedy=True)  # greedy: the generator is not used
        return self.space.from_decisions(choices)

    def _sample_index(self):
        return self.model_.index_of(self.sample_arch(self.rng_))

    def reward(self, arch, x: torch.Tensor, y: torch.Tensor) -> float:
        """Accuracy (a fraction) of the arch's path with the shared weights on a batch (eval mode)."""
        from workbench.nn.supernet_eval import inherited_accuracy

        return inherited_accuracy(self.model_, x, y, batch_size=len(y),
                                  forward={"index": self.model_.index_of(arch)}) / 100.0

    def controller_step(self, x: torch.Tensor, y: torch.Tensor) -> float:
        """One REINFORCE step of the controller on a validation batch; returns the reward."""
        choices, _ = self.policy_.sample(self.rng_)
        arch = self.space.from_decisions(choices)
        r = self.reward(arch, x, y)
        d = self.baseline_decay
        self.baseline_ = r if self.baseline_ is None else d * self.baseline_ + (1 - d) * r
        grad, _, entropy = self.policy_.gradients(choices, r - self.baseline_, self.entropy_weight)
        self.controller_optimizer_.step(self.policy_.flat, grad)
        self.controller_history_.append((r, self.baseline_, entropy))
        return r

    def _on_epoch_end(self) -> None:
        super()._on_epoch_end()
        n_val = len(self.y_val_)
        rewards = []
        for _ in range(self.controller_steps):
            i = torch.randint(n_val, (min(self.batch_size, n_val),), generator=self.generator_).to(self.device_)
            rewards.append(self.controller_step(self.x_val_[i], self.y_val_[i]))
        self._epoch_controller = {"controller_reward": 100.0 * float(np.mean(rewards)),
                                  "controller_baseline": 100.0 * float(self.baseline_),
                                  "controller_entropy": float(self.controller_history_[-1][2])}

    def _extra_metrics(self) -> dict[str, float]:
        return dict(self._epoch_controller)

    # --- views -----------------------------------------------------------------------------------
    def controller_probabilities(self) -> list[np.ndarray]:
        """Per decision, the controller's probabilities of its options along its most likely arch."""
        self._build()
        return self.policy_.sample(self.rng_, greedy=True)[1]

    def distribution(self) -> ArchDistribution:
        labels: list[str] = []
        for _, options in self.decisions:
            for o in options:
                if str(o) not in labels:
                    labels.append(str(o))
        rows = []
        for (_, options), p in zip(self.decisions, self.controller_probabilities()):
            row = [float("nan")] * len(labels)
            for o, v in zip(options, p):
                row[labels.index(str(o))] = float(v)
            rows.append(row)
        return ArchDistribution("probabilities", tuple(labels), tuple(name for name, _ in self.decisions),
                                {"controller": rows}, self.model_.row_axis)

    # --- deriving --------------------------------------------------------------------------------
    def search(self) -> list[tuple[Any, float]]:
        """The controller's most likely arch and ``derive_samples`` samples, by inherited accuracy, best first."""
        self._build()
        rng = self._search_rng()
        archs = [self.most_likely()] + [self.sample_arch(rng) for _ in range(self.derive_samples)]
        seen, scored = set(), []
        for arch in archs:
            k = self.space.key(arch)
            if k not in seen and self.allowed(arch):
                seen.add(k)
                scored.append((arch, self.fitness(arch)))
        if not scored:
            raise ValueError(f"no sampled arch within max_params={self.max_params}, max_flops={self.max_flops}")
        return sorted(scored, key=lambda item: -item[1])

    # --- checkpoints -----------------------------------------------------------------------------
    def _extra_state(self) -> dict[str, Any]:
        opt = self.controller_optimizer_
        return {**super()._extra_state(),
                "controller": {"flat": torch.from_numpy(self.policy_.flat.copy()), "m": torch.from_numpy(opt.m.copy()),
                               "v": torch.from_numpy(opt.v.copy()), "steps": opt.step_count,
                               "baseline": self.baseline_,
                               "history": torch.tensor(self.controller_history_, dtype=torch.float64).reshape(-1, 3)}}

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        super()._load_extra_state(state)
        c = state["controller"]
        self.policy_.flat[:] = c["flat"].numpy()
        self.policy_._cache = None
        opt = self.controller_optimizer_
        opt.m[:], opt.v[:], opt.step_count = c["m"].numpy(), c["v"].numpy(), int(c["steps"])
        self.baseline_ = None if c["baseline"] is None else float(c["baseline"])
        self.controller_history_ = [tuple(float(v) for v in row) for row in c["history"].tolist()]
