"""Zero-cost proxies: determinism, no side effects, official parameter and FLOP counts, NASLib agreement,
the zerocost estimator and the vote. Networks are tiny except where the official counts need the real size."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tests.conftest import SHARED_DATA, need
from workbench import estimators, proxies
from workbench.proxies import ProxyScorer, Vote

SMALL = {"channels": 4, "cells_per_stage": 1}
SHAPE = (3, 8, 8)
ARCH_11 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|"
ARCH_284 = "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|none~0|nor_conv_1x1~1|none~2|"


@pytest.fixture(scope="module")
def small_batch():
    return proxies.batch("digits", 8, seed=0, shape=SHAPE)


def test_registry_lists_the_ten_proxies():
    assert proxies.names() == ["fisher", "flops", "grad_norm", "grasp", "jacob_cov", "naswot", "params", "snip",
                               "synflow", "zen"]
    for name in proxies.names():
        assert proxies.registry.get(name).__doc__, f"{name} needs a docstring"
        module = __import__(f"workbench.proxies.{name}", fromlist=["x"])
        assert "20" in module.__doc__, f"{name}'s module docstring must cite its paper"


# flops' first use of torch.utils.flop_counter imports torch._dynamo (seconds): the flops tests are slow
FAST_OR_SLOW = [pytest.param(n, marks=pytest.mark.slow) if n == "flops" else n for n in proxies.names()]


@pytest.mark.parametrize("name", FAST_OR_SLOW)
def test_proxy_is_finite_deterministic_and_leaves_the_network_alone(name, nb201, small_batch):
    scorer = ProxyScorer(nb201, name, input_shape=SHAPE, build=SMALL)
    net = scorer.network(ARCH_11)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    rng_state = torch.get_rng_state()
    first = proxies.compute(name, net, small_batch, seed=3)
    second = proxies.compute(name, net, small_batch, seed=3)
    assert np.isfinite(first) and first == second
    assert torch.equal(torch.get_rng_state(), rng_state), "a proxy must not touch the global generator"
    after = net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before), "a proxy must not change the caller's network"
    assert all(p.grad is None for p in net.parameters())
    assert next(net.parameters()).dtype == torch.float32


def test_seeded_network_and_batch(nb201):
    a = ProxyScorer(nb201, "snip", input_shape=SHAPE, build=SMALL, batch_size=8, seed=1)
    b = ProxyScorer(nb201, "snip", input_shape=SHAPE, build=SMALL, batch_size=8, seed=1)
    c = ProxyScorer(nb201, "snip", input_shape=SHAPE, build=SMALL, batch_size=8, seed=2)
    assert a(ARCH_11) == b(ARCH_11) != c(ARCH_11)
    assert torch.equal(a.batch()[0], b.batch()[0]) and not torch.equal(a.batch()[0], c.batch()[0])
    assert a.batch()[0].shape == (8, *SHAPE)
    z = [proxies.compute("zen", a.network(ARCH_11), a.batch(), seed=s) for s in (0, 0, 1)]
    assert z[0] == z[1] != z[2]


# --- official counts ------------------------------------------------------------------------------------
# (index, arch, official params) from the NATS topology files (see test_benchmarks_nb201.TSS_COSTS)
@pytest.fixture(scope="module")
def tss(tmp_path_factory):
    from workbench import benchmarks
    from workbench.benchmarks import compact

    folder = need(SHARED_DATA / "nb201" / "nats_official_format" / "NATS-tss-v1_0-3ffb9-simple",
                  "official NATS tss files")
    path = benchmarks.import_benchmark([folder], dest=tmp_path_factory.mktemp("b") / "nb201.wbench.npz",
                                       allow_pickle=True)
    return compact.read(path)


@pytest.mark.slow
@pytest.mark.parametrize("index", [0, 11, 284])
def test_params_and_flops_match_the_official_nats_files(tss, nb201, index):
    arch = tss.arch_strings[index]
    official = tss.costs(index, "cifar10")
    scorer = ProxyScorer(nb201, {"params": 1.0, "flops": 1.0}, reference={"params": (0, 1), "flops": (0, 1)})
    values = scorer.values(arch)
    assert values["params"] == official["params"]  # the full-size network: no forward pass needed
    assert values["flops"] == pytest.approx(official["flops"], rel=0.01)


@pytest.mark.slow
def test_params_match_naslib_and_data_free_proxies_rank_like_naslib(nb201):
    from workbench import ranking
    from workbench.proxies.study import naslib_scores

    theirs = naslib_scores(need(SHARED_DATA / "nb201" / "naslib_zc_nasbench201_725.json", "NASLib zero-cost JSON"))
    archs = list(theirs)[:10]  # the full comparison (300 cells) is in benchmarks/RESULTS.md
    scorer = ProxyScorer(nb201, {"synflow": 1.0, "params": 1.0, "flops": 1.0}, reference=1)
    ours = [scorer.values(a) for a in archs]
    assert [round(o["params"]) for o in ours] == [round(theirs[a]["params"] * 1e6) for a in archs]
    for name in ("synflow", "params", "flops"):
        rho = ranking.spearman_rho(np.array([o[name] for o in ours]), np.array([theirs[a][name] for a in archs]))
        print(f"{name}: Spearman rho between our scores and NASLib's on {len(archs)} cells: {rho:.3f}")
        assert rho >= 0.95, f"{name}: Spearman rho with NASLib {rho:.3f} on {len(archs)} cells"


# --- vote and estimator ------------------------------------------------------------------------------------
def test_vote_is_scale_free_and_order_independent():
    vote = Vote.from_samples({"a": 1.0, "b": 1.0}, {"a": [1e10, 1e20, 1e30], "b": [-3.0, -2.0, -1.0]})
    only_a = Vote.from_samples({"a": 1.0}, {"a": [1e10, 1e20, 1e30]})
    assert only_a({"a": 1e20}) == pytest.approx(0.0, abs=1e-9)  # the reference's mean on the log scale
    assert vote({"a": 1e30, "b": -1.0}) > vote({"a": 1e10, "b": -3.0})
    flipped = Vote(dict(a=-1.0), vote.reference)
    assert flipped({"a": 1e30}) == -Vote(dict(a=1.0), vote.reference)({"a": 1e30})
    with pytest.raises(ValueError, match="reference lacks"):
        Vote({"c": 1.0}, vote.reference)


def test_zerocost_estimator_reports_raw_values_and_measured_cost(nb201):
    est = estimators.create("zerocost", space=nb201, proxy={"synflow": 1.0, "naswot": 2.0}, build=SMALL,
                            input_shape=SHAPE, batch_size=8, reference=4)
    result = est.evaluate(ARCH_284)
    assert set(result.metrics) == {"synflow", "naswot", "vote"}
    assert result.objective == result.metrics["vote"] and result.cost_s > 0
    assert est.evaluate(ARCH_11).objective != result.objective
    single = estimators.create("zerocost", space=nb201, proxy="params", build=SMALL, input_shape=SHAPE)
    assert single.evaluate(ARCH_284).objective == single.evaluate(ARCH_284).metrics["params"] > 0
    options = json.loads(json.dumps(est.options()))
    assert options["proxy"] == {"synflow": 1.0, "naswot": 2.0}
    rebuilt = estimators.create("zerocost", space=nb201, **options)
    assert rebuilt.evaluate(ARCH_11).objective == est.evaluate(ARCH_11).objective


def test_bad_proxy_names_and_weights_are_refused(nb201):
    from workbench import UnknownNameError

    with pytest.raises(UnknownNameError, match="synflow"):
        ProxyScorer(nb201, "synflw")
    with pytest.raises(ValueError, match="weight of proxy 'snip'"):
        ProxyScorer(nb201, {"snip": "high"})
    with pytest.raises(ValueError, match="batch size"):
        proxies.batch("digits", 0)


@pytest.mark.slow
def test_data_dependent_proxies_reported_against_naslib(nb201, capsys):
    """NASLib used a CIFAR-10 batch; ours is digits (always at hand) resized to 3 x 32 x 32, 16 images, on the
    first 5 cells of their file: the rho is reported, not held to a bar (the 30-cell comparison with a
    Fashion-MNIST batch of 64 is in benchmarks/RESULTS.md)."""
    from workbench import ranking
    from workbench.proxies.study import naslib_scores

    theirs = naslib_scores(need(SHARED_DATA / "nb201" / "naslib_zc_nasbench201_725.json", "NASLib zero-cost JSON"))
    archs = list(theirs)[:5]
    shared = ["snip", "grasp", "fisher", "grad_norm", "jacob_cov", "naswot"]
    scorer = ProxyScorer(nb201, {n: 1.0 for n in shared}, dataset="digits", batch_size=16, reference=1)
    ours = [scorer.values(a) for a in archs]
    for name in shared:
        rho = ranking.spearman_rho(np.array([o[name] for o in ours]), np.array([theirs[a][name] for a in archs]))
        with capsys.disabled():
            print(f"\n{name}: Spearman rho between our scores (digits batch) and NASLib's (CIFAR-10) on 5 cells: {rho:+.2f}")
        assert -1.0 <= rho <= 1.0
