"""Benchmark files: import validates (file:line, repeated archs, non-finite values are missing), compact
files are checked against their CRC-32, compressed inputs are capped, installed names are not replaced."""
from __future__ import annotations

import bz2
import struct
import zipfile

import numpy as np
import pytest

from workbench import Budget, Run, benchmarks, estimators, spaces
from workbench.benchmarks import compact
from workbench.benchmarks import _limits
from workbench.benchmarks._table import Table
from workbench.cli import main
from workbench.errors import DataError, EvaluationError

HEADER = "index,arch_str,c10_valid_200ep,c10_test_12ep"


@pytest.fixture(scope="module")
def csv_lines():
    """A well-formed NB201 table CSV (every cell of the space; numbers made up from the index)."""
    space = spaces.create("nb201")
    lines = [HEADER]
    for i, arch in enumerate(space.enumerate()):
        lines.append(f"{i},{space.to_string(arch)},{50 + (i * 7919) % 4500 / 100:.2f},{40 + i % 50}")
    return lines


def _write(tmp_path, lines, name="t.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _main(capsys, *args):
    """The ``workbench`` command in this process: (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_well_formed_csv_reads(tmp_path, csv_lines):
    table = benchmarks.read_source(_write(tmp_path, csv_lines))
    assert len(table) == 15625 and table.query(3, "cifar10", "val_acc", 200) == float(csv_lines[4].split(",")[2])


@pytest.mark.parametrize("edit,message", [
    (lambda ls: ls.__setitem__(8, ls[8].replace(ls[8].split(",")[1], ls[5].split(",")[1])),
     r":9: arch '\|.*' is also on line 6"),
    (lambda ls: ls.__setitem__(8, "seven" + ls[8][1:]), r":9: index 'seven' is not an integer in 0..15624"),
    (lambda ls: ls.__setitem__(8, ls[8].rsplit(",", 1)[0]), ":9: 3 fields, the header has 4"),
    (lambda ls: ls.__setitem__(8, ls[8].replace(ls[8].split(",")[0], "3", 1)), ":9: index 3 is also on line 5"),
    (lambda ls: ls.__setitem__(8, ls[8].rsplit(",", 1)[0] + ",abc"), ":9: column 'c10_test_12ep' holds 'abc'"),
])
def test_bad_rows_name_file_and_line(tmp_path, csv_lines, edit, message):
    lines = list(csv_lines)
    edit(lines)
    path = _write(tmp_path, lines)
    with pytest.raises(DataError, match=f"{path}{message}"):
        benchmarks.read_source(path)


def test_non_utf8_names_the_line(tmp_path, csv_lines):
    path = tmp_path / "t.csv"
    data = ("\n".join(csv_lines[:12]) + "\n").encode() + b"12,\xff\xfe,1,2\n"
    path.write_bytes(data)
    with pytest.raises(DataError, match=f"{path}:13: not UTF-8"):
        benchmarks.read_source(path)


def test_non_finite_values_are_missing_and_fail_only_their_trial(tmp_path, csv_lines):
    space = spaces.create("nb201")
    lines = list(csv_lines)
    for row in range(0, 15625, 4):  # a quarter of the archs: nan (odd rows) or inf (even rows), plus an empty cell
        parts = lines[row + 1].split(",")
        parts[2] = "nan" if row % 8 else ("inf" if row % 3 else "")
        lines[row + 1] = ",".join(parts)
    path = _write(tmp_path, lines)
    table = benchmarks.read_source(path)
    col = table.columns["cifar10/val_acc@200"]
    assert np.isnan(col[::4]).all() and np.isfinite(col[1::4]).all()
    with pytest.raises(DataError, match="no record"):
        table.query(8, "cifar10", "val_acc", 200)
    est = estimators.create("tabular", space=space, benchmark=table)
    with pytest.raises(EvaluationError, match="the source did not hold it"):
        est.evaluate(space.from_string(table.arch_strings[8]))
    # a search that meets them goes on: those trials fail, the best is a real number
    run = Run(space=space, searcher="random", estimator="tabular", estimator_options={"benchmark": str(path)},
              budget=Budget(evaluations=80), seed=1).run()
    failed = [t for t in run.trials if t.status == "failed"]
    assert run.status == "finished" and len(run.trials) == 80 and 5 <= len(failed) <= 40
    assert all("did not hold it" in t.error for t in failed)
    assert np.isfinite(run.best.objective) and run.best.objective == max(t.objective for t in run.trials if t.ok)


def test_repeated_arch_never_reads_an_unset_row(csv_lines, nb201):
    """A table built around the importer (a repeat leaves some arch without a row) is refused at once."""
    texts = np.array([line.split(",")[1] for line in csv_lines[1:]])
    texts[1168] = texts[5]
    table = Table(name="dup", space_name="nb201", arch_strings=texts,
                  columns={"cifar10/val_acc@200": np.linspace(50, 90, len(texts))})
    with pytest.raises(DataError, match="twice .rows 5 and 1168."):
        estimators.create("tabular", space=nb201, benchmark=table)


def _member_start(path, member):
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member + ".npy")
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        head = f.read(30)
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    return info.header_offset + 30 + name_len + extra_len, info.file_size


def test_flipped_byte_in_a_compact_column_is_detected(tmp_path, csv_lines, capsys):
    path = benchmarks.import_benchmark([_write(tmp_path, csv_lines)], dest=tmp_path / "t.wbench.npz")
    assert compact.verify(path)["problems"] == []
    start, size = _member_start(path, "c0")  # the cifar10/val_acc@200 column
    data = bytearray(path.read_bytes())
    data[start + size - 100] ^= 0x04
    bad = tmp_path / "bad.wbench.npz"
    bad.write_bytes(bytes(data))
    table = compact.read(bad)  # opening stays cheap: the column is checked when it is first used
    with pytest.raises(DataError, match="member 'c0' fails its checksum"):
        table.query(15000, "cifar10", "val_acc", 200)
    with pytest.raises(DataError, match="fails its checksum"):
        estimators.create("tabular", space=spaces.create("nb201"), benchmark=table)
    code, out, _ = _main(capsys, "bench", "verify", bad)
    assert code == 1 and "DAMAGED" in out and "'c0' fails its checksum" in out
    code, out, _ = _main(capsys, "bench", "verify", path)
    assert code == 0 and out.startswith("ok ")


def test_decompression_bomb_is_refused_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(_limits, "MIN_DECOMPRESSED_CAP", 4 << 20)  # the same rule at a smaller scale (speed)
    comp = bz2.BZ2Compressor(9)
    head = comp.compress(b"\x80\x04\x95" + b"\xff" * 509)  # a pickle's start: not a tar header
    bomb = head + comp.compress(b"\0" * (5 << 20)) + comp.flush()
    path = tmp_path / "NATS-tss-v1_0-3ffb9.pickle.pbz2"
    path.write_bytes(bomb)
    assert len(bomb) < 1000 and _limits.cap_for(len(bomb)) == 4 << 20
    code, _, err = _main(capsys, "bench", "import", path, "--allow-pickle", "--out", tmp_path / "x.wbench.npz")
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1, err
    assert "expands beyond the 4,194,304 bytes allowed" in lines[0]
    assert _limits.cap_for(1300 * 10**6) == _limits.MAX_DECOMPRESSED_BYTES > 5.1e9  # the official 1.3 GB file fits


def test_import_into_an_installed_name_refuses_merges_or_replaces(tmp_path, csv_lines, monkeypatch, capsys):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))
    full = _write(tmp_path, csv_lines, "full.csv")
    benchmarks.import_benchmark([full])
    partial = tmp_path / "partial.json"  # NASLib's layout: three cells with a zero-cost score
    partial.write_text('{"cifar10": {"(0, 0, 0, 0, 0, 0)": {"val_accuracy": 80.5, "synflow": {"score": 1.5}},'
                       ' "(1, 1, 1, 1, 1, 1)": {"val_accuracy": 10.0, "synflow": {"score": 0.5}},'
                       ' "(2, 2, 2, 2, 2, 2)": {"val_accuracy": 85.0, "synflow": {"score": 2.5}}}}')
    code, _, err = _main(capsys, "bench", "import", partial, "--name", "nb201")
    assert code == 2
    assert "15,625 archs, 15,625 with data); this import holds 3 archs, 3 with data" in err
    assert len(benchmarks.load("nb201")) == 15625
    assert _main(capsys, "bench", "import", partial, "--name", "nb201", "--merge")[0] == 0
    merged = benchmarks.load("nb201")
    assert len(merged) == 15625 and benchmarks.coverage(merged)["cifar10/zc_synflow"] == 3
    assert merged.query(0, "cifar10", "val_acc", 200) == float(csv_lines[1].split(",")[2])  # installed kept
    listing = _main(capsys, "bench", "ls")[1]
    assert "archs with data: 15,625 of 15,625" in listing and "val_acc 15,625" in listing and "zc_synflow 3" in listing
    assert _main(capsys, "bench", "import", partial, "--name", "nb201", "--replace")[0] == 0
    assert len(benchmarks.load("nb201")) == 3
