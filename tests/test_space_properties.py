"""Property-based tests over every registered space (``spaces.names()``), with hypothesis.

For any input, every public parse or validate path (``from_string``, ``validate``, ``from_decisions``,
``from_code``) either returns a member of the space or raises ``OutOfSpaceError``, within ``TIME_BOUND``
seconds; every accepted text round-trips; ``sample``, ``mutate`` and ``neighbours`` stay in the space.

Inputs: arbitrary Unicode text (lone surrogates included), "token soups" built from the space's own texts
(split into tokens) plus hostile fragments, and valid texts with a few edits. ``GRAMMARS`` adds per-space
vocabulary; a space not listed there (a new one) is fuzzed with its own texts' tokens and the generic
fragments, so it is covered too.

The default profile is small and derandomized (seconds in CI); ``WORKBENCH_FUZZ=deep`` runs thousands of
examples per test with fresh randomness.
"""
from __future__ import annotations

import dataclasses
import os
import re
import time
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench import spaces
from workbench.errors import OutOfSpaceError

TIME_BOUND = 2.0  # seconds one parse may take, generously above the few milliseconds they do take

_COMMON = dict(deadline=None, database=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
settings.register_profile("workbench-ci", max_examples=20, derandomize=True, **_COMMON)
settings.register_profile("workbench-deep", max_examples=2500, derandomize=False, **_COMMON)
DEEP = os.environ.get("WORKBENCH_FUZZ", "").lower() == "deep"
PROFILE = settings.get_profile("workbench-deep" if DEEP else "workbench-ci")
SMALL = settings(PROFILE, max_examples=PROFILE.max_examples if DEEP else 8)  # for the slower properties

SPACE_NAMES = spaces.names()

# --- inputs ---------------------------------------------------------------------------------------------
FRAGMENTS = [
    "", " ", "\n", "\t", "\x00", "\ud800", "\udfff", "\u0663", "\u00e9", "\U0001f600", "\\", "'", '"', "-", "+",
    "~", "|", ":", ",", "=", "(", ")", "[", "]", "{", "}", "[" * 50, "]" * 50, "(" * 50, "{" * 50, "1" * 50,
    "9" * 400, "-1", "0", "1", "1.5", "1e400", "-0", "1_0", "+1", "NaN", "Infinity", "nan", "inf", "true", "false",
    "null", "None", "range(0, 100000000)", "range(2, 6)", "range(6, 2, -1)", "__import__('os')", "lambda: 0",
    "1+" * 20, "-" * 30,
]

#: per-space extra vocabulary (beyond the tokens of the space's own texts)
GRAMMARS: dict[str, list[str]] = {
    "nb201": ["|", "+", "~0", "~1", "~2", "~3", "none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3",
              "avg_pool_3x3"],
    "nats_sss": [":", "8", "16", "24", "32", "40", "48", "56", "64", "72", "0", "-8", " 8 "],
    "nb101": ['{"matrix": ', '"ops": ', '"input"', '"output"', '"conv3x3-bn-relu"', '"conv1x1-bn-relu"',
              '"maxpool3x3"', "[[0, 1], [0, 0]]", "0111010", "0000001", "0000000", "|", "input", "output",
              "conv3x3-bn-relu", "maxpool3x3", "(", ")", ", "],
    "darts": ["Genotype(", "normal=", "reduce=", "normal_concat=", "reduce_concat=", "[", "]", "(", ")", ", ",
              "'sep_conv_3x3'", "'skip_connect'", "'max_pool_3x3'", "'none'", "0", "1", "2", "5", "[2, 3, 4, 5]",
              "range(2, 6)", "range(", "('dil_conv_5x5', 2)"],
    "layers": ["conv", "pool", "fc", "3", "5", "8", "16", "32", "64", "-", "-s2", "+0", "+1", " | ", "conv3-16",
               "pool2-s2", "fc64", "conv5-32-s2+0"],
}

_SPACES: dict[str, Any] = {}


def space_of(name: str):
    if name not in _SPACES:
        _SPACES[name] = spaces.create(name)
    return _SPACES[name]


def vocabulary(name: str) -> list[str]:
    """Tokens of a few of the space's own texts, its grammar entry if any, and the hostile fragments."""
    space = space_of(name)
    rng = np.random.default_rng(0)
    own: set[str] = set()
    for _ in range(10):
        own.update(re.findall(r"\w+|\W", space.to_string(space.sample(rng))))
    return sorted(own) + GRAMMARS.get(name, []) + FRAGMENTS


def any_text() -> st.SearchStrategy[str]:
    """Arbitrary Unicode, lone surrogates included (hypothesis leaves them out by default)."""
    return st.text(st.characters(exclude_categories=()), max_size=300)


def token_soup(name: str) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(vocabulary(name)), max_size=60).map("".join)


