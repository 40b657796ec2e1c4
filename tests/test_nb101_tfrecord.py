"""The NB101 TFRecord reader (no TensorFlow) on small files written in the official layout, and the NASLib
NB101 importer on NASLib's real extract."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import SHARED_DATA, need
from workbench import spaces
from workbench.benchmarks import compact
from workbench.benchmarks.nb101_naslib import read_naslib_nb101
from workbench.benchmarks.nb101_tfrecord import (arch_of_row, crc32c, crc32c_batch, decode_model_metrics,
                                                  encode_model_metrics, encode_record, iter_tfrecord,
                                                  masked_crc, read_nb101_tfrecord, write_tfrecord)
from workbench.errors import DataError

C3, C1, MP = "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"
# NNI's example of the official data (microsoft/nni docs/en_US/NAS/BenchmarksExample.ipynb): hash, 8,555,530
# parameters, three 108-epoch repeats' valid and test accuracy (%); the training seconds are fixture values.
NNI_MATRIX = np.array([[0, 1, 0, 0, 1, 1, 0], [0, 0, 1, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0, 1], [0, 0, 0, 0, 0, 1, 0],
                       [0, 0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0]])
NNI_OPS = ["input", C3, MP, C3, C3, C1, "output"]
NNI_HASH = "00005c142e6f48ac74fdcf73e3439874"
NNI_REPEATS = [(92.41786599159241, 92.11738705635071, 1061.4767578125),
               (92.45793223381042, 91.90705418586731, 1060.9505859375),
               (93.04887652397156, 92.15745329856873, 1061.3855712890625)]
SMALL_MATRIX = np.array([[0, 1, 1], [0, 0, 1], [0, 0, 0]])
SMALL_OPS = ["input", C1, "output"]


def _metrics(epochs: int, val: float, test: float, seconds: float, params: int) -> bytes:
    points = [
        {"current_epoch": 0.0, "training_time": 0.0, "train_accuracy": 0.1, "validation_accuracy": 0.1, "test_accuracy": 0.1},
        {"current_epoch": epochs / 2, "training_time": seconds / 2, "train_accuracy": 0.8,
         "validation_accuracy": val / 100 - 0.05, "test_accuracy": test / 100 - 0.05},
        {"current_epoch": float(epochs), "training_time": seconds, "train_accuracy": 1.0,
         "validation_accuracy": val / 100, "test_accuracy": test / 100,
         "checkpoint_path": "gs://bucket/model.ckpt-1234"},
    ]
    return encode_model_metrics(points, params, total_time=seconds + 30.0)


@pytest.fixture()
def tfrecord(tmp_path):
    """A small file in nasbench_full's layout: 2 cells x {4, 108} epochs x 3 repeats."""
    space = spaces.create("nb101")
    small_hash = space.key((SMALL_MATRIX, SMALL_OPS))
    records = []
    for epochs in (4, 108):
        for r, (val, test, seconds) in enumerate(NNI_REPEATS):
            shift = 0.0 if epochs == 108 else -20.0
            records.append(encode_record(NNI_HASH, epochs, NNI_MATRIX, NNI_OPS,
                                         _metrics(epochs, val + shift, test + shift, seconds * epochs / 108, 8_555_530)))
            records.append(encode_record(small_hash, epochs, SMALL_MATRIX, SMALL_OPS,
                                         _metrics(epochs, 80.0 + r + shift, 79.0 + shift, 300.0, 123_456)))
    return write_tfrecord(tmp_path / "nasbench_tiny.tfrecord", records), small_hash


def test_crc32c_known_values():
    # the CRC-32C check value (RFC 3720 / iSCSI): "123456789" -> 0xE3069283
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0
    assert crc32c_batch([b"123456789", b"", b"abc" * 100]).tolist() == [0xE3069283, 0, crc32c(b"abc" * 100)]
    assert masked_crc(0) == 0xA282EAD8


def test_protobuf_round_trip():
    raw = _metrics(108, 93.0, 92.0, 1000.0, 8_555_530)
    decoded = decode_model_metrics(raw)
    assert decoded["trainable_parameters"] == 8_555_530
    assert decoded["total_time"] == 1030.0
    assert len(decoded["evaluation_data"]) == 3
    assert decoded["evaluation_data"][2]["validation_accuracy"] == 0.93
    assert decoded["evaluation_data"][2]["checkpoint_path"] == "gs://bucket/model.ckpt-1234"


