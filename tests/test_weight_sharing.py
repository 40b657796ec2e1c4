"""Single-path weight sharing: FairNAS' strict fairness (counted), SPOS' uniform sampling (chi-square),
searches with inherited weights (batch norms recalibrated, supernet state untouched, limits respected), and
the ``spos_chain`` space and supernet."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from workbench import Budget, Run, oneshot, spaces
from workbench.nn.supernet_eval import batch_norms, count_params_flops, inherited_accuracy
from workbench.oneshot.fairnas import fair_paths
from workbench.oneshot.spos import chi_square_uniformity

TINY = dict(data="digits", data_options={"limit": 240}, batch_size=16, channels=2, cells_per_stage=1,
            eval_examples=48, recal_batches=1)
SEARCH = dict(population=4, generations=2, top_k=2)


def test_fairnas_trains_every_choice_of_every_row_exactly_once_per_step():
    fair = oneshot.create("fairnas", space="nb201", batches_per_step=3, seed=0, **TINY, **SEARCH)
    fair._build()
    seen = []
    forward = fair.model_.forward

    def record(x, weights=None, index=None):
        seen.append({g: list(r) for g, r in index.items()})
        return forward(x, weights=weights, index=index)

    fair.model_.forward = record
    updates = []
    step = fair.weight_optimizer_.step
    fair.weight_optimizer_.step = lambda *a, **k: (updates.append(len(seen)), step(*a, **k))[1]
    report = fair.step()
    fair.model_.forward = forward
    m = len(fair.model_.ops)
    assert updates == [m, 2 * m, 3 * m]  # one update per step, after m paths
    for s in range(3):
        paths = seen[s * m: (s + 1) * m]
        counts = np.zeros((6, m), dtype=int)
        for path in paths:
            counts[np.arange(6), path["normal"]] += 1
        assert (counts == 1).all(), counts  # within the step: each op of each edge exactly once
    assert np.asarray(report.distribution.groups["normal"]).tolist() == [[3.0] * m] * 6
    assert report.distribution.kind == "counts"


def test_fair_paths_are_permutations():
    paths = fair_paths({"layers": 7}, 4, np.random.default_rng(1))
    assert len(paths) == 4
    for row in range(7):
        assert sorted(p["layers"][row] for p in paths) == [0, 1, 2, 3]


def test_spos_choice_counts_are_uniform_chi_square():
    """SPOS' uniform sampling: 2,000 sampled paths on NB201; Pearson's chi-square over 6 edges x 5 ops
    (24 degrees of freedom) stays below the 1 % critical value 42.98 at this fixed seed."""
    spos = oneshot.create("spos", space="nb201", seed=0, **TINY, **SEARCH)
    spos._build()
    for _ in range(2000):
        spos._count(spos._sample_index())
    counts = spos.counts_["normal"]
    assert counts.sum() == 2000 * 6
    stat, dof = chi_square_uniformity(counts)
    assert dof == 24 and stat < 42.98, stat
    # and it is a real test: a sampler favouring one op fails it
    skewed = counts.copy()
    skewed[:, 0] += 120
    assert chi_square_uniformity(skewed)[0] > 42.98


def test_inherited_accuracy_recalibrates_and_leaves_the_supernet_as_it_was():
    space = spaces.create("nb201")
    torch.manual_seed(0)
    net = space.supernet(3, 1, channels=4, cells_per_stage=1)
    x, y = torch.randn(40, 1, 8, 8), torch.randint(0, 3, (40,))
    net.train()
    net(x * 3 + 1, index=net.index_of(space.sample(np.random.default_rng(0))))  # stale running statistics
    before = {k: v.clone() for k, v in net.state_dict().items()}
    arch = space.sample(np.random.default_rng(1))
    a = inherited_accuracy(net, x, y, x_recal=x, recal_batch_size=8, forward={"index": net.index_of(arch)})
    assert 0.0 <= a <= 100.0 and net.training
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert all(m.momentum == 0.1 for m in batch_norms(net))
    # recalibration matters: with the stale statistics the same path scores differently
    net.eval()
    with torch.no_grad():
        stale = 100.0 * float((net(x, index=net.index_of(arch)).argmax(1) == y).float().mean())
    net.train()
    assert inherited_accuracy(net, x, y, x_recal=x, recal_batch_size=8, forward={"index": net.index_of(arch)}) == a
    assert isinstance(stale, float)


def test_search_respects_the_params_limit_and_derive_changes_nothing():
    free = oneshot.create("spos", space="nb201", batches_per_step=2, seed=0, **TINY, **SEARCH)
    free.step()
    costs = sorted(free.costs(a)["params"] for a, _ in free.search())
    limit = costs[len(costs) // 2]
    spos = oneshot.create("spos", space="nb201", batches_per_step=2, seed=0, max_params=limit, **TINY, **SEARCH)
    spos.step()
    ranked = spos.search()
    assert ranked and all(spos.costs(a)["params"] <= limit for a, _ in ranked)
    assert [f for _, f in ranked] == sorted((f for _, f in ranked), reverse=True)
    state = {k: v.clone() for k, v in spos.model_.state_dict().items()}
    rng_state = spos.rng_.bit_generator.state
    assert spos.derive() == spos.derive() == ranked[0][0]
    assert all(torch.equal(state[k], v) for k, v in spos.model_.state_dict().items())
    assert spos.rng_.bit_generator.state == rng_state
    with pytest.raises(ValueError, match="max_params must be a positive number"):
        oneshot.create("spos", space="nb201", max_params=-1)


def test_rsps_reports_probe_scores_and_rejects_bad_options():
    rsps = oneshot.create("rsps", space="nb201", batches_per_step=2, seed=0, search_samples=3, probe_archs=3, **TINY)
    report = rsps.step()
    assert len(report.scores) == 3 and set(report.scores) == set(rsps.probes())
    assert all(0.0 <= v <= 100.0 for v in report.scores.values())
    assert rsps.probes() == oneshot.create("rsps", space="nb201", seed=5, probe_archs=3).probes()  # fixed sample
    with pytest.raises(ValueError, match="search_samples must be a positive integer"):
        oneshot.create("rsps", space="nb201", search_samples=0)
    with pytest.raises(ValueError, match="FairNAS .* the 'darts' supernet's do not"):
        oneshot.create("fairnas", space="darts", seed=0, **TINY, **SEARCH).step()


# --- the spos_chain space ------------------------------------------------------------------------------
def test_spos_chain_builds_networks_and_a_supernet_whose_paths_match_them():
    space = spaces.create("spos_chain")
    assert space.size() == 4 ** 6 and space.ops == ("3x3", "5x5", "7x7", "xception")
    arch = ("3x3", "7x7", "xception", "5x5", "3x3", "xception")
    assert space.to_string(arch) == "3x3-7x7-xception-5x5-3x3-xception" and space.from_string(space.to_string(arch)) == arch
    torch.manual_seed(0)
    supernet = space.supernet(10, 1)
    net = space.build(arch, 10, 1)
    # copy the path's weights into the stand-alone network: the same function
    path = supernet.index_of(arch)["layers"]
    own = net.state_dict()
    for name, value in supernet.state_dict().items():
        if name.startswith("layers."):
            _, layer, k, rest = name.split(".", 3)
            if int(k) == path[int(layer)]:
                own[f"layers.{layer}.0.{rest}"] = value
        elif name != "alphas":
            own[name] = value
    net.load_state_dict(own)
    supernet.eval(), net.eval()
    x = torch.randn(3, 1, 28, 28)
    assert torch.allclose(supernet(x, index={"layers": path}), net(x), atol=1e-6)
    assert supernet.arch_of({"layers": path}) == arch
    costs = count_params_flops(net, (1, 28, 28))
    assert 0.0 < costs["params"] < 0.1 and 0.0 < costs["flops"] < 1.0
    assert space.derive({"layers": np.eye(4)[[0, 2, 3, 1, 0, 3]]}) == arch
    with pytest.raises(ValueError, match="stages must be"):
        spaces.create("spos_chain", stages=(0,))
    assert spaces.create("spos_chain", stages=[1, 1]).size() == 16


@pytest.mark.slow
def test_spos_searches_the_chain_on_fashion_mnist(fashion_mnist_dir):
    spos = oneshot.create("spos", space="spos_chain", data="fashion-mnist", data_options={"limit": 600},
                          batch_size=32, batches_per_step=4, seed=0, eval_examples=64, recal_batches=1, **SEARCH)
    report = spos.step()
    counts = np.asarray(report.distribution.groups["layers"])
    assert counts.shape == (6, 4) and counts.sum() == 4 * 6 and report.distribution.row_axis == "layers"
    assert spaces.create("spos_chain").validate(report.arch)


def test_a_run_with_an_estimator_estimates_each_derived_arch():
    """RSPS on the chain, derived archs estimated by the train estimator: ``derived_*`` metrics per epoch."""
    run = Run(space="spos_chain", strategy="rsps",
              strategy_options=dict(data="digits", data_options={"limit": 120}, batch_size=16, batches_per_step=2,
                                    channels=2, search_samples=2, eval_examples=32, recal_batches=1),
              estimator="train", estimator_options={"dataset": "digits", "epochs": 1, "data": {"limit": 120},
                                                    "build": {"channels": 2}},
              budget=Budget(epochs=2), seed=0).run()
    assert len(run.epochs) == 2
    assert all(0.0 <= e.metrics["derived_objective"] <= 100.0 for e in run.epochs)


# --- ENAS ----------------------------------------------------------------------------------------------
def _expected_reward(enas, x, y, n: int = 40) -> float:
    rng = np.random.default_rng(123)
    return float(np.mean([enas.reward(enas.sample_arch(rng), x, y) for _ in range(n)]))


@pytest.mark.slow
def test_enas_controller_expected_reward_rises():
    """On a tiny problem (a briefly trained NB201 supernet on digits, one held-out batch), REINFORCE steps
    raise the controller's expected reward (estimated from 40 samples before and after)."""
    enas = oneshot.create("enas", space="nb201", batches_per_step=8, seed=0, controller_steps=1, controller_lr=0.05,
                          derive_samples=0, **TINY)
    enas.step()
    x, y = enas.x_val_[:64], enas.y_val_[:64]
    before = _expected_reward(enas, x, y)
    for _ in range(60):
        enas.controller_step(x, y)
    after = _expected_reward(enas, x, y)
    rewards = [r for r, _, _ in enas.controller_history_]
    assert after > before + 0.05, (before, after)
    assert np.mean(rewards[-15:]) > np.mean(rewards[1:16])
    dist = enas.distribution()
    assert dist.kind == "probabilities" and np.allclose(np.nansum(np.asarray(dist.groups["controller"]), axis=1), 1.0)


def test_enas_runs_on_the_darts_space():
    enas = oneshot.create("enas", space="darts", batches_per_step=2, seed=0, controller_steps=2, derive_samples=1,
                          layers=2, **TINY)
    report = enas.step()
    space = spaces.create("darts")
    assert space.validate(report.arch) and report.metrics["controller_reward"] >= 0.0
    dist = report.distribution
    assert len(dist.rows) == len(space.decisions()) and "sep_conv_3x3" in dist.ops
