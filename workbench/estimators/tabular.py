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

from workbench.errors import DataError, EvaluationError, OutOfSpaceError
from workbench.estimators import register
from workbench.estimators._base import Estimator, Result

_INF = float("inf")
#: at most this many Results are kept per table and column set (NB201: 15,625; NATS size: 32,768)
_RESULT_CACHE_ROWS = 65536


class MissingValueError(EvaluationError):
    """The benchmark holds no value of the search metric for this arch (the source did not measure it)."""


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
        self._index = self.table.row_index(space)  # shared by every estimator of this table
        self._plan()

    @property
    def charges_sim_time(self) -> bool:
        """True when some lookups charge simulated seconds: the table has training times for this metric,
        or ``cost_s`` is positive (a budget in ``sim_seconds`` can then run out)."""
        if self.cost_s is not None and self.cost_s > 0:
            return True
        return self._time is not None and bool(np.any(np.nan_to_num(self._time, nan=0.0) > 0))

    @property
    def no_sim_time_reason(self) -> str:
        return (f"benchmark {self.table.name!r} records no training times for {self.metric} of {self.dataset}, so "
                f"every lookup costs 0 simulated seconds (and no cost_s option was given)")

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

    def _plan(self) -> None:
        """Resolve every column once: one (rows, k) matrix holds the reported metrics, the objective (where
        it is not reported already) and the charged cost, so an evaluation reads one matrix row."""
        names = [name for name, _ in self._reported]
        cols = [col for _, col in self._reported]
        objective_name = f"{self.metric}@{self.epochs}"
        if objective_name not in names:
            names.append(objective_name)
            cols.append(self._objective)
        self._objective_pos = names.index(objective_name)
        self._names = tuple(names)
        default_cost = float(self.cost_s) if self.cost_s is not None else 0.0
        plan_key = (self._names, self.dataset, self.metric, self.epochs, default_cost)
        self._matrix = self._index.plans.get(plan_key)
        if self._matrix is None:  # built once per table, shared by every estimator that reads the same columns
            if self._time is not None:
                cost = np.asarray(self._time, dtype=np.float64)
                cost = np.where(np.isnan(cost), default_cost, cost)
            else:
                cost = np.full(len(self.table), default_cost)
            self._matrix = np.column_stack([np.asarray(c, dtype=np.float64) for c in cols] + [cost])
            self._index.plans[plan_key] = self._matrix
        self._results: dict[int, Result] = self._index.plans.setdefault(("results",) + plan_key, {})
        # the row cache of the shared index: an arch seen before costs one dict lookup
        self._row_cache = self._index.cache

    def row(self, arch: Any) -> int:
        """The benchmark row of ``arch`` (validated against the space the first time this arch is seen)."""
        try:
            return self._row_cache[arch]
        except (KeyError, TypeError):
            return self._index.row(arch)

    def evaluate(self, arch: Any) -> Result:
        if self.epoch is not None or self.seed is not None:
            return self._evaluate_fidelity(arch)
        try:
            row = self._row_cache[arch]
        except (KeyError, TypeError):
            row = self._index.row(arch)
        if self.delay_s:
            time.sleep(self.delay_s)
        result = self._results.get(row)
        if result is None:
            result = self._result_of(row)
        return result

    def _result_of(self, row: int) -> Result:
        """The Result of ``row``: the same lookup always gives the same immutable Result, so it is kept
        (for tables up to ``_RESULT_CACHE_ROWS`` rows) and shared by the estimators that read these columns."""
        values = self._matrix[row].tolist()
        objective = values[self._objective_pos]
        cost = values.pop()
        if objective != objective:  # NaN: a partial source (e.g. NASLib's 725 cells) lacks this arch
            self._missing(row)
        metrics = dict(zip(self._names, values))
        if objective - objective == 0.0 and 0.0 <= cost < _INF:  # finite: no re-validation needed
            result = Result._trusted(objective, metrics, cost, self.epochs)
            if len(self._results) < _RESULT_CACHE_ROWS:
                self._results[row] = result
            return result
        return Result(objective=objective, metrics=metrics, cost_s=cost, fidelity=self.epochs)  # raises

    def _missing(self, row: int):
        raise MissingValueError(f"benchmark {self.table.name!r} has no {self.metric!r} of {self.dataset!r} after "
                        f"{self.epochs} epochs for arch {str(self.table.arch_strings[row])!r} (the source did not hold it)")

    def _evaluate_fidelity(self, arch: Any) -> Result:
        """A lower fidelity (``epoch``) or one seed's run: read the per-epoch curves and per-seed values."""
        row = self.row(arch)
        metrics = {name: float(col[row]) for name, col in self._reported}
        if self.epoch is None and self.seed is None:
            objective = float(self._objective[row])
        else:
            try:
                objective = self.table.query(row, self.dataset, self.metric, self.epochs, epoch=self.epoch, seed=self.seed)
            except DataError as exc:  # no record of this arch at that epoch/seed
                raise MissingValueError(str(exc)) from None
        if not np.isfinite(objective):  # NaN: a partial source (e.g. NASLib's 725 cells) lacks this arch: the trial fails
            raise MissingValueError(f"benchmark {self.table.name!r} has no {self.metric!r} of {self.dataset!r} after "
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
