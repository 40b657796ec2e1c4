"""Cost estimators: ``params``, ``flops`` and ``latency`` of an arch, without training it.

Each returns a ``Result`` whose metric is the cost (``params``, ``flops`` at batch 1, ``latency_ms``) and
whose ``objective`` is the cost negated, so a searcher that maximises the objective looks for cheap networks.

- ``params``/``flops``: exact counts of ``space.build(arch)`` (``workbench.nn.cost``: torch's
  ``FlopCounterMode`` for FLOPs; a multiply-add is two FLOPs).
- ``latency``: the sum of the arch's blocks in a latency table measured on this device
  (``workbench.costs.LatencyTable``: warm-up, repeats, median; cached per device fingerprint).
  ``measure=True`` also times the whole network and reports it as ``latency_measured_ms``.
"""
from __future__ import annotations

import time
from typing import Any

from workbench.estimators import register
from workbench.estimators._base import Estimator, Result


class _CountEstimator(Estimator):
    metric = ""

    def __init__(self, *, space, num_classes: int = 10, in_channels: int = 3, input_size: int | None = None) -> None:
        self.space = space
        self.num_classes, self.in_channels = int(num_classes), int(in_channels)
        self.input_size = int(input_size or getattr(space, "input_size", 32))

    def evaluate(self, arch: Any) -> Result:
        from workbench.nn.cost import count_flops, count_params

        arch = self.space.validate(arch)
        start = time.perf_counter()
        net = self.space.build(arch, num_classes=self.num_classes, in_channels=self.in_channels)
        if self.metric == "params":
            value = count_params(net)
        else:
            value = count_flops(net, (1, self.in_channels, self.input_size, self.input_size))
        return Result(objective=-float(value), metrics={self.metric: value}, cost_s=time.perf_counter() - start)

    def options(self) -> dict[str, Any]:
        return {"num_classes": self.num_classes, "in_channels": self.in_channels, "input_size": self.input_size}


@register("params")
class ParamsEstimator(_CountEstimator):
    """Number of parameters of ``space.build(arch)``."""

    name = metric = "params"


@register("flops")
class FlopsEstimator(_CountEstimator):
    """FLOPs of one forward pass at batch 1 (torch's flop counter)."""

    name = metric = "flops"


@register("latency", spaces=("mobilenet",))
class LatencyEstimator(Estimator):
    """Latency (ms) predicted from a per-block table measured on ``device`` (``"auto"``: CUDA when present)."""

    name = "latency"

    def __init__(self, *, space, device: str = "auto", batch_size: int = 1, warmup: int = 3, repeats: int = 15,
                 num_threads: int | None = 1, cache: bool | str = True, measure: bool = False, table=None) -> None:
        from workbench.costs import _require

        _require(space, "latency_keys", "the latency estimator")
        self.space, self.device, self.batch_size = space, device, int(batch_size)
        self.warmup, self.repeats, self.num_threads = int(warmup), int(repeats), num_threads
        self.cache, self.measure = cache, bool(measure)
        self._table = table

    @property
    def table(self):
        """The latency table (measured on first use, or loaded from the cache)."""
        if self._table is None:
            from workbench.costs import LatencyTable

            self._table = LatencyTable.measure(self.space, device=self.device, batch_size=self.batch_size,
                                               warmup=self.warmup, repeats=self.repeats,
                                               num_threads=self.num_threads, cache=self.cache)
        return self._table

    def evaluate(self, arch: Any) -> Result:
        arch = self.space.validate(arch)
        start = time.perf_counter()
        predicted = self.table.predict_ms(arch)
        metrics = {"latency_ms": predicted}
        if self.measure:
            from workbench.nn.latency import measure_ms

            net = self.space.build(arch)
            shape = (self.batch_size, 3, self.space.input_size, self.space.input_size)
            metrics["latency_measured_ms"] = measure_ms(net, shape, self.device, warmup=self.warmup,
                                                        repeats=self.repeats, num_threads=self.num_threads)
        return Result(objective=-predicted, metrics=metrics, cost_s=time.perf_counter() - start)

    def options(self) -> dict[str, Any]:
        # a table object is not plain data: a restored estimator measures again or loads this device's cached table
        return {"device": self.device, "batch_size": self.batch_size, "warmup": self.warmup, "repeats": self.repeats,
                "num_threads": self.num_threads, "cache": self.cache, "measure": self.measure, "table": None}
