"""Named settings of the differentiable one-shot strategies (DARTS, GDAS), so notebooks and scripts say
``preset("cpu")`` instead of repeating a dozen options.

>>> from workbench.oneshot.presets import preset
>>> options = preset("cpu", arch_lr=0.01)       # a copy, with overrides
>>> oneshot.create("darts", space="nb201", epochs=8, **options)

- ``cpu``: a small supernet (8 channels, one cell per stage; 3 layers on the DARTS space) on 1,000 of
  scikit-learn's 8x8 digits, 16 batches of 64 per epoch: about 5 s an epoch on one CPU core. The alphas' Adam
  step is 0.03, a hundred times DARTS' 3e-4, so that their softmax separates within ten short epochs
  (measured on NB201, seed 0: the mean per-edge spread max-min of the weights grows from 0.05 after one epoch
  to 0.16 after eight; with 3e-4 it stays near 0.01, a uniform block).
- ``paper``: DARTS on NAS-Bench-201 as in the NB201 paper (Dong & Yang 2020): CIFAR-10, C=16, N=5 cells per
  stage, whole epochs, arch step 3e-4 (8 layers on the DARTS space, as the DARTS paper's search network).
"""
from __future__ import annotations

import copy
from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    "cpu": {"data": "digits", "data_options": {"limit": 1000}, "batch_size": 64, "channels": 8,
            "cells_per_stage": 1, "layers": 3, "batches_per_step": 16, "arch_lr": 0.03},
    "paper": {"data": "cifar10", "data_options": {}, "batch_size": 64, "channels": 16, "cells_per_stage": 5,
              "layers": 8, "batches_per_step": None, "arch_lr": 3e-4},
}


def names() -> list[str]:
    return sorted(PRESETS)


def preset(name: str, **overrides: Any) -> dict[str, Any]:
    """The options of preset ``name`` (a fresh copy), with ``overrides`` applied."""
    if name not in PRESETS:
        raise ValueError(f"unknown one-shot preset {name!r}; accepted: {', '.join(names())}")
    options = copy.deepcopy(PRESETS[name])
    options.update(overrides)
    return options
