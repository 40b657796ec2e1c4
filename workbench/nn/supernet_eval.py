"""Evaluating one path of a supernet with inherited weights, as single-path one-shot methods do.

A path's accuracy with the supernet's weights is the fitness of SPOS' evolutionary search, RSPS' random
search and ENAS' reward. Batch-norm statistics gathered while the supernet trained mix every path's
activations, so SPOS (Guo et al. 2020, sec. 3.3) recalibrates them per candidate: the running statistics
are reset and re-estimated on a few training batches with that path alone, before the path is evaluated.
``inherited_accuracy`` does exactly that, and puts the supernet's batch-norm state and train/eval mode back
afterwards, so evaluating never changes what training does next.

``count_params_flops`` measures a stand-alone network (parameters, and multiply-accumulates of its
convolutions and linear layers on one input), for the FLOPs/params limits of a search.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

import torch
from torch import nn

_BN = nn.modules.batchnorm._BatchNorm


def batch_norms(model: nn.Module) -> list[_BN]:
    return [m for m in model.modules() if isinstance(m, _BN)]


@contextmanager
def preserved_state(model: nn.Module) -> Iterator[None]:
    """Put back the batch norms' running statistics and momentum, and the train/eval mode, on exit."""
    bns = batch_norms(model)
    saved = [(m.momentum, {k: v.clone() for k, v in m._buffers.items() if v is not None}) for m in bns]
    training = model.training
    try:
        yield
    finally:
        for m, (momentum, buffers) in zip(bns, saved):
            m.momentum = momentum
            for k, v in buffers.items():
                m._buffers[k].copy_(v)
        model.train(training)


@torch.no_grad()
def recalibrate_batch_norm(model: nn.Module, x: torch.Tensor, batch_size: int, **forward: Any) -> None:
    """Reset the running statistics and re-estimate them (cumulative average) on ``x`` with ``forward``."""
    bns = [m for m in batch_norms(model) if m.track_running_stats]
    if not bns or len(x) == 0:
        return
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average over the recalibration batches
    model.train()
    for lo in range(0, len(x), batch_size):
        model(x[lo: lo + batch_size], **forward)


@torch.no_grad()
def inherited_accuracy(model: nn.Module, x_eval: torch.Tensor, y_eval: torch.Tensor, *, batch_size: int = 256,
                       x_recal: torch.Tensor | None = None, recal_batch_size: int = 64,
                       forward: Mapping[str, Any] | None = None) -> float:
    """Accuracy (percent) of the supernet path chosen by ``forward`` (e.g. ``index=...``) on ``x_eval``,
    after recalibrating batch norms on ``x_recal``; the supernet's state is unchanged afterwards."""
    forward = dict(forward or {})
    with preserved_state(model):
        if x_recal is not None:
            recalibrate_batch_norm(model, x_recal, recal_batch_size, **forward)
        model.eval()
        correct = 0
        for lo in range(0, len(y_eval), batch_size):
            logits = model(x_eval[lo: lo + batch_size], **forward)
            correct += int((logits.argmax(1) == y_eval[lo: lo + batch_size]).sum())
    return 100.0 * correct / max(len(y_eval), 1)


@torch.no_grad()
def count_params_flops(network: nn.Module, input_shape: tuple[int, ...]) -> dict[str, float]:
    """``{"params": millions of parameters, "flops": millions of multiply-accumulates}`` of ``network`` on
    one input of ``input_shape`` (channels, height, width); convolutions and linear layers count."""
    macs = [0]

    def conv_hook(module: nn.Conv2d, inputs, output) -> None:
        per_out = module.in_channels // module.groups * math.prod(module.kernel_size)
        macs[0] += output.numel() * per_out

    def linear_hook(module: nn.Linear, inputs, output) -> None:
        macs[0] += output.numel() * module.in_features

    hooks = []
    for m in network.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
    training = network.training
    try:
        network.eval()
        network(torch.zeros((1, *input_shape)))
    finally:
        network.train(training)
        for h in hooks:
            h.remove()
    params = sum(p.numel() for p in network.parameters())
    return {"params": params / 1e6, "flops": macs[0] / 1e6}


__all__ = ["batch_norms", "count_params_flops", "inherited_accuracy", "preserved_state", "recalibrate_batch_norm"]
