"""A tabular benchmark held as columns: numpy arrays per (dataset, metric, training regime).

Rows are the benchmark's own arch indices (NB201's official index); ``row(arch)`` maps any form the space
accepts to its row. A column's name is ``"{dataset}/{metric}@{epochs}"``, e.g. ``"cifar10/val_acc@200"``,
where ``epochs`` names the training regime (NB201/NATS trained every cell with a 12-epoch and a 200-epoch
schedule); metrics that do not depend on training (``params``, ``flops``, ``latency_ms``, zero-cost scores)
have no ``@``. Each column holds three views of the same measurements:

- ``columns[key]``: shape ``(n,)``, the headline value: the mean over seeds after the last epoch;
- ``per_seed[key]``: shape ``(n, S)``, the last-epoch value of each seed (``seeds[key]`` names them);
- ``curves[key]``: shape ``(n, S, E)``, the value after each epoch 1..E of each seed (float32); where a
  source holds curves for only some archs, ``curve_rows[key]`` lists their rows (sorted) and the curve has
  one entry per listed row, so a partial source costs memory in proportion to what it holds.

Missing measurements are NaN. Lookups are array indexing, so thousands of evaluations take milliseconds:

>>> table.query("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|",
...             "cifar10-valid", "val_acc", 200, epoch=50)            # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np

from workbench.errors import DataError, OutOfSpaceError

#: metrics where smaller is better (``best`` minimises them unless told otherwise)
SMALLER_IS_BETTER = ("loss", "time", "params", "flops", "latency")


def column_name(dataset: str, metric: str, epochs: int | None) -> str:
    return f"{dataset}/{metric}" if epochs is None else f"{dataset}/{metric}@{int(epochs)}"


def split_column_name(name: str) -> tuple[str, str, int | None]:
    head, _, epochs = name.partition("@")
    dataset, _, metric = head.rpartition("/")
    return dataset, metric, int(epochs) if epochs else None


@dataclass
class Table:
    """Columns of one benchmark over one space. ``arch_strings[i]`` is row i's arch in the space's text.

    ``meta`` may hold ``units`` (metric -> text), ``sources`` (where the data came from), ``aliases``
    (``"dataset/metric"`` -> ``"other-dataset/metric"`` when a value was measured on another run, as NATS
    takes CIFAR-10's validation accuracy from its ``cifar10-valid`` run) and ``row_key`` (``"string"``, the
    default: rows are found by ``space.to_string(arch)``; ``"key"``: by ``space.key(arch)``, for spaces whose
    isomorphic archs share a row such as NB101).
    """

    name: str
    space_name: str
    arch_strings: np.ndarray
    columns: Mapping[str, np.ndarray]
    meta: dict[str, Any] = field(default_factory=dict)
    per_seed: Mapping[str, np.ndarray] = field(default_factory=dict)
    seeds: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    curves: Mapping[str, np.ndarray] = field(default_factory=dict)
    curve_rows: Mapping[str, np.ndarray] = field(default_factory=dict)
    _row_of: dict[str, int] | None = field(default=None, repr=False)
    _space: Any = field(default=None, repr=False)
    #: query's fast path: (dataset, metric, epochs) -> headline column, and arch (text or hashable form) -> row
    _fast_columns: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _row_cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    #: one arch -> row index per space, shared by every estimator of this table (``row_index``)
    _indexes: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.arch_strings)
        for kind, mapping in (("column", self.columns), ("per-seed column", self.per_seed), ("curve", self.curves)):
            for key in mapping:
                col = _unchecked(mapping, key)
                rows = len(self.curve_rows[key]) if kind == "curve" and key in self.curve_rows else n
                if len(col) != rows:
                    raise DataError(f"benchmark {self.name!r}: {kind} {key!r} has {len(col)} rows, expected {rows}")
                if kind != "column" and key not in self.columns:
                    raise DataError(f"benchmark {self.name!r}: {kind} {key!r} has no headline column")
        for key in self.per_seed:
            arr = _unchecked(self.per_seed, key)
            if arr.ndim != 2 or arr.shape[1] != len(self.seeds.get(key, ())):
                raise DataError(f"benchmark {self.name!r}: per-seed column {key!r} has shape {arr.shape}, "
                                f"expected ({n}, {len(self.seeds.get(key, ()))}) for seeds {self.seeds.get(key)}")
        for key in self.curves:
            arr = _unchecked(self.curves, key)
            if arr.ndim != 3 or arr.shape[1] != len(self.seeds.get(key, ())):
                raise DataError(f"benchmark {self.name!r}: curve {key!r} has shape {arr.shape}, expected (n, seeds, epochs)")

    def __len__(self) -> int:
        return len(self.arch_strings)

    def __repr__(self) -> str:
        return (f"Table(name={self.name!r}, space={self.space_name!r}, archs={len(self)}, "
                f"datasets={self.datasets()}, columns={len(self.columns)}, curves={len(self.curves)})")

    # --- the space ---------------------------------------------------------------------------------
    @property
    def space(self):
        """The search space this benchmark covers (``workbench.spaces.create(space_name)``)."""
        if self._space is None:
            from workbench import spaces

            self._space = spaces.create(self.space_name)
        return self._space

    # --- what exists -------------------------------------------------------------------------------
    def datasets(self) -> list[str]:
        return sorted({split_column_name(c)[0] for c in self.columns})

    def metrics(self, dataset: str | None = None) -> list[str]:
        return sorted({split_column_name(c)[1] for c in self.columns if dataset in (None, split_column_name(c)[0])})

    def epochs(self, dataset: str, metric: str) -> list[int]:
        """The training regimes (total epochs) that ``metric`` of ``dataset`` was recorded under."""
        return sorted(e for d, m, e in map(split_column_name, self.columns) if d == dataset and m == metric and e is not None)

    def seeds_of(self, dataset: str, metric: str, epochs: int | None = None) -> tuple[int, ...]:
        return tuple(self.seeds.get(self._key(dataset, metric, epochs), ()))

    # --- rows --------------------------------------------------------------------------------------
    def row(self, arch: Any) -> int:
        """The row of ``arch``: an index (int), the benchmark's own text, or any form the space accepts."""
        if isinstance(arch, (int, np.integer)) and not isinstance(arch, bool):
            if not 0 <= int(arch) < len(self):
                raise OutOfSpaceError(f"index {arch} is out of range for benchmark {self.name!r}: accepted 0..{len(self) - 1}")
            return int(arch)
        if self._row_of is None:
            self._row_of = {s: i for i, s in enumerate(self.arch_strings.tolist())}
            self._row_cache.update(self._row_of)  # the benchmark's own texts go the fast way from the start
        if isinstance(arch, str) and arch in self._row_of:
            row = self._row_of[arch]
        else:
            text = self._text_of(arch)
            try:
                row = self._row_of[text]
            except KeyError:
                raise OutOfSpaceError(f"arch {text!r} is not in benchmark {self.name!r}") from None
        try:  # the next query of this arch in this form skips parsing and validation
            self._row_cache[arch] = row
        except TypeError:  # unhashable (a list): not cached
            pass
        return row

    def row_index(self, space: Any = None) -> "RowIndex":
        """The arch -> row index of this table for ``space`` (default: the table's own), built once per table
        object and space and shared by every estimator of the table (``benchmarks.load`` shares one table
        per file and process)."""
        space = self.space if space is None else space
        key = (type(space), space.name)
        index = self._indexes.get(key)
        if index is None:
            index = self._indexes[key] = RowIndex(self, space)
        return index

    def _text_of(self, arch: Any) -> str:
        try:
            space = self.space
        except Exception:  # the space is not registered in this process: compare text as given
            return str(arch)
        if self.meta.get("row_key") == "key":
            return space.key(arch)
        return space.to_string(space.validate(arch))

    # --- columns -----------------------------------------------------------------------------------
    def _key(self, dataset: str, metric: str, epochs: int | None) -> str:
        """The column key for a query; resolves ``epochs=None`` and regime-free metrics, else a clear error."""
        key = column_name(dataset, metric, epochs)
        if key in self.columns:
            return key
        free = column_name(dataset, metric, None)
        if free in self.columns:  # params, flops, ... do not depend on the training regime
            return free
        if dataset not in self.datasets():
            raise KeyError(f"benchmark {self.name!r} has no dataset {dataset!r}; datasets: {', '.join(self.datasets())}")
        if metric not in self.metrics(dataset):
            raise KeyError(f"benchmark {self.name!r} has no metric {metric!r} for {dataset!r}; "
                           f"metrics: {', '.join(self.metrics(dataset))}")
        have = self.epochs(dataset, metric)
        if epochs is None and len(have) == 1:
            return column_name(dataset, metric, have[0])
        if epochs is None:
            raise KeyError(f"benchmark {self.name!r} records {metric!r} of {dataset!r} under several training "
                           f"regimes; give epochs= one of {have}")
        raise KeyError(f"benchmark {self.name!r} has no {metric!r} of {dataset!r} after {epochs} epochs; epochs: {have or 'final only'}")

    def column(self, dataset: str, metric: str, epochs: int | None = None) -> np.ndarray:
        """The headline column (mean over seeds, last epoch); a clear error lists what exists."""
        return self.columns[self._key(dataset, metric, epochs)]

    def as_mapping(self) -> Mapping[str, np.ndarray]:
        return dict(self.columns)

    # --- queries -----------------------------------------------------------------------------------
    def check_query(self, dataset: str, metric: str, epochs: int | None = None, *, epoch: int | None = None,
                    seed: int | None = None) -> None:
        """Raise the KeyError ``query`` would raise for these arguments (unknown dataset, metric, regime,
        epoch or seed), without an arch: a component can refuse bad options when it is built."""
        self._value(self._key(dataset, metric, epochs), 0, epoch, seed)

    def query(self, arch: Any, dataset: str, metric: str, epochs: int | None = None, *, epoch: int | None = None,
              seed: int | None = None) -> float:
        """``metric`` of ``arch`` on ``dataset`` under the ``epochs``-epoch regime.

        ``epoch`` (1..epochs) reads the per-epoch curve (default: after the last epoch); ``seed`` picks one
        training run (default: the mean over the seeds that ran).
        """
        if epoch is None and seed is None:  # the fast path: both lookups cached by an earlier query
            col = self._fast_columns.get((dataset, metric, epochs))
            if col is not None:
                try:
                    value = col[self._row_cache[arch]]
                except (KeyError, TypeError):
                    pass
                else:
                    if value == value:
                        return float(value)
        row = self.row(arch)
        key = self._key(dataset, metric, epochs)
        if epoch is None and seed is None:
            self._fast_columns[(dataset, metric, epochs)] = self.columns[key]
        value = self._value(key, row, epoch, seed)
        if np.ndim(value):
            finite = value[np.isfinite(value)]
            value = float(finite.mean()) if finite.size else np.nan
        if np.isnan(value):
            where = f" after epoch {epoch}" if epoch is not None else ""
            raise DataError(f"benchmark {self.name!r} has no record of {key!r}{where} for arch "
                            f"{str(self.arch_strings[row])!r} (index {row}); the source did not hold it")
        return float(value)

    def curve(self, arch: Any, dataset: str, metric: str, epochs: int | None = None, *, seed: int | None = None) -> np.ndarray:
        """The value after each epoch 1..E (mean over seeds unless ``seed`` is given); NaN where not recorded."""
        row = self.row(arch)
        key = self._key(dataset, metric, epochs)
        if key not in self.curves:
            raise KeyError(f"benchmark {self.name!r} has no per-epoch curve of {key!r}; curves: "
                           f"{', '.join(sorted(self.curves)) or 'none'}")
        data = self._curve_of(key, row)
        if data is None:
            return np.full(self.curves[key].shape[2], np.nan)
        if seed is not None:
            return data[self._seed_index(key, seed)]
        with np.errstate(invalid="ignore"), _quiet():
            return np.nanmean(data, axis=0)

    def _curve_of(self, key: str, row: int) -> np.ndarray | None:
        """The (S, E) curve block of ``row``, or None where the source held no curve for it."""
        rows = self.curve_rows.get(key)
        if rows is None:
            return np.asarray(self.curves[key][row], dtype=np.float64)
        pos = int(np.searchsorted(rows, row))
        if pos < len(rows) and rows[pos] == row:
            return np.asarray(self.curves[key][pos], dtype=np.float64)
        return None

    def _seed_index(self, key: str, seed: int) -> int:
        seeds = list(self.seeds.get(key, ()))
        if int(seed) not in seeds:
            raise KeyError(f"benchmark {self.name!r} has no seed {seed} for {key!r}; seeds: {seeds or 'none (means only)'}")
        return seeds.index(int(seed))

    def _value(self, key: str, row: int, epoch: int | None, seed: int | None):
        """The value (or the (S,) values, to be averaged) of ``key`` for ``row``."""
        last = split_column_name(key)[2]
        if epoch is not None and int(epoch) != last:
            epoch = int(epoch)
            if key not in self.curves:
                raise KeyError(f"benchmark {self.name!r} has no per-epoch curve of {key!r}; only the value "
                               f"after the last epoch ({last}) is recorded")
            n_epochs = self.curves[key].shape[2]
            if not 1 <= epoch <= n_epochs:
                raise KeyError(f"epoch {epoch} is out of range for {key!r}: accepted 1..{n_epochs}")
            data = self._curve_of(key, row)
            if data is None:
                return np.nan
            return data[self._seed_index(key, seed), epoch - 1] if seed is not None else data[:, epoch - 1]
        if seed is not None:
            if key not in self.per_seed:
                raise KeyError(f"benchmark {self.name!r} has no per-seed values of {key!r} (means only)")
            return float(self.per_seed[key][row, self._seed_index(key, seed)])
        return float(self.columns[key][row])

    def train_time(self, arch: Any, dataset: str, epochs: int | None = None, *, epoch: int | None = None,
                   metric: str | None = None, seed: int | None = None) -> float:
        """Simulated training seconds to reach ``epoch`` (default: all) of the ``epochs`` regime.

        With ``metric``, the time of the run that measured that metric (NATS' CIFAR-10 validation accuracy
        comes from the ``cifar10-valid`` run, so its cost is that run's time, as NATS' ``simulate_train_eval``).
        """
        source = self.time_dataset(dataset, metric)
        return self.query(arch, source, "train_time_s", epochs, epoch=epoch, seed=seed)

    def time_dataset(self, dataset: str, metric: str | None = None) -> str:
        """The dataset whose ``train_time_s`` is the cost of measuring ``metric`` of ``dataset``."""
        if metric is not None:
            alias = self.meta.get("aliases", {}).get(f"{dataset}/{metric}")
            if alias:
                return alias.rpartition("/")[0]
        return dataset

    def costs(self, arch: Any, dataset: str) -> dict[str, float]:
        """``params`` (count), ``flops`` (count) and ``latency_ms`` of ``arch`` for ``dataset``, where recorded."""
        row = self.row(arch)
        out = {}
        for metric in ("params", "flops", "latency_ms"):
            key = column_name(dataset, metric, None)
            if key in self.columns and not np.isnan(self.columns[key][row]):
                out[metric] = float(self.columns[key][row])
        return out

    def best(self, dataset: str, metric: str, epochs: int | None = None, *, mode: str | None = None) -> tuple[str, float]:
        """The arch (as text) with the best headline ``metric`` and its value; ``mode`` "max" or "min"
        (default: "min" for losses, times, params, FLOPs and latency, else "max")."""
        col = np.asarray(self.column(dataset, metric, epochs), dtype=np.float64)
        mode = mode or ("min" if any(word in metric for word in SMALLER_IS_BETTER) else "max")
        if mode not in ("max", "min"):
            raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
        if not np.isfinite(col).any():
            raise DataError(f"benchmark {self.name!r} holds no value of {column_name(dataset, metric, epochs)!r}")
        row = int(np.nanargmax(col) if mode == "max" else np.nanargmin(col))
        return str(self.arch_strings[row]), float(col[row])


