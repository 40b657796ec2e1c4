"""Tabular benchmark data: ``load(name_or_path)`` returns a ``Table`` bound to its search space.

>>> from workbench import benchmarks
>>> nb201 = benchmarks.load("nb201")                                # doctest: +SKIP
>>> nb201.query("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
...             "cifar10-valid", "val_acc", 200, epoch=100)        # doctest: +SKIP
>>> nb201.best("cifar100", "test_acc", 200)                         # doctest: +SKIP

Benchmarks are installed as compact files (``compact.py``: one uncompressed ``.npz`` per benchmark, opened
as a memory map in milliseconds) in ``cache_dir()/benchmarks``. ``import_benchmark(paths)`` converts official
files (NATS-Bench folders, tars and ``.pickle.pbz2``, legacy NB201 ``.pth``, the NB201 table CSV, NASLib JSON)
into one; ``download.install(name)`` fetches and converts the published files.

Where a name is looked for, in order: the environment variable in ``ENV_VARS`` (a file of any accepted
format); ``cache_dir()/benchmarks/<name>.wbench.npz``; the legacy ``cache_dir()/benchmarks/nb201_table.csv``.
A missing benchmark gives a ``DataError`` that says how to get it.
"""
from __future__ import annotations

import importlib
import os
import pkgutil
import threading
from pathlib import Path
from typing import Any, Callable, Iterable

from workbench.benchmarks._table import Table, column_name, merge, split_column_name
from workbench.errors import DataError
from workbench.settings import TABLE_ENVS as ENV_VARS
from workbench.settings import cache_dir, table_env
LEGACY_FILE_NAMES = {"nb201": "nb201_table.csv"}
FILE_NAMES = {name: f"{name}.wbench.npz" for name in ENV_VARS}  # known names (others may be installed too)

_cache: dict[tuple[str, float, str], Table] = {}
_lock = threading.Lock()

#: ``(name, matches(path) -> bool, read(path, **options) -> Table)``; modules of this package may add theirs
_IMPORTERS: list[tuple[str, Callable[[Path], bool], Callable[..., Table]]] = []


def register_importer(name: str, matches: Callable[[Path], bool], read: Callable[..., Table]) -> None:
    """Teach ``load``/``import_benchmark`` a source format (``read`` gets the path and the options)."""
    if all(n != name for n, _, _ in _IMPORTERS):
        _IMPORTERS.append((name, matches, read))


def benchmarks_dir() -> Path:
    return cache_dir() / "benchmarks"


def installed_path(name: str) -> Path:
    return benchmarks_dir() / f"{name}.wbench.npz"


def find(name: str) -> Path:
    """The file that holds benchmark ``name``, or a DataError that says how to get it."""
    env_var = table_env(name)
    env = os.environ.get(env_var)
    if env:
        if not Path(env).exists():
            raise DataError(f"{env_var}={env} does not name a file")
        return Path(env)
    for candidate in (installed_path(name), benchmarks_dir() / LEGACY_FILE_NAMES.get(name, "\0")):
        if candidate.is_file():
            return candidate
    if name not in ENV_VARS and not is_installed_name(name):
        known = sorted(set(ENV_VARS) | {i["name"] for i in installed()})
        raise DataError(f"unknown benchmark {name!r}; known benchmarks: {', '.join(known)} (or give a file path)")
    from workbench.benchmarks.download import SOURCES

    sources = [s for s, src in SOURCES.items() if src.benchmark == name]
    how = (f"`workbench bench download {sources[0]} --allow-pickle`" if sources else "`workbench bench import FILE`")
    raise DataError(f"benchmark {name!r} is not installed in {benchmarks_dir()}: get it with {how}, "
                    f"import files you have with `workbench bench import PATH --name {name}`, or set {env_var} to a file")


def is_installed_name(name: str) -> bool:
    return installed_path(name).is_file()


