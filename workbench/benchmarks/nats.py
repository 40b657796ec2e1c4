"""Readers of the official NAS-Bench-201 and NATS-Bench files (Dong & Yang 2020; Dong et al., TPAMI 2021).

Layouts (from D-X-Y/NATS-Bench's README and ``nats_bench/api_utils.py``):

- ``NATS-tss-v1_0-3ffb9-simple/`` (topology space, 15,625 cells) and ``NATS-sss-v1_0-50262-simple/`` (size
  space, 32,768 channel configurations): ``meta.pickle.pbz2`` (``meta_archs``: every arch string in index
  order) and one ``{index:06d}.pickle.pbz2`` per arch: ``{hp: ArchResults}`` with ``hp`` the training regime
  ("12" and "200" for tss; "01", "12" and "90" for sss);
- ``NATS-*-simple.tar``: that folder as one tar archive (read as a stream, never unpacked to disk);
- ``NATS-tss-v1_0-3ffb9.pickle.pbz2``: one pickle ``{meta_archs, arch2infos: {index: {hp: ArchResults}},
  evaluated_indexes}``;
- legacy ``NAS-Bench-201-v1_0-e61699.pth`` / ``v1_1-096897.pth`` (``torch.save``):
  ``{meta_archs, arch2infos: {index: {"less": ArchResults (12 epochs), "full": ArchResults (200)}}, ...}``.

An ``ArchResults`` is ``{arch_index, arch_str, all_results: {(dataset, seed): ResultsCount}, dataset_seed}``
and a ``ResultsCount`` holds per-epoch ``train_acc1es``/``train_losses``/``train_times`` (dicts epoch ->
value), ``eval_acc1es``/``eval_losses`` keyed ``"{set}@{epoch}"``, ``params`` (M), ``flop`` (M) and
``latency`` (seconds). The evaluation sets map to metrics as NATS' ``get_more_info`` does:
``cifar10-valid``: x-valid -> val, ori-test -> test; ``cifar10``: ori-test -> test; ``cifar100`` and
``ImageNet16-120``: x-valid -> val, x-test -> test, ori-test (valid+test) -> valtest. As NATS'
``simulate_train_eval`` does, ``cifar10``'s ``val_acc``/``val_loss`` are copied from the ``cifar10-valid``
run (recorded in ``meta["aliases"]``). Accuracies are in %, ``train_time_s`` is the cumulative simulated
training time, ``params`` and ``flops`` are counts (the files' millions x 1e6), ``latency_ms`` milliseconds.
"""
from __future__ import annotations

import re
import tarfile
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from workbench.benchmarks._table import Table, column_name
from workbench.benchmarks._limits import check_declared
from workbench.benchmarks._unpickle import load_pbz2, load_torch_file, pickle_refused
from workbench.errors import DataError

SPACE_SIZES = {"nb201": 15625, "nats_sss": 32768}
BENCHMARK_NAMES = {"nb201": "nb201", "nats_sss": "nats_sss"}
_ARCH_FILE = re.compile(r"(?:^|/)(\d+)\.pickle\.pbz2$")
_SETS = {
    "cifar10-valid": {"x-valid": "val", "ori-test": "test"},
    "cifar10": {"ori-test": "test"},
    "cifar100": {"x-valid": "val", "x-test": "test", "ori-test": "valtest"},
    "ImageNet16-120": {"x-valid": "val", "x-test": "test", "ori-test": "valtest"},
}
UNITS = {"train_acc": "%", "val_acc": "%", "test_acc": "%", "valtest_acc": "%", "train_loss": "cross-entropy",
         "val_loss": "cross-entropy", "test_loss": "cross-entropy", "valtest_loss": "cross-entropy",
         "train_time_s": "seconds (cumulative, simulated)", "params": "count", "flops": "count (multiply-adds)",
         "latency_ms": "milliseconds"}

Progress = Callable[[int, int | None], None]


def space_of(arch_string: str) -> str:
    """``nb201`` for a topology cell string, ``nats_sss`` for a ``C:C:C:C:C`` channel string."""
    if arch_string.startswith("|"):
        return "nb201"
    if re.fullmatch(r"\d+(:\d+){4}", arch_string):
        return "nats_sss"
    raise DataError(f"unrecognised NATS arch string {arch_string!r}: expected an NB201 cell '|op~0|+...' or 'C:C:C:C:C'")