def _unchecked(mapping: Mapping[str, np.ndarray], key: str) -> np.ndarray:
    """``mapping[key]`` without a compact file's lazy checksum (only its shape is wanted)."""
    peek = getattr(mapping, "unchecked", None)
    return peek(key) if peek is not None else mapping[key]


def duplicate_rows(arch_strings: Iterable[str]) -> list[tuple[str, int, int]]:
    """``(arch, first row, repeated row)`` for every arch text that appears more than once."""
    first: dict[str, int] = {}
    out = []
    for row, text in enumerate(arch_strings):
        if text in first:
            out.append((text, first[text], row))
        else:
            first[text] = row
    return out


def missing_for_nonfinite(table: Table) -> int:
    """Record non-finite values (inf, -inf) as missing (NaN) in every column, per-seed value and curve of a
    freshly read table; returns how many were replaced. A missing value is never an objective."""
    replaced = 0
    for mapping in (table.columns, table.per_seed, table.curves):
        for key in list(mapping):
            arr = mapping[key]
            if arr.dtype.kind != "f":
                continue
            bad = np.isinf(arr)
            count = int(bad.sum())
            if count:
                arr = np.array(arr)  # a writable copy (a compact file's columns are read-only maps)
                arr[bad] = np.nan
                mapping[key] = arr  # type: ignore[index]
                replaced += count
    return replaced


