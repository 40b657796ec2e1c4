"""One options protocol on every component, parametrized over every registry: ``options()`` is JSON-able,
names every constructor keyword, and ``create(name, **obj.options())`` rebuilds an equal component.
Registry entries say which spaces they serve."""
from __future__ import annotations

import inspect
import json

import pytest

from workbench import estimators, oneshot, searchers, spaces
from workbench.errors import DataError, UnknownNameError
from workbench.registry import Registry

from tests.conftest import SHARED_DATA

NB301_MODEL = SHARED_DATA / "nb301" / "model_v2.onnx"


def _check(component, rebuild, factory, skip=("space",)):
    options = component.options()
    json.dumps(options)  # recorded in the store as JSON
    accepted = [p.name for p in inspect.signature(factory).parameters.values()
                if p.kind is p.KEYWORD_ONLY or p.kind is p.POSITIONAL_OR_KEYWORD]
    missing = sorted(set(accepted) - set(skip) - set(options))
    assert not missing, f"{component!r}.options() leaves out constructor options {missing}: a restored run would use defaults"
    again = rebuild(**options)
    assert again.options() == options


@pytest.mark.parametrize("name", spaces.names())
def test_space_options_rebuild_it(name):
    _check(spaces.create(name), lambda **o: spaces.create(name, **o), spaces.registry.get(name))


@pytest.mark.parametrize("name", searchers.names())
def test_searcher_options_rebuild_it(name):
    space = spaces.create("nb201")
    searcher = searchers.create(name, space=space, seed=7)
    assert searcher.options()["seed"] == 7
    _check(searcher, lambda **o: searchers.create(name, space=space, **o), searchers.registry.get(name))


@pytest.mark.parametrize("name", oneshot.names())
def test_oneshot_options_rebuild_it(name):
    served = oneshot.registry.spaces(name)
    space = spaces.create(served[0] if served else "nb201")
    strategy = oneshot.create(name, space=space, seed=4)
    assert strategy.options()["seed"] == 4
    _check(strategy, lambda **o: oneshot.create(name, space=space, **o), type(strategy).__init__, skip=("self", "space"))


@pytest.mark.parametrize("name", estimators.names())
def test_estimator_options_rebuild_it(name, request):
    served = estimators.registry.spaces(name)
    space = spaces.create(served[0] if served else "nb201")
    options = {}
    if name == "tabular":
        options["benchmark"] = str(request.getfixturevalue("nb201_table_path"))
    elif name == "surrogate" and NB301_MODEL.is_file():
        options["model"] = str(NB301_MODEL)
    try:
        estimator = estimators.create(name, space=space, **options)
    except DataError as exc:  # e.g. the NB301 surrogate model is not installed here
        pytest.skip(f"{name} cannot be built here: {exc}")
    _check(estimator, lambda **o: estimators.create(name, space=space, **o), estimators.registry.get(name))


# --- registry metadata -----------------------------------------------------------------------------------
def test_entries_say_which_spaces_they_serve():
    assert estimators.registry.spaces("tabular") == ("nb201", "nats_sss", "nb101")
    assert estimators.registry.supports("surrogate", "darts") and not estimators.registry.supports("surrogate", "nb201")
    assert "surrogate" not in estimators.names(space="nb201") and "train" in estimators.names(space="layers")
    assert estimators.names(space="layers") == ["flops", "params", "train", "zerocost"]  # any space with build()
    assert oneshot.names(space="layers") == []
    assert oneshot.names(space="nb201") == ["darts", "enas", "fairnas", "gdas", "rsps", "spos"]
    assert oneshot.names(space="mobilenet") == ["ofa", "proxyless"] and "latency" not in estimators.names(space="nb201")
    assert searchers.names(space="layers") == searchers.names()  # black-box searchers serve every space
    assert estimators.registry.why_not("train", "nb201") is None
    assert estimators.registry.why_not("tabular", "darts") == \
        "the 'tabular' estimator serves the nb201, nats_sss, nb101 space(s), not 'darts'"


def test_registry_metadata_and_plural_names():
    reg = Registry("one-shot strategy", plural="one-shot strategies")
    reg.register("any")(dict)
    reg.register("only", spaces=("nb201",), paper="x")(dict)
    assert reg.names(space="darts") == ["any"] and reg.entry("only").meta == {"paper": "x"}
    with pytest.raises(TypeError, match="tuple of space names"):
        reg.register("bad", spaces="nb201")(dict)
    with pytest.raises(UnknownNameError, match="registered one-shot strategies: any, only"):
        reg.create("nope")
    with pytest.raises(UnknownNameError, match="registered one-shot strategies: darts, enas, fairnas, gdas, ofa"):
        oneshot.create("dartz", space="nb201")


def test_control_panel_offers_what_fits_and_says_why_not():
    nasviz = pytest.importorskip("nasviz")
    panel = nasviz.ControlPanel()
    panel.space.value = "layers"
    assert [v for _, v in panel.searcher.options] == searchers.names()
    assert list(panel.estimator.options) == ["flops", "params", "train", "zerocost"] and panel.estimator.value == "train"
    assert "the 'tabular' estimator serves the nb201, nats_sss, nb101 space(s), not 'layers'" in panel.note.value
    assert "the 'darts' one-shot strategy serves" in panel.note.value
    panel.space.value = "nb201"
    assert "oneshot:darts" in [v for _, v in panel.searcher.options]
    with pytest.raises(ValueError, match=r"serves the nb201, nats_sss, nb101 space\(s\), not 'layers'; "
                                         r"for 'layers' choose from: flops, params, train"):
        nasviz.ControlPanel(space="layers", estimator="tabular")
