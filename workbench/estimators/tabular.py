"""Tabular estimator: look an arch up in a benchmark table instead of training it.

A lookup is free in wall time, so each evaluation charges ``cost_s`` simulated seconds (the training time
the benchmark records where it has one, else the per-evaluation ``cost_s`` option), which a simulated-time
budget counts. ``delay_s`` makes each lookup also wait that many real seconds: a teaching knob, so a
tabular search (thousands of lookups a second) can be watched live in a notebook.
"""
from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np

from workbench.errors import DataError, OutOfSpaceError
from workbench.estimators import register
from workbench.estimators._base import Estimator, Result


@register("tabular", spaces=("nb201", "nats_sss", "nb101"))  # the spaces with a tabular benchmark
class TabularEstimator(Estimator):
    """Search on ``metric`` of ``dataset`` after ``epochs`` epochs; also report ``report`` metrics.

    ``report`` entries are ``"metric@epochs"`` (or ``"metric"`` for the search epochs).
    """

    name = "tabular"

    def __init__(self, *, space, benchmark: Any = "nb201", dataset: str = "cifar10", metric: str = "val_acc",
                 epochs: int | None = 200, report: Sequence[str] | None = None, cost_s: float | None = None,
                 delay_s: float = 0.0, epoch: int | None = None, seed: int | None = None) -> None:
        from workbench import benchmarks

        self.space = space
        self.benchmark = benchmark if isinstance(benchmark, str) else None
        self.table = benchmark if isinstance(benchmark, benchmarks.Table) else benchmarks.load(benchmark)
        if self.table.space_name != space.name:
            raise OutOfSpaceError(
                f"benchmark {self.table.name!r} covers the {self.table.space_name!r} space, not {space.name!r}"
            )
        self.spaces = (self.table.space_name,)
        self.dataset, self.metric, self.epochs = dataset, metric, epochs
        self._objective = self.table.column(dataset, metric, epochs)
        # epoch (1..epochs) reads the per-epoch curve (a lower fidelity); seed picks one training run
        self.epoch, self.seed = epoch, seed
        if epoch is not None or seed is not None:  # fail now, not at the first evaluation
            self.table.check_query(dataset, metric, epochs, epoch=epoch, seed=seed)
        if report is None:
            report = [f"{m}@{e}" for m in self.table.metrics(dataset) for e in self.table.epochs(dataset, m)]
            report += [m for m in ("params", "flops", "latency_ms") if m in self.table.metrics(dataset)
                       and not self.table.epochs(dataset, m)]
        self.report = list(report)
        self._reported: list[tuple[str, np.ndarray]] = []
        for item in self.report:
            m, _, e = item.partition("@")
            self._reported.append((item, self.table.column(dataset, m, int(e) if e else epochs)))
        self.cost_s = cost_s
        if not isinstance(delay_s, (int, float)) or isinstance(delay_s, bool) or not 0 <= delay_s < 3600:
            raise ValueError(f"delay_s must be a number of seconds in [0, 3600), got {delay_s!r}")
        self.delay_s = float(delay_s)
        self._time = self._time_column()
        self._rows = self._row_lookup()

    def _time_column(self) -> np.ndarray | None:
        """Training seconds of the run that measured the search metric (NATS: CIFAR-10's validation
        accuracy comes from the cifar10-valid run, so that run's time is charged, as NATS does)."""
        source = self.table.time_dataset(self.dataset, self.metric)
        for metric in ("train_time_s", "time_s"):
            try:
                return self.table.column(source, metric, self.epochs)
            except KeyError:
                continue
        return None

    def _row_lookup(self):
        """A fast arch -> row function: by code for spaces that number their archs, else by text."""
        code = getattr(self.space, "code", None)
        if code is not None and self.space.size() == len(self.table):
            code_to_row = np.empty(len(self.table), dtype=np.int64)
            for row, text in enumerate(self.table.arch_strings.tolist()):
                code_to_row[code(self.space.from_string(text))] = row
            return lambda arch: int(code_to_row[code(arch)])
        return self.table.row

    def row(self, arch: Any) -> int:
        """The benchmark row of ``arch`` (validated against the space)."""
        return self._rows(self.space.validate(arch))

    def evaluate(self, arch: Any) -> Result:
        row = self.row(arch)
        metrics = {name: float(col[row]) for name, col in self._reported}
        if self.epoch is None and self.seed is None:
            objective = float(self._objective[row])
        else:
            objective = self.table.query(row, self.dataset, self.metric, self.epochs, epoch=self.epoch, seed=self.seed)
        if objective != objective:  # NaN: a partial source (e.g. NASLib's 725 cells) lacks this arch
            raise DataError(f"benchmark {self.table.name!r} has no {self.metric!r} of {self.dataset!r} after "
                            f"{self.epochs} epochs for arch {str(self.table.arch_strings[row])!r} (the source did not hold it)")
        metrics.setdefault(f"{self.metric}@{self.epochs}", objective)
        if self._time is not None and self.epoch is not None:
            cost = self.table.train_time(row, self.dataset, self.epochs, epoch=self.epoch, metric=self.metric)
        elif self._time is not None:
            cost = float(self._time[row])
        else:
            cost = float(self.cost_s) if self.cost_s is not None else 0.0
        if cost != cost:
            cost = float(self.cost_s) if self.cost_s is not None else 0.0
        if self.delay_s:
            time.sleep(self.delay_s)
        return Result(objective=objective, metrics=metrics, cost_s=cost,
                      fidelity=self.epoch if self.epoch is not None else self.epochs)

    def options(self) -> dict[str, Any]:
        return {"benchmark": self.benchmark or self.table.meta.get("source", self.table.name), "dataset": self.dataset, "metric": self.metric,
                "epochs": self.epochs, "report": self.report, "cost_s": self.cost_s, "delay_s": self.delay_s,
                "epoch": self.epoch, "seed": self.seed}
