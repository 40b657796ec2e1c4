"""Issue 9, item 2: the reproducers. Every public parse or validate path of a space refuses bad input with
``OutOfSpaceError`` only, fast, naming the (shortened) bad value and what is accepted."""
from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest

from workbench import spaces
from workbench.errors import OutOfSpaceError
from workbench.spaces.darts import DARTS_V2, parse_genotype
from workbench.spaces.nb101 import from_naslib_key

V2 = repr(DARTS_V2)
NB101_JSON = '{"matrix": [[0, 1], [0, 0]], "ops": ["input", "output"]}'


def refused(space_name: str, method: str, value, *expected: str, seconds: float = 1.0) -> str:
    space = spaces.create(space_name)
    t0 = time.perf_counter()
    with pytest.raises(OutOfSpaceError) as err:
        getattr(space, method)(value)
    elapsed = time.perf_counter() - t0
    assert elapsed < seconds, f"{space_name}.{method} took {elapsed:.2f} s"
    message = str(err.value)
    assert len(message) < 600, message  # the bad value is shortened
    for part in expected:
        assert part in message, message
    return message


@pytest.mark.parametrize("space_name, text, expected", [
    ("darts", "\ud800", ["'\\ud800'", "lone surrogate"]),
    ("darts", "-" * 10001 + "1", ["10,002 characters", "at most 10,000"]),
    ("darts", "1+" * 10000 + "1", ["20,001 characters"]),
    ("darts", "1+" * 1000 + "1", ["does not parse", "'1+1+1+"]),
    ("darts", V2.replace("normal_concat=[2, 3, 4, 5]", "normal_concat=range(0, 100000000)"), ["at most 6 digits"]),
    ("darts", V2.replace("normal_concat=[2, 3, 4, 5]", "normal_concat=range(0, 999999)"),
     ["range(0, 999999) holds 999,999 numbers", "[2, 3, 4, 5]"]),
    ("darts", V2.replace("normal_concat=[2, 3, 4, 5]", "normal_concat=range(0, 6)"), ["normal_concat is [0, 1, 2, 3, 4, 5]"]),
    ("darts", V2[:-1] + ", reduce=[])", ["field 'reduce' is given twice"]),
    ("darts", V2.replace("reduce=", "normal="), ["field 'normal' is given twice"]),
    ("darts", "Genotype(" + "[" * 200 + "]" * 200 + ")", ["nesting deeper than 3"]),
    ("darts", "Genotype([], [], [], [], [])", ["more than 4 fields"]),
    ("darts", "Genotype(normal=[], [])", ["positional field after a keyword"]),
    ("darts", "Genotype(normal=[('sep_conv_3x3', 1.5)])", ["unexpected '.5"]),
    ("darts", "Genotype(normal=[('sep_conv_3x3', 0)], reduce=[]) junk", ["text after the closing"]),
    ("darts", "Genotype(normal=open('x'), reduce=[])", ["'open' is not a literal list"]),
    ("layers", "conv3-" + "1" * 5000, ["5,006 characters"]),
    ("layers", "conv3-" + "1" * 500, ["at most 6 digits", "'conv3-1111"]),
    ("layers", "conv\u0663-16", ["cannot read layer 'conv\u0663-16'"]),
    ("layers", "conv3-16 | " * 50, ["1..6 layers, got 51"]),
    ("nb101", '{"matrix": ' + "[" * 1000 + "]" * 1000 + ', "ops": []}', ["nested deeper than 3"]),
    ("nb101", '{"matrix": [[0, 1e400], [0, 0]], "ops": ["input", "output"]}', ["non-integer '1e400'"]),
    ("nb101", '{"matrix": [[0, 1.5], [0, 0]], "ops": ["input", "output"]}', ["non-integer '1.5'", "integers 0 and 1"]),
    ("nb101", '{"matrix": [[0, true], [0, 0]], "ops": ["input", "output"]}', ["entry [0][1] is True (bool)"]),
    ("nb101", '{"matrix": [[0, NaN], [0, 0]], "ops": ["input", "output"]}', ["non-number 'NaN'"]),
    ("nb101", '{"matrix": [[0, ' + "1" * 5000 + '], [0, 0]], "ops": ["input", "output"]}', ["more than 6 digits"]),
    ("nb101", NB101_JSON[:-1] + ', "ops": []}', ["key 'ops' appears twice"]),
    ("nb101", NB101_JSON[:-1] + ', "extra": 1}', ["exactly the keys 'matrix' and 'ops'"]),
    ("nb101", "(" + ", ".join(["1_0"] * 56) + ")", ["V*V + V integers"]),
    ("nb101", "\ud800", ["lone surrogate"]),
    ("nb201", "\ud800", ["lone surrogate"]),
    ("nb201", "|" * 100_000, ["100,000 characters"]),
    ("nats_sss", "8:8:8:8:+16", ["part '+16' is not an integer", "[8, 16, 24"]),
    ("nats_sss", "8:8:8:8:" + "1" * 5000, ["at most 1,000 are read"]),
    ("nats_sss", "8:8:8:8:\u0661\u0666", ["is not an integer"]),
])
def test_text_reproducers(space_name, text, expected):
    refused(space_name, "from_string", text, *expected)


