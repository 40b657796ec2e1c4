"""What single-path weight-sharing strategies share (RSPS, SPOS, FairNAS, ENAS).

Each training batch trains one path of the supernet (or, in FairNAS, several): a single arch of the space
chosen by the strategy, with only its ops computed (``supernet(x, index=...)``). Afterwards the supernet is
a cheap proxy: a candidate's accuracy with the inherited weights, batch norms recalibrated on a few
training batches (``workbench.nn.supernet_eval``), on a fixed set of validation examples. ``search()`` ranks
candidates by that accuracy (random sampling in RSPS, evolution in SPOS, the controller's samples in
ENAS); ``derive()`` returns the best one of the current weights, the arch each epoch reports.

Options beyond ``SupernetStrategy``'s: ``eval_examples`` validation examples per fitness (the same ones
for every candidate), ``recal_batches`` training batches of batch-norm recalibration, ``max_params`` /
``max_flops`` (millions) limits on the stand-alone network of a candidate, and ``probe_archs`` (a number
of archs sampled with ``probe_seed``, or a list of arch texts) whose inherited accuracies every epoch reports
as ``scores`` (what ranking-fidelity views plot against ground truth).

The report's distribution counts how often each choice of each row (edge or layer) was trained.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import torch

from workbench.oneshot._base import SIZE_OPTIONS, SupernetStrategy
from workbench.records import ArchDistribution

#: the spaces with a single-path supernet and a decision sequence (registry metadata)
SPACES = ("nb201", "darts", "spos_chain")


class SinglePathSearch(SupernetStrategy):
    """Base class of single-path strategies; subclasses implement ``_sample_index`` and ``search``."""

    default_epochs = 50

    def __init__(self, *, space, eval_examples: int = 256, recal_batches: int = 2, max_params: float | None = None,
                 max_flops: float | None = None, probe_archs: int | Sequence[str] = 0, probe_seed: int = 0,
                 **options: Any) -> None:
        super().__init__(space=space, **options)
        for label, value in (("eval_examples", eval_examples), ("recal_batches", recal_batches)):
            if not isinstance(value, int) or isinstance(value, bool) or value < (1 if label == "eval_examples" else 0):
                raise ValueError(f"{label} must be a {'positive' if label == 'eval_examples' else 'non-negative'} "
                                 f"integer, got {value!r}")
        for label, value in (("max_params", max_params), ("max_flops", max_flops)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
                raise ValueError(f"{label} must be a positive number (millions) or None, got {value!r}")
        if isinstance(probe_archs, bool) or not isinstance(probe_archs, (int, list, tuple)) or \
                (isinstance(probe_archs, int) and probe_archs < 0):
            raise ValueError(f"probe_archs must be a number of archs or a list of arch texts, got {probe_archs!r}")
        self.eval_examples, self.recal_batches = eval_examples, recal_batches
        self.max_params, self.max_flops = max_params, max_flops
        self.probe_archs = probe_archs if isinstance(probe_archs, int) else [space.to_string(space.validate(a))
                                                                                for a in probe_archs]
        self.probe_seed = probe_seed
        self._costs: dict[str, dict[str, float]] = {}
        self._derived: tuple[tuple, Any] | None = None

    def options(self) -> dict[str, Any]:
        return {**super().options(), "eval_examples": self.eval_examples, "recal_batches": self.recal_batches,
                "max_params": self.max_params, "max_flops": self.max_flops, "probe_archs": self.probe_archs,
                "probe_seed": self.probe_seed}

    # --- building --------------------------------------------------------------------------------
    def _init_strategy(self, model) -> None:
        # the sampler's own generator (numpy: spaces sample with one), independent of torch's
        self.rng_ = np.random.default_rng(np.random.SeedSequence([self.seed_, 1]))
        self.counts_ = {g: np.zeros((len(rows), len(model.ops)), dtype=np.int64)
                        for g, rows in model.choice_rows.items()}
        self._derived = None

    def probes(self) -> list[str]:
        """The texts of the archs whose inherited accuracies every epoch reports (a fixed sample)."""
        if isinstance(self.probe_archs, list):
            return list(self.probe_archs)
        rng = np.random.default_rng(self.probe_seed)
        out: list[str] = []
        for _ in range(100 * self.probe_archs):
            if len(out) == self.probe_archs:
                break
            text = self.space.to_string(self.space.sample(rng))
            if text not in out:
                out.append(text)
        return out

    # --- training --------------------------------------------------------------------------------
    def _sample_index(self) -> dict[str, list[int]]:
        """The path the next batch trains (``{group: [op index per row]}``)."""
        raise NotImplementedError

    def _count(self, index: Mapping[str, Sequence[int]]) -> None:
        for group, row in index.items():
            self.counts_[group][np.arange(len(row)), np.asarray(row)] += 1

    def _search_batch(self, xt, yt, xv, yv):
        index = self._sample_index()
        self._count(index)
        logits, loss = self._weight_update(xt, yt, index=index)
        return logits, loss, None, None

    def distribution(self) -> ArchDistribution:
        self._build()
        return ArchDistribution("counts", self.model_.ops, self.edge_labels,
                                {g: c.tolist() for g, c in self.counts_.items()}, self.model_.row_axis)

    # --- evaluating paths with inherited weights -------------------------------------------------
    def fitness(self, arch: Any) -> float:
        """The arch's accuracy (percent) with the supernet's weights on the first ``eval_examples`` validation
        examples, batch norms recalibrated on the first ``recal_batches`` training batches."""
        from workbench.nn.supernet_eval import inherited_accuracy

        self._build()
        arch = self.space.validate(arch)
        n = min(self.eval_examples, len(self.y_val_))
        recal = self.x_train_[: self.recal_batches * self.batch_size] if self.recal_batches else None
        return inherited_accuracy(self.model_, self.x_val_[:n], self.y_val_[:n], batch_size=max(self.batch_size, 256),
                                  x_recal=recal, recal_batch_size=self.batch_size,
                                  forward={"index": self.model_.index_of(arch)})

    def costs(self, arch: Any) -> dict[str, float]:
        """Parameters and FLOPs (millions) of the arch's stand-alone network at the supernet's size."""
        from workbench.nn.supernet_eval import count_params_flops

        text = self.space.to_string(arch)
        if text not in self._costs:
            self._build()
            sizes = {k: v for k, v in self.supernet_options_.items() if k in SIZE_OPTIONS}
            splits = self.splits_
            network = self.space.build(arch, splits.num_classes, splits.in_channels, **sizes)
            self._costs[text] = count_params_flops(network, tuple(self.x_train_.shape[1:]))
        return dict(self._costs[text])

    def allowed(self, arch: Any) -> bool:
        """Whether the arch meets ``max_params`` and ``max_flops``."""
        if self.max_params is None and self.max_flops is None:
            return True
        c = self.costs(arch)
        return (self.max_params is None or c["params"] <= self.max_params) and \
            (self.max_flops is None or c["flops"] <= self.max_flops)

    def search(self) -> list[tuple[Any, float]]:
        """Candidates and their fitness, best first (the strategy's search over the current supernet)."""
        raise NotImplementedError

    def _search_rng(self) -> np.random.Generator:
        """A generator for the search that depends only on the seed and the training position, so deriving
        never changes the training's random stream and gives the same answer every time it is asked."""
        cursor = 0 if self.epoch_state_ is None else self.epoch_state_.cursor
        return np.random.default_rng(np.random.SeedSequence([self.seed_, 2, self.epoch_, cursor]))

    def derive(self):
        """The best arch of ``search()`` on the current weights (cached until the weights change)."""
        self._build()
        key = (self.epoch_, None if self.epoch_state_ is None else self.epoch_state_.cursor)
        if self._derived is None or self._derived[0] != key:
            self._derived = (key, self.search()[0][0])
        return self._derived[1]

    def _scores(self) -> dict[str, float]:
        return {text: self.fitness(self.space.from_string(text)) for text in self.probes()}

    def _on_epoch_end(self) -> None:
        self._derived = None

    # --- checkpoints -----------------------------------------------------------------------------
    def _extra_state(self) -> dict[str, Any]:
        return {"rng": _rng_state(self.rng_), "counts": {g: torch.from_numpy(c.copy()) for g, c in self.counts_.items()}}

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        self.rng_ = _rng_from_state(state["rng"])
        self.counts_ = {g: c.numpy().astype(np.int64).copy() for g, c in state["counts"].items()}
        self._derived = None


def _rng_state(rng: np.random.Generator) -> dict[str, Any]:
    """A numpy generator's state as plain values a weights-only ``torch.load`` accepts (big ints as text)."""
    s = rng.bit_generator.state
    return {"bit_generator": s["bit_generator"], "state": str(s["state"]["state"]), "inc": str(s["state"]["inc"]),
            "has_uint32": int(s["has_uint32"]), "uinteger": int(s["uinteger"])}


def _rng_from_state(state: Mapping[str, Any]) -> np.random.Generator:
    rng = np.random.Generator(np.random.PCG64())
    rng.bit_generator.state = {"bit_generator": state["bit_generator"],
                               "state": {"state": int(state["state"]), "inc": int(state["inc"])},
                               "has_uint32": int(state["has_uint32"]), "uinteger": int(state["uinteger"])}
    return rng


def uniform_index(space, model, rng: np.random.Generator) -> dict[str, list[int]]:
    """A path drawn uniformly from the space (``space.sample``), as the supernet's index."""
    return model.index_of(space.sample(rng))


__all__ = ["SinglePathSearch", "uniform_index"]
