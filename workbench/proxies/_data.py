"""The fixed minibatch the data-dependent proxies see, drawn from the workbench's data sets."""
from __future__ import annotations

from typing import Sequence


def batch(dataset: str = "digits", size: int = 64, seed: int = 0, shape: Sequence[int] | None = None,
          split: str = "train", **data_options):
    """``(x, y)`` torch tensors: ``size`` images of ``dataset``'s ``split`` chosen by ``seed``.

    ``shape`` = (channels, height, width) adapts the images to a network built for another input (e.g. the
    NB201 network's 3 x 32 x 32 for Fashion-MNIST's 1 x 28 x 28 or digits' 1 x 8 x 8): bilinear resizing,
    then the channels are repeated (or averaged down to one). Data sets: see ``workbench.data.names()``.
    """
    import numpy as np
    import torch
    import torch.nn.functional as F

    from workbench import data

    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ValueError(f"batch size must be a positive int, got {size!r}")
    splits = data.load(dataset, **data_options)
    x_all, y_all = getattr(splits, f"x_{split}"), getattr(splits, f"y_{split}")
    if size > len(y_all):
        raise ValueError(f"batch size {size} exceeds the {len(y_all)} images of {dataset!r} {split}")
    rows = np.sort(np.random.default_rng(seed).choice(len(y_all), size=size, replace=False))
    x = torch.from_numpy(np.ascontiguousarray(x_all[rows]))
    y = torch.from_numpy(np.ascontiguousarray(y_all[rows]))
    if shape is not None:
        c, h, w = (int(v) for v in shape)
        if tuple(x.shape[2:]) != (h, w):
            x = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
        if x.shape[1] != c:
            if x.shape[1] == 1:
                x = x.repeat(1, c, 1, 1)
            elif c == 1:
                x = x.mean(dim=1, keepdim=True)
            else:
                raise ValueError(f"cannot adapt {x.shape[1]}-channel images to {c} channels")
    return x.contiguous(), y
