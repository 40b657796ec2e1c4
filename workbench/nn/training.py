"""Plain supervised training and evaluation loops on in-memory tensors (no DataLoader needed)."""
from __future__ import annotations

import math
from typing import Any, Callable

import torch
from torch import nn

from workbench.errors import EvaluationError


def resolve_device(device: Any = "auto") -> torch.device:
    """``"auto"`` picks CUDA when present, then Apple's MPS, else the CPU; anything else is passed to torch."""
    if device in (None, "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    return torch.device(device)


def make_optimizer(name: str, params, lr: float, momentum: float = 0.9, weight_decay: float = 0.0):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=momentum > 0)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; accepted: sgd, adam, adamw")


def batches(n: int, batch_size: int, generator: torch.Generator | None, shuffle: bool = True):
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    for start in range(0, n, batch_size):
        yield order[start: start + batch_size]


def train_epoch(model: nn.Module, x: torch.Tensor, y: torch.Tensor, optimizer, *, batch_size: int,
                generator: torch.Generator, should_stop: Callable[[], bool] | None = None,
                grad_clip: float | None = 5.0) -> tuple[float, float]:
    """One epoch of SGD; returns (mean loss, accuracy). Raises EvaluationError on a NaN or infinite loss."""
    model.train()
    loss_fn = nn.CrossEntropyLoss()
    total_loss, correct, seen = 0.0, 0, 0
    for idx in batches(len(y), batch_size, generator):
        idx = idx.to(x.device)
        xb, yb = x[idx], y[idx]
        optimizer.zero_grad(set_to_none=True)
        logits = model(xb)
        loss = loss_fn(logits, yb)
        if not math.isfinite(loss.item()):
            raise EvaluationError(f"training loss became {loss.item()} after {seen} examples")
        loss.backward()
        if grad_clip:
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        total_loss += loss.item() * len(yb)
        correct += int((logits.argmax(1) == yb).sum())
        seen += len(yb)
        if should_stop is not None and should_stop():
            break
    return total_loss / max(seen, 1), correct / max(seen, 1)


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 512) -> tuple[float, float]:
    """(mean loss, accuracy) of ``model`` in eval mode."""
    model.eval()
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    total, correct = 0.0, 0
    for start in range(0, len(y), batch_size):
        logits = model(x[start: start + batch_size])
        total += float(loss_fn(logits, y[start: start + batch_size]))
        correct += int((logits.argmax(1) == y[start: start + batch_size]).sum())
    return total / max(len(y), 1), correct / max(len(y), 1)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
