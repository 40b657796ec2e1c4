"""What differentiable one-shot strategies (DARTS, GDAS) share: alphas, their optimizer, their report.

A strategy subclasses ``DifferentiableSearch`` and implements ``_search_batch`` (one architecture update
and one weight update on a pair of batches). Everything else comes from ``SupernetStrategy``
(``workbench.oneshot._base``): the data split into a weight-training half and an architecture-validation
half (DARTS, sec. 3.1.1), the supernet the space provides, SGD with a cosine learning rate for the
weights, the resumable epoch loop and checkpoints. This class adds Adam for the alphas (initialised as
``1e-3 * N(0, 1)``, as DARTS does), reports the softmaxed alphas as the architecture distribution, and
derives archs by the space's rule (``space.derive``: argmax per edge on NB201, top-2 inputs per node on
the DARTS space).
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch
from torch import nn

from workbench.oneshot._base import SupernetStrategy
from workbench.records import ArchDistribution


class DifferentiableSearch(SupernetStrategy):
    """Base class of DARTS-like strategies. Keyword-only options.

    Defaults are DARTS' (Liu et al. 2019, sec. 3.1.1 and its ``train_search.py``): batch 64, SGD lr 0.025
    annealed (cosine) to 0.001 over 50 epochs, momentum 0.9, weight decay 3e-4, gradient clipping at 5;
    Adam for the alphas with lr 3e-4, betas (0.5, 0.999), weight decay 1e-3; half of the training data
    trains the weights, the other half the alphas. Supernet size: the space's defaults (NB201 C=16, N=5
    cells per stage, the NB201 paper's search setting; DARTS space C=16 with 8 layers).
    """

    name = ""
    default_epochs = 50

    def __init__(self, *, space, arch_lr: float = 3e-4, arch_betas: Sequence[float] = (0.5, 0.999),
                 arch_weight_decay: float = 1e-3, **options: Any) -> None:
        super().__init__(space=space, **options)
        self.arch_lr, self.arch_betas, self.arch_weight_decay = arch_lr, tuple(arch_betas), arch_weight_decay

    def options(self) -> dict[str, Any]:
        return {**super().options(), "arch_lr": self.arch_lr, "arch_betas": list(self.arch_betas),
                "arch_weight_decay": self.arch_weight_decay}

    # --- building --------------------------------------------------------------------------------
    def _init_model(self, model: nn.Module) -> None:
        with torch.no_grad():
            for a in model.arch_parameters():  # DARTS: alphas start at 1e-3 * N(0, 1)
                a.copy_(1e-3 * torch.randn(a.shape, generator=self.generator_))

    def _init_strategy(self, model: nn.Module) -> None:
        self.arch_optimizer_ = torch.optim.Adam(model.arch_parameters(), lr=self.arch_lr, betas=self.arch_betas,
                                                weight_decay=self.arch_weight_decay)

    # --- views -----------------------------------------------------------------------------------
    def alphas(self) -> dict[str, list[list[float]]]:
        """Softmaxed architecture weights per cell type: ``{"normal": [[w per op] per edge], ...}``."""
        self._build()
        with torch.no_grad():
            return {kind: torch.softmax(a.detach().float(), dim=-1).cpu().tolist()
                    for kind, a in self.model_.alphas_by_type().items()}

    def distribution(self) -> ArchDistribution:
        self._build()
        return ArchDistribution("alphas", self.model_.ops, self.edge_labels, self.alphas(), self.model_.row_axis)

    # --- updates ---------------------------------------------------------------------------------
    def _apply_arch_grads(self, grads: Sequence[torch.Tensor]) -> None:
        for a, g in zip(self.model_.arch_parameters(), grads):
            a.grad = g
        self.arch_optimizer_.step()
        self.arch_optimizer_.zero_grad(set_to_none=True)

    # --- deriving --------------------------------------------------------------------------------
    def derive(self):
        """The arch the alphas point at, by the space's rule (``space.derive``)."""
        self._build()
        weights = {kind: torch.softmax(a.detach().float(), dim=-1).cpu().numpy()
                   for kind, a in self.model_.alphas_by_type().items()}
        return self.space.derive(weights, self.model_.ops)

    # --- checkpoints -----------------------------------------------------------------------------
    def _extra_state(self) -> dict[str, Any]:
        return {"arch_optimizer": self.arch_optimizer_.state_dict()}

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        self.arch_optimizer_.load_state_dict(state["arch_optimizer"])
