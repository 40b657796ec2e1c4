"""NB201 / NATS-Bench from the official files in ../shared/data/nb201, through the compact format.

Expected numbers were read once from the official NATS files (D-X-Y/NATS-Bench ``fake_torch_dir``, copied
to ``../shared/data/nb201/nats_official_format``) with a plain ``pickle.load(bz2.open(...))`` in a scratch
script: ``arch2infos[hp]["all_results"][(dataset, seed)]["eval_acc1es"]["x-valid@199"]`` and so on.
"""
from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import SHARED_DATA, need
from workbench import benchmarks, estimators
from workbench.benchmarks import compact
from workbench.errors import DataError, EvaluationError, OutOfSpaceError

NATS = SHARED_DATA / "nb201" / "nats_official_format"
ARCH_11 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|"
ARCH_284 = "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|none~0|nor_conv_1x1~1|none~2|"


@pytest.fixture(scope="module")
def tss(tmp_path_factory):
    folder = need(NATS / "NATS-tss-v1_0-3ffb9-simple", "official NATS tss files")
    path = benchmarks.import_benchmark([folder], dest=tmp_path_factory.mktemp("b") / "nb201.wbench.npz", allow_pickle=True)
    return compact.read(path)


@pytest.fixture(scope="module")
def sss(tmp_path_factory):
    folder = need(NATS / "NATS-sss-v1_0-50262-simple", "official NATS sss files")
    path = benchmarks.import_benchmark([folder], dest=tmp_path_factory.mktemp("b") / "nats_sss.wbench.npz", allow_pickle=True)
    return compact.read(path)


def test_official_files_need_explicit_permission_to_unpickle():
    folder = need(NATS / "NATS-tss-v1_0-3ffb9-simple", "official NATS tss files")
    with pytest.raises(DataError, match="allow_pickle=True"):
        benchmarks.read_source(folder)


# (index, arch, 200-epoch cifar10-valid x-valid per seed 777/888/999, cifar10 ori-test seed 777 after 200,
#  ori-test seed 888 after epoch 100, cifar100 x-test seed 999, ImageNet16-120 x-valid seed 777)
TSS_200 = [
    (0, None, (82.09199998291015, 81.61599997314453, 82.24000001464844), 85.62, 58.23, 53.07999995117188, 28.333333353678384),
    (11, ARCH_11, (87.74800000488281, 88.13199999511718, 87.93999999511719), 91.79, 79.0, 68.27999991455079, 29.36666665649414),
    (284, ARCH_284, (86.05199997802734, 86.02000001464843, 86.06799999755859), 88.73, 80.25, 61.65999991455078, 33.93333337402344),
]


@pytest.mark.parametrize("index,arch,c10v,c10,c10_e100,c100,in16", TSS_200)
def test_tss_200_epoch_values_are_the_official_ones(tss, index, arch, c10v, c10, c10_e100, c100, in16):
    if arch is not None:
        assert tss.arch_strings[index] == arch and tss.row(arch) == index
    assert tss.seeds_of("cifar10-valid", "val_acc", 200) == (777, 888, 999)
    for seed, value in zip((777, 888, 999), c10v):
        assert tss.query(index, "cifar10-valid", "val_acc", 200, seed=seed) == value
    assert tss.query(index, "cifar10-valid", "val_acc", 200) == pytest.approx(sum(c10v) / 3, abs=1e-12)
    assert tss.query(index, "cifar10", "test_acc", 200, seed=777) == c10
    assert tss.query(index, "cifar10", "test_acc", 200, epoch=100, seed=888) == pytest.approx(c10_e100, rel=1e-6)
    assert tss.query(index, "cifar100", "test_acc", 200, seed=999) == c100
    assert tss.query(index, "ImageNet16-120", "val_acc", 200, seed=777) == in16
    # NATS reads CIFAR-10's validation accuracy from the cifar10-valid run
    assert tss.query(index, "cifar10", "val_acc", 200, seed=888) == c10v[1]


# (index, 12-epoch cifar10 ori-test seed 111, cifar10-valid x-valid seeds 111/777, per-epoch train time of
#  cifar10-valid (200-epoch total), cifar10 12-epoch total time, params (M), FLOPs (M), latency (s) for cifar10)
TSS_COSTS = [
    (0, 69.55, (64.01599998291016, 62.71199997802734), 1444.2185997962952, 173.30623197555542, 0.129306, 15.64737, 0.0139359758611311),
    (11, 74.0, (62.57999999267578, 63.975999975585935), 2492.411359151204, 299.08936309814453, 0.802426, 113.95137, 0.016163252947623268),
    (284, 79.46, (71.70799999023437, 74.04400000488282), 975.1588741938301, 117.01906490325929, 0.101306, 11.71521, 0.012457707472014846),
]


