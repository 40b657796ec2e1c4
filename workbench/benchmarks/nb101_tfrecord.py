"""Reader of the official NAS-Bench-101 files (``nasbench_only108.tfrecord``, ``nasbench_full.tfrecord``)
without TensorFlow.

A TFRecord file is a sequence of records, each framed as: uint64 length (little endian), uint32 masked
CRC-32C of those 8 bytes, the data, uint32 masked CRC-32C of the data (mask: rotate right by 15 bits, add
0xa282ead8). In NB101's files each record's data is a JSON list (nasbench ``api.py``)::

    [module_hash, epochs, raw_adjacency, raw_operations, raw_metrics]
    ["00005c14...", 108, "0100110001...", "input,conv3x3-bn-relu,...,output", "<base64>"]

``raw_adjacency`` is the pruned V x V matrix as a string of 0/1 row by row, ``raw_operations`` the ops
joined by commas, ``raw_metrics`` a base64 ``nasbench.ModelMetrics`` protobuf (``lib/model_metrics.proto``):
field 1 repeated ``EvaluationData`` (at the start, halfway and end of training: 1 current_epoch,
2 training_time, 3 train_accuracy, 4 validation_accuracy, 5 test_accuracy, all doubles; 6 checkpoint_path),
field 2 int32 trainable_parameters, field 3 double total_time. The protobuf wire format is decoded here by
hand. Each cell was trained 3 times per epoch budget (108 only, or 4/12/36/108 in the full file).

The table has one row per cell, ``arch_strings`` = the official hash (``meta["row_key"] = "key"``: rows
are found by ``NB101Space.key``), columns ``cifar10/{val,test,train}_acc@E`` (%, mean of the 3 repeats;
``per_seed`` holds the repeats 0, 1, 2), ``cifar10/train_time_s@E`` (seconds), the same at the halfway
evaluation as ``halfway_*``, ``cifar10/params``, and the cell itself as ``cell/adjacency_bits`` and
``cell/ops_code`` (see ``arch_of_row``).
"""
from __future__ import annotations

import base64
import json
import os
import struct
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from workbench.benchmarks._table import Table, column_name
from workbench.errors import DataError

DATASET = "cifar10"
SEEDS = (0, 1, 2)  # NB101's three repeats per cell and budget
UNITS = {"val_acc": "%", "test_acc": "%", "train_acc": "%", "train_time_s": "seconds",
         "halfway_val_acc": "%", "halfway_test_acc": "%", "halfway_train_acc": "%",
         "halfway_train_time_s": "seconds", "params": "count", "adjacency_bits": "21 upper-triangle bits of the 7-vertex matrix",
         "ops_code": "base-3 code of the 5 interior ops (conv3x3, conv1x1, maxpool3x3)"}
_MASK_DELTA = 0xA282EAD8
Progress = Callable[[int, int | None], None]


# --- CRC-32C (Castagnoli) ---------------------------------------------------------------------------
def _crc_table() -> np.ndarray:
    table = np.zeros(256, dtype=np.uint32)
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table[i] = c
    return table


_CRC_TABLE = _crc_table()
_CRC_LIST = _CRC_TABLE.tolist()


def crc32c(data: bytes) -> int:
    """CRC-32C of ``data`` (pure Python; use ``crc32c_batch`` for many records)."""
    crc = 0xFFFFFFFF
    table = _CRC_LIST
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def crc32c_batch(buffers: Sequence[bytes]) -> np.ndarray:
    """CRC-32C of each buffer, computed for all of them at once byte position by byte position."""
    n = len(buffers)
    if n == 0:
        return np.zeros(0, dtype=np.uint32)
    lengths = np.fromiter((len(b) for b in buffers), dtype=np.int64, count=n)
    order = np.argsort(-lengths, kind="stable")
    longest = int(lengths[order[0]])
    data = np.zeros((n, max(longest, 1)), dtype=np.uint8)
    for row, i in enumerate(order.tolist()):
        if lengths[i]:
            data[row, : lengths[i]] = np.frombuffer(buffers[i], dtype=np.uint8)
    sorted_lengths = lengths[order]
    active = n - np.searchsorted(sorted_lengths[::-1], np.arange(longest), side="right")
    # rows are sorted longest first, so the rows still running at position pos are a prefix
    crc = np.full(n, 0xFFFFFFFF, dtype=np.uint32)
    for pos in range(longest):
        k = int(active[pos])
        c = crc[:k]
        crc[:k] = _CRC_TABLE[(c ^ data[:k, pos]) & 0xFF] ^ (c >> np.uint32(8))
    out = np.empty(n, dtype=np.uint32)
    out[order] = crc ^ np.uint32(0xFFFFFFFF)
    return out


