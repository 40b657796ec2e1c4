"""DARTS: differentiable architecture search (Liu, Simonyan & Yang, ICLR 2019), first and second order.

Every edge of the supernet mixes all candidate ops with weights ``softmax(alpha)``. Search alternates, per
pair of batches, an architecture step on a validation batch and a weight step on a training batch:

- first order (``order=1``): ``alpha -= lr_a * grad_alpha L_val(w, alpha)`` (via Adam);
- second order (``order=2``): the gradient at the one-step unrolled weights
  ``w' = w - xi * (grad_w L_train(w, alpha) + momentum and weight decay terms)``, with ``xi`` the weights'
  current learning rate::

      grad_alpha L_val(w', alpha) - xi * [grad_alpha L_train(w+, alpha) - grad_alpha L_train(w-, alpha)] / (2 eps)

  where ``w+- = w +- eps * grad_w' L_val(w', alpha)`` and ``eps = 0.01 / ||grad_w' L_val(w', alpha)||``
  (the paper's finite-difference Hessian-vector product, eq. 7-8).

>>> from workbench import oneshot
>>> darts = oneshot.create("darts", space="nb201", data="digits", order=2, batches_per_step=4, seed=0)
>>> report = darts.step()            # one (short) epoch: metrics, alphas, derived arch
>>> darts.derive()

Only the gradients each update needs are computed (the architecture steps never compute weight
gradients of the training loss), and the unrolled weights are set in place rather than in a copy of the
model.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import torch
from torch import nn

from workbench.oneshot import register
from workbench.oneshot._common import DifferentiableSearch


def unrolled_arch_gradient(model: nn.Module, loss_fn: Callable, x_train: torch.Tensor, y_train: torch.Tensor,
                           x_val: torch.Tensor, y_val: torch.Tensor, *, lr: float, momentum: float = 0.0,
                           weight_decay: float = 0.0, momentum_buffers: Sequence[torch.Tensor | None] | None = None,
                           r: float = 1e-2) -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor]:
    """DARTS' second-order gradient of the validation loss w.r.t. the alphas of ``model``.

    ``model`` offers ``weights()``, ``arch_parameters()`` and ``forward(x)``; its weights are changed in
    place during the call and restored exactly. ``momentum_buffers`` (aligned with ``weights()``) are the
    weight optimizer's, scaled by ``momentum`` in the unrolled step as SGD would. Returns
    ``(alpha_grads, val_logits, val_loss)`` at the unrolled weights.
    """
    weights = model.weights()
    alphas = model.arch_parameters()
    buffers = list(momentum_buffers) if momentum_buffers is not None else [None] * len(weights)

    loss = loss_fn(model(x_train), y_train)
    grads = torch.autograd.grad(loss, weights, allow_unused=True)
    backup = [p.detach().clone() for p in weights]
    with torch.no_grad():
        for p, g, buf in zip(weights, grads, buffers):
            step = p.mul(weight_decay) if weight_decay else torch.zeros_like(p)
            if g is not None:
                step.add_(g)
            if buf is not None and momentum:
                step.add_(buf, alpha=momentum)
            p.sub_(step, alpha=lr)

    val_logits = model(x_val)
    val_loss = loss_fn(val_logits, y_val)
    val_grads = torch.autograd.grad(val_loss, list(alphas) + list(weights), allow_unused=True)
    d_alpha = [g if g is not None else torch.zeros_like(a) for g, a in zip(val_grads[: len(alphas)], alphas)]
    d_w = [g if g is not None else torch.zeros_like(p) for g, p in zip(val_grads[len(alphas):], weights)]

    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in d_w]))
    eps = r / norm.clamp_min(torch.finfo(norm.dtype).tiny)
    with torch.no_grad():
        for p, w0, v in zip(weights, backup, d_w):
            p.copy_(w0).add_(v * eps)
    grads_plus = torch.autograd.grad(loss_fn(model(x_train), y_train), alphas, allow_unused=True)
    with torch.no_grad():
        for p, w0, v in zip(weights, backup, d_w):
            p.copy_(w0).sub_(v * eps)
    grads_minus = torch.autograd.grad(loss_fn(model(x_train), y_train), alphas, allow_unused=True)
    with torch.no_grad():
        for p, w0 in zip(weights, backup):
            p.copy_(w0)

    out = []
    for da, gp, gm, a in zip(d_alpha, grads_plus, grads_minus, alphas):
        gp = gp if gp is not None else torch.zeros_like(a)
        gm = gm if gm is not None else torch.zeros_like(a)
        out.append(da - (gp - gm) * (lr / (2 * eps)))
    return out, val_logits.detach(), val_loss.detach()


@register("darts")
class DARTS(DifferentiableSearch):
    """DARTS on the NB201 or DARTS cell space; ``order`` 1 (DARTS-V1) or 2 (DARTS-V2, unrolled).

    Options: see ``DifferentiableSearch`` (DARTS' own defaults); ``order`` picks the gradient.
    """

    name = "darts"
    default_epochs = 50

    def __init__(self, *, space, order: int = 1, unrolled_r: float = 1e-2, **options: Any) -> None:
        if order not in (1, 2):
            raise ValueError(f"DARTS order must be 1 (first order) or 2 (second order, unrolled), got {order!r}")
        super().__init__(space=space, **options)
        self.order = order
        self.unrolled_r = unrolled_r

    def options(self) -> dict[str, Any]:
        return {**super().options(), "order": self.order, "unrolled_r": self.unrolled_r}

    def __repr__(self) -> str:
        return f"DARTS(space={self.space.name!r}, order={self.order}, data={self.data!r}, seed={self.seed!r})"

    def arch_gradient(self, xt: torch.Tensor, yt: torch.Tensor, xv: torch.Tensor, yv: torch.Tensor):
        """The architecture gradient this strategy follows on a pair of batches: (grads, val_logits, val_loss)."""
        self._build()
        model = self.model_
        if self.order == 1:
            logits = model(xv)
            loss = self.loss_fn_(logits, yv)
            grads = torch.autograd.grad(loss, model.arch_parameters())
            return list(grads), logits.detach(), loss.detach()
        opt = self.weight_optimizer_
        buffers = [opt.state.get(p, {}).get("momentum_buffer") for p in model.weights()]
        return unrolled_arch_gradient(model, self.loss_fn_, xt, yt, xv, yv, lr=self.current_lr(),
                                      momentum=self.momentum, weight_decay=self.weight_decay,
                                      momentum_buffers=buffers, r=self.unrolled_r)

    def _search_batch(self, xt, yt, xv, yv):
        grads, val_logits, val_loss = self.arch_gradient(xt, yt, xv, yv)
        self._apply_arch_grads(grads)
        train_logits, train_loss = self._weight_update(xt, yt)
        return train_logits, train_loss, val_logits, val_loss