@pytest.mark.parametrize("index,c10_12,c10v_12,time_200,time_12,params,flops,latency", TSS_COSTS)
def test_tss_12_epoch_values_times_and_costs(tss, index, c10_12, c10v_12, time_200, time_12, params, flops, latency):
    assert tss.query(index, "cifar10", "test_acc", 12) == c10_12
    assert tss.seeds_of("cifar10-valid", "val_acc", 12) == (111, 777)
    assert [tss.query(index, "cifar10-valid", "val_acc", 12, seed=s) for s in (111, 777)] == list(c10v_12)
    assert tss.train_time(index, "cifar10-valid", 200) == pytest.approx(time_200, rel=1e-12)
    assert tss.train_time(index, "cifar10-valid", 200, epoch=50) == pytest.approx(time_200 / 4, rel=1e-6)
    assert tss.train_time(index, "cifar10", 12) == pytest.approx(time_12, rel=1e-12)
    # the cost of CIFAR-10 validation accuracy is the cifar10-valid run's time, as NATS' simulate_train_eval
    assert tss.train_time(index, "cifar10", 200, metric="val_acc") == pytest.approx(time_200, rel=1e-12)
    assert tss.costs(index, "cifar10") == {"params": round(params * 1e6), "flops": round(flops * 1e6),
                                           "latency_ms": pytest.approx(latency * 1000)}
    assert len(tss.curve(index, "cifar10", "test_acc", 200)) == 200


# (index, arch, 90-epoch cifar10 ori-test seed 777, cifar100 x-test, params (M), FLOPs (M), 12-epoch cifar10-valid
#  x-valid per seed 777/888/999, 1-epoch cifar10 ori-test)
SSS = [
    (0, "8:8:8:8:8", 79.79, 32.299999987792965, 0.011714, 4.481114, (66.60400000732422, 66.24800001708985, 66.58799997314453), 39.58),
    (11, "8:8:8:16:32", 85.77, 53.67999993286133, 0.049202, 6.84065, (74.21199997070312, 73.16400000488281, 72.93599998779297), 47.22),
    (284, "8:8:40:32:40", 89.51, 62.70000004882812, 0.144834, 21.827994, (79.34799998046876, 79.51999997314454, 79.07600000732423), 41.71),
]


@pytest.mark.parametrize("index,arch,c10,c100,params,flops,c10v_12,c10_1", SSS)
def test_sss_values_are_the_official_ones(sss, index, arch, c10, c100, params, flops, c10v_12, c10_1):
    assert sss.space_name == "nats_sss" and len(sss) == 32768
    assert sss.arch_strings[index] == arch
    assert sss.row((int(c) for c in arch.split(":")) and tuple(int(c) for c in arch.split(":"))) == index
    assert sss.query(arch, "cifar10", "test_acc", 90) == c10
    assert sss.query(arch, "cifar100", "test_acc", 90) == c100
    assert sss.costs(arch, "cifar10")["params"] == round(params * 1e6)
    assert sss.costs(arch, "cifar10")["flops"] == round(flops * 1e6)
    assert [sss.query(index, "cifar10-valid", "val_acc", 12, seed=s) for s in (777, 888, 999)] == list(c10v_12)
    assert sss.query(index, "cifar10", "test_acc", 1) == c10_1
    assert sss.epochs("cifar10", "test_acc") == [1, 12, 90]


def test_unknown_names_list_what_exists(tss):
    with pytest.raises(KeyError, match="datasets: ImageNet16-120, cifar10, cifar10-valid, cifar100"):
        tss.query(11, "cifar1000", "val_acc", 200)
    with pytest.raises(KeyError, match="metrics: .*test_acc.*val_acc"):
        tss.query(11, "cifar10", "val_accuracy", 200)
    with pytest.raises(KeyError, match=r"epochs: \[12, 200\]"):
        tss.query(11, "cifar10", "val_acc", 90)
    with pytest.raises(KeyError, match=r"give epochs= one of \[12, 200\]"):
        tss.query(11, "cifar10", "val_acc")
    with pytest.raises(KeyError, match="accepted 1..200"):
        tss.query(11, "cifar10", "test_acc", 200, epoch=201)
    with pytest.raises(KeyError, match="seeds: \\[777, 888, 999\\]"):
        tss.query(11, "cifar10", "test_acc", 200, seed=1)
    with pytest.raises(DataError, match=r"no record .* \(index 12\)"):
        tss.query(12, "cifar10", "test_acc", 200)  # the shared folder holds 3 of 15,625 archs
    with pytest.raises(OutOfSpaceError, match="unknown op"):
        tss.query("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|", "cifar10", "test_acc", 200)


