"""Zero-cost warm-up and move proposal for re and reinforce, and the correlation study (small and fast:
the proxy is a tiny network's parameter count, or a plain callable)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from workbench import Run, searchers
from workbench.records import Result
from workbench.proxies import ProxyScorer

TINY = {"proxy": "params", "build": {"channels": 4, "cells_per_stage": 1}, "input_shape": [3, 8, 8]}


def _score(arch) -> float:
    """A plain scorer: how many convolutions the cell has."""
    return float(sum(op.startswith("nor_conv") for op in arch))


def _drive(searcher, n, start=0):
    out = []
    for i in range(n):
        arch = searcher.ask()
        out.append(searcher.space.to_string(arch))
        searcher.tell(arch, Result(objective=float((start + i) % 7)))
    return out


@pytest.mark.parametrize("name,top", [("re", 10), ("reinforce", 10)])
def test_warmup_proposes_the_proxys_best_first(name, top, nb201):
    s = searchers.create(name, space=nb201, seed=4, zero_cost={"warmup": 30}, scorer=_score)
    candidates = s.zero_cost.candidates()
    assert len({nb201.to_string(a) for a in candidates}) == 30
    best = sorted((_score(a) for a in candidates), reverse=True)[:top]
    asked = [s.ask() for _ in range(top)]
    assert [_score(a) for a in asked] == best
    assert s.options()["zero_cost"]["warmup"] == 30


def test_warmup_is_off_by_default_and_leaves_the_search_unchanged(nb201):
    plain = searchers.create("re", space=nb201, seed=2)
    assert plain.zero_cost is None and plain.options()["zero_cost"] is None
    assert "zero_cost" not in plain.state_dict()
    proposals = searchers.create("re", space=nb201, seed=2, zero_cost={"proposals": 4}, scorer=_score)
    a, b = _drive(plain, 10), _drive(proposals, 10)
    assert a == b  # no warm-up: the initial population is the same random draw
    child = proposals.ask()
    assert _score(child) >= 0


@pytest.mark.parametrize("name", ["re", "reinforce"])
def test_state_round_trip_mid_warmup_continues_identically(name, nb201):
    options = {"zero_cost": {**TINY, "warmup": 16, "top": 6, "proposals": 3}}
    original = searchers.create(name, space=nb201, seed=9, **options)
    _drive(original, 3)  # halfway through the warm-up
    state = json.loads(json.dumps(original.state_dict()))
    restored = searchers.create(name, space=nb201, seed=123, **options)
    restored.load_state_dict(state)
    assert _drive(restored, 12, start=3) == _drive(original, 12, start=3)
    rebuilt = searchers.create(name, space=nb201, **json.loads(json.dumps(original.options())))
    assert rebuilt.options() == original.options()


def test_bad_zero_cost_options_are_refused(nb201):
    from workbench import UnknownNameError

    with pytest.raises(ValueError, match="non-negative ints"):
        searchers.create("re", space=nb201, seed=0, zero_cost={"warmup": -1})
    with pytest.raises(UnknownNameError, match="synflow"):
        searchers.create("re", space=nb201, seed=0, zero_cost={"proxy": "synflo", "warmup": 3})


def test_run_records_the_warmup_in_the_store(nb201, nb201_table_path, store_path):
    from workbench.runs.store import Store

    zero_cost = {**TINY, "warmup": 12}
    run = Run(space="nb201", searcher="re", searcher_options={"zero_cost": zero_cost}, estimator="tabular",
              estimator_options={"benchmark": str(nb201_table_path)}, budget=12, seed=0, store=str(store_path))
    run.start()
    run.join()
    stored = Store(str(store_path)).run_info(run.id)["config"]
    assert stored["searcher"]["options"]["zero_cost"] == {**zero_cost, "top": 10, "proposals": 0}
    warm = ProxyScorer(nb201, "params", build=TINY["build"], input_shape=TINY["input_shape"])
    firsts = [warm(t.arch) for t in run.trials[:10]]
    assert firsts == sorted(firsts, reverse=True)


def test_correlation_study_and_warmup_comparison(nb201, nb201_table):
    from workbench import estimators
    from workbench.proxies.study import correlate, correlation_study, warmup_comparison

    rows = correlate({"good": [1, 2, 3, 4], "bad": [4, 3, 2, 1]}, [10, 20, 30, 40], n_boot=50)
    assert rows[0].spearman == pytest.approx(1.0) and rows[1].kendall == pytest.approx(-1.0)
    tab = estimators.create("tabular", space=nb201, benchmark=nb201_table)
    archs = [nb201.sample(np.random.default_rng(i)) for i in range(8)]
    seen = []
    study = correlation_study(nb201, lambda a: tab.evaluate(a).objective, archs, ["params", "naswot"],
                              scorer_options={"build": {"channels": 4, "cells_per_stage": 1}, "input_shape": (3, 8, 8),
                                              "batch_size": 8}, n_boot=50, on_arch=seen.append, every=4)
    assert len(seen) == 2 and len(study.archs) == 8 and [r.proxy for r in study.rows] == ["params", "naswot"]
    assert all(-1 <= r.spearman <= 1 and r.spearman_ci[0] <= r.spearman_ci[1] for r in study.rows)
    assert study.forward_backward_s > 0 and all(r.cost_ratio > 0 for r in study.rows)
    cmp = warmup_comparison(nb201, tab, seeds=range(3), evaluations=15, zero_cost={"warmup": 20}, scorer=_score)
    summary = {row["variant"]: row for row in cmp.summary()}
    assert summary["plain"]["seeds"] == summary["warmup"]["seeds"] == 3
    assert np.isfinite(summary["warmup"]["mean"])
