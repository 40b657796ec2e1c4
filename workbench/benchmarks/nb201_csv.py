"""Importer of the NB201 table CSV (one row per cell: official index, arch string, accuracies in %)."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from workbench.benchmarks._table import Table, column_name
from workbench.errors import DataError

# CSV column -> (dataset, metric, epochs); accuracies in percent as in the NB201 paper
CSV_COLUMNS: dict[str, tuple[str, str, int]] = {
    "c10_valid_200ep": ("cifar10", "val_acc", 200),
    "c100_valid_200ep": ("cifar100", "val_acc", 200),
    "in16_valid_200ep": ("ImageNet16-120", "val_acc", 200),
    "c10_test_12ep": ("cifar10", "test_acc", 12),
    "c10_valid_12ep": ("cifar10", "val_acc", 12),
    "c100_test_12ep": ("cifar100", "test_acc", 12),
    "c100_valid_12ep": ("cifar100", "val_acc", 12),
    "in16_test_12ep": ("ImageNet16-120", "test_acc", 12),
    "in16_valid_12ep": ("ImageNet16-120", "val_acc", 12),
    # an independent re-training by AnalogNAS-Bench, NOT the official NB201 test accuracy
    "c10_test_200ep_analognas": ("cifar10", "test_acc_analognas", 200),
}


def read_nb201_csv(path: str | Path) -> Table:
    """Read the NB201 table CSV into a ``Table`` ordered by official index."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"NB201 table not found: {path} (see the README's 'Search spaces and benchmarks' section)")
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        fields = reader.fieldnames or []
        missing = {"index", "arch_str"} - set(fields)
        if missing:
            raise DataError(f"{path} is not an NB201 table CSV: it lacks column(s) {sorted(missing)}; has {fields}")
        rows = list(reader)
    if len(rows) != 15625:
        raise DataError(f"{path} holds {len(rows)} rows; an NB201 table has 15,625 (truncated file?)")
    order = np.argsort([int(r["index"]) for r in rows])
    rows = [rows[i] for i in order]
    columns = {}
    for csv_name, (dataset, metric, epochs) in CSV_COLUMNS.items():
        if csv_name in fields:
            try:
                columns[column_name(dataset, metric, epochs)] = np.array([float(r[csv_name]) for r in rows], dtype=np.float64)
            except ValueError as exc:
                raise DataError(f"{path}: column {csv_name!r} holds a non-number: {exc}") from None
    arch_strings = np.array([r["arch_str"] for r in rows])
    return Table(name="nb201", space_name="nb201", arch_strings=arch_strings, columns=columns,
                 meta={"source": str(path), "sources": [str(path)], "units": {metric: "%" for _, metric, _ in CSV_COLUMNS.values()},
                       "notes": {"test_acc_analognas": "an independent 200-epoch re-training by AnalogNAS-Bench, "
                                                       "not the official NB201 test accuracy"}})
