"""The compact benchmark file: one uncompressed ``.npz`` (a zip of ``.npy`` arrays, no pickle) per benchmark.

Members: ``schema`` (UTF-8 JSON as uint8: format name, version, benchmark name, space, meta, and for every
column the members that hold its headline values, per-seed values and per-epoch curves), ``arch_strings``
(UTF-8 bytes) and ``c0``, ``c1``, ... (the arrays). Because members are stored uncompressed, ``read`` maps
the file once and every column is a read-only view into that map: opening NB201 with all its curves takes
milliseconds and only the pages a query touches are ever read. ``numpy.load(path)`` reads the file too.

Every member carries the CRC-32 the zip format records for it. ``read`` checks the small members (schema,
arch strings) at once and each column's members the first time the column is used (a 125 kB column costs
about 0.1 ms, a 38 MB curve about 50 ms, once per process); a damaged byte raises ``DataError``, never a
silently wrong number. ``verify(path)`` checks every member (``workbench bench verify``).
"""
from __future__ import annotations

import json
import os
import struct
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from workbench.benchmarks._table import Table
from workbench.errors import DataError

FORMAT = "nas-workbench-benchmark"
VERSION = 1
SUFFIX = ".wbench.npz"


def save(table: Table, path: str | os.PathLike) -> Path:
    """Write ``table`` to ``path`` atomically (a temporary file in the same folder, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    members: dict[str, np.ndarray] = {}
    columns: dict[str, dict[str, Any]] = {}

    def add(array: np.ndarray) -> str:
        name = f"c{len(members)}"
        members[name] = np.ascontiguousarray(array)
        return name

    for key, col in table.columns.items():
        entry: dict[str, Any] = {"mean": add(np.asarray(col, dtype=np.float64))}
        if key in table.per_seed:
            entry["per_seed"] = add(np.asarray(table.per_seed[key], dtype=np.float64))
        if key in table.curves:
            entry["curve"] = add(np.asarray(table.curves[key], dtype=np.float32))
            if key in table.curve_rows:
                rows = np.asarray(table.curve_rows[key], dtype=np.int64)
                shared = next((m for m, a in members.items() if a.dtype == np.int64 and np.array_equal(a, rows)), None)
                entry["curve_rows"] = shared or add(rows)
        if key in table.seeds:
            entry["seeds"] = [int(s) for s in table.seeds[key]]
        columns[key] = entry
    schema = {"format": FORMAT, "version": VERSION, "name": table.name, "space_name": table.space_name,
              "rows": len(table), "meta": _jsonable(table.meta), "columns": columns}
    strings = np.array([s.encode("utf-8") for s in table.arch_strings.tolist()], dtype=bytes)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            _write_member(zf, "schema", np.frombuffer(json.dumps(schema).encode("utf-8"), dtype=np.uint8))
            _write_member(zf, "arch_strings", strings)
            for name, array in members.items():
                _write_member(zf, name, array)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _write_member(zf: zipfile.ZipFile, name: str, array: np.ndarray) -> None:
    with zf.open(name + ".npy", "w", force_zip64=True) as f:
        np.lib.format.write_array(f, array, allow_pickle=False)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def is_compact(path: str | os.PathLike) -> bool:
    """True if ``path`` is a zip whose first member is ``schema.npy`` (cheap: reads 64 bytes)."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError:
        return False
    return head[:4] == b"PK\x03\x04" and b"schema.npy" in head