@st.composite
def edited_text(draw, name: str) -> str:
    """A valid text of the space with a few edits: insert, delete, replace or repeat a piece."""
    space = space_of(name)
    text = space.to_string(space.sample(np.random.default_rng(draw(st.integers(0, 2**32 - 1)))))
    vocab = vocabulary(name)
    for _ in range(draw(st.integers(0, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 12)))
        piece = draw(st.sampled_from(vocab) | st.text(st.characters(exclude_categories=()), max_size=4))
        how = draw(st.sampled_from(["insert", "delete", "replace", "repeat"]))
        if how == "insert":
            text = text[:i] + piece + text[i:]
        elif how == "delete":
            text = text[:i] + text[j:]
        elif how == "replace":
            text = text[:i] + piece + text[j:]
        else:
            text = text[:i] + text[i:j] * draw(st.integers(2, 40)) + text[j:]
    return text


def texts(name: str) -> st.SearchStrategy[str]:
    return st.one_of(any_text(), token_soup(name), edited_text(name))


LEAVES = (st.none() | st.booleans() | st.integers() | st.integers(-3, 8) | st.floats() | any_text()
          | st.binary(max_size=8) | st.sampled_from([np.int64(1), np.float32(0.5), np.bool_(True), np.array([1, 2])]))


def objects() -> st.SearchStrategy[Any]:
    keys = st.sampled_from(["matrix", "ops", "normal", "reduce", "normal_concat", "reduce_concat"]) | st.text(max_size=6)
    return st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=8) | st.tuples(inner, inner)
                        | st.dictionaries(keys, inner, max_size=4), max_leaves=25)


@st.composite
def perturbed(draw, value: Any, depth: int = 0) -> Any:
    """``value`` (an arch) with one part replaced by junk, dropped or repeated, at any depth."""
    if depth > 4 or draw(st.integers(0, 4)) == 0:
        return draw(LEAVES | st.sampled_from(["none", "input", "conv3x3-bn-relu", "sep_conv_3x3", -1, 2, 10**30]))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = [f.name for f in dataclasses.fields(value)]
        field = draw(st.sampled_from(names))
        fields = {name: getattr(value, name) for name in names}
        fields[field] = draw(perturbed(fields[field], depth + 1))
        try:
            return type(value)(**fields)
        except OutOfSpaceError:  # the arch type checks its fields itself (NB101Arch): pass them as a tuple
            return tuple(fields.values())
    if isinstance(value, (tuple, list)) and value:
        items = list(value)
        i = draw(st.integers(0, len(items) - 1))
        how = draw(st.sampled_from(["replace", "drop", "repeat"]))
        if how == "replace":
            items[i] = draw(perturbed(items[i], depth + 1))
        elif how == "drop":
            del items[i]
        else:
            items.insert(i, items[i])
        if hasattr(value, "_fields") and len(items) == len(value):  # a namedtuple (Genotype) holding the junk as is
            return tuple.__new__(type(value), items)
        return tuple(items) if isinstance(value, tuple) else items
    return draw(LEAVES)


# --- checks ---------------------------------------------------------------------------------------------
def attempt(call: Callable[[], Any], what: str) -> tuple[bool, Any]:
    """Run ``call``: (True, result) or (False, the OutOfSpaceError); any other exception fails the test."""
    t0 = time.perf_counter()
    try:
        return True, call()
    except OutOfSpaceError as exc:
        assert len(str(exc)) < 1000, f"{what}: the message is {len(str(exc))} characters long"
        return False, exc
    finally:
        elapsed = time.perf_counter() - t0
        assert elapsed < TIME_BOUND, f"{what} took {elapsed:.2f} s (bound {TIME_BOUND} s)"


