"""The NB301 surrogate estimator (YAHPO Gym's ONNX model of NAS-Bench-301) on the real model file."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import SHARED_DATA, need
from workbench import estimators, spaces
from workbench.errors import DataError, OutOfSpaceError
from workbench.estimators.surrogate import CAT_NAMES, ENV_VAR, nb301_config
from workbench.spaces.darts import DARTS_V2

MODEL = SHARED_DATA / "nb301" / "model_v2.onnx"
# What model_v2.onnx returns for DARTS_V2 at epoch 98, computed once with onnxruntime 1.32 (x_cat built per
# YAHPO's encoding; the data README quotes "about 0.929").
DARTS_V2_VAL_ACC_98 = 0.9291009902954102
# DARTS_V2's x_cat row: the 28 edge codes (normal then reduce; 0 = unused edge) then the 6 input-pair codes
DARTS_V2_X_CAT = [5, 5, 5, 5, 0, 7, 5, 0, 0, 7, 0, 2, 0, 0, 4, 4, 0, 4, 7, 4, 0, 7, 0, 0, 4, 7, 0, 0, 1, 1, 2, 3, 2, 5]


@pytest.fixture(scope="module")
def surrogate():
    return estimators.create("surrogate", space="darts", model=need(MODEL, "YAHPO Gym's NB301 ONNX model"))


def test_darts_v2_at_epoch_98(surrogate):
    result = surrogate.evaluate(DARTS_V2)
    assert round(result.metrics["val_acc"] / 100, 3) == 0.929
    assert result.metrics["val_acc"] / 100 == pytest.approx(DARTS_V2_VAL_ACC_98, abs=1e-6)
    assert result.objective == result.metrics["val_acc"]
    assert result.fidelity == 98
    assert result.cost_s == result.metrics["runtime_s"] > 0
    assert 0 < result.metrics["val_loss"] < 1


def test_encoding_follows_yahpo(surrogate):
    assert surrogate.encode(DARTS_V2).tolist() == DARTS_V2_X_CAT
    config = nb301_config(DARTS_V2)
    assert config["NetworkSelectorDatasetInfo_COLON_darts_COLON_inputs_node_normal_5"] == "0_2"
    # reduce node 5 reads ('skip_connect', 2) and ('max_pool_3x3', 1): node 5's edges are 9..13 from nodes 0..4
    assert config["NetworkSelectorDatasetInfo_COLON_darts_COLON_edge_reduce_10"] == "max_pool_3x3"
    assert config["NetworkSelectorDatasetInfo_COLON_darts_COLON_edge_reduce_11"] == "skip_connect"
    assert "NetworkSelectorDatasetInfo_COLON_darts_COLON_edge_reduce_13" not in config
    assert len(CAT_NAMES) == 34


def test_epochs_and_batches(surrogate):
    space = spaces.create("darts")
    rng = np.random.default_rng(0)
    genotypes = [space.sample(rng) for _ in range(16)]
    batch = surrogate.evaluate_many(genotypes, epoch=98)
    single = [surrogate.evaluate(g) for g in genotypes[:3]]
    assert [r.objective for r in batch[:3]] == pytest.approx([r.objective for r in single], abs=1e-4)
    assert all(80 < r.objective < 100 for r in batch)
    early = surrogate.evaluate_many([DARTS_V2], epoch=1)[0]
    final = surrogate.evaluate(DARTS_V2)
    assert early.objective < final.objective - 20 and early.metrics["runtime_s"] < final.cost_s
    with pytest.raises(ValueError, match="1..98"):
        estimators.create("surrogate", space="darts", model=MODEL, epoch=99)


def test_malformed_genotypes_and_other_spaces(surrogate):
    with pytest.raises(OutOfSpaceError):
        surrogate.evaluate(DARTS_V2._replace(normal=[("none", 0)] + list(DARTS_V2.normal[1:])))
    with pytest.raises(OutOfSpaceError):
        surrogate.evaluate("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|")
    with pytest.raises(OutOfSpaceError, match="serves the darts space"):
        estimators.create("surrogate", space="nb201", model=MODEL)


def test_missing_model_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "absent.onnx"))
    with pytest.raises(DataError, match=f"{ENV_VAR}.*yahpo_data"):
        estimators.create("surrogate", space="darts")
    lonely = tmp_path / "model_v2.onnx"
    lonely.write_bytes(b"not onnx")
    with pytest.raises(DataError, match="no encoding_v2.json"):
        estimators.create("surrogate", space="darts", model=lonely)
    (tmp_path / "encoding_v2.json").write_text(json.dumps({name: {"#na#": 0} for name in CAT_NAMES}))
    broken = estimators.create("surrogate", space="darts", model=lonely)
    with pytest.raises(DataError, match="not a loadable ONNX model"):
        broken.predict([], epoch=98)


def test_env_var_names_the_model(monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(need(MODEL, "YAHPO Gym's NB301 ONNX model")))
    assert estimators.create("surrogate", space="darts").model_path == MODEL
