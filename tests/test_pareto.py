"""nasviz.plot_pareto: the front is the non-dominated set; each point carries its arch for the hover."""
from __future__ import annotations

import pytest

import nasviz
from nasviz._pareto import _get_pareto_info


def test_front_and_figure_data():
    records = [
        {"method": "ofa", "arch": "a", "val_acc": 80.0, "latency_ms": 3.0},
        {"method": "ofa", "arch": "b", "val_acc": 85.0, "latency_ms": 5.0},
        {"method": "proxyless", "arch": "c", "val_acc": 82.0, "latency_ms": 6.0},  # dominated by b
        {"method": "proxyless", "arch": "d", "val_acc": 90.0, "latency_ms": 9.0},
        {"method": "random", "arch": "e", "metrics": {"val_acc": 79.0, "latency_ms": 3.0}},  # dominated by a
        {"method": "random", "arch": "f", "val_acc": 99.0},  # no cost: left out
    ]
    info = _get_pareto_info(records)
    assert [p.arch for p in info.front] == ["a", "b", "d"]
    assert len(info.points) == 5
    fig = nasviz.plot_pareto(records)
    scatter = [t for t in fig.data if t.mode == "markers"]
    assert [t.name for t in scatter] == ["ofa", "proxyless", "random"]
    assert list(scatter[1].customdata) == ["c", "d"]
    front = [t for t in fig.data if t.mode == "lines"][0]
    assert list(front.x) == [3.0, 5.0, 9.0] and list(front.y) == [80.0, 85.0, 90.0]
    assert nasviz.plot_pareto(records, cost="latency_ms", log_x=False).layout.xaxis.type == "linear"


def test_bad_cost_and_empty_records_are_named():
    with pytest.raises(ValueError, match="accepted: latency_ms, flops, params"):
        nasviz.plot_pareto([], cost="energy")
    with pytest.raises(ValueError, match="'flops'"):
        nasviz.plot_pareto([{"val_acc": 1.0}], cost="flops")
