"""Conformance tests, parametrized over every registered space, searcher and estimator: a new entry is
tested the day it is registered."""
from __future__ import annotations

import json

import numpy as np
import pytest

from workbench import OutOfSpaceError, UnknownNameError, estimators, searchers, spaces
from workbench.estimators import Result

SPACES = spaces.names()
SEARCHERS = searchers.names()


@pytest.mark.parametrize("registry", [spaces, searchers, estimators])
def test_unknown_name_lists_the_valid_ones(registry):
    with pytest.raises(UnknownNameError) as err:
        registry.registry.create("no-such-thing")
    message = str(err.value)
    assert "no-such-thing" in message
    for name in registry.names():
        assert name in message


def test_typo_suggests_the_close_name():
    with pytest.raises(UnknownNameError, match="did you mean 'nb201'"):
        spaces.create("nb210")


# --- spaces ------------------------------------------------------------------------------------------
@pytest.fixture(params=SPACES)
def space(request):
    return spaces.create(request.param)


def test_space_text_round_trip_and_validate(space):
    rng = np.random.default_rng(0)
    for _ in range(20):
        arch = space.sample(rng)
        assert space.validate(arch) == arch
        text = space.to_string(arch)
        assert isinstance(text, str)
        assert space.from_string(text) == arch
        assert space.validate(text) == arch
        assert space.key(arch) == space.key(space.from_string(text))
        hash(arch)


def test_space_sample_is_seeded(space):
    a = [space.to_string(space.sample(np.random.default_rng(7))) for _ in range(3)]
    assert len(set(a)) == 1
    many = {space.to_string(space.sample(np.random.default_rng(s))) for s in range(30)}
    assert len(many) > 1


def test_space_mutate_and_neighbours(space):
    rng = np.random.default_rng(1)
    arch = space.sample(rng)
    for _ in range(10):
        child = space.mutate(arch, rng)
        assert space.validate(child) == child
        assert space.to_string(child) != space.to_string(arch)
    nbrs = space.neighbours(arch)
    assert nbrs, "a space must offer neighbours"
    texts = {space.to_string(n) for n in nbrs}
    assert space.to_string(arch) not in texts
    for n in nbrs[:20]:
        space.validate(n)


def test_space_graph_and_encoding(space):
    rng = np.random.default_rng(2)
    archs = [space.sample(rng) for _ in range(5)]
    lengths = set()
    for arch in archs:
        g = space.to_graph(arch)
        assert g.number_of_nodes() > 0 and g.number_of_edges() > 0
        assert all("op" in data for _, data in g.nodes(data=True))
        assert all("op" in data for _, _, data in g.edges(data=True))
        vec = space.encode(arch)
        assert vec.ndim == 1 and np.isfinite(vec).all()
        lengths.add(vec.shape[0])
    assert len(lengths) == 1, "encode() must give fixed-length vectors"


def test_space_rejects_garbage(space):
    for bad in ["", "garbage", "|x~0|", 42, None]:
        with pytest.raises(OutOfSpaceError) as err:
            space.validate(bad)
        assert str(err.value)


def test_space_decisions_round_trip(space):
    try:
        decisions = space.decisions()
    except NotImplementedError:
        pytest.skip(f"space {space.name!r} exposes no decision sequence")
    rng = np.random.default_rng(3)
    for _ in range(10):
        arch = space.sample(rng)
        choices = space.to_decisions(arch)
        assert len(choices) == len(decisions)
        assert all(0 <= c < len(options) for c, (_, options) in zip(choices, decisions))
        assert space.from_decisions(choices) == arch


# --- searchers ---------------------------------------------------------------------------------------
def _fake_result(space, arch) -> Result:
    """A deterministic objective: a fixed random projection of the arch's encoding (real values, no table)."""
    vec = space.encode(arch)
    weights = np.random.default_rng(123).normal(size=vec.shape[0])
    return Result(objective=float(vec @ weights), metrics={"score": float(vec @ weights)})


def _drive(searcher, n):
    out = []
    for _ in range(n):
        arch = searcher.ask()
        out.append(searcher.space.to_string(arch))
        searcher.tell(arch, _fake_result(searcher.space, arch))
    return out


@pytest.mark.parametrize("name", SEARCHERS)
def test_searcher_asks_valid_archs_and_is_seeded(name, nb201):
    a = _drive(searchers.create(name, space=nb201, seed=11), 30)
    b = _drive(searchers.create(name, space=nb201, seed=11), 30)
    c = _drive(searchers.create(name, space=nb201, seed=12), 30)
    assert a == b
    assert a != c
    for text in a:
        nb201.validate(text)


@pytest.mark.parametrize("name", SEARCHERS)
def test_searcher_constructor_only_stores(name, nb201):
    s = searchers.create(name, space=nb201, seed=5)
    assert s.seed == 5 and s.space is nb201
    assert s.num_told == 0
    assert name in repr(s) or type(s).__name__ in repr(s)


@pytest.mark.parametrize("name", SEARCHERS)
def test_searcher_state_dict_round_trip_continues_identically(name, nb201):
    original = searchers.create(name, space=nb201, seed=3)
    _drive(original, 25)
    state = json.loads(json.dumps(original.state_dict()))  # must be JSON-serialisable
    restored = searchers.create(name, space=nb201, seed=999)
    restored.load_state_dict(state)
    assert _drive(restored, 25) == _drive(original, 25)


# --- estimators --------------------------------------------------------------------------------------
def _estimator_cases(shared):
    """How to build each registered estimator for a conformance check: (space, options, arch)."""
    nb301 = shared / "nb301" / "model_v2.onnx"
    return {
        "tabular": ("nb201", {"benchmark": str(shared / "nb201" / "nb201_table.csv")}),
        "train": ("nb201", {"dataset": "digits", "epochs": 1, "build": {"channels": 4, "cells_per_stage": 1},
                            "data": {"limit": 200}, "device": "cpu"}),
        "surrogate": ("darts", {"model": str(nb301)}),
        "zerocost": ("nb201", {"proxy": {"synflow": 1.0, "params": 0.5}, "build": {"channels": 4, "cells_per_stage": 1},
                               "input_shape": [3, 8, 8], "reference": 3}),
        "params": ("mobilenet", {}),
        "flops": ("mobilenet", {}),
        "latency": ("mobilenet", {"cache": False, "warmup": 1, "repeats": 3}),
    }


@pytest.mark.parametrize("name", estimators.names())
def test_estimator_evaluates_a_sampled_arch(name, shared_data):
    cases = _estimator_cases(shared_data)
    assert name in cases, f"add a conformance case for the new estimator {name!r} in _estimator_cases"
    space_name, options = cases[name]
    space = spaces.create(space_name)
    est = estimators.create(name, space=space, **options)
    arch = space.sample(np.random.default_rng(0))
    result = est.evaluate(arch)
    assert isinstance(result, Result)
    assert np.isfinite(result.objective)
    assert result.cost_s >= 0
    again = est.evaluate(arch)
    assert again.objective == pytest.approx(result.objective), "the same arch must give the same result"
    json.dumps(est.options())
