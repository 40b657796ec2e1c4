"""The ``Splits`` record: train / validation / test tensors of one data set."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


def names() -> list[str]:
    from workbench.data._loaders import LOADERS

    return sorted(LOADERS)


@dataclass(frozen=True)
class Splits:
    """Images as float32 arrays (N, C, H, W), normalised per channel; labels as int64 arrays (N,)."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int

    @property
    def in_channels(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def image_size(self) -> tuple[int, int]:
        return int(self.x_train.shape[2]), int(self.x_train.shape[3])

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test),
                "shape": list(self.x_train.shape[1:]), "classes": self.num_classes}

    def tensors(self, split: str, device: Any = "cpu"):
        """``(x, y)`` torch tensors of one split (``train``, ``val`` or ``test``) on ``device``."""
        import torch

        if split not in ("train", "val", "test"):
            raise ValueError(f"unknown split {split!r}; accepted: train, val, test")
        x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
        return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)


def split_arrays(name: str, x: np.ndarray, y: np.ndarray, x_test: np.ndarray | None, y_test: np.ndarray | None,
                 *, val_fraction: float, test_fraction: float, split_seed: int, limit: int | None,
                 num_classes: int) -> Splits:
    """Shuffle with ``split_seed``, carve validation (and test when none is given), normalise, cap sizes."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    rng = np.random.default_rng(split_seed)
    order = rng.permutation(len(y))
    x, y = x[order], y[order]
    if x_test is None:
        n_test = int(round(len(y) * test_fraction))
        x_test, y_test, x, y = x[:n_test], y[:n_test], x[n_test:], y[n_test:]
    n_val = int(round(len(y) * val_fraction))
    x_val, y_val, x_train, y_train = x[:n_val], y[:n_val], x[n_val:], y[n_val:]
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]
        x_val, y_val = x_val[: max(1, limit // 4)], y_val[: max(1, limit // 4)]
        test_order = rng.permutation(len(y_test))[: max(1, limit // 4)]
        x_test, y_test = x_test[test_order], y_test[test_order]
    mean = x_train.mean(axis=(0, 2, 3), keepdims=True)
    std = x_train.std(axis=(0, 2, 3), keepdims=True) + 1e-6

    def norm(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(((a - mean) / std).astype(np.float32))

    return Splits(name, norm(x_train), y_train.astype(np.int64), norm(x_val), y_val.astype(np.int64),
                  norm(x_test), np.asarray(y_test).astype(np.int64), num_classes)
