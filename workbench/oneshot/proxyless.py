"""ProxylessNAS (Cai, Zhu & Han, ICLR 2019): direct search on the target task and device, one path at a time.

On the ``mobilenet`` space's supernet (every block slot holds every (kernel, expand) MBConv, plus ``zero`` where a
stage may end), each batch pair does:

1. **weights**: sample one op per slot from the architecture distribution ``p = softmax(alphas)`` (binarized
   paths: only the sampled op runs, so memory is that of one network) and take an SGD step on a training batch;
2. **architecture** (on a validation batch): sample *two* ops per slot (without replacement, by ``p``), pick
   one of them with the probabilities renormalised over the pair, and run the slot as
   ``g_a * op_a(x) + g_b * op_b(x)`` with binary gates ``g``; the gates' gradients give the two-path estimate
   ``dL/dalpha_i = sum_j dL/dg_j p_j (delta_ij - p_i)`` over the pair, after which the pair's alphas are
   shifted so the ops not sampled keep their probabilities (ProxylessNAS's rescaling);
3. the **latency loss** ``latency_weight * E[latency] / latency(largest)`` is differentiable: ``E[latency]``
   is the sum over slots of ``p`` times each candidate's latency in the device's lookup table
   (``workbench.costs.LatencyTable``), normalised by the largest network's, so ``latency_weight`` is unitless.
   Its gradient joins the alphas' update (Adam, betas (0, 0.999) as in ProxylessNAS).

``derive()`` keeps, per slot, the most probable op (a stage keeps its non-``zero`` slots). The report's metrics
add ``expected_latency_ms`` and ``derived_latency_ms`` (table predictions).
"""
from __future__ import annotations

import json
from typing import Any, Mapping

import torch
import torch.nn.functional as F

from workbench.oneshot import register
from workbench.oneshot._base import SupernetStrategy
from workbench.records import ArchDistribution


