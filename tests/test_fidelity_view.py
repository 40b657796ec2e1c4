"""Ranking fidelity of supernets: ground truth cached in the store, per-epoch tau, and nasviz's figures and
live view of it."""
from __future__ import annotations

import numpy as np
import pytest

from workbench import Budget, Run, oneshot, spaces
from workbench.oneshot.fidelity import _estimator_options, epoch_fidelity, ground_truth, recipe_id, score_fidelity
from workbench.records import ArchDistribution

TRAIN = {"dataset": "digits", "epochs": 1, "data": {"limit": 80}, "build": {"channels": 2, "cells_per_stage": 1},
         "batch_size": 16}


def test_ground_truth_is_cached_in_the_store_per_recipe(store_path):
    space = spaces.create("nb201")
    archs = oneshot.create("rsps", space=space, probe_archs=3).probes()
    first = ground_truth(space, archs, estimator="train", estimator_options=TRAIN, store=store_path)
    assert list(first) == archs and all(0.0 <= v <= 100.0 for v in first.values())
    from workbench.runs.store import Store

    store = Store(store_path)
    est_options = _estimator_options(__import__("workbench").estimators.create("train", space=space, **TRAIN))
    run_id = recipe_id(space, "train", est_options)
    assert [t.arch for t in store.trials(run_id)] == archs
    # a second call evaluates nothing again (a broken estimator would fail if it did) and may extend the sample
    more = oneshot.create("rsps", space=space, probe_archs=4).probes()
    second = ground_truth(space, more, estimator="train", estimator_options=TRAIN, store=store_path)
    assert {a: second[a] for a in archs} == first and len(store.trials(run_id)) == 4
    assert store.run_info(run_id)["kind"] == "ground-truth"


def test_score_fidelity_uses_the_common_archs():
    truth = {"a": 10.0, "b": 20.0, "c": 30.0, "d": 40.0}
    f = score_fidelity({"a": 1.0, "b": 2.0, "c": 3.0, "x": 9.0}, truth, n_boot=50)
    assert f.n == 3 and f.kendall_tau == pytest.approx(1.0)
    with pytest.raises(ValueError, match="share 1 arch"):
        score_fidelity({"a": 1.0}, truth)


def test_figures_carry_the_numbers():
    import nasviz

    truth = {"a": 10.0, "b": 20.0, "c": 30.0}
    fig = nasviz.plot_fidelity({"SPOS": {"a": 1.0, "b": 3.0, "c": 2.0}, "FairNAS": {"a": 1.0, "b": 2.0, "c": 3.0}},
                               truth)
    assert [t.name for t in fig.data] == ["SPOS (tau +0.33)", "FairNAS (tau +1.00)"]
    assert list(fig.data[1].x) == [1.0, 2.0, 3.0] and list(fig.data[1].y) == [10.0, 20.0, 30.0]
    f = score_fidelity({"a": 1.0, "b": 2.0, "c": 3.0}, truth, n_boot=20)
    tau = nasviz.plot_tau_history({"FairNAS": [None, f]})
    assert list(tau.data[0].x) == [2] and list(tau.data[0].y) == [1.0]
    dist = ArchDistribution("counts", ("3x3", "5x5"), ("layer 0", "layer 1"), {"layers": [[3, 3], [2, 4]]},
                            "layers")
    heat = nasviz.plot_distribution(dist)
    assert np.asarray(heat.data[0].z).tolist() == [[3, 3], [2, 4]] and "trained" in heat.layout.title.text


@pytest.mark.slow
def test_live_view_follows_two_runs(store_path):
    import nasviz

    options = dict(data="digits", data_options={"limit": 120}, batch_size=16, channels=2, cells_per_stage=1,
                   batches_per_step=2, eval_examples=32, recal_batches=1, probe_archs=4, population=2,
                   generations=1, top_k=1)
    runs = {label: Run(space="nb201", strategy=name, strategy_options=options, budget=Budget(epochs=2), seed=0,
                       store=store_path) for label, name in (("SPOS", "spos"), ("FairNAS", "fairnas"))}
    probes = runs["SPOS"].strategy.probes()
    truth = {a: float(i) for i, a in enumerate(probes)}
    view = nasviz.FidelityView(runs, truth, interval_s=0.05)
    for run in runs.values():
        run.run()
    assert view.wait(20)
    assert [len(view.fidelities[label]) for label in runs] == [2, 2]
    assert len(view.scatter.data[0].x) == 4 and view.scatter.data[0].name.startswith("SPOS (tau")
    assert list(view.tau.data[1].x) == [1, 2]
    fair_counts = np.asarray(view.counts["FairNAS"].data[0].z)
    assert (fair_counts == fair_counts[0, 0]).all()  # FairNAS: flat
    assert [f.kendall_tau for f in epoch_fidelity(runs["SPOS"].epochs, truth, n_boot=10)] == \
        [f.kendall_tau for f in view.fidelities["SPOS"]]
    view.close()
