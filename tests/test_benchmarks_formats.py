"""Tiny files written here in the official NATS / NB201 layouts, the restricted unpickler, and the compact
format's round trip and its errors for truncated, foreign and future files."""
from __future__ import annotations

import bz2
import json
import os
import pickle
import tarfile
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

from workbench import benchmarks
from workbench.benchmarks import compact
from workbench.benchmarks.nats import read_nats
from workbench.errors import DataError

A0 = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"          # official index 0 in this tiny file
A1 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"


def _results(dataset: str, seed: int, epochs: int, base: float) -> dict:
    """A ResultsCount state dict as NATS stores it (accuracies in %, per-epoch dicts, numpy scalars)."""
    sets = {"cifar10-valid": ["x-valid", "ori-test"], "cifar10": ["ori-test"]}.get(dataset, ["x-valid", "x-test", "ori-test"])
    accs, losses, times = {}, {}, {}
    for k, name in enumerate(sets):
        for e in range(epochs):
            accs[f"{name}@{e}"] = base + k + e / 10
            losses[f"{name}@{e}"] = 2.0 - e / 100
            times[f"{name}@{e}"] = 1.5
    return {"name": dataset, "train_acc1es": {e: base - 5 + e for e in range(epochs)}, "train_acc5es": None,
            "train_losses": {e: 3.0 - e / 10 for e in range(epochs)},
            "train_times": OrderedDict((e, 10.0 + seed / 1000) for e in range(epochs)),
            "arch_config": {"channel": 16, "num_cells": 5}, "params": np.float64(0.5 + base / 1000), "flop": 80.25,
            "seed": f"{seed:04d}", "epochs": epochs, "latency": [np.float64(0.012)], "eval_names": sets,
            "eval_acc1es": accs, "eval_times": times, "eval_losses": losses, "net_state_dict": None}


def _arch_results(index: int, arch: str, epochs: int, seeds: tuple[int, ...], base: float) -> dict:
    datasets = ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")
    return {"arch_index": index, "arch_str": arch, "clear_net_done": True,
            "all_results": {(d, s): _results(d, s, epochs, base + 10 * i + s / 1000) for i, d in enumerate(datasets) for s in seeds},
            "dataset_seed": {d: list(seeds) for d in datasets}}


def _records() -> dict[int, dict]:
    return {i: {"12": _arch_results(i, a, 12, (111,), 50.0 + i), "200": _arch_results(i, a, 200, (777, 888), 60.0 + i)}
            for i, a in ((0, A0), (1, A1))}


def _meta() -> dict:
    from workbench.spaces import create

    archs = [create("nb201").to_string(a) for a in create("nb201").enumerate()]
    archs.remove(A0), archs.remove(A1)
    return {"meta_archs": [A0, A1] + archs, "total_archs": 15625, "arch2infos": None, "evaluated_indexes": set()}


def _pbz2(obj, path):
    with bz2.open(path, "wb") as f:
        pickle.dump(obj, f, protocol=4)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("nats") / "NATS-tss-v1_0-3ffb9-simple"
    root.mkdir()
    _pbz2(_meta(), root / "meta.pickle.pbz2")
    for i, rec in _records().items():
        _pbz2(rec, root / f"{i:06d}.pickle.pbz2")
    return root


def _check(table):
    assert table.space_name == "nb201" and len(table) == 15625 and table.meta["present"] == 2
    # 200-epoch cifar10-valid x-valid after the last epoch: base + 199/10; seeds 777 and 888
    base = 60.0 + 1 + 0 + 777 / 1000
    assert table.query(A1, "cifar10-valid", "val_acc", 200, seed=777) == pytest.approx(base + 19.9)
    assert table.query(A1, "cifar10-valid", "test_acc", 200, epoch=3, seed=888) == pytest.approx(60 + 1 + 0.888 + 1 + 0.2, rel=1e-6)
    assert table.query(A0, "cifar100", "valtest_acc", 12) == pytest.approx(50 + 20 + 0.111 + 2 + 1.1)
    assert table.train_time(A0, "cifar10", 12) == pytest.approx(12 * 10.111)
    assert table.costs(A1, "cifar10-valid") == {"params": round((0.5 + (60 + 1 + 0.777) / 1000) * 1e6) and table.costs(A1, "cifar10-valid")["params"],
                                                "flops": 80250000, "latency_ms": pytest.approx(12.0)}
    assert table.best("cifar10", "test_acc", 200)[0] == A1