class RowIndex:
    """arch -> row of one table for one space, without re-validating archs it has seen.

    Spaces that number their archs (``space.code``) and whose table holds every arch exactly once get a
    ``code -> row`` array; others (or a table with duplicated or missing archs) go through ``table.row``.
    ``row(arch)`` remembers each hashable arch it resolved, so the archs a searcher proposes again (RE's
    mutants, a population's members) cost one dict lookup.
    """

    def __init__(self, table: Table, space: Any) -> None:
        self.table, self.space = table, space
        self.cache: dict[Any, int] = {}
        self.plans: dict[Any, np.ndarray] = {}  # estimators' column matrices (``TabularEstimator``)
        self.code_to_row: np.ndarray | None = None
        code = getattr(space, "code", None)
        n = len(table)
        if code is not None and table.meta.get("row_key", "string") == "string" and space.size() == n:
            from_string, texts = space.from_string, table.arch_strings.tolist()
            bulk = getattr(space, "codes_of_strings", None)  # a space may number many texts at once
            try:
                codes = (bulk(texts) if bulk is not None else
                         np.fromiter((code(from_string(t)) for t in texts), dtype=np.int64, count=n))
            except OutOfSpaceError:
                codes = None
            if codes is not None:
                index = np.full(n, -1, dtype=np.int64)
                index[codes] = np.arange(n)
                if (index >= 0).all():  # a bijection
                    self.code_to_row = index
                else:  # a repeated arch leaves another arch without a row: never answer for it
                    dups = duplicate_rows(texts)
                    if dups:
                        text, first, again = dups[0]
                        raise DataError(f"benchmark {table.name!r} holds arch {text!r} twice (rows {first} and "
                                        f"{again}); re-import it (`workbench bench import`)")

    def row(self, arch: Any) -> int:
        try:
            return self.cache[arch]
        except (KeyError, TypeError):
            pass
        valid = self.space.validate(arch)
        if self.code_to_row is not None:
            row = int(self.code_to_row[self.space.code(valid)])
        else:
            row = self.table.row(valid)
        try:
            self.cache[arch] = row
        except TypeError:  # unhashable (a list): not cached
            pass
        return row


