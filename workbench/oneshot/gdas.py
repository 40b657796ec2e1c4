"""GDAS: searching for a robust neural architecture in four GPU hours (Dong & Yang, CVPR 2019).

Instead of mixing every op, each forward samples ONE op per edge with the Gumbel-softmax: with
``p = softmax(alpha)`` and Gumbel noise ``g``, ``h = softmax((log p + g) / tau)`` and the edge computes only
``op_k`` for ``k = argmax h``, scaled by ``one_hot(k) - h.detach() + h`` (value 1, the gradient of ``h_k``:
the straight-through estimator). So a step costs about one path of the supernet, and the alphas still
get gradients. The temperature ``tau`` falls linearly from ``tau_max`` = 10 to ``tau_min`` = 0.1 over the
search epochs (the paper's sec. 4 and its NB201 runs). Each batch pair first updates the weights on a
training batch, then the alphas on a validation batch, each with a fresh sample. The NB201 benchmark's
GDAS runs search for 240 epochs (AutoDL-Projects ``configs/nas-benchmark/algos/GDAS.config``); that is the
default length of the schedules here.

>>> from workbench import oneshot
>>> gdas = oneshot.create("gdas", space="nb201", data="digits", batches_per_step=4, epochs=10, seed=0)
>>> gdas.step().metrics["tau"]
10.0
"""
from __future__ import annotations

from typing import Any

import torch

from workbench.oneshot import register
from workbench.oneshot._common import DifferentiableSearch


def gumbel_softmax_hard(alphas: torch.Tensor, tau: float, generator: torch.Generator,
                        attempts: int = 10) -> tuple[torch.Tensor, list[int]]:
    """Straight-through Gumbel-softmax sample of one op per row: ``(weights, index)``.

    The noise is drawn on the CPU from ``generator`` (the same samples on every device); a sample that is
    not finite (an extreme draw at a tiny ``tau``) is drawn again.
    """
    log_p = torch.log_softmax(alphas, dim=-1)
    for _ in range(attempts):
        gumbel = -torch.empty(alphas.shape, dtype=alphas.dtype).exponential_(generator=generator).log()
        soft = torch.softmax((log_p + gumbel.to(alphas.device)) / tau, dim=-1)
        if bool(torch.isfinite(soft).all()):
            break
    index = soft.detach().argmax(dim=-1)
    hard = torch.zeros_like(soft).scatter_(-1, index.unsqueeze(-1), 1.0)
    return hard - soft.detach() + soft, index.tolist()


def tau_schedule(epoch: int, epochs: int, tau_max: float, tau_min: float) -> float:
    """Linear from ``tau_max`` at epoch 0 to ``tau_min`` at the last epoch (``epochs - 1``), then constant."""
    if epochs <= 1:
        return tau_min
    return tau_max - (tau_max - tau_min) * min(epoch, epochs - 1) / (epochs - 1)


@register("gdas")
class GDAS(DifferentiableSearch):
    """GDAS on the NB201 or DARTS cell space (shared hyperparameters: see ``DifferentiableSearch``)."""

    name = "gdas"
    default_epochs = 240

    def __init__(self, *, space, tau_max: float = 10.0, tau_min: float = 0.1, **options: Any) -> None:
        if not 0 < tau_min <= tau_max:
            raise ValueError(f"GDAS needs 0 < tau_min <= tau_max, got tau_min={tau_min!r}, tau_max={tau_max!r}")
        super().__init__(space=space, **options)
        self.tau_max, self.tau_min = float(tau_max), float(tau_min)

    def options(self) -> dict[str, Any]:
        return {**super().options(), "tau_max": self.tau_max, "tau_min": self.tau_min}

    @property
    def tau(self) -> float:
        return tau_schedule(self.epoch_, self.epochs, self.tau_max, self.tau_min)

    def _sample(self) -> tuple[dict[str, torch.Tensor], dict[str, list[int]]]:
        weights, index = {}, {}
        for kind, a in self.model_.alphas_by_type().items():
            weights[kind], index[kind] = gumbel_softmax_hard(a, self.tau, self.generator_)
        return weights, index

    def _search_batch(self, xt, yt, xv, yv):
        weights, index = self._sample()
        train_logits, train_loss = self._weight_update(xt, yt, weights=weights, index=index)
        weights, index = self._sample()
        val_logits = self.model_(xv, weights=weights, index=index)
        val_loss = self.loss_fn_(val_logits, yv)
        self._apply_arch_grads(torch.autograd.grad(val_loss, self.model_.arch_parameters(), allow_unused=True))
        return train_logits, train_loss, val_logits.detach(), val_loss.detach()

    def _apply_arch_grads(self, grads) -> None:
        super()._apply_arch_grads([g if g is not None else torch.zeros_like(a)
                                   for g, a in zip(grads, self.model_.arch_parameters())])

    def _extra_metrics(self) -> dict[str, float]:
        return {"tau": self.tau}