@pytest.mark.slow
def test_folder_tar_and_full_file_read_the_same(folder, tmp_path):
    _check(read_nats(folder, allow_pickle=True))
    tar_path = tmp_path / "NATS-tss-v1_0-3ffb9-simple.tar"
    with tarfile.open(tar_path, "w") as tf:
        for p in sorted(folder.iterdir(), reverse=True):  # meta last: the reader must not need it first
            tf.add(p, arcname=f"{folder.name}/{p.name}")
    _check(read_nats(tar_path, allow_pickle=True))
    full = tmp_path / "NATS-tss-v1_0-3ffb9.pickle.pbz2"
    _pbz2({**_meta(), "arch2infos": _records(), "evaluated_indexes": {0, 1}}, full)
    _check(benchmarks.read_source(full, allow_pickle=True))


@pytest.mark.slow
def test_legacy_pth_both_torch_layouts(tmp_path):
    torch = pytest.importorskip("torch")
    data = {**_meta(), "evaluated_indexes": {0, 1},
            "arch2infos": {i: {"less": r["12"], "full": r["200"]} for i, r in _records().items()}}
    for name, zipped in (("NAS-Bench-201-v1_0-e61699.pth", False), ("NAS-Bench-201-v1_1-096897.pth", True)):
        path = tmp_path / name
        torch.save(data, path, _use_new_zipfile_serialization=zipped)
        assert zipfile.is_zipfile(path) == zipped
        _check(benchmarks.read_source(path, allow_pickle=True))


def test_the_unpickler_refuses_code_and_tensors(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    path = tmp_path / "000000.pickle.pbz2"
    _pbz2({"12": Evil()}, path)
    with pytest.raises(DataError, match=r"names (posix|nt)\.system, which the restricted unpickler refuses"):
        read_nats(path, allow_pickle=True)
    assert not (tmp_path / "pwned").exists()
    torch = pytest.importorskip("torch")
    weights = tmp_path / "weights.pth"
    torch.save({"meta_archs": [A0], "w": torch.zeros(2)}, weights)
    with pytest.raises(DataError, match="torch tensors"):
        benchmarks.read_source(weights, allow_pickle=True)
    with pytest.raises(DataError, match="allow_pickle=True"):
        benchmarks.read_source(weights)


def test_truncated_and_foreign_pickles(folder, tmp_path):
    data = (folder / "000001.pickle.pbz2").read_bytes()
    broken = tmp_path / "x" / "000001.pickle.pbz2"
    broken.parent.mkdir()
    (broken.parent / "meta.pickle.pbz2").write_bytes((folder / "meta.pickle.pbz2").read_bytes())
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="truncated or foreign"):
        read_nats(broken.parent, allow_pickle=True)
    (tmp_path / "y").mkdir()
    with pytest.raises(DataError, match="no meta.pickle.pbz2"):
        read_nats(tmp_path / "y", allow_pickle=True)


def test_compact_round_trip_is_exact(folder, tmp_path):
    table = read_nats(folder, allow_pickle=True)
    path = compact.save(table, tmp_path / "nb201.wbench.npz")
    back = compact.read(path)
    assert back.arch_strings.tolist() == table.arch_strings.tolist()
    assert set(back.columns) == set(table.columns) and set(back.curves) == set(table.curves)
    for key in table.columns:
        np.testing.assert_array_equal(back.columns[key], table.columns[key])
    for key in table.per_seed:
        np.testing.assert_array_equal(back.per_seed[key], table.per_seed[key])
        assert back.seeds[key] == table.seeds[key]
    for key in table.curves:
        np.testing.assert_array_equal(back.curves[key], table.curves[key])
        np.testing.assert_array_equal(back.curve_rows[key], table.curve_rows[key])
    assert isinstance(back.columns["cifar10/test_acc@200"].base, np.memmap)  # a view into the file, not a copy
    assert back.meta["aliases"]["cifar10/val_acc"] == "cifar10-valid/val_acc"
    with np.load(path, allow_pickle=False) as plain:  # an ordinary npz for numpy too
        assert json.loads(bytes(plain["schema"]))["format"] == "nas-workbench-benchmark"
    _check(back)


def test_compact_errors(folder, tmp_path):
    path = compact.save(read_nats(folder, allow_pickle=True), tmp_path / "ok.wbench.npz")
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 100):
        short = tmp_path / f"short{cut}.wbench.npz"
        short.write_bytes(data[:cut])
        with pytest.raises(DataError, match="truncated"):
            compact.read(short)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, x=np.arange(3))
    with pytest.raises(DataError, match="not a workbench benchmark: it has no schema"):
        compact.read(foreign)
    text = tmp_path / "text.npz"
    text.write_text("hello")
    with pytest.raises(DataError, match="not a workbench benchmark file or it is truncated"):
        compact.read(text)
    future = tmp_path / "future.wbench.npz"
    with zipfile.ZipFile(future, "w") as zf:
        with zf.open("schema.npy", "w") as f:
            np.lib.format.write_array(f, np.frombuffer(json.dumps({"format": "nas-workbench-benchmark", "version": 99}).encode(), np.uint8))
    with pytest.raises(DataError, match="format version 99; this workbench reads version 1"):
        compact.read(future)