def load(name_or_path: str | os.PathLike, **options: Any) -> Table:
    """Load a benchmark by name ("nb201", "nats_sss", ...) or by the path of a file of any accepted format.

    Loaded tables are shared per process. ``options`` go to the reader (``allow_pickle=True`` to read the
    official pickles, which converts them on every call: import them once with ``import_benchmark``).
    """
    text = os.fspath(name_or_path)
    is_name = os.sep not in text and (text in ENV_VARS or is_installed_name(text) or
                                      ("." not in text and not Path(text).exists()))
    path = find(text) if is_name else Path(text)
    if not path.exists():
        raise DataError(f"benchmark file not found: {path}")
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime, repr(sorted(options.items())))
    with _lock:
        if key not in _cache:
            _cache[key] = read_source(path, **options)
        return _cache[key]


def read_source(path: str | os.PathLike, **options: Any) -> Table:
    """Read one file or folder of any accepted format into a Table (no caching)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"benchmark file not found: {path}")
    from workbench.benchmarks import compact

    for _, matches, read in _importers():
        if matches(path):
            table = read(path, **options)
            table.meta["source"] = str(path)
            if not compact.is_compact(path):  # compact files were checked when they were written
                _check_imported(table, path)
            return table
    accepted = ", ".join(name for name, _, _ in _importers())
    raise DataError(f"cannot read benchmark source {path}: accepted formats: {accepted}")


def import_benchmark(paths: Iterable[str | os.PathLike], *, name: str | None = None, dest: str | os.PathLike | None = None,
                     existing: str = "refuse", **options: Any) -> Path:
    """Convert sources into one compact file (merged; the first source that holds a value wins) and install
    it as ``cache_dir()/benchmarks/<name>.wbench.npz`` (or ``dest``). Returns the installed path.

    Where ``name`` is installed already, ``existing`` says what happens: ``"refuse"`` (the default: a
    DataError says how many archs each holds), ``"merge"`` (the installed values are kept and the import
    fills the cells they lack; its archs must all be in the installed benchmark) or ``"replace"``."""
    from workbench.benchmarks import compact

    if existing not in ("refuse", "merge", "replace"):
        raise ValueError(f"existing must be 'refuse', 'merge' or 'replace', got {existing!r}")
    tables = [read_source(p, **options) for p in paths]
    if not tables:
        raise ValueError("import_benchmark needs at least one source path")
    table = merge(tables, name=name or tables[0].name) if len(tables) > 1 else tables[0]
    if name:
        table.name = name
    target = Path(dest) if dest else installed_path(table.name)
    if dest is None and target.is_file() and existing != "replace":
        installed_table = compact.read(target)
        if existing == "refuse":
            have, new = archs_with_data(installed_table), archs_with_data(table)
            raise DataError(f"benchmark {table.name!r} is installed already ({target}: {len(installed_table):,} archs, "
                            f"{have:,} with data); this import holds {len(table):,} archs, {new:,} with data. Give "
                            f"--merge to add its values where the installed file has none, or --replace to overwrite it")
        table = merge([installed_table, table], name=table.name)
    return compact.save(table, target)


def coverage(table: Table) -> dict[str, int]:
    """How many archs hold a value of each headline column (``column name -> count``)."""
    import numpy as np

    return {key: int(np.count_nonzero(~np.isnan(np.asarray(table.columns[key], dtype=np.float64))))
            for key in table.columns}


def archs_with_data(table: Table) -> int:
    """How many archs hold a value in at least one headline column."""
    import numpy as np

    has = np.zeros(len(table), dtype=bool)
    for key in table.columns:
        has |= ~np.isnan(np.asarray(table.columns[key], dtype=np.float64))
    return int(has.sum())


def _check_imported(table: Table, path: Path) -> None:
    """Refuse an arch that is in two rows; record non-finite values as missing (NaN)."""
    from workbench.benchmarks._table import duplicate_rows, missing_for_nonfinite

    twice = duplicate_rows(table.arch_strings.tolist())
    if twice:
        arch, a, b = twice[0]
        raise DataError(f"{path}: arch {arch[:120]!r} is in rows {a} and {b} ({len(twice)} arch(s) repeated); "
                        f"each arch must appear once")
    if all(isinstance(m, dict) for m in (table.columns, table.per_seed, table.curves)):
        missing_for_nonfinite(table)


def installed() -> list[dict[str, Any]]:
    """What is installed in ``cache_dir()/benchmarks``: name, path, size in bytes, space, archs, columns."""
    from workbench.benchmarks import compact

    out = []
    folder = benchmarks_dir()
    for path in sorted(folder.glob("*.wbench.npz")) if folder.is_dir() else []:
        entry: dict[str, Any] = {"name": path.name[: -len(".wbench.npz")], "path": str(path), "bytes": path.stat().st_size}
        try:
            table = compact.read(path)
            entry.update(space=table.space_name, archs=len(table), columns=len(table.columns), curves=len(table.curves),
                         datasets=table.datasets(), with_data=archs_with_data(table), coverage=coverage(table))
        except DataError as exc:
            entry["error"] = str(exc)
        out.append(entry)
    for name, file_name in LEGACY_FILE_NAMES.items():
        path = folder / file_name
        if path.is_file():
            out.append({"name": name, "path": str(path), "bytes": path.stat().st_size, "space": "nb201", "format": "csv"})
    return out


def _importers():
    """The registered importers, after importing this package's modules so that they register theirs."""
    if not getattr(_importers, "_loaded", False):
        for info in pkgutil.iter_modules(__path__):
            if not info.name.startswith("_"):
                try:
                    importlib.import_module(f"{__name__}.{info.name}")
                except ImportError as exc:  # one broken reader must not stop the others
                    import warnings

                    warnings.warn(f"benchmark reader {info.name} is unavailable: {exc}", stacklevel=2)
        _importers._loaded = True  # type: ignore[attr-defined]
    return _IMPORTERS


