"""Cost models: exact params/FLOPs without building, the latency table (cache, prediction error), constraints."""
from __future__ import annotations

import json

import numpy as np
import pytest

from workbench import costs, spaces


@pytest.fixture(scope="module")
def space():
    return spaces.create("mobilenet")


@pytest.fixture(scope="module")
def table(space, tmp_path_factory):
    # refresh: another test may have measured this fingerprint in memory already, without this cache folder
    return costs.LatencyTable.measure(space, device="cpu", warmup=1, repeats=5, refresh=True,
                                      cache=tmp_path_factory.mktemp("latency"))


@pytest.mark.slow
def test_analytic_costs_equal_the_counters(space):
    from workbench.nn.cost import count_flops, count_params

    rng = np.random.default_rng(5)
    for _ in range(1):
        arch = space.sample(rng)
        net = space.build(arch, num_classes=10, in_channels=3)
        assert space.costs(arch) == {"params": count_params(net), "flops": count_flops(net, (1, 3, 28, 28))}


def test_latency_table_is_cached_by_fingerprint(space, table):
    assert len(table) == 2 + 5 * 2 * 9 and all(v > 0 for v in table.entries.values())
    info = table.info
    assert info["device"] == "cpu" and info["torch"] and info["statistic"] == "median" and info["clock"] == "thread"
    costs._MEMO.clear()
    again = costs.LatencyTable.measure(space, device="cpu", warmup=1, repeats=5, cache=_cache_folder(table))
    assert again.entries == table.entries, "the second call must load the cached table, not measure anew"
    arch = space.sample(np.random.default_rng(0))
    assert again.predict_ms(arch) == pytest.approx(sum(table[k] for k in space.latency_keys(arch)))


def _cache_folder(table):
    return table.info["_cache_folder"]


@pytest.mark.slow
def test_prediction_is_close_to_measurement(table):
    from workbench.nn.latency import mape, prediction_vs_measurement

    rng = np.random.default_rng(1)
    pairs = prediction_vs_measurement(table, [table.space.sample(rng) for _ in range(5)], repeats=5)
    # loose: a shared, loaded machine; benchmarks/latency_table.py reports the figure on 50 networks
    assert mape(pairs) < 60, pairs


def test_constraint_rejects_and_explains(space, table):
    arch = space.sample(np.random.default_rng(2))
    c = costs.Constraint(space, max_params=space.costs(arch)["params"] - 1, max_latency_ms=1e9, table=table)
    assert not c.ok(arch) and "params" in c.violation(arch)
    json.dumps(c.options())
    with pytest.raises(ValueError, match="latency table"):
        costs.Constraint(space, max_latency_ms=1.0)
    with pytest.raises(ValueError, match="max_flops"):
        costs.Constraint(space, max_flops=-3)


@pytest.mark.parametrize("name", ["random", "re"])
def test_searchers_propose_only_archs_within_the_limits(name, space, table):
    from workbench import searchers
    from workbench.records import Result

    rng = np.random.default_rng(0)
    sample = [space.sample(rng) for _ in range(30)]
    params = sorted(space.costs(a)["params"] for a in sample)
    lat = sorted(table.predict_ms(a) for a in sample)
    limits = {"max_params": params[15], "max_latency_ms": lat[20]}
    s = searchers.create(name, space=space, seed=3, latency_table=table, **limits, population_size=5) if name == "re" \
        else searchers.create(name, space=space, seed=3, latency_table=table, **limits)
    for i in range(15):
        arch = s.ask()
        assert space.costs(arch)["params"] <= limits["max_params"]
        assert table.predict_ms(arch) <= limits["max_latency_ms"]
        s.tell(arch, Result(objective=float(i % 4)))
    assert s.options()["max_params"] == limits["max_params"]
    tight = searchers.create(name, space=space, seed=3, max_params=10)
    with pytest.raises(ValueError, match="max_params"):
        tight.ask()


def test_a_latency_table_file_is_read_or_refused_with_a_data_error(tmp_path):
    """Whatever a table file holds (a checkpoint's copy, a cache file), it becomes a table of finite
    milliseconds >= 0 or a DataError that names it; nothing else escapes."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from workbench.costs import LatencyTable
    from workbench.errors import DataError

    space = spaces.create("mobilenet")
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8))
    values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                           st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                          max_leaves=8)
    entries = st.dictionaries(st.text(max_size=10), st.one_of(st.floats(), st.integers(), scalars), max_size=4)
    documents = st.one_of(values, st.fixed_dictionaries({"entries": entries}, optional={"info": values}))
    path = tmp_path / "table.json"

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(documents, st.booleans())
    def check(document, garble):
        text = json.dumps(document, allow_nan=True)
        path.write_text(text[: len(text) // 2] if garble else text)
        try:
            table = LatencyTable.load(path, space)
        except DataError as exc:
            assert str(path) in str(exc)
            return
        assert all(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 and np.isfinite(v)
                   for v in table.entries.values())

    check()
