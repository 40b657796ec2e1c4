"""Study summaries in lockstep (``workbench.searchers._lockstep``) equal the ask/evaluate/tell loop's."""
from __future__ import annotations

import numpy as np
import pytest

from workbench import benchmarks, estimators, study
from workbench.runs.budget import Budget
from workbench.searchers import _lockstep
from workbench.searchers._draws import FastDraws


def _fields(summary) -> dict:
    out = dict(vars(summary))
    out.pop("wall_seconds")  # the engine's share of its time, not the loop's
    return out


def _same_as_the_loop(nb201, est, **kwargs) -> list:
    fast = study(space=nb201, estimator=est, record="summary", lockstep=True, **kwargs)
    loop = study(space=nb201, estimator=est, record="summary", lockstep=False, **kwargs)
    assert len(fast.summaries) == len(loop.summaries)
    for a, b in zip(fast.summaries, loop.summaries):
        assert _fields(a) == _fields(b)
    return fast.summaries


@pytest.fixture(scope="module")
def est(nb201, nb201_table):
    return estimators.create("tabular", space=nb201, benchmark=nb201_table)


@pytest.fixture(scope="module")
def timed_est(nb201, nb201_table):
    """A table with training times that differ from arch to arch (a seventh of them missing: those lookups
    charge ``cost_s``), so the simulated seconds are sums of unequal floats."""
    times = np.random.default_rng(5).uniform(500, 3000, len(nb201_table))
    times[::7] = np.nan
    table = benchmarks.Table(name="timed", space_name="nb201", arch_strings=nb201_table.arch_strings,
                             columns={**nb201_table.columns, "cifar10/train_time_s@200": times})
    return estimators.create("tabular", space=nb201, benchmark=table, cost_s=77.7)


def test_streams_draw_what_the_searchers_draws_draw(monkeypatch):
    """Bounded draws across searches equal each generator's own, through extensions of the raw words."""
    monkeypatch.setattr(_lockstep, "_CHUNK", 5)  # more words every few draws, the used ones dropped
    seeds = [0, 1, 7, 2**40 + 3]
    streams = _lockstep._Streams(seeds, 3)  # a few halves: most draws need more words
    refs = [FastDraws(np.random.default_rng(s)) for s in seeds]
    script = np.random.default_rng(9)
    for _ in range(400):
        rng = int(script.integers(0, 12))
        streams.ensure(1)
        got = streams.bounded(rng)
        assert got.tolist() == [int(r.integers(rng + 1)) for r in refs]


def test_rejected_draws_are_redrawn_search_by_search():
    """A Lemire rejection (a half of 0 for a range of 5) takes the next half, in that search only."""
    streams = _lockstep._Streams([3, 4], 8)
    halves = streams.halves.copy()
    halves[0, 1] = 0
    halves[0, 2] = 0  # rejected twice in a row
    halves[1, 0] = 0
    streams.halves = halves
    ref = []
    for row in halves.tolist():
        fd = FastDraws(np.random.default_rng(0))
        fd._live, fd._halves, fd._pos, fd._done, fd._prefix = True, [int(v) for v in row], 0, 0, 0
        ref.append([fd._bounded(4) for _ in range(4)])
    got = [streams.bounded(4).tolist() for _ in range(4)]
    assert [list(col) for col in zip(*got)] == ref
    assert streams.pos.tolist() == [6, 5]


@pytest.mark.parametrize("name, options, budget, trace", [
    ("re", {}, 200, True),
    ("re", {}, 120, False),
    ("re", {"population_size": 20, "sample_size": 5}, 150, True),
    ("re", {"population_size": 4, "sample_size": 4}, 60, True),   # a Floyd draw in 0..0 takes no word
    ("re", {"population_size": 1, "sample_size": 1}, 40, False),
    ("re", {"population_size": 50}, 30, True),                      # never leaves the random first generation
    ("random", {}, 150, True),
    ("random", {"unique": False}, 100, False),
])
def test_lockstep_equals_the_loop(nb201, est, name, options, budget, trace):
    out = _same_as_the_loop(nb201, est, searchers=[name], seeds=60, budget=budget, trace=trace,
                            searcher_options={name: options})
    assert all(s.evaluations == budget for s in out)
    assert (out[0].incumbents is not None) == trace


def test_lockstep_equals_the_loop_for_given_searcher_seeds(nb201, est, monkeypatch):
    # small batches of searches, few draws taken up front: batch ends and word extensions mid-search
    monkeypatch.setattr(_lockstep, "_BATCH", 7)
    monkeypatch.setattr(_lockstep, "_STEPS", 16)
    monkeypatch.setattr(_lockstep, "_CHUNK", 50)
    for root in (0, 11, 2026):
        seeds = [int(s) for s in np.random.SeedSequence(root).generate_state(25)]
        _same_as_the_loop(nb201, est, searchers=["random", "re"], seeds=range(25), searcher_seeds=seeds, budget=90,
                          trace=True)


@pytest.mark.parametrize("budget", [{"sim_seconds": 200000}, {"sim_seconds": 200000, "evaluations": 110},
                                    {"sim_seconds": 1500}])
