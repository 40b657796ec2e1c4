"""nasviz's zero-cost figures, drawn from NASLib's real precomputed scores (no torch needed)."""
from __future__ import annotations

import numpy as np
import pytest

import nasviz
from tests.conftest import SHARED_DATA, need
from workbench.proxies.study import CorrelationStudy, correlate, naslib_scores


@pytest.fixture(scope="module")
def study():
    theirs = naslib_scores(need(SHARED_DATA / "nb201" / "naslib_zc_nasbench201_725.json", "NASLib zero-cost JSON"))
    archs = list(theirs)[:80]
    acc = np.array([theirs[a]["val_acc"] for a in archs])
    values = {n: np.array([theirs[a][n] for a in archs]) for n in ("synflow", "snip", "params")}
    rows = correlate(values, acc, seconds={"synflow": 0.2}, forward_backward_s=0.1, n_boot=100)
    return CorrelationStudy(rows, archs, values, acc, 0.1)


def test_scatter_carries_rho_and_every_arch(study):
    fig = nasviz.plot_proxy_scatter(study, "synflow")
    assert len(fig.data[0].x) == 80 and "Spearman rho" in fig.layout.title.text
    with pytest.raises(KeyError, match="synflow"):
        nasviz.plot_proxy_scatter(study, "zen")


def test_correlation_bars_with_intervals_and_published(study):
    fig = nasviz.plot_proxy_correlations(study)
    bars, published = fig.data
    assert set(bars.x) == {"synflow", "snip", "params"}
    assert all(v >= 0 for v in bars.error_y.array) and all(v >= 0 for v in bars.error_y.arrayminus)
    assert dict(zip(published.x, published.y))["synflow"] == 0.74
    assert study.rows[0].cost_ratio == pytest.approx(2.0)
    assert "published |rho|" in study.text() and nasviz.proxy_cost_table(study)[0]["x_forward_backward"] == 2.0