def assert_member(space, arch: Any, what: str) -> None:
    """``arch`` validates and its text round-trips to an equal arch with the same text."""
    ok, result = attempt(lambda: space.validate(arch), f"{what}: validate")
    assert ok, f"{what}: {arch!r} is not in the space: {result}"
    text = space.to_string(arch)
    again = space.from_string(text)
    assert again == space.validate(arch), f"{what}: {text!r} reads back as {again!r}"
    assert space.to_string(again) == text


def decisions_of(space) -> list | None:
    try:
        return space.decisions()
    except NotImplementedError:
        return None


# --- properties -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", SPACE_NAMES)
@PROFILE
@given(data=st.data())
def test_from_string_refuses_only_with_out_of_space_error_and_round_trips(name, data):
    space = space_of(name)
    text = data.draw(texts(name), label="text")
    ok, arch = attempt(lambda: space.from_string(text), f"{name}.from_string")
    if ok:
        assert_member(space, arch, f"{name}.from_string({text!r})")


@pytest.mark.parametrize("name", SPACE_NAMES)
@PROFILE
@given(data=st.data())
def test_validate_refuses_only_with_out_of_space_error(name, data):
    space = space_of(name)
    base = space.sample(np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed")))
    value = data.draw(st.one_of(objects(), texts(name), perturbed(base)), label="value")
    ok, arch = attempt(lambda: space.validate(value), f"{name}.validate")
    if ok:
        assert_member(space, arch, f"{name}.validate({value!r})")
        assert space.contains(value)
    else:
        assert not space.contains(value)


@pytest.mark.parametrize("name", SPACE_NAMES)
@PROFILE
@given(data=st.data())
def test_decisions_and_codes_refuse_only_with_out_of_space_error(name, data):
    space = space_of(name)
    decisions = decisions_of(space)
    if decisions is not None:
        valid = st.tuples(*[st.integers(0, len(options) - 1) for _, options in decisions]).map(list)
        junk = st.one_of(objects(), st.lists(LEAVES, min_size=len(decisions), max_size=len(decisions)),
                         valid.flatmap(lambda v: perturbed(v)))
        choices = data.draw(valid | junk, label="choices")
        ok, arch = attempt(lambda: space.from_decisions(choices), f"{name}.from_decisions")
        if ok:
            assert_member(space, arch, f"{name}.from_decisions({choices!r})")
            again = space.from_decisions(space.to_decisions(arch))
            assert space.key(again) == space.key(arch)
    if hasattr(space, "from_code") and space.size() is not None:
        size = space.size()
        code = data.draw(st.integers(0, size - 1) | st.integers() | LEAVES, label="code")
        ok, arch = attempt(lambda: space.from_code(code), f"{name}.from_code")
        if ok:
            assert_member(space, arch, f"{name}.from_code({code!r})")
            assert space.code(arch) == code


@pytest.mark.parametrize("name", SPACE_NAMES)
@SMALL
@given(seed=st.integers(0, 2**32 - 1))
def test_sample_mutate_and_neighbours_stay_in_the_space(name, seed):
    space = space_of(name)
    rng = np.random.default_rng(seed)
    arch = space.sample(rng)
    assert_member(space, arch, f"{name}.sample")
    child = space.mutate(arch, rng)
    assert_member(space, child, f"{name}.mutate")
    assert space.to_string(child) != space.to_string(arch), f"{name}.mutate returned its parent"
    neighbours = space.neighbours(arch)
    assert neighbours, f"{name}.neighbours is empty"
    for other in neighbours[:: max(1, len(neighbours) // 12)]:
        assert_member(space, other, f"{name}.neighbours")
        assert other != arch


def test_every_registered_space_is_fuzzed():
    """The tests above run over ``spaces.names()``; the built-in spaces also have their own vocabulary."""
    assert {"nb201", "nats_sss", "nb101", "darts", "layers"} <= set(SPACE_NAMES)
    assert set(GRAMMARS) <= set(SPACE_NAMES)