def test_read_official_layout(tfrecord):
    path, small_hash = tfrecord
    table = read_nb101_tfrecord(path, check_hashes=True)
    assert table.space_name == "nb101" and len(table) == 2
    assert list(table.arch_strings) == [NNI_HASH, small_hash]
    # rows are found from any form of the cell, isomorphic or with dangling vertices
    assert table.row((NNI_MATRIX, NNI_OPS)) == 0
    assert table.query((NNI_MATRIX, NNI_OPS), "cifar10", "val_acc", 108) == pytest.approx(
        np.mean([r[0] for r in NNI_REPEATS]), abs=1e-9)
    assert table.query((NNI_MATRIX, NNI_OPS), "cifar10", "test_acc", 108, seed=2) == pytest.approx(92.15745329856873)
    assert table.query((NNI_MATRIX, NNI_OPS), "cifar10", "train_time_s", 108, seed=0) == pytest.approx(1061.4767578125)
    assert table.query((NNI_MATRIX, NNI_OPS), "cifar10", "halfway_val_acc", 108, seed=0) == pytest.approx(87.41786599159241)
    assert table.query((NNI_MATRIX, NNI_OPS), "cifar10", "val_acc", 4, seed=1) == pytest.approx(72.45793223381042)
    assert table.query((NNI_MATRIX, NNI_OPS), "cifar10", "params") == 8_555_530
    assert table.epochs("cifar10", "val_acc") == [4, 108]
    padded = np.zeros((5, 5), dtype=int)
    padded[0, 1] = padded[0, 4] = padded[1, 4] = padded[0, 2] = 1  # vertex 2 dangles
    assert table.row((padded, ["input", C1, MP, C3, "output"])) == 1
    # the best row's cell can be rebuilt
    best, value = table.best("cifar10", "val_acc", 108)
    assert best == NNI_HASH
    assert spaces.create("nb101").key(arch_of_row(table, table.row(best))) == NNI_HASH


def test_compact_round_trip(tfrecord, tmp_path):
    table = read_nb101_tfrecord(tfrecord[0])
    again = compact.read(compact.save(table, tmp_path / "nb101.wbench.npz"))
    assert again.query((NNI_MATRIX, NNI_OPS), "cifar10", "val_acc", 108, seed=1) == pytest.approx(92.45793223381042)
    assert again.meta["row_key"] == "key"


def test_truncated_and_damaged_files(tfrecord, tmp_path):
    data = tfrecord[0].read_bytes()
    cut = tmp_path / "cut.tfrecord"
    cut.write_bytes(data[:-100])
    with pytest.raises(DataError, match="truncated"):
        list(iter_tfrecord(cut))
    damaged = tmp_path / "damaged.tfrecord"
    flipped = bytearray(data)
    flipped[40] ^= 0x01
    damaged.write_bytes(bytes(flipped))
    with pytest.raises(DataError, match="CRC-32C"):
        read_nb101_tfrecord(damaged)
    foreign = tmp_path / "foreign.tfrecord"
    foreign.write_bytes(b"this is not a tfrecord file at all")
    with pytest.raises(DataError, match="not a TFRecord"):
        read_nb101_tfrecord(foreign)
    wrong = write_tfrecord(tmp_path / "wrong.tfrecord", [json.dumps(["x", 108]).encode()])
    with pytest.raises(DataError, match="not an NB101 record"):
        read_nb101_tfrecord(wrong)


def test_hash_check_catches_a_mislabelled_row(tmp_path):
    bad = write_tfrecord(tmp_path / "bad.tfrecord", [encode_record("0" * 32, 108, SMALL_MATRIX, SMALL_OPS,
                                                                   _metrics(108, 80.0, 79.0, 300.0, 1))])
    with pytest.raises(DataError, match="hashes to"):
        read_nb101_tfrecord(bad, check_hashes=True)


def test_naslib_nb101_import():
    table = read_naslib_nb101(need(SHARED_DATA / "nb101" / "naslib_zc_nasbench101_500.json", "NASLib's NB101 extract"))
    assert len(table) == 292 and table.space_name == "nb101"
    key = "(0, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, " \
          "1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 4, 4, 4, 1)"
    assert table.query(key, "cifar10", "params") == 4_095_778  # NASLib: 4.095778 (millions)
    values = table.per_seed["cifar10/val_acc@108"]
    assert np.isfinite(values).sum(axis=1).max() == 3
    assert "cifar10/zc_synflow" in table.columns


def test_registered_as_benchmark_sources(tfrecord, tmp_path):
    from workbench import benchmarks, estimators

    path, small_hash = tfrecord
    installed = benchmarks.import_benchmark([path], name="nb101", dest=tmp_path / "nb101.wbench.npz")
    table = benchmarks.load(installed)
    assert table.row((SMALL_MATRIX, SMALL_OPS)) == 1
    tabular = estimators.create("tabular", space="nb101", benchmark=table, dataset="cifar10", metric="val_acc",
                                epochs=108, report=[])
    assert tabular.evaluate((NNI_MATRIX, NNI_OPS)).objective == pytest.approx(np.mean([r[0] for r in NNI_REPEATS]))
    naslib = benchmarks.read_source(need(SHARED_DATA / "nb101" / "naslib_zc_nasbench101_500.json", "NASLib's NB101 extract"))
    assert naslib.space_name == "nb101" and len(naslib) == 292
