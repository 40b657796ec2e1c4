"""Importers of NASLib's NB201 extracts (automl/NASLib, Apache-2.0): archs as op-index 6-tuples.

- ``zc_nasbench201.json``: ``{dataset: {"(i, j, k, l, m, n)": {"idx", "val_accuracy", "flops": {"score"},
  "params": {"score"}, "<proxy>": {"score", "time"}, ...}}}``: zero-cost proxy scores of some cells;
- ``nb201_zen.zip``: JSON files ``benchmark--nasbench201--<dataset>--<start>.json``, each a list of
  ``{"idx", "arch", "zen": {"score", "time"}, "val_accuracy"}``.

NASLib numbers ops 0 skip_connect, 1 none, 2 nor_conv_3x3, 3 nor_conv_1x1, 4 avg_pool_3x3 and orders edges
0->1, 0->2, 0->3, 1->2, 1->3, 2->3; NB201's text orders them 0->1, 0->2, 1->2, 0->3, 1->3, 2->3.
``val_accuracy`` is NB201's 200-epoch validation accuracy (%); proxies become ``zc_<name>`` columns,
``flops``/``params`` counts (NASLib's millions x 1e6).
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from workbench.benchmarks._limits import check_declared
from workbench.benchmarks._table import Table, column_name
from workbench.errors import DataError

NASLIB_OPS = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
_EDGE_ORDER = (0, 1, 3, 2, 4, 5)  # NB201 text position k takes NASLib tuple position _EDGE_ORDER[k]


def naslib_tuple_to_arch_string(text: str | Iterable[int]) -> str:
    """``"(1, 1, 2, 0, 2, 3)"`` (NASLib) -> the NB201 arch string."""
    from workbench.spaces.nb201 import arch_string

    try:
        ops = [int(x) for x in (text.strip("()[] ").split(",") if isinstance(text, str) else text)]
    except ValueError:
        raise DataError(f"not a NASLib NB201 op tuple: {text!r}; expected six ints 0..4 such as '(1, 1, 2, 0, 2, 3)'") from None
    if len(ops) != 6 or any(not 0 <= o < len(NASLIB_OPS) for o in ops):
        raise DataError(f"not a NASLib NB201 op tuple: {text!r}; expected six ints 0..4")
    return arch_string(tuple(NASLIB_OPS[ops[k]] for k in _EDGE_ORDER))


def _table(records: list[tuple[str, str, dict[str, float], str]], source: str, name: str) -> Table:
    """One row per cell the records hold (``where`` names a record's place for errors: an arch twice in one
    dataset is refused naming both places; a non-finite value is recorded as missing). NASLib's ``idx`` is not NB201's official index, so rows follow the
    nb201 space's ``enumerate()`` order; merge with an official-index table (CSV, NATS) to get that order."""
    from workbench.spaces.nb201 import NB201Space

    space = NB201Space()
    texts = sorted({r[1] for r in records}, key=lambda t: space.code(t))
    row_of = {text: row for row, text in enumerate(texts)}
    columns: dict[str, np.ndarray] = {}
    seen: dict[tuple[str, str], str] = {}
    for dataset, text, values, where in records:
        if (dataset, text) in seen:
            raise DataError(f"{where}: arch {text!r} of {dataset!r} is also at {seen[dataset, text]}; each arch must "
                            f"appear once per dataset")
        seen[dataset, text] = where
        for metric, value in values.items():
            value = value if np.isfinite(value) else np.nan
            key = column_name(dataset, metric, 200 if metric == "val_acc" else None)
            columns.setdefault(key, np.full(len(texts), np.nan))[row_of[text]] = value
    return Table(name=name, space_name="nb201", arch_strings=np.array(texts), columns=columns,
                 meta={"sources": [source], "units": {"val_acc": "%", "params": "count", "flops": "count"},
                       "row_order": "nb201 space enumerate() order (NASLib files carry no official index)"})


def read_naslib_zc(path: str | Path, name: str = "nb201") -> Table:
    """NASLib's ``zc_nasbench201.json`` (zero-cost proxies of some cells per dataset)."""
    path = Path(path)
    try:
        data = json.loads(path.read_bytes().decode("utf-8"), object_pairs_hook=_no_repeated_keys(path))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path} is not a readable NASLib zero-cost JSON: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise DataError(f"{path} is not a NASLib zero-cost JSON: expected {{dataset: {{arch tuple: record}}}}")
    records = []
    for dataset, cells in data.items():
        for arch, rec in cells.items():
            values: dict[str, float] = {}
            for field, value in rec.items():
                if field == "val_accuracy":
                    values["val_acc"] = _num(value, path, dataset, arch, field)
                elif field in ("flops", "params") and isinstance(value, dict):
                    count = _num(value.get("score"), path, dataset, arch, field) * 1e6
                    values[field] = float(round(count)) if np.isfinite(count) else np.nan
                elif isinstance(value, dict) and "score" in value:
                    values[f"zc_{field}"] = _num(value["score"], path, dataset, arch, field)
            records.append((dataset, naslib_tuple_to_arch_string(arch), values, f"{path}: {dataset}/{arch}"))
    return _table(records, str(path), name)


def _num(value: Any, path: Path, part: Any, item: Any, field: str) -> float:
    """A record's number; NaN/inf are kept as NaN (missing), anything else that is not a number is refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataError(f"{path}: {part}/{item}: {field} is {str(value)[:40]!r}, not a number")
    try:
        number = float(value)
    except OverflowError:
        raise DataError(f"{path}: {part}/{item}: {field} is {str(value)[:40]}..., too large for a number") from None
    return number if np.isfinite(number) else float("nan")


def _no_repeated_keys(path: Path):
    """A json ``object_pairs_hook`` that refuses a key given twice in one object (JSON keeps the last)."""
    def hook(pairs):
        out = {}
        for key, value in pairs:
            if key in out:
                raise DataError(f"{path}: key {key[:80]!r} appears twice in one object")
            out[key] = value
        return out
    return hook


def read_naslib_zen(path: str | Path, name: str = "nb201") -> Table:
    """NASLib's ``nb201_zen.zip`` (the Zen-NAS score and 200-epoch validation accuracy of every cell)."""
    path = Path(path)
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path} is not a readable zip of NASLib Zen-NAS JSON files: {exc}") from None
    records = []
    with zf:
        names = [n for n in zf.namelist() if n.endswith(".json") and "--nasbench201--" in n]
        if not names:
            raise DataError(f"{path} holds no 'benchmark--nasbench201--<dataset>--<n>.json' files")
        for member in names:
            dataset = member.rsplit("/", 1)[-1].split("--")[2]
            info = zf.getinfo(member)
            check_declared(f"{path}:{member}", info.file_size, info.compress_size)
            for i, rec in enumerate(json.loads(zf.read(member))):
                if not isinstance(rec, dict) or "arch" not in rec:
                    raise DataError(f"{path}/{member}[{i}]: not a record with 'arch' and 'val_accuracy'")
                values: dict[str, Any] = {"val_acc": _num(rec.get("val_accuracy"), path, member, i, "val_accuracy")}
                if isinstance(rec.get("zen"), dict):
                    values["zc_zen"] = _num(rec["zen"].get("score"), path, member, i, "zen")
                records.append((dataset, naslib_tuple_to_arch_string(rec["arch"]), values, f"{path}/{member}[{i}]"))
    return _table(records, str(path), name)