def read(path: str | os.PathLike) -> Table:
    """Open a compact benchmark file; columns are read-only views into one memory map of the file."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"benchmark file not found: {path}")
    size = path.stat().st_size
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError(f"{path} is not a workbench benchmark file or it is truncated ({exc}); "
                        f"re-create it with `workbench bench import` or `workbench bench download`") from None
    with zf:
        infos = {info.filename: info for info in zf.infolist()}
        if "schema.npy" not in infos:
            raise DataError(f"{path} is a zip/npz file but not a workbench benchmark: it has no schema member "
                            f"(members: {sorted(infos)[:8]})")
        mapped = np.memmap(path, dtype=np.uint8, mode="r") if size else None
        checker = _Checker(path, mapped)
        with open(path, "rb") as raw:
            views = {name[:-4]: _member(path, raw, mapped, info, size, checker) for name, info in infos.items()
                     if name.endswith(".npy")}
    checker.check("schema")
    try:
        schema = json.loads(bytes(np.asarray(views["schema"])).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: the schema member is not valid JSON ({exc})") from None
    if schema.get("format") != FORMAT:
        raise DataError(f"{path} is not a workbench benchmark: format {schema.get('format')!r}, expected {FORMAT!r}")
    if schema.get("version") != VERSION:
        raise DataError(f"{path} has benchmark format version {schema.get('version')!r}; this workbench reads "
                        f"version {VERSION}: re-import the source files")
    if "arch_strings" not in views:
        raise DataError(f"{path}: the arch_strings member is missing")
    checker.check("arch_strings")
    arch_strings = np.char.decode(np.asarray(views["arch_strings"]), "utf-8")
    if len(arch_strings) != schema.get("rows"):
        raise DataError(f"{path}: {len(arch_strings)} arch strings, the schema says {schema.get('rows')}")
    names: dict[str, dict[str, str]] = {"mean": {}, "per_seed": {}, "curve": {}, "curve_rows": {}}
    seeds = {}
    for key, entry in schema["columns"].items():
        for part, members in names.items():
            if part in entry:
                if entry[part] not in views:
                    raise DataError(f"{path}: member {entry[part]!r} of column {key!r} is missing (truncated file?)")
                members[key] = entry[part]
        if "mean" not in entry:
            raise DataError(f"{path}: column {key!r} names no 'mean' member")
        if "seeds" in entry:
            seeds[key] = tuple(entry["seeds"])
    columns, per_seed, curves, curve_rows = (CheckedColumns(names[part], views, checker) for part in names)
    meta = dict(schema.get("meta", {}))
    meta["file"] = str(path)
    return Table(name=schema["name"], space_name=schema["space_name"], arch_strings=arch_strings, columns=columns,
                 meta=meta, per_seed=per_seed, seeds=seeds, curves=curves, curve_rows=curve_rows)


def verify(path: str | os.PathLike) -> dict[str, Any]:
    """Check every member of a compact file against its CRC-32 and the rows for duplicate archs.

    Returns ``{"members": n, "bytes": checked, "problems": [text, ...]}``; an unreadable file raises."""
    table = read(path)
    checker = table.columns._checker  # type: ignore[attr-defined]
    problems = []
    for name in sorted(checker.spans):
        try:
            checker.check(name)
        except DataError as exc:
            problems.append(str(exc))
    from workbench.benchmarks._table import duplicate_rows

    problems += [f"{path}: arch {arch!r} is in rows {a} and {b}" for arch, a, b in duplicate_rows(table.arch_strings)[:5]]
    return {"members": len(checker.spans), "bytes": sum(n for _, n, _ in checker.spans.values()), "problems": problems}


class _Checker:
    """CRC-32 checks of stored members, each at most once per opened file."""

    def __init__(self, path: Path, mapped) -> None:
        self.path, self.mapped = path, mapped
        self.spans: dict[str, tuple[int, int, int]] = {}  # member -> (start, size, crc)
        self.done: set[str] = set()
        self._lock = threading.Lock()

    def check(self, name: str) -> None:
        if name in self.done or name not in self.spans:
            return
        start, size, expected = self.spans[name]
        got = zlib.crc32(self.mapped[start:start + size]) if size else 0
        if got != expected:
            raise DataError(f"{self.path}: member {name!r} fails its checksum (CRC-32 {got:08x}, the file records "
                            f"{expected:08x}): the file is damaged. Re-create it with `workbench bench import` or "
                            f"`workbench bench download` (`workbench bench verify` checks every member)")
        with self._lock:
            self.done.add(name)


class CheckedColumns(Mapping):
    """Column key -> array, each checked against its member's CRC-32 the first time it is looked up."""

    def __init__(self, members: dict[str, str], views: dict[str, np.ndarray], checker: _Checker) -> None:
        self._members, self._views, self._checker = members, views, checker

    def __getitem__(self, key: str) -> np.ndarray:
        name = self._members[key]
        self._checker.check(name)
        return self._views[name]

    def unchecked(self, key: str) -> np.ndarray:
        """The array without the checksum (for shapes only)."""
        return self._views[self._members[key]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)

    def __contains__(self, key: object) -> bool:
        return key in self._members

    def __repr__(self) -> str:
        return f"CheckedColumns({list(self._members)})"


def _member(path: Path, raw, mapped, info: zipfile.ZipInfo, size: int, checker: _Checker) -> np.ndarray:
    """A stored member as a view into the memory map (a compressed one is read into memory)."""
    if info.compress_type != zipfile.ZIP_STORED:
        from workbench.benchmarks._limits import check_declared

        check_declared(f"{path}:{info.filename}", info.file_size, info.compress_size)
        with zipfile.ZipFile(path) as zf, zf.open(info) as f:
            return np.lib.format.read_array(f, allow_pickle=False)
    raw.seek(info.header_offset)
    local = raw.read(30)
    if len(local) < 30 or local[:4] != b"PK\x03\x04":
        raise DataError(f"{path}: member {info.filename!r} has a damaged header (truncated or foreign file)")
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    start = info.header_offset + 30 + name_len + extra_len
    if start + info.compress_size > size:
        raise DataError(f"{path}: member {info.filename!r} ends past the end of the file (truncated)")
    checker.spans[info.filename[:-4]] = (start, info.compress_size, info.CRC)
    raw.seek(start)
    try:
        version = np.lib.format.read_magic(raw)
        reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = reader(raw)
    except ValueError as exc:
        raise DataError(f"{path}: member {info.filename!r} is not a numpy array ({exc})") from None
    if dtype.hasobject:
        raise DataError(f"{path}: member {info.filename!r} holds Python objects; benchmark files hold plain arrays only")
    offset = raw.tell()
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if offset + nbytes > size or offset + nbytes > start + info.file_size:
        raise DataError(f"{path}: member {info.filename!r} needs {nbytes} bytes but the file ends early (truncated)")
    if nbytes == 0:
        return np.empty(shape, dtype=dtype)
    view = np.ndarray(shape, dtype=dtype, buffer=mapped, offset=offset, order="F" if fortran else "C")
    return view
