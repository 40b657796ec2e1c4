"""Importer of the NB201 table CSV (one row per cell: official index, arch string, accuracies in %)."""
from __future__ import annotations

import csv
import io
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
    """Read the NB201 table CSV into a ``Table`` ordered by official index.

    Every problem names the file and line: text that is not UTF-8, a row with too few or too many fields,
    an index that is not an integer in 0..15624, an index or arch that appears twice (both lines named), a
    value that is not a number. Empty, ``nan`` and infinite values are recorded as missing (NaN)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"NB201 table not found: {path} (see the README's 'Search spaces and benchmarks' section)")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(f"{path}:{line}: not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        fields = next(reader)
    except StopIteration:
        raise DataError(f"{path} is empty; an NB201 table CSV starts with a header line") from None
    except csv.Error as exc:
        raise DataError(f"{path}:1: {exc}") from None
    missing = {"index", "arch_str"} - set(fields)
    if missing:
        raise DataError(f"{path} is not an NB201 table CSV: it lacks column(s) {sorted(missing)}; has {fields}")
    at = {name: i for i, name in enumerate(fields)}
    value_fields = [(name, at[name]) for name in CSV_COLUMNS if name in at]
    rows: list[tuple[int, str, list[str], int]] = []
    line_of_index: dict[int, int] = {}
    line_of_arch: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not row:
                continue
            if len(row) != len(fields):
                raise DataError(f"{path}:{line}: {len(row)} fields, the header has {len(fields)}")
            raw_index, arch = row[at["index"]].strip(), row[at["arch_str"]].strip()
            if not raw_index.isdigit() or not 0 <= int(raw_index) < NB201_SIZE:
                raise DataError(f"{path}:{line}: index {raw_index[:40]!r} is not an integer in 0..{NB201_SIZE - 1}")
            index = int(raw_index)
            if index in line_of_index:
                raise DataError(f"{path}:{line}: index {index} is also on line {line_of_index[index]}")
            if arch in line_of_arch:
                raise DataError(f"{path}:{line}: arch {arch[:120]!r} is also on line {line_of_arch[arch]}; "
                                f"each arch must appear once")
            line_of_index[index], line_of_arch[arch] = line, line
            rows.append((index, arch, [row[i] for _, i in value_fields], line))
    except csv.Error as exc:
        raise DataError(f"{path}:{reader.line_num}: {exc}") from None
    if len(rows) != NB201_SIZE:
        raise DataError(f"{path} holds {len(rows)} rows; an NB201 table has 15,625 (truncated file?)")
    rows.sort(key=lambda r: r[0])
    try:  # fast: numpy parses the texts; on a failure, find the cell to name
        values = np.array([r[2] for r in rows], dtype=np.float64).reshape(len(rows), len(value_fields))
    except ValueError:
        values = np.array([[_number(text, path, r[3], name) for text, (name, _) in zip(r[2], value_fields)]
                           for r in rows], dtype=np.float64).reshape(len(rows), len(value_fields))
    values[~np.isfinite(values)] = np.nan  # inf is no measurement: recorded as missing
    columns = {column_name(*CSV_COLUMNS[name]): values[:, j].copy() for j, (name, _) in enumerate(value_fields)}
    arch_strings = np.array([r[1] for r in rows])
    return Table(name="nb201", space_name="nb201", arch_strings=arch_strings, columns=columns,
                 meta={"source": str(path), "sources": [str(path)], "units": {metric: "%" for _, metric, _ in CSV_COLUMNS.values()},
                       "notes": {"test_acc_analognas": "an independent 200-epoch re-training by AnalogNAS-Bench, "
                                                       "not the official NB201 test accuracy"}})


NB201_SIZE = 15625


def _number(text: str, path: Path, line: int, name: str) -> float:
    text = text.strip()
    if not text:
        return float("nan")  # an empty cell: not measured
    try:
        return float(text)
    except ValueError:
        raise DataError(f"{path}:{line}: column {name!r} holds {text[:40]!r}, not a number") from None