class _CurveStore:
    """Per-epoch curves of one column, for the rows that have them: a growing (rows, seeds, epochs) array."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.slot: dict[int, int] = {}
        self.seed_ix: dict[int, int] = {}
        self.data = np.full((64, 0, total), np.nan, dtype=np.float32)

    def put(self, row: int, seed: int, values: list[float]) -> None:
        if seed not in self.seed_ix:
            self.seed_ix[seed] = len(self.seed_ix)
            pad = np.full((self.data.shape[0], 1, self.total), np.nan, dtype=np.float32)
            self.data = np.concatenate([self.data, pad], axis=1)
        slot = self.slot.setdefault(row, len(self.slot))
        if slot >= self.data.shape[0]:
            grown = np.full((2 * self.data.shape[0],) + self.data.shape[1:], np.nan, dtype=np.float32)
            grown[: self.data.shape[0]] = self.data
            self.data = grown
        self.data[slot, self.seed_ix[seed]] = values

    def finish(self, seed_ids: list[int], n: int) -> tuple[np.ndarray | None, np.ndarray]:
        """(rows or None when every row is present, curves (rows, seeds, epochs)) in ``seed_ids`` order."""
        rows = np.array(sorted(self.slot), dtype=np.int64)
        slots = np.array([self.slot[r] for r in rows.tolist()], dtype=np.int64)
        out = np.full((len(rows), len(seed_ids), self.total), np.nan, dtype=np.float32)
        for j, seed in enumerate(seed_ids):
            if seed in self.seed_ix:
                out[:, j] = self.data[slots, self.seed_ix[seed]]
        return (None if len(rows) == n else rows), out


class _Accumulator:
    """Collects per-(column, seed) values of many archs into arrays, allocated on first sight."""

    def __init__(self, n: int, curves: bool) -> None:
        self.n, self.keep_curves = n, curves
        self.final: dict[str, dict[int, np.ndarray]] = {}
        self.curve: dict[str, _CurveStore] = {}
        self.costs: dict[str, dict[int, list[tuple[int, float]]]] = {}
        self.present = np.zeros(n, dtype=bool)

    def put(self, row: int, key: str, seed: int, values: list[float], total: int) -> None:
        """Record a per-epoch list (NaN where an epoch is missing) of length ``total``."""
        last = values[-1]
        if not np.isnan(last):
            self.final.setdefault(key, {}).setdefault(seed, np.full(self.n, np.nan))[row] = last
        if self.keep_curves and total > 1 and np.isfinite(values[:-1]).any():
            store = self.curve.get(key)
            if store is None:
                store = self.curve[key] = _CurveStore(total)
            store.put(row, seed, values)

    def put_cost(self, row: int, key: str, seed: int, value: float) -> None:
        self.costs.setdefault(key, {}).setdefault(row, []).append((seed, value))

    def table(self, name: str, space_name: str, arch_strings: list[str], meta: dict) -> Table:
        columns, per_seed, seeds, curves, curve_rows = {}, {}, {}, {}, {}
        for key in sorted(self.final):
            seed_ids = sorted(set(self.final[key]) | (set(self.curve[key].seed_ix) if key in self.curve else set()))
            finals = np.stack([self.final[key].get(s, np.full(self.n, np.nan)) for s in seed_ids], axis=1)
            counts = np.isfinite(finals).sum(axis=1)
            columns[key] = np.where(counts > 0, np.nansum(finals, axis=1) / np.maximum(counts, 1), np.nan)
            per_seed[key], seeds[key] = finals, tuple(seed_ids)
            if key in self.curve:
                rows, curves[key] = self.curve[key].finish(seed_ids, self.n)
                if rows is not None:
                    curve_rows[key] = rows
        for key, by_row in self.costs.items():
            col = np.full(self.n, np.nan)
            for row, pairs in by_row.items():
                col[row] = _consistent_cost(pairs)
            columns[key] = col
        meta = {**meta, "present": int(self.present.sum())}
        return Table(name=name, space_name=space_name, arch_strings=np.array(arch_strings), columns=columns,
                     meta=meta, per_seed=per_seed, seeds=seeds, curves=curves, curve_rows=curve_rows)


def _consistent_cost(pairs: list[tuple[int, float]]) -> float:
    """NATS' rule for params/FLOPs that differ between seeds (a legacy issue): take seed 888's value."""
    values = [v for _, v in pairs]
    if len({f"{v:.5f}" for v in values}) > 1:
        for seed, v in pairs:
            if seed == 888:
                return v
    return float(np.mean(values))


def _epoch_list(values: Any, total: int) -> list[float] | None:
    if not isinstance(values, dict) or not values:
        return None
    return [float(values.get(i, np.nan)) for i in range(total)]


def _add_arch(acc: _Accumulator, row: int, hp_results: dict, legacy: bool, source: str) -> None:
    """Add one arch's ``{hp: ArchResults}`` to the accumulator."""
    if not isinstance(hp_results, dict):
        raise DataError(f"{source}: arch {row} holds a {type(hp_results).__name__}, expected a dict of training regimes")
    for hp, arch_results in hp_results.items():
        if legacy:
            hp = {"less": "12", "full": "200"}.get(hp, hp)
        if not isinstance(arch_results, dict) or "all_results" not in arch_results:
            raise DataError(f"{source}: arch {row}, regime {hp!r} is not an ArchResults record (no 'all_results')")
        for (dataset, seed), result in arch_results["all_results"].items():
            _add_result(acc, row, str(dataset), int(seed), result, int(hp), source)
        acc.present[row] = True