def test_any_arch_form_finds_the_same_row(tss, nb201):
    arch = nb201.from_string(ARCH_11)
    assert tss.row(arch) == tss.row(list(arch)) == tss.row(ARCH_11) == tss.row(11) == 11
    assert tss.query(arch, "cifar10", "test_acc", 200, seed=777) == 91.79


@pytest.mark.slow
def test_csv_and_naslib_imports_agree_and_merge(nb201_table_path, tmp_path):
    zen = need(SHARED_DATA / "nb201" / "naslib_nb201_zen.zip", "NASLib Zen-NAS zip")
    zc = need(SHARED_DATA / "nb201" / "naslib_zc_nasbench201_725.json", "NASLib zero-cost JSON")
    csv = benchmarks.read_source(nb201_table_path)
    zen_table = benchmarks.read_source(zen)
    zc_table = benchmarks.read_source(zc)
    assert len(zen_table) == 15625 and len(zc_table) == 725
    # NASLib's 200-epoch CIFAR-10 validation accuracy is the CSV's (both come from NB201 v1_0), by arch text
    rows = [zen_table.row(s) for s in csv.arch_strings[:500]]
    np.testing.assert_allclose(zen_table.column("cifar10", "val_acc", 200)[rows], csv.column("cifar10", "val_acc", 200)[:500])
    # the first zero-cost record of the file: "(0, 2, 3, 2, 3, 1)" -> 86.06 %, 0.615386 M params, synflow 41.9487...
    first = "|skip_connect~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|nor_conv_1x1~1|none~2|"
    assert zc_table.query(first, "cifar10", "val_acc", 200) == 86.06
    assert zc_table.query(first, "cifar10", "params") == 615386
    assert zc_table.query(first, "cifar10", "zc_synflow") == pytest.approx(41.94876860937543)
    path = benchmarks.import_benchmark([nb201_table_path, zen, zc], dest=tmp_path / "all.wbench.npz")
    merged = compact.read(path)
    assert merged.arch_strings.tolist() == csv.arch_strings.tolist()  # official index order from the CSV
    assert merged.query(first, "cifar10", "zc_synflow") == pytest.approx(41.94876860937543)
    assert merged.query(first, "cifar10", "val_acc", 200) == csv.query(first, "cifar10", "val_acc", 200)
    assert merged.best("cifar10", "val_acc", 200) == csv.best("cifar10", "val_acc", 200)


def test_best_arch(nb201_table):
    arch, value = nb201_table.best("cifar10", "val_acc", 200)
    assert value == float(np.max(nb201_table.column("cifar10", "val_acc", 200)))
    assert nb201_table.query(arch, "cifar10", "val_acc", 200) == value
    assert nb201_table.best("cifar10", "val_acc", 200, mode="min")[1] == float(np.min(nb201_table.column("cifar10", "val_acc", 200)))


def test_tabular_estimator_on_the_compact_official_table(tss, nb201):
    est = estimators.create("tabular", space=nb201, benchmark=tss, dataset="cifar10", metric="val_acc", epochs=200)
    result = est.evaluate(ARCH_11)
    assert result.objective == pytest.approx((87.74800000488281 + 88.13199999511718 + 87.93999999511719) / 3)
    assert result.cost_s == pytest.approx(2492.411359151204)  # the cifar10-valid run's 200 epochs
    assert result.metrics["params"] == 802426 and result.metrics["test_acc@200"] == pytest.approx((91.79 + 91.6 + 91.49) / 3, abs=0.5)
    early = estimators.create("tabular", space=nb201, benchmark=tss, dataset="cifar10-valid", metric="val_acc",
                              epochs=200, epoch=20, seed=777)
    r = early.evaluate(ARCH_11)
    assert r.fidelity == 20 and r.cost_s == pytest.approx(2492.411359151204 / 10)
    assert r.objective == pytest.approx(tss.curve(ARCH_11, "cifar10-valid", "val_acc", 200, seed=777)[19])
    with pytest.raises(EvaluationError, match="no 'val_acc'"):  # that trial fails, not the run
        est.evaluate(nb201.from_string("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"))


def test_load_by_name_from_the_cache(tss, tmp_path, monkeypatch, nb201_table_path):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path))
    monkeypatch.delenv("WORKBENCH_NB201_TABLE", raising=False)
    with pytest.raises(DataError, match="workbench bench download nats-tss --allow-pickle"):
        benchmarks.load("nb201")
    benchmarks.import_benchmark([nb201_table_path])
    table = benchmarks.load("nb201")
    assert table.meta["source"].endswith("nb201.wbench.npz") and len(table) == 15625
    assert [i["name"] for i in benchmarks.installed()] == ["nb201"]