def masked_crc(crc: int) -> int:
    """TFRecord's masked CRC: rotate right by 15 bits and add a constant."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def _unmask(masked: np.ndarray) -> np.ndarray:
    rot = (masked.astype(np.uint64) - _MASK_DELTA) & 0xFFFFFFFF
    return (((rot << 15) | (rot >> 17)) & 0xFFFFFFFF).astype(np.uint32)


# --- TFRecord framing ----------------------------------------------------------------------------------
def write_tfrecord(path: str | os.PathLike, records: Iterable[bytes]) -> Path:
    """Write ``records`` in the TFRecord framing (what ``tf.io.TFRecordWriter`` writes)."""
    path = Path(path)
    with open(path, "wb") as f:
        for data in records:
            header = struct.pack("<Q", len(data))
            f.write(header + struct.pack("<I", masked_crc(crc32c(header))))
            f.write(data + struct.pack("<I", masked_crc(crc32c(data))))
    return path


def iter_tfrecord(path: str | os.PathLike, *, verify: bool = True, batch: int = 4096) -> Iterator[bytes]:
    """The records of a TFRecord file. A truncated record, a bad length or (with ``verify``) a data CRC
    mismatch raises ``DataError`` naming the record and its byte offset."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"TFRecord file not found: {path}")
    size = path.stat().st_size
    pending: list[tuple[int, bytes, int]] = []
    with open(path, "rb") as f:
        index = 0
        offset = 0
        while True:
            header = f.read(12)
            if not header:
                break
            if len(header) < 12:
                raise DataError(f"{path}: record {index} at byte {offset} is truncated (a {len(header)}-byte header); "
                                f"the file is incomplete: download it again")
            length, length_crc = struct.unpack("<QI", header)
            if masked_crc(crc32c(header[:8])) != length_crc:
                raise DataError(f"{path}: record {index} at byte {offset} has a bad length checksum: this is not a "
                                f"TFRecord file, or it is damaged")
            if offset + 16 + length > size:
                raise DataError(f"{path}: record {index} at byte {offset} needs {length} bytes but the file ends at "
                                f"byte {size} (truncated): download it again")
            data = f.read(length)
            (data_crc,) = struct.unpack("<I", f.read(4))
            if verify:
                pending.append((index, data, data_crc))
                if len(pending) >= batch:
                    yield from _checked(path, pending)
                    pending = []
            else:
                yield data
            index += 1
            offset += 16 + length
    if pending:
        yield from _checked(path, pending)


def _checked(path: Path, pending: list[tuple[int, bytes, int]]) -> Iterator[bytes]:
    crcs = crc32c_batch([d for _, d, _ in pending])
    expected = _unmask(np.array([c for _, _, c in pending], dtype=np.uint32))
    bad = np.flatnonzero(crcs != expected)
    if len(bad):
        raise DataError(f"{path}: record {pending[int(bad[0])][0]} fails its CRC-32C check (damaged file): download it again")
    for _, data, _ in pending:
        yield data


# --- protobuf wire format --------------------------------------------------------------------------------
def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise DataError("protobuf message ends inside a varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value) of a protobuf message: int, float bits as bytes, or bytes."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + length], pos + length
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise DataError(f"protobuf wire type {wire} of field {number} is not supported")
        if pos > len(buf):
            raise DataError(f"protobuf field {number} runs past the end of its message")
        yield number, wire, value


_EVAL_FIELDS = {1: "current_epoch", 2: "training_time", 3: "train_accuracy", 4: "validation_accuracy",
                5: "test_accuracy"}