def test_lockstep_stops_where_the_loop_stops_on_simulated_seconds(nb201, timed_est, budget):
    out = _same_as_the_loop(nb201, timed_est, searchers=["re", "random"], seeds=60, budget=budget, trace=True)
    evaluations = {s.evaluations for s in out}
    assert len(evaluations) > 1 or budget.get("evaluations") in evaluations


def test_lockstep_runs_where_it_applies_and_explains_where_not(nb201, est, nb201_table):
    assert isinstance(_lockstep.plan(nb201, "re", {}, est, Budget(evaluations=10)), _lockstep.Plan)
    assert isinstance(_lockstep.plan(nb201, "random", {}, est, Budget(evaluations=10)), _lockstep.Plan)
    delayed = estimators.create("tabular", space=nb201, benchmark=nb201_table, delay_s=1e-6)
    fidelity = estimators.create("tabular", space=nb201, benchmark=nb201_table, epochs=200, epoch=200)
    reasons = [
        _lockstep.plan(nb201, "re", {"zero_cost": {"proxy": "synflow"}}, est, Budget(evaluations=10)),
        _lockstep.plan(nb201, "re", {"max_params": 1.0}, est, Budget(evaluations=10)),
        _lockstep.plan(nb201, "random", {"unique": True}, est, Budget(evaluations=10)),
        _lockstep.plan(nb201, "reinforce", {}, est, Budget(evaluations=10)),
        _lockstep.plan(nb201, "re", {}, est, Budget(wall_seconds=10)),
        _lockstep.plan(nb201, "re", {}, est, Budget(sim_seconds=10)),  # no lookup charges seconds
        _lockstep.plan(nb201, "re", {}, delayed, Budget(evaluations=10)),
        _lockstep.plan(nb201, "re", {}, fidelity, Budget(evaluations=10)),
    ]
    assert all(isinstance(r, str) for r in reasons), reasons
    with pytest.raises(ValueError, match="no lockstep engine for searcher 'random'.*unique"):
        study(space=nb201, searchers=["random"], seeds=2, estimator=est, budget=5, record="summary",
              searcher_options={"random": {"unique": True}}, lockstep=True)
    with pytest.raises(ValueError, match="record"):
        study(space=nb201, searchers=["re"], seeds=1, estimator=est, budget=5, lockstep=True)
    with pytest.raises(ValueError, match="lockstep must be None .*got 'yes'"):
        study(space=nb201, searchers=["re"], seeds=1, estimator=est, budget=5, record="summary", lockstep="yes")


def _auto_equals_the_loop(nb201, est, **kwargs) -> list:
    auto = study(space=nb201, estimator=est, record="summary", **kwargs)
    loop = study(space=nb201, estimator=est, record="summary", lockstep=False, **kwargs)
    assert [_fields(a) for a in auto.summaries] == [_fields(b) for b in loop.summaries]
    return auto.summaries


def test_what_falls_back_gives_the_loops_summaries(nb201, est, nb201_table):
    delayed = estimators.create("tabular", space=nb201, benchmark=nb201_table, delay_s=1e-6)
    _auto_equals_the_loop(nb201, delayed, searchers=["re", "random"], seeds=4, budget=15, trace=True)
    _auto_equals_the_loop(nb201, est, searchers=["random"], seeds=4, budget=15,
                          searcher_options={"random": {"unique": True}})
    # a table lacking the objective for some archs: those trials fail in the loop, so the loop runs
    objective = np.array(nb201_table.column("cifar10", "val_acc", 200), dtype=np.float64)
    objective[::3] = np.nan
    holes = benchmarks.Table(name="holes", space_name="nb201", arch_strings=nb201_table.arch_strings,
                             columns={**nb201_table.columns, "cifar10/val_acc@200": objective})
    partial = estimators.create("tabular", space=nb201, benchmark=holes)
    assert isinstance(_lockstep.plan(nb201, "re", {}, partial, Budget(evaluations=10)), str)
    out = _auto_equals_the_loop(nb201, partial, searchers=["re"], seeds=4, budget=30)
    assert all(s.failed > 0 for s in out)


def test_progress_is_called_for_every_search(nb201, est):
    seen = []
    study(space=nb201, searchers=["re", "random"], seeds=3, estimator=est, budget=5, record="summary",
          progress=lambda done, total: seen.append((done, total)))
    assert seen == [(k, 6) for k in range(1, 7)]


def test_reproduction_searches_are_the_loops(nb201_table, monkeypatch):
    """``run_searches`` (the NB201 table reproduction) gives the same searches with and without the engine."""
    from workbench.reproductions import nb201_table as T

    fast = {m: T.run_searches(m, "cifar10", table=nb201_table, runs=30, seed=0, curves=True)
            for m in ("random", "re", "qlearning")}
    monkeypatch.setattr(_lockstep, "plan", lambda *args: "forced off")
    for method, a in fast.items():
        b = T.run_searches(method, "cifar10", table=nb201_table, runs=30, seed=0, curves=True)
        assert np.array_equal(a.rows, b.rows) and np.array_equal(a.val_acc, b.val_acc)
        assert np.array_equal(a.curves, b.curves)


