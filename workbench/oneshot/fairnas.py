"""FairNAS: strict fairness in supernet training (Chu, Zhang & Xu, ICCV 2021).

With ``m`` choices per row (an edge's ops, a layer's blocks), every training step draws, for every row, a
random permutation of its ``m`` choices, and builds ``m`` single-path models: model ``i`` takes choice
``perm[row][i]`` in every row. Their gradients on the same batch are accumulated and the weights updated
once. So within every step each choice of every row is trained exactly once (the paper's "strict
fairness": equal counts and equal updates for every choice), where SPOS' uniform sampling is fair only in
expectation. The search over the trained supernet is SPOS' evolution (``workbench.oneshot.spos``).

FairNAS needs a space whose rows choose independently among the same number of choices (NB201's edges,
``spos_chain``'s layers): the supernet says so with ``free_choices``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from workbench.oneshot import register
from workbench.oneshot.spos import SPOS


def fair_paths(rows: dict[str, int], m: int, rng: np.random.Generator) -> list[dict[str, list[int]]]:
    """``m`` paths (``{group: [choice per row]}``) from one random permutation of ``range(m)`` per row: every
    choice of every row appears in exactly one path."""
    perms = {g: [rng.permutation(m) for _ in range(n)] for g, n in rows.items()}
    return [{g: [int(p[i]) for p in perms[g]] for g in rows} for i in range(m)]


@register("fairnas", spaces=("nb201", "spos_chain"))
class FairNAS(SPOS):
    """FairNAS' strictly fair supernet training, then SPOS' evolutionary search (same options)."""

    name = "fairnas"

    def __init__(self, *, space, **options: Any) -> None:
        super().__init__(space=space, **options)

    def _init_strategy(self, model) -> None:
        if not model.free_choices:
            raise ValueError(f"FairNAS trains every choice of every row once per step, which needs rows that "
                             f"choose independently; the {self.space.name!r} supernet's do not (use nb201 or "
                             f"spos_chain)")
        super()._init_strategy(model)

    def _search_batch(self, xt, yt, xv, yv):
        model = self.model_
        rows = {g: len(labels) for g, labels in model.choice_rows.items()}
        m = len(model.ops)
        weights = model.weights()
        grads = None
        logits_all, loss_sum = [], 0.0
        for index in fair_paths(rows, m, self.rng_):
            self._count(index)
            logits = model(xt, index=index)
            loss = self.loss_fn_(logits, yt)
            g = torch.autograd.grad(loss, weights, allow_unused=True)
            grads = list(g) if grads is None else [a if b is None else (b if a is None else a + b)
                                                   for a, b in zip(grads, g)]
            logits_all.append(logits.detach())
            loss_sum = loss_sum + loss.detach()
        for p, g in zip(weights, grads):
            p.grad = g
        self._clip_and_step(weights)
        # the m models' logits on the same batch, stacked: the epoch's accuracy averages over them
        return torch.cat(logits_all), loss_sum / m, None, None
