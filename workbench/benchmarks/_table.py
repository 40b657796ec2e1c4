"""A tabular benchmark held as columns: one numpy array per (dataset, metric, training epochs).

Rows are the benchmark's own arch indices (NB201's official index); ``row(arch)`` maps any form the space
accepts to its row. A column's name is ``"{dataset}/{metric}@{epochs}"``, e.g. ``"cifar10/val_acc@200"``.
Lookups are array indexing, so thousands of evaluations take milliseconds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from workbench.errors import DataError, OutOfSpaceError


def column_name(dataset: str, metric: str, epochs: int | None) -> str:
    return f"{dataset}/{metric}" if epochs is None else f"{dataset}/{metric}@{int(epochs)}"


def split_column_name(name: str) -> tuple[str, str, int | None]:
    head, _, epochs = name.partition("@")
    dataset, _, metric = head.rpartition("/")
    return dataset, metric, int(epochs) if epochs else None


@dataclass
class Table:
    """Columns of one benchmark over one space. ``arch_strings[i]`` is row i's arch in the space's text."""

    name: str
    space_name: str
    arch_strings: np.ndarray
    columns: dict[str, np.ndarray]
    meta: dict[str, Any] = field(default_factory=dict)
    _row_of: dict[str, int] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        n = len(self.arch_strings)
        for key, col in self.columns.items():
            if len(col) != n:
                raise DataError(f"benchmark {self.name!r}: column {key!r} has {len(col)} rows, expected {n}")

    def __len__(self) -> int:
        return len(self.arch_strings)

    # --- what exists -----------------------------------------------------------------------------
    def datasets(self) -> list[str]:
        return sorted({split_column_name(c)[0] for c in self.columns})

    def metrics(self, dataset: str | None = None) -> list[str]:
        return sorted({split_column_name(c)[1] for c in self.columns if dataset in (None, split_column_name(c)[0])})

    def epochs(self, dataset: str, metric: str) -> list[int]:
        return sorted(e for d, m, e in map(split_column_name, self.columns) if d == dataset and m == metric and e is not None)

    # --- lookups ---------------------------------------------------------------------------------
    def row(self, arch_string: str) -> int:
        if self._row_of is None:
            self._row_of = {s: i for i, s in enumerate(self.arch_strings.tolist())}
        try:
            return self._row_of[arch_string]
        except KeyError:
            raise OutOfSpaceError(f"arch {arch_string!r} is not in benchmark {self.name!r}") from None

    def column(self, dataset: str, metric: str, epochs: int | None = None) -> np.ndarray:
        """The whole column; a clear error lists the datasets, metrics or epochs that exist."""
        key = column_name(dataset, metric, epochs)
        if key in self.columns:
            return self.columns[key]
        if dataset not in self.datasets():
            raise KeyError(f"benchmark {self.name!r} has no dataset {dataset!r}; datasets: {', '.join(self.datasets())}")
        if metric not in self.metrics(dataset):
            raise KeyError(
                f"benchmark {self.name!r} has no metric {metric!r} for {dataset!r}; metrics: {', '.join(self.metrics(dataset))}"
            )
        have = self.epochs(dataset, metric)
        raise KeyError(
            f"benchmark {self.name!r} has no {metric!r} of {dataset!r} after {epochs} epochs; epochs: {have or 'final only'}"
        )

    def as_mapping(self) -> Mapping[str, np.ndarray]:
        return dict(self.columns)