def _add_result(acc: _Accumulator, row: int, dataset: str, seed: int, r: dict, regime: int, source: str) -> None:
    total = int(r.get("epochs") or regime)
    put = acc.put
    for metric, field in (("train_acc", "train_acc1es"), ("train_loss", "train_losses")):
        values = _epoch_list(r.get(field), total)
        if values is not None:
            put(row, column_name(dataset, metric, regime), seed, values, total)
    times = _epoch_list(r.get("train_times"), total)
    if times is not None and np.isfinite(times).all():
        put(row, column_name(dataset, "train_time_s", regime), seed, np.cumsum(times).tolist(), total)
    accs, losses = r.get("eval_acc1es") or {}, r.get("eval_losses") or {}
    for set_name, prefix in _SETS.get(dataset, {"x-valid": "val", "x-test": "test", "ori-test": "valtest"}).items():
        if f"{set_name}@{total - 1}" not in accs and not any(k.startswith(set_name + "@") for k in accs):
            continue
        for metric, data in ((f"{prefix}_acc", accs), (f"{prefix}_loss", losses)):
            values = [float(data.get(f"{set_name}@{i}", np.nan)) for i in range(total)]
            key = column_name(dataset, metric, regime)
            put(row, key, seed, values, total)
            if dataset == "cifar10-valid" and prefix == "val":  # NATS reads CIFAR-10 validation from this run
                put(row, column_name("cifar10", metric, regime), seed, values, total)
    if r.get("params") is not None:
        acc.put_cost(row, column_name(dataset, "params", None), seed, round(float(r["params"]) * 1e6))
    if r.get("flop") is not None:
        acc.put_cost(row, column_name(dataset, "flops", None), seed, round(float(r["flop"]) * 1e6))
    latency = [float(x) for x in (r.get("latency") or []) if x is not None and float(x) > 0]
    if latency:
        acc.put_cost(row, column_name(dataset, "latency_ms", None), seed, float(np.mean(latency)) * 1000.0)