def decode_model_metrics(raw: bytes) -> dict[str, Any]:
    """A ``nasbench.ModelMetrics`` message as a dict: ``evaluation_data`` (list of dicts),
    ``trainable_parameters``, ``total_time``."""
    out: dict[str, Any] = {"evaluation_data": [], "trainable_parameters": None, "total_time": None}
    for number, wire, value in _fields(raw):
        if number == 1 and wire == 2:
            point: dict[str, Any] = {}
            for n, w, v in _fields(value):
                if n in _EVAL_FIELDS and w == 1:
                    point[_EVAL_FIELDS[n]] = struct.unpack("<d", v)[0]
                elif n == 6 and w == 2:
                    point["checkpoint_path"] = v.decode("utf-8", "replace")
            out["evaluation_data"].append(point)
        elif number == 2 and wire == 0:
            out["trainable_parameters"] = value - (1 << 64) if value >= 1 << 63 else value
        elif number == 3 and wire == 1:
            out["total_time"] = struct.unpack("<d", value)[0]
    return out


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def encode_model_metrics(evaluation_data: Sequence[dict[str, float]], trainable_parameters: int,
                         total_time: float | None = None) -> bytes:
    """The protobuf bytes of a ``nasbench.ModelMetrics`` (used to write files in the official layout)."""
    out = bytearray()
    numbers = {name: n for n, name in _EVAL_FIELDS.items()}
    for point in evaluation_data:
        body = bytearray()
        for name, value in point.items():
            if name == "checkpoint_path":
                raw = str(value).encode("utf-8")
                body += _encode_varint(6 << 3 | 2) + _encode_varint(len(raw)) + raw
            else:
                body += _encode_varint(numbers[name] << 3 | 1) + struct.pack("<d", float(value))
        out += _encode_varint(1 << 3 | 2) + _encode_varint(len(body)) + body
    out += _encode_varint(2 << 3 | 0) + _encode_varint(int(trainable_parameters))
    if total_time is not None:
        out += _encode_varint(3 << 3 | 1) + struct.pack("<d", float(total_time))
    return bytes(out)


def encode_record(module_hash: str, epochs: int, matrix: Any, ops: Sequence[str], metrics: bytes) -> bytes:
    """One NB101 record's data: the JSON list ``[hash, epochs, raw_adjacency, raw_operations, base64]``."""
    raw_adjacency = "".join(str(int(x)) for x in np.asarray(matrix).ravel())
    return json.dumps([module_hash, int(epochs), raw_adjacency, ",".join(ops),
                       base64.b64encode(metrics).decode("ascii")]).encode("utf-8")


def decode_record(data: bytes) -> tuple[str, int, np.ndarray, list[str], dict[str, Any]]:
    """(module_hash, epochs, adjacency matrix, ops, metrics dict) of one record's data."""
    try:
        module_hash, epochs, raw_adjacency, raw_operations, raw_metrics = json.loads(data.decode("utf-8"))
        dim = int(round(len(raw_adjacency) ** 0.5))
        if dim * dim != len(raw_adjacency):
            raise ValueError(f"adjacency string of length {len(raw_adjacency)} is not square")
        matrix = np.frombuffer(raw_adjacency.encode("ascii"), dtype=np.uint8).reshape(dim, dim) - ord("0")
        metrics = decode_model_metrics(base64.b64decode(raw_metrics))
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise DataError(f"not an NB101 record ({exc}): {data[:120]!r}") from None
    return str(module_hash), int(epochs), matrix.astype(np.int8), raw_operations.split(","), metrics


# --- cells as numeric columns --------------------------------------------------------------------------------
def cell_codes(matrix: Any, ops: Sequence[str]) -> tuple[int, int]:
    """(adjacency_bits, ops_code) of a cell of at most 7 vertices, padded to 7 vertices (extra vertices
    unconnected, before the output): bit k is the k-th upper-triangle entry in row-major order; the ops
    code is base 3 over the 5 interior ops (0 conv3x3, 1 conv1x1, 2 maxpool3x3; first op most significant)."""
    from workbench.spaces.nb101 import MAX_VERTICES, OPS, NB101Arch, pad_to

    arch = pad_to(NB101Arch(matrix, ops), MAX_VERTICES)
    m = np.asarray(arch.matrix)
    bits = m[np.triu_indices(MAX_VERTICES, 1)]
    adjacency = int(sum(int(b) << k for k, b in enumerate(bits.tolist())))
    code = 0
    for op in arch.ops[1:-1]:
        code = code * len(OPS) + OPS.index(op)
    return adjacency, code


def arch_from_codes(adjacency_bits: int, ops_code: int):
    """The 7-vertex ``NB101Arch`` of ``cell_codes`` (its ``key`` is the row's official hash)."""
    from workbench.spaces.nb101 import INPUT, MAX_VERTICES, OPS, OUTPUT, NB101Arch

    m = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=np.int8)
    rows, cols = np.triu_indices(MAX_VERTICES, 1)
    for k, (i, j) in enumerate(zip(rows.tolist(), cols.tolist())):
        m[i, j] = (int(adjacency_bits) >> k) & 1
    ops = []
    code = int(ops_code)
    for _ in range(MAX_VERTICES - 2):
        code, digit = divmod(code, len(OPS))
        ops.append(OPS[digit])
    return NB101Arch(m, [INPUT] + ops[::-1] + [OUTPUT])


def arch_of_row(table: Table, row: int):
    """The cell of ``row`` of an NB101 table (e.g. of ``table.best(...)``), as an ``NB101Arch``."""
    return arch_from_codes(int(table.columns["cell/adjacency_bits"][row]), int(table.columns["cell/ops_code"][row]))