def test_the_darts_range_bomb_is_refused_fast_and_small():
    text = V2.replace("normal_concat=[2, 3, 4, 5]", "normal_concat=range(0, 100000000)")
    refused("darts", "from_string", text, seconds=0.2)
    tracemalloc.start()
    try:
        for bomb in (text, V2.replace("normal_concat=[2, 3, 4, 5]", "normal_concat=range(0, 999999)"),
                     "Genotype(" + "[" * 4000 + "]" * 4000 + ")", '{"matrix": ' + "[" * 4000 + "]" * 4000 + "}"):
            for name in ("darts", "nb101"):
                with pytest.raises(OutOfSpaceError):
                    spaces.create(name).from_string(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000, f"refusing the bombs took {peak / 1e6:.1f} MB"
    with pytest.raises(OutOfSpaceError):
        spaces.create("darts").validate({"normal": DARTS_V2.normal, "reduce": DARTS_V2.reduce,
                                         "normal_concat": range(0, 100_000_000)})


def test_darts_accepts_the_published_forms():
    darts = spaces.create("darts")
    assert darts.from_string(V2) == DARTS_V2
    ranged = V2.replace("[2, 3, 4, 5]", "range(2, 6)")
    assert darts.from_string(ranged) == DARTS_V2
    positional = f"Genotype({list(DARTS_V2.normal)}, [2, 3, 4, 5], {list(DARTS_V2.reduce)}, range(2, 6))"
    assert darts.from_string(positional) == DARTS_V2
    assert darts.from_string("genotypes." + V2.replace("'", '"').replace(")]", "),]")) == DARTS_V2
    assert parse_genotype(V2) == DARTS_V2


NB201_OPS = "none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3"


@pytest.mark.parametrize("space_name, method, value, expected", [
    # from_code: integers only, in range
    ("nb201", "from_code", 1.5, ["an integer in 0..15624", "float"]),
    ("nb201", "from_code", float("nan"), ["an integer"]),
    ("nb201", "from_code", float("inf"), ["an integer"]),
    ("nb201", "from_code", "12", ["an integer", "str"]),
    ("nb201", "from_code", True, ["an integer", "bool"]),
    ("nb201", "from_code", 10**400, ["out of range", "0..15624"]),
    ("nb201", "from_code", -1, ["out of range"]),
    ("nats_sss", "from_code", 2.0, ["an integer in 0..32767"]),
    ("nats_sss", "from_code", None, ["an integer"]),
    # from_decisions: a list of the right length of in-range integers
    ("nb201", "from_decisions", [0, 1, 2, 3, 4, -1], ["out of range", "0..4"]),
    ("nb201", "from_decisions", [0, 1, 2, 3, 4, 1.5], ["an integer", "1.5"]),
    ("nb201", "from_decisions", "012340", ["a list of 6 integers", "str"]),
    ("nb201", "from_decisions", None, ["a list of 6 integers"]),
    ("nb201", "from_decisions", [0] * 10**6, ["needs 6 decisions, got 1,000,000"]),
    ("nats_sss", "from_decisions", [0, 1, 2, 3, float("inf")], ["an integer"]),
    ("nb101", "from_decisions", [2] + [0] * 25, ["edge decision 0", "0..1"]),
    ("nb101", "from_decisions", [0] * 21 + [0, 0, 0, 0, 7], ["op decision 4", "0..2"]),
    ("darts", "from_decisions", [0] * 23 + ["a"], ["op b", "str"]),
    ("darts", "from_decisions", np.zeros((2, 24), dtype=int), ["decisions are a list"]),
    ("layers", "from_decisions", [10**100] * 3, ["needs"]),
    # validate: any Python value
    ("nb201", "validate", ([],) * 6, ["unknown NB201 op []", NB201_OPS]),
    ("nb201", "validate", [[1]] * 6, ["unknown NB201 op [1]"]),
    ("nb201", "validate", ("none",) * 10**6, ["has 6 ops", "1,000,000"]),
    ("nb201", "validate", 3.5, ["an arch string or a tuple"]),
    ("nats_sss", "validate", (8, 8, 8, 8, 8.0), ["has 8.0 channels"]),
    ("nats_sss", "validate", (8, 8, 8, 8, True), ["has True channels"]),
    ("nb101", "validate", {"matrix": [[0, 1.5], [0, 0]], "ops": ["input", "output"]}, ["entry [0][1] is 1.5"]),
    ("nb101", "validate", ([[0, 1], [0, 0]], "input"), ["ops must be a list"]),
    ("nb101", "validate", (np.array([[0, 1], [0, 0]], dtype=float), ["input", "output"]), ["float64 array"]),
    ("nb101", "validate", ([[0] * 100] * 100, ["input"] * 100), ["at most 32 rows"]),
    ("nb101", "validate", {"matrix": [[0, 1], [0, 0]], "ops": ["input", "output"], "x": 1}, ["a dict with"]),
    ("darts", "validate", {"normal": DARTS_V2.normal, "reduce": DARTS_V2.reduce, "x": 1}, ["keys normal"]),
    ("darts", "validate", DARTS_V2._replace(normal=[(np.array([1, 2]), 0)] * 8), ["unknown op array"]),
    ("darts", "validate", DARTS_V2._replace(normal_concat=[np.array([2, 3])] * 4), ["normal_concat is"]),
    ("darts", "validate", DARTS_V2._replace(normal_concat=[2.0, 3, 4, 5]), ["normal_concat is [2.0"]),
    ("darts", "validate", DARTS_V2._replace(normal=[("sep_conv_3x3", 0.0)] * 8), ["0.0) feeds node 2"]),
    ("darts", "validate", (1, 2, 3, 4), ["normal must be a list, got int"]),
    ("layers", "validate", [None], ["layer 0 is not a Layer value"]),
])
def test_other_parse_paths(space_name, method, value, expected):
    refused(space_name, method, value, *expected)


def test_layers_fields_of_the_wrong_type_are_refused():
    from workbench.spaces.layers import Layer

    for bad in (Layer("conv", kernel="3", filters=8), Layer("conv", kernel=3, filters=8, stride=2.0),
                Layer("conv", kernel=3, filters=8, skips=([],)), Layer(["conv"]), Layer("conv", kernel=10**100, filters=8)):
        refused("layers", "validate", (Layer("conv", kernel=3, filters=8),) * 2 + (bad,), "layer 2")


def test_naslib_keys_are_strict():
    arch = from_naslib_key("(" + ", ".join(["0"] * 49 + ["0", "4", "4", "4", "4", "4", "1"]) + ")")
    assert arch.ops[0] == "input"
    for bad in ("(" + ", ".join(["+1"] * 56) + ")", [1.5] * 56, [True] * 56, "[" + "1," * 5000 + "]", None):
        with pytest.raises(OutOfSpaceError, match="NASLib key"):
            from_naslib_key(bad)
