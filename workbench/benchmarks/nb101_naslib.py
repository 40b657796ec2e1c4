"""Importer of NASLib's NB101 extract (automl/NASLib ``naslib/data/zc_nasbench101.json``, Apache-2.0).

The file is ``{"nasbench101": {"cifar10": {key: {"val_accuracy", "flops", "params", <proxy>: score}}}}``
where ``key`` is a raw cell: the flattened 7x7 adjacency (49 ints) then 7 op ids (0 input, 1 output,
2 maxpool3x3, 3 conv1x1-bn-relu, 4 conv3x3-bn-relu). Keys are not canonical: several keys can be the same
cell (after pruning, up to isomorphism), each holding one of NB101's three training repeats. Rows here are
cells keyed by the official hash (``meta["row_key"] = "key"``); ``val_acc@108`` (%) is the mean of the
distinct accuracies of a cell's keys, ``per_seed`` lists them (NaN-padded to 3; their repeat numbers are not
known, so seeds are labelled 0, 1, 2 in file order). ``params`` and ``flops`` (NASLib's millions x 1e6) and
proxies (``zc_<name>``) come from the cell's first key: NB101's channel split gives some isomorphic
variants slightly different parameter counts, and NASLib computed them per key.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from workbench.benchmarks._table import Table, column_name
from workbench.benchmarks.nb101_tfrecord import DATASET, SEEDS, cell_codes
from workbench.errors import DataError, OutOfSpaceError

UNITS = {"val_acc": "%", "params": "count", "flops": "count (multiply-adds)",
         "adjacency_bits": "21 upper-triangle bits of the 7-vertex matrix", "ops_code": "base-3 code of the 5 interior ops"}


def read_naslib_nb101(path: str | os.PathLike, dataset: str = DATASET) -> Table:
    """Read NASLib's ``zc_nasbench101.json`` into a ``Table`` over the ``nb101`` space."""
    from workbench.spaces import create
    from workbench.spaces.nb101 import from_naslib_key

    path = Path(path)
    try:
        data: Any = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read NASLib NB101 JSON {path}: {exc}") from None
    if isinstance(data, dict) and "nasbench101" in data:
        data = data["nasbench101"]
    if not isinstance(data, dict) or dataset not in data:
        raise DataError(f"{path} is not NASLib's NB101 file: expected {{'nasbench101': {{'{dataset}': {{...}}}}}}, "
                        f"found keys {list(data)[:5] if isinstance(data, dict) else type(data).__name__}")
    space = create("nb101")
    rows: dict[str, int] = {}
    accs: list[list[float]] = []
    first: list[dict[str, Any]] = []
    cells: list[tuple[int, int]] = []
    for key, entry in data[dataset].items():
        try:
            arch = from_naslib_key(key)
            cell_key = space.key(arch)
        except OutOfSpaceError as exc:
            raise DataError(f"{path}: key {key[:60]!r}... is not an NB101 cell: {exc}") from None
        row = rows.get(cell_key)
        if row is None:
            row = rows[cell_key] = len(rows)
            accs.append([])
            first.append(entry)
            pruned = space.prune(arch)
            cells.append(cell_codes(pruned.matrix, pruned.ops))
        value = float(entry.get("val_accuracy", np.nan))
        if np.isfinite(value) and value not in accs[row]:
            accs[row].append(value)
    n = len(rows)
    repeats = max(len(SEEDS), max(len(a) for a in accs))
    block = np.full((n, repeats), np.nan)
    for row, values in enumerate(accs):
        block[row, : len(values)] = values
    key = column_name(dataset, "val_acc", 108)
    counts = np.isfinite(block).sum(axis=1)
    mean = np.full(n, np.nan)
    np.divide(np.nansum(block, axis=1), counts, out=mean, where=counts > 0)
    columns: dict[str, np.ndarray] = {key: mean}
    names = sorted({k for e in first for k, v in e.items() if k != "val_accuracy" and isinstance(v, (int, float))})
    for name in names:
        scale = 1e6 if name in ("params", "flops") else 1.0
        metric = name if name in ("params", "flops") else f"zc_{name}"
        columns[column_name(dataset, metric, None)] = np.array([float(e.get(name, np.nan)) * scale for e in first])
    codes = np.asarray(cells, dtype=np.float64)
    columns[column_name("cell", "adjacency_bits", None)] = codes[:, 0]
    columns[column_name("cell", "ops_code", None)] = codes[:, 1]
    meta = {"sources": [str(path)], "units": UNITS, "row_key": "key",
            "note": "NASLib zc_nasbench101.json: one NB101 repeat per raw key; per_seed holds the distinct ones"}
    return Table(name="nb101-naslib", space_name="nb101", arch_strings=np.array(list(rows)), columns=columns,
                 meta=meta, per_seed={key: block}, seeds={key: tuple(range(repeats))})


def _is_naslib_nb101(path: Path) -> bool:
    if path.suffix != ".json" or not path.is_file():
        return False
    with open(path, "rb") as f:
        return b'"nasbench101"' in f.read(200)


def _register() -> None:
    from workbench.benchmarks import register_importer

    register_importer("NASLib NB101 zero-cost (.json)", _is_naslib_nb101, lambda p, **options: read_naslib_nb101(p))


_register()