# --- the reader -------------------------------------------------------------------------------------------
_FINAL = {"val_acc": "validation_accuracy", "test_acc": "test_accuracy", "train_acc": "train_accuracy",
          "train_time_s": "training_time"}


def read_nb101_tfrecord(path: str | os.PathLike, *, verify: bool = True, check_hashes: bool = False,
                        progress: Progress | None = None) -> Table:
    """Convert an official NB101 TFRecord file into a ``Table`` (see the module docstring).

    ``verify`` checks every record's CRC-32C; ``check_hashes`` recomputes each cell's hash with
    ``NB101Space.key`` and refuses the file if one differs (slow: about 60 us per cell).
    """
    path = Path(path)
    rows: dict[str, int] = {}
    cells: list[tuple[int, int]] = []
    params: list[float] = []
    # (epochs, metric) -> list over rows of lists of repeats
    values: dict[tuple[int, str], dict[int, list[float]]] = {}
    space = None
    if check_hashes:
        from workbench.spaces import create

        space = create("nb101")
    total = path.stat().st_size if path.is_file() else None
    done = 0
    for count, data in enumerate(iter_tfrecord(path, verify=verify)):
        module_hash, epochs, matrix, ops, metrics = decode_record(data)
        row = rows.get(module_hash)
        if row is None:
            if space is not None and space.key((matrix, ops)) != module_hash:
                raise DataError(f"{path}: record {count} says hash {module_hash} but its cell hashes to "
                                f"{space.key((matrix, ops))}")
            row = rows[module_hash] = len(rows)
            cells.append(cell_codes(matrix, ops))
            params.append(float(metrics["trainable_parameters"]) if metrics["trainable_parameters"] is not None else np.nan)
        points = metrics["evaluation_data"]
        if len(points) < 3:
            raise DataError(f"{path}: record {count} ({module_hash}, {epochs} epochs) has {len(points)} evaluations, "
                            f"expected 3 (start, halfway, end)")
        for prefix, point in (("", points[-1]), ("halfway_", points[1])):
            for metric, field in _FINAL.items():
                scale = 100.0 if metric.endswith("acc") else 1.0
                value = point.get(field, np.nan) * scale
                values.setdefault((epochs, prefix + metric), {}).setdefault(row, []).append(value)
        done += 16 + len(data)
        if progress is not None and count % 10_000 == 0:
            progress(done, total)
    if not rows:
        raise DataError(f"{path} holds no NB101 records")
    n = len(rows)
    columns: dict[str, np.ndarray] = {}
    per_seed: dict[str, np.ndarray] = {}
    seeds: dict[str, tuple[int, ...]] = {}
    for (epochs, metric), by_row in sorted(values.items()):
        repeats = max(len(v) for v in by_row.values())
        block = np.full((n, repeats), np.nan)
        for row, vals in by_row.items():
            block[row, : len(vals)] = vals
        key = column_name(DATASET, metric, epochs)
        with np.errstate(invalid="ignore"):
            columns[key] = _nanmean(block)
        per_seed[key] = block
        seeds[key] = SEEDS[:repeats] if repeats <= len(SEEDS) else tuple(range(repeats))
    columns[column_name(DATASET, "params", None)] = np.asarray(params)
    codes = np.asarray(cells, dtype=np.float64)
    columns[column_name("cell", "adjacency_bits", None)] = codes[:, 0]
    columns[column_name("cell", "ops_code", None)] = codes[:, 1]
    if progress is not None:
        progress(done, total)
    meta = {"sources": [str(path)], "units": UNITS, "row_key": "key",
            "note": "NB101 (Ying et al. 2019): 3 repeats per cell and budget; per_seed holds repeats 0, 1, 2"}
    return Table(name="nb101", space_name="nb101", arch_strings=np.array(list(rows)), columns=columns,
                 meta=meta, per_seed=per_seed, seeds=seeds)


def _nanmean(block: np.ndarray) -> np.ndarray:
    finite = np.isfinite(block)
    counts = finite.sum(axis=1)
    sums = np.where(finite, block, 0.0).sum(axis=1)
    out = np.full(len(block), np.nan)
    np.divide(sums, counts, out=out, where=counts > 0)
    return out


def _read_source(path: Path, **options: Any) -> Table:
    return read_nb101_tfrecord(path, verify=options.get("verify", True), check_hashes=options.get("check_hashes", False),
                               progress=options.get("progress"))


def _register() -> None:
    from workbench.benchmarks import register_importer

    register_importer("NAS-Bench-101 official (.tfrecord)", lambda p: p.is_file() and p.suffix == ".tfrecord",
                      _read_source)


_register()
