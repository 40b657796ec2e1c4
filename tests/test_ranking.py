"""Ranking fidelity: exact values on small literal inputs, and agreement with scipy on arbitrary ones."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench import ranking
from workbench.ranking import fidelity, kendall_tau, regret, spearman_rho, top_k_precision

stats = pytest.importorskip("scipy.stats", reason="scipy (a scikit-learn dependency) is the reference here")


def test_perfect_and_reversed_orders():
    truth = [1.0, 2.0, 3.0, 4.0]
    assert kendall_tau([10, 20, 30, 40], truth) == 1.0
    assert kendall_tau([40, 30, 20, 10], truth) == -1.0
    assert spearman_rho([10, 20, 30, 40], truth) == 1.0
    assert spearman_rho([40, 30, 20, 10], truth) == -1.0


def test_one_swap_of_five():
    # one discordant pair out of 10: tau = (9 - 1) / 10; rho = 1 - 6 * 2 / (5 * 24)
    assert kendall_tau([1, 2, 3, 5, 4], [1, 2, 3, 4, 5]) == pytest.approx(0.8)
    assert spearman_rho([1, 2, 3, 5, 4], [1, 2, 3, 4, 5]) == pytest.approx(0.9)


def test_ties_follow_tau_b():
    x, y = [1, 1, 2, 3], [1, 2, 2, 3]
    assert kendall_tau(x, y) == pytest.approx(stats.kendalltau(x, y).statistic)
    assert np.isnan(kendall_tau([1, 1, 1], [1, 2, 3]))


def test_top_k_and_regret():
    truth = np.array([70.0, 80.0, 90.0, 85.0, 60.0])
    scores = np.array([0.1, 0.3, 0.5, 0.2, 0.0])
    assert top_k_precision(scores, truth, 2) == 0.5  # picks {2, 1}; the true best two are {2, 3}
    assert top_k_precision(scores, truth, 5) == 1.0
    assert regret(scores, truth) == 0.0
    assert regret(-scores, truth) == pytest.approx(30.0)
    assert regret([1, 1, 0, 0, 0], truth) == pytest.approx(15.0)  # ties at the top: the expected regret


@pytest.mark.parametrize("bad", [dict(k=0), dict(k=6), dict(k=2.5)])
def test_bad_k_is_refused(bad):
    with pytest.raises(ValueError, match="k must be"):
        top_k_precision([1, 2, 3, 4, 5], [1, 2, 3, 4, 5], **bad)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="same length"):
        kendall_tau([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="finite"):
        spearman_rho([1, np.nan, 3], [1, 2, 3])
    with pytest.raises(ValueError, match="at least 2"):
        kendall_tau([1], [1])


def test_fidelity_is_seeded_and_brackets_the_point_estimate():
    rng = np.random.default_rng(0)
    truth = rng.normal(size=60)
    scores = truth + rng.normal(scale=0.8, size=60)
    a = fidelity(scores, truth, n_boot=300, seed=3)
    b = fidelity(scores, truth, n_boot=300, seed=3)
    assert a == b
    assert a.n == 60 and a.k == 6
    assert a.kendall_interval[0] < a.kendall_tau < a.kendall_interval[1]
    assert a.spearman_interval[0] < a.spearman_rho < a.spearman_interval[1]
    assert a.kendall_tau == pytest.approx(stats.kendalltau(scores, truth).statistic)


@pytest.mark.filterwarnings("ignore::scipy.stats.ConstantInputWarning", "ignore::RuntimeWarning")
@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(-5, 5), st.integers(-5, 5)), min_size=2, max_size=60))
def test_agrees_with_scipy_on_arbitrary_ties(pairs):
    x = np.array([p[0] for p in pairs], dtype=float)
    y = np.array([p[1] for p in pairs], dtype=float)
    ref_tau = stats.kendalltau(x, y).statistic
    ref_rho = stats.spearmanr(x, y).statistic
    ours_tau, ours_rho = kendall_tau(x, y), spearman_rho(x, y)
    if np.isnan(ref_tau):
        assert np.isnan(ours_tau)
    else:
        assert ours_tau == pytest.approx(ref_tau, abs=1e-12)
    if np.isnan(ref_rho):
        assert np.isnan(ours_rho)
    else:
        assert ours_rho == pytest.approx(ref_rho, abs=1e-12)


def test_inversion_count_on_a_large_permutation():
    rng = np.random.default_rng(1)
    perm = rng.permutation(3000)
    x = rng.normal(size=3000)
    assert kendall_tau(x, perm) == pytest.approx(stats.kendalltau(x, perm).statistic, abs=1e-12)
    assert ranking._inversions(np.arange(10)[::-1]) == 45