def _register_builtin() -> None:
    from workbench.benchmarks import compact

    def nats_like(p: Path) -> bool:
        if p.is_dir():
            return (p / "meta.pickle.pbz2").is_file()
        return p.name.endswith((".pickle.pbz2", ".pth", ".tar"))

    def read_nats(p: Path, **options: Any) -> Table:
        from workbench.benchmarks.nats import read_nats as reader

        return reader(p, **options)

    def read_csv(p: Path, **options: Any) -> Table:
        from workbench.benchmarks.nb201_csv import read_nb201_csv

        return read_nb201_csv(p)

    def is_naslib_zc(p: Path) -> bool:
        if p.suffix != ".json" or not p.is_file():
            return False
        with open(p, "rb") as f:
            head = f.read(200)
        # {"cifar10": {"(0, 2, 3, 2, 3, 1)": {...}}}: NB201 op tuples as keys (NASLib's NB101 file nests
        # under "nasbench101" and uses 56-int keys)
        return b"nasbench101" not in head and b'"(' in head and b'"cifar10' in head

    def read_zc(p: Path, **options: Any) -> Table:
        from workbench.benchmarks.naslib import read_naslib_zc

        return read_naslib_zc(p)

    def read_zen(p: Path, **options: Any) -> Table:
        from workbench.benchmarks.naslib import read_naslib_zen

        return read_naslib_zen(p)

    register_importer("workbench compact (.wbench.npz)", lambda p: p.is_file() and compact.is_compact(p),
                      lambda p, **o: compact.read(p))
    register_importer("NATS-Bench / NB201 official (folder, .tar, .pickle.pbz2, .pth; needs allow_pickle)", nats_like, read_nats)
    register_importer("NB201 table (.csv)", lambda p: p.suffix == ".csv", read_csv)
    register_importer("NASLib NB201 zero-cost (.json)", is_naslib_zc, read_zc)
    register_importer("NASLib NB201 Zen-NAS (.zip)", lambda p: p.suffix == ".zip" and not compact.is_compact(p), read_zen)


_register_builtin()

__all__ = ["Table", "archs_with_data", "benchmarks_dir", "cache_dir", "column_name", "coverage", "find",
           "import_benchmark", "installed",
           "installed_path", "load", "merge", "read_source", "register_importer", "split_column_name"]