# --- Q-learning (MetaQNN): random() takes whole words, integers(n) 32-bit halves with one buffered --------------
def test_words_serve_what_numpy_serves_on_mixed_calls(monkeypatch):
    """``_Words`` against numpy call by call: random(), integers(n) for some searches (per-search n, some of
    them large enough that Lemire rejects often), integers(n, size=k), through extensions of the raw words."""
    from workbench.searchers import _lockstep_q

    monkeypatch.setattr(_lockstep_q, "_CHUNK", 7)
    seeds = list(range(40)) + [2**40 + 3, 2**63 + 11]
    words = _lockstep_q._Words(seeds, 3)
    refs = [np.random.default_rng(s) for s in seeds]
    script = np.random.default_rng(1)
    n, rejecting = len(seeds), 3 * 2**30  # a quarter of its draws are rejected
    for step in range(2500):
        kind = int(script.integers(4))
        if kind == 0:
            assert words.random().tolist() == [r.random() for r in refs], step
        elif kind == 1:
            who = np.flatnonzero(script.random(n) < 0.6)
            excl = np.where(script.random(len(who)) < 0.1, rejecting, script.integers(2, 7, size=len(who)))
            if len(who):
                got = words.bounded(excl.astype(np.uint64), who)
                assert got.tolist() == [int(refs[s].integers(int(e))) for s, e in zip(who, excl)], step
        elif kind == 2:
            excl = rejecting if script.random() < 0.1 else int(script.integers(1, 130))
            k = int(script.integers(0, 60))
            assert words.bounded_many(excl, k).tolist() == [r.integers(excl, size=k).tolist() for r in refs], step
        else:
            words.skip_random()
            for r in refs:
                r.random()
    # and every generator ends where numpy's is: the next draws of each kind agree
    assert words.bounded_many(5, 3).tolist() == [r.integers(5, size=3).tolist() for r in refs]
    assert words.random().tolist() == [r.random() for r in refs]


@pytest.mark.parametrize("budget, options, trace", [
    (40, {"num_models": 40}, True),                  # as run_searches sets it: the whole schedule in 40 models
    (118, {"num_models": 118}, True),
    (30, {}, True),                                  # MetaQNN's 2,700 models: all at epsilon 1
    (50, {"num_models": 50, "replay_batch": 0}, True),
    (60, {"num_models": 45, "learning_rate": 0.3, "discount": 0.8, "q_init": 0.9, "replay_batch": 7,
          "reward_scale": 0.02, "schedule": [[1.0, 2], [0.5, 3], [0.0, 5]]}, True),  # greedy at the end
])
def test_lockstep_qlearning_equals_the_loop(nb201, est, budget, options, trace):
    assert isinstance(_lockstep.plan(nb201, "qlearning", options, est, Budget(evaluations=budget)), _lockstep.Plan)
    out = _same_as_the_loop(nb201, est, searchers=["qlearning"], seeds=30, budget=budget, trace=trace,
                            searcher_options={"qlearning": options})
    assert all(s.evaluations == budget for s in out)


def test_lockstep_qlearning_in_batches_with_few_words_and_on_simulated_seconds(nb201, est, timed_est, monkeypatch):
    from workbench.searchers import _lockstep_q

    monkeypatch.setattr(_lockstep, "_BATCH", 7)
    monkeypatch.setattr(_lockstep_q, "_STEPS", 4)
    monkeypatch.setattr(_lockstep_q, "_CHUNK", 30)
    _same_as_the_loop(nb201, est, searchers=["qlearning"], seeds=16, budget=25, trace=True,
                      searcher_options={"qlearning": {"num_models": 25}})
    out = _same_as_the_loop(nb201, timed_est, searchers=["qlearning"], seeds=16, trace=True,
                            budget={"sim_seconds": 30000, "evaluations": 40},
                            searcher_options={"qlearning": {"num_models": 30}})
    assert len({s.evaluations for s in out}) > 1


def test_qlearning_falls_back_where_the_engine_does_not_apply(nb201, est, nb201_table):
    reasons = [_lockstep.plan(nb201, "qlearning", {"learning_rate": 0.0}, est, Budget(evaluations=10)),
               _lockstep.plan(nb201, "qlearning", {"q_init": float("inf")}, est, Budget(evaluations=10)),
               _lockstep.plan(nb201, "qlearning", {"seed": 3}, est, Budget(evaluations=10)),
               _lockstep.plan(nb201, "qlearning", {}, est, Budget(wall_seconds=10))]
    assert all(isinstance(r, str) for r in reasons), reasons
    delayed = estimators.create("tabular", space=nb201, benchmark=nb201_table, delay_s=1e-6)
    _auto_equals_the_loop(nb201, delayed, searchers=["qlearning"], seeds=3, budget=12, trace=True,
                          searcher_options={"qlearning": {"num_models": 12}})
    with pytest.raises(ValueError, match="learning_rate"):  # the loop's own error
        study(space=nb201, searchers=["qlearning"], seeds=1, estimator=est, budget=5, record="summary",
              searcher_options={"qlearning": {"learning_rate": 0.0}})
