"""Image classification data sets as in-memory tensors, split into train / validation / test.

``load(name, **options) -> Splits``. Names: ``digits`` (scikit-learn's 8x8 digits, embedded, no download),
``fashion-mnist`` and ``mnist`` (standard IDX files from a local folder, or torchvision's download),
``cifar10`` and ``cifar100`` (torchvision). Splits are fixed by ``split_seed`` so every run of a study
sees the same validation set.
"""
from __future__ import annotations

from workbench.data._splits import Splits, names
from workbench.data._loaders import load

__all__ = ["Splits", "load", "names"]