def read_nats(path: str | Path, *, allow_pickle: bool = False, curves: bool = True, name: str | None = None,
              progress: Progress | None = None) -> Table:
    """Read any official NB201/NATS layout (folder, tar, full ``.pickle.pbz2``, legacy ``.pth``) into a Table.

    The files are pickles: without ``allow_pickle=True`` this raises a ``DataError`` that says so. Archs the
    source does not hold (a partial folder) stay NaN. ``curves=False`` keeps only last-epoch values.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"NATS/NB201 source not found: {path}")
    if not allow_pickle:
        raise pickle_refused(path)
    if path.is_dir():
        meta_archs, records = _folder(path)
        legacy = False
    elif tarfile.is_tarfile(path):
        meta_archs, records = _tar(path)
        legacy = False
    elif path.suffix == ".tar":
        raise DataError(f"{path} is not a tar archive (truncated or foreign file?)")
    else:
        if path.suffix == ".pth":
            data = load_torch_file(path)
            legacy = True
        else:
            data = load_pbz2(path)
            legacy = False
        if not isinstance(data, dict) or "meta_archs" not in data:
            raise DataError(f"{path} is not a NATS/NB201 benchmark file: expected a dict with 'meta_archs'"
                            + (" (this is the meta file of a '-simple' folder: give the folder)" if path.name.startswith("meta.") else ""))
        if not data.get("arch2infos"):
            raise DataError(f"{path} holds no arch records ('arch2infos' is empty): give the '-simple' folder or tar")
        meta_archs = list(data["meta_archs"])
        records = iter(sorted(data["arch2infos"].items()))
        if legacy:
            records = ((i, _legacy_hps(v)) for i, v in records)
    return _build(path, meta_archs, records, legacy=False, curves=curves, name=name, progress=progress)


def _legacy_hps(value: dict) -> dict:
    return {{"less": "12", "full": "200"}.get(k, k): v for k, v in value.items()}


def _build(path: Path, meta_archs: list[str] | None, records: Iterable[tuple[int, Any]], *, legacy: bool,
           curves: bool, name: str | None, progress: Progress | None) -> Table:
    acc: _Accumulator | None = None
    pending: list[tuple[int, Any]] = []
    total = len(meta_archs) if meta_archs else None
    done = 0
    arch_strings: list[str] | None = list(meta_archs) if meta_archs else None
    for index, hp_results in records:
        if isinstance(hp_results, tuple) and hp_results and hp_results[0] == "__meta__":  # tar: meta found late
            arch_strings = list(hp_results[1])
            continue
        if acc is None:
            first = next(iter(hp_results.values()))
            space = space_of(first["arch_str"])
            acc = _Accumulator(len(arch_strings) if arch_strings else SPACE_SIZES[space], curves)
        if not 0 <= index < acc.n:
            raise DataError(f"{path}: arch index {index} is out of range 0..{acc.n - 1}")
        _add_arch(acc, index, hp_results, legacy, str(path))
        pending.append((index, next(iter(hp_results.values()))["arch_str"]))
        done += 1
        if progress:
            progress(done, total)
    if acc is None:
        raise DataError(f"{path} holds no arch records")
    if arch_strings is None:
        raise DataError(f"{path} has no meta file (meta.pickle.pbz2) with the arch strings")
    for index, text in pending:
        if arch_strings[index] != text:
            raise DataError(f"{path}: arch {index} is {text!r} in its record but {arch_strings[index]!r} in the meta file")
    space = space_of(arch_strings[0])
    if len(arch_strings) != SPACE_SIZES[space]:
        raise DataError(f"{path}: the meta file lists {len(arch_strings)} archs; the {space} space has {SPACE_SIZES[space]}")
    meta = {"sources": [str(path)], "units": UNITS,
            "aliases": {"cifar10/val_acc": "cifar10-valid/val_acc", "cifar10/val_loss": "cifar10-valid/val_loss"}}
    return acc.table(name or BENCHMARK_NAMES[space], space, arch_strings, meta)


def _folder(path: Path) -> tuple[list[str], Iterator[tuple[int, Any]]]:
    meta_file = path / "meta.pickle.pbz2"
    if not meta_file.is_file():
        raise DataError(f"{path} is not a NATS '-simple' folder: it has no meta.pickle.pbz2")
    meta = load_pbz2(meta_file)
    if not isinstance(meta, dict) or "meta_archs" not in meta:
        raise DataError(f"{meta_file} is not a NATS meta file (no 'meta_archs')")
    files = sorted((int(m.group(1)), p) for p in path.iterdir() if (m := _ARCH_FILE.search(p.name)))
    if not files:
        raise DataError(f"{path} holds no arch files ({{index:06d}}.pickle.pbz2)")
    return list(meta["meta_archs"]), ((i, load_pbz2(p)) for i, p in files)


def _tar(path: Path) -> tuple[None, Iterator[tuple[int, Any]]]:
    def records():
        found_meta = False
        with tarfile.open(path, "r:*") as tf:
            for member in tf:
                if not member.isfile():
                    continue
                m = _ARCH_FILE.search(member.name)
                if m or member.name.endswith("meta.pickle.pbz2"):  # a member must fit the file it came from
                    check_declared(f"{path}:{member.name}", member.size, max(path.stat().st_size, 1))
                if member.name.endswith("meta.pickle.pbz2"):
                    data = load_pbz2(f"{path}:{member.name}", tf.extractfile(member).read())
                    found_meta = True
                    yield -1, ("__meta__", data["meta_archs"])
                elif m:
                    yield int(m.group(1)), load_pbz2(f"{path}:{member.name}", tf.extractfile(member).read())
        if not found_meta:
            raise DataError(f"{path} holds no meta.pickle.pbz2: not a NATS '-simple' archive")

    return None, records()