@register("proxyless", spaces=("mobilenet",))
class ProxylessNAS(SupernetStrategy):
    """Binarized-path weight training, two-path architecture gradients, a latency loss from the table."""

    name = "proxyless"
    default_epochs = 20

    def __init__(self, *, space, latency_weight: float = 0.1, latency_table=None, arch_lr: float = 6e-3,
                 warmup_epochs: int = 0, **options: Any) -> None:
        from workbench.costs import _require

        _require(space, "latency_keys", "ProxylessNAS")
        super().__init__(space=space, **options)
        if not latency_weight >= 0:
            raise ValueError(f"latency_weight must be >= 0, got {latency_weight!r}")
        self.latency_weight, self.arch_lr, self.warmup_epochs = float(latency_weight), float(arch_lr), int(warmup_epochs)
        if latency_table is not None and not isinstance(latency_table, str) and not hasattr(latency_table, "predict_ms"):
            raise ValueError(f"latency_table must be a workbench.costs.LatencyTable, the fingerprint of one measured "
                             f"before, or None (measure this device's), got {type(latency_table).__name__}")
        self.latency_table = latency_table

    def options(self) -> dict[str, Any]:
        table = self.table_ if self.model_ is not None and self.table_ is not None else self.latency_table
        return {**super().options(), "latency_weight": self.latency_weight, "arch_lr": self.arch_lr,
                "warmup_epochs": self.warmup_epochs,  # a table is recorded by its fingerprint
                "latency_table": table if table is None or isinstance(table, str) else table.info.get("fingerprint")}

    def _init_strategy(self, model) -> None:
        from workbench.costs import LatencyTable
        from workbench.errors import DataError

        if isinstance(self.latency_table, str):  # a fingerprint (as options() records it): that table
            try:
                table = LatencyTable.cached(self.space, self.latency_table)
            except DataError as exc:  # a resumed run's checkpoint brings its table: fail only if none does
                table, self._table_error = None, exc
        else:
            table = self.latency_table or LatencyTable.measure(
                self.space, device=self.device_.type, in_channels=self.splits_.in_channels)
        self._use_table(table, model)
        self.arch_optimizer_ = torch.optim.Adam(model.arch_parameters(), lr=self.arch_lr, betas=(0.0, 0.999),
                                                eps=1e-8)

    def _use_table(self, table, model) -> None:
        """Read latencies from ``table``: each candidate's in ``model``, and the largest network's (the unit of
        the latency loss)."""
        self.table_ = table
        if table is None:
            self.latency_ = self.latency_ref_ = None
            return
        self._table_error = None
        self.latency_ = model.latency_matrix(table).to(self.device_)
        largest = tuple(((max(self.space.kernels), max(self.space.expands)),) * max(self.space.depths)
                        for _ in range(self.space.num_stages))
        self.latency_ref_ = table.predict_ms(largest)

    def _table(self):
        """The latency table in use; the reason there is none (an unknown fingerprint) is raised here."""
        if self.table_ is None:
            raise self._table_error
        return self.table_

    def expected_latency_ms(self) -> torch.Tensor:
        """The differentiable expected latency (ms) of the current distribution, stem and head included."""
        model = self.model_
        table = self._table()
        fixed = table["stem"] + table["head"]
        return (model.probabilities() * self.latency_).sum() + fixed

    def _search_batch(self, xt, yt, xv, yv):
        self._table()
        model = self.model_
        probs = model.probabilities().detach().cpu()
        index = {"layers": torch.multinomial(probs, 1, generator=self.generator_).squeeze(1).tolist()}
        train_logits, train_loss = self._weight_update(xt, yt, index=index)
        if self.epoch_ < self.warmup_epochs:
            return train_logits, train_loss, None, None
        # two-path estimate of the gradient of the validation loss
        alphas = model.alphas
        pairs = torch.multinomial(probs, 2, replacement=False, generator=self.generator_)
        rows = torch.arange(len(pairs), device=alphas.device)[:, None]
        pair_alphas = alphas.detach()[rows, pairs.to(alphas.device)]
        p2 = torch.softmax(pair_alphas, dim=1)
        pick = torch.multinomial(p2.cpu(), 1, generator=self.generator_).squeeze(1)
        gates = F.one_hot(pick, 2).float().to(self.device_).requires_grad_(True)
        val_logits = model.forward_gates(xv, pairs.tolist(), gates)
        val_loss = self.loss_fn_(val_logits, yv)
        (gate_grad,) = torch.autograd.grad(val_loss, gates)
        pair_grad = p2 * gate_grad - p2 * (p2 * gate_grad).sum(1, keepdim=True)
        grad = torch.zeros_like(alphas)
        grad[rows, pairs.to(alphas.device)] = pair_grad
        if self.latency_weight > 0:
            lat_loss = self.latency_weight * self.expected_latency_ms() / self.latency_ref_
            grad = grad + torch.autograd.grad(lat_loss, alphas)[0]
        alphas.grad = grad
        self.arch_optimizer_.step()
        self.arch_optimizer_.zero_grad(set_to_none=True)
        with torch.no_grad():  # keep the probability mass of the ops not sampled (ProxylessNAS's rescaling)
            idx = pairs.to(alphas.device)
            new = alphas[rows, idx]
            offset = torch.logsumexp(new, dim=1) - torch.logsumexp(pair_alphas, dim=1)
            alphas[rows, idx] = new - offset[:, None]
        return train_logits, train_loss, val_logits.detach(), val_loss.detach()

    def distribution(self) -> ArchDistribution:
        self._build()
        probs = self.model_.probabilities().detach().cpu()
        probs = probs.masked_fill(~self.model_.mask.cpu(), float("nan"))  # ops a slot does not offer
        return ArchDistribution(kind="probabilities", ops=self.model_.ops, rows=self.model_.rows,
                                groups={"layers": probs.tolist()}, row_axis="layers")

    def derive(self) -> Any:
        self._build()
        probs = self.model_.probabilities().detach().cpu().numpy()
        return self.space.derive({"layers": probs}, self.model_.ops)

    def _extra_metrics(self) -> dict[str, float]:
        with torch.no_grad():
            expected = float(self.expected_latency_ms())
        return {"expected_latency_ms": expected, "derived_latency_ms": self._table().predict_ms(self.derive()),
                "latency_weight": self.latency_weight}

    def _extra_state(self) -> dict[str, Any]:
        # the latency table travels with the checkpoint: a run resumed on another machine (or after the cache
        # was cleared) goes on with the latencies it started with, not a fresh measurement
        # (as JSON text: the checkpoint's loader takes tensors and plain values only)
        return {"arch_optimizer": self.arch_optimizer_.state_dict(),
                "latency_table": json.dumps(self._table().to_dict(), sort_keys=True)}

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        from workbench.costs import LatencyTable

        if "arch_optimizer" in state:
            self.arch_optimizer_.load_state_dict(state["arch_optimizer"])
        if "latency_table" in state:
            try:
                data = json.loads(state["latency_table"])
            except (TypeError, ValueError):
                data = None
            table = LatencyTable.from_dict(data, self.space, source="the checkpoint's latency table")
            self._use_table(table, self.model_)