class _quiet:
    """Silence numpy's 'mean of empty slice' warning (an all-NaN epoch is reported as NaN)."""

    def __enter__(self):
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def merge(tables: Iterable[Table], name: str | None = None) -> Table:
    """One table from several over the same space: the first table that holds a value wins (NaN cells
    are filled from later tables); rows are matched by arch text."""
    tables = list(tables)
    if not tables:
        raise ValueError("merge needs at least one table")
    first = tables[0]
    spaces = {t.space_name for t in tables}
    if len(spaces) != 1:
        raise DataError(f"cannot merge benchmarks of different spaces: {sorted(spaces)}")
    position = {s: i for i, s in enumerate(first.arch_strings.tolist())}
    columns: dict[str, np.ndarray] = {}
    per_seed: dict[str, np.ndarray] = {}
    curves: dict[str, np.ndarray] = {}
    curve_rows: dict[str, np.ndarray] = {}
    seeds: dict[str, tuple[int, ...]] = {}
    sources: list[Any] = []
    units: dict[str, str] = {}
    aliases: dict[str, str] = {}
    n = len(first)
    for t in tables:
        if len(t) != n or t.arch_strings.tolist() != first.arch_strings.tolist():
            try:
                rows = np.array([position[s] for s in t.arch_strings.tolist()], dtype=np.int64)
            except KeyError as exc:
                raise DataError(f"cannot merge {t.name!r} into {first.name!r}: arch {exc.args[0]!r} is not in both") from None
        else:
            rows = np.arange(n)
        for key, col in t.columns.items():
            full = np.full(n, np.nan)
            full[rows] = col
            if key in columns:
                gap = np.isnan(columns[key])
                columns[key][gap] = full[gap]
            else:
                columns[key] = full
                if key in t.per_seed:
                    ps = np.full((n, t.per_seed[key].shape[1]), np.nan)
                    ps[rows] = t.per_seed[key]
                    per_seed[key], seeds[key] = ps, tuple(t.seeds[key])
                if key in t.curves:
                    own = t.curve_rows.get(key)
                    mapped = rows[own] if own is not None else rows
                    ranks = np.argsort(mapped)
                    curves[key] = np.asarray(t.curves[key])[ranks]
                    if own is not None or not np.array_equal(mapped, np.arange(n)):
                        curve_rows[key] = mapped[ranks]
                    seeds[key] = tuple(t.seeds[key])
        src = t.meta.get("sources", t.meta.get("source"))
        sources.extend(src if isinstance(src, list) else [src] if src else [])
        units = {**t.meta.get("units", {}), **units} if isinstance(t.meta.get("units"), dict) else units
        aliases = {**t.meta.get("aliases", {}), **aliases}
    meta = {**first.meta, "sources": sources, "units": units, "aliases": aliases}
    meta.pop("source", None)
    return Table(name=name or first.name, space_name=first.space_name, arch_strings=first.arch_strings,
                 columns=columns, meta=meta, per_seed=per_seed, seeds=seeds, curves=curves, curve_rows=curve_rows)
