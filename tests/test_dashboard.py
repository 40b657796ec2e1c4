"""The live dashboard and control panel, driven as a user would (button clicks), outside a browser.

What must hold: the worker thread only queues events; one render loop applies them at a capped rate;
buttons only call the run's methods; every trial ends up in the history figure; one-shot runs show their
architecture weights.
"""
from __future__ import annotations

import time

import numpy as np
import pytest

import nasviz
from workbench import Budget, Run
from workbench.oneshot._base import OneShotStrategy
from workbench.records import ArchDistribution, EpochReport

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGES = ("0->1", "0->2", "1->2", "0->3", "1->3", "2->3")


def wait_for(condition, timeout=10.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture()
def tabular(nb201_table_path):
    def make(evaluations=300, delay_s=0.0, seed=0, searcher="re"):
        return Run(space="nb201", searcher=searcher, estimator="tabular", budget=Budget(evaluations=evaluations),
                   seed=seed, estimator_options={"benchmark": str(nb201_table_path), "delay_s": delay_s})

    return make


@pytest.mark.slow
def test_every_trial_reaches_the_history_in_few_redraws(tabular):
    run = tabular(evaluations=400)
    dash = nasviz.Dashboard(run, interval_s=0.1)
    assert dash.start_button.disabled is False and dash.stop_button.disabled is True
    dash.start_button.click()
    assert run.join(30) == "finished"
    assert dash.wait(10)
    trials, best, test = dash.history.data
    assert len(trials.x) == 400 and list(trials.x) == list(range(1, 401))
    assert list(trials.y) == [t.objective for t in run.trials]
    assert all(b >= a for a, b in zip(best.y, best.y[1:]))
    assert best.y[-1] == run.best.objective
    assert test.name == "test of best (test_acc_analognas@200)"
    best = run.best
    assert dash.architecture.layout.title.text == f"incumbent: trial {best.number}, objective {best.objective:.2f}"
    drawn = next(t for t in dash.architecture.data if t.name == "ops")
    shown = run.space.from_string(best.arch)
    assert sorted(drawn.text) == sorted(shown)  # the six edges' ops of the incumbent
    # the batched render loop: 400 trials + incumbent and status events in a handful of redraws
    assert dash.events_applied >= 402
    assert dash.renders <= 3 + dash.events_applied // 50
    assert run._thread.ident not in dash.drawing_threads, "the worker thread touched a widget"
    assert "<b>finished</b> · 400 evaluations" in dash.status.value
    assert f"best {run.best.objective:.2f} %" in dash.status.value  # tabular accuracies are percent
    assert dash.progress.value == 1.0
    assert dash.pause_button.disabled and dash.stop_button.disabled
    # the x range spans the whole budget from the start, so every evaluation stays in view
    assert dash.history.layout.xaxis.range[0] <= 1 and dash.history.layout.xaxis.range[1] >= 400
    assert dash.history.layout.width is None and dash.history.layout.autosize
    # after the end, Start runs a new search with the same settings
    assert not dash.start_button.disabled and dash.start_button.description == "Start again"
    dash.start_button.click()
    again = dash.run
    assert again is not run and again.config == run.config and again._thread is not None  # started
    assert again.join(30) == "finished" and dash.wait(10)
    assert [t.arch for t in again.trials] == [t.arch for t in run.trials]  # same seed, same search
    assert len(dash.history.data[0].x) == 400


def test_pause_resume_stop_buttons(tabular):
    run = tabular(evaluations=5000, delay_s=0.005)
    dash = nasviz.Dashboard(run, interval_s=0.05)
    dash.start_button.click()
    wait_for(lambda: len(dash.history.data[0].x) >= 5, what="points while running")
    dash.pause_button.click()
    assert run.status == "paused"
    time.sleep(0.15)  # the evaluation in flight finishes and is drawn
    frozen = len(run.trials)
    wait_for(lambda: len(dash.history.data[0].x) == frozen, what="the paused count drawn")
    wait_for(lambda: not dash.resume_button.disabled, what="resume enabled")
    assert dash.pause_button.disabled
    time.sleep(0.3)
    assert len(run.trials) == frozen and len(dash.history.data[0].x) == frozen
    assert "<b>paused</b>" in dash.status.value
    dash.resume_button.click()
    wait_for(lambda: len(dash.history.data[0].x) > frozen + 5, what="growth after resume")
    dash.pause_button.click()
    wait_for(lambda: "<b>paused</b>" in dash.status.value, what="paused drawn")
    clock = dash._clock_s
    time.sleep(0.4)
    wait_for(lambda: dash.renders > 0, what="a redraw")
    assert dash._clock_s == pytest.approx(clock, abs=0.06), "the clock ran while paused"
    dash.resume_button.click()
    dash.stop_button.click()
    assert run.join(10) == "stopped"
    assert dash.wait(5)
    assert len(dash.history.data[0].x) == len(run.trials) < 5000
    assert "<b>stopped</b>" in dash.status.value


def test_labels_of_the_previous_run_do_not_survive_a_new_one(tabular, nb201_table_path):
    first = tabular(evaluations=30)
    dash = nasviz.Dashboard(first, interval_s=0.05)
    dash.start_button.click()
    assert first.join(10) == "finished" and dash.wait(5)
    assert dash.history.data[2].name == "test of best (test_acc_analognas@200)"
    assert dash.architecture.layout.title.text.startswith("incumbent: trial")
    layers = Run(space="layers", searcher="random", estimator="train", budget=Budget(evaluations=1),
                 estimator_options={"dataset": "digits", "epochs": 1, "data": {"limit": 100}, "device": "cpu"})
    dash.attach(layers)
    assert dash.history.data[2].name == "test of best"
    assert dash.architecture.layout.title.text == "incumbent: none yet"
    assert len(dash.history.data[0].x) == 0 and "created" in dash.status.value


def test_start_builds_a_new_run_from_the_panel_each_time(nb201_table_path):
    panel = nasviz.ControlPanel(searcher="random", estimator="tabular", budget=30, seed=4,
                                estimator_options={"tabular": {"benchmark": str(nb201_table_path)}})
    dash = nasviz.Dashboard(make_run=panel.make_run, controls=panel, interval_s=0.05)
    assert dash.run is None and not dash.start_button.disabled
    assert panel.widget in dash.widget.children
    dash.start_button.click()
    first = dash.run
    assert first.join(10) == "finished" and dash.wait(5)
    assert len(dash.history.data[0].x) == 30
    panel.searcher.value, panel.budget.value = "re", 20
    dash.start_button.click()
    second = dash.run
    assert second is not first and second.config["searcher"]["name"] == "re"
    assert second.join(10) == "finished" and dash.wait(5)
    assert len(dash.history.data[0].x) == 20  # the history restarted with the new run
    assert [t.objective for t in second.trials] == list(dash.history.data[0].y)


def test_a_start_that_fails_shows_why_and_raises_nothing():
    def broken():
        raise ValueError("the tabular estimator serves the nb201 space(s), not 'darts'")

    dash = nasviz.Dashboard(make_run=broken)
    dash.start_button.click()
    assert "could not start: ValueError: the tabular estimator serves" in dash.status.value
    assert dash.run is None


class AlphaStrategy(OneShotStrategy):
    """A stand-in one-shot strategy: its alphas sharpen towards nor_conv_3x3 epoch by epoch."""

    name = "alpha-stub"

    def __init__(self, kind="alphas"):
        self.epoch, self.kind = 0, kind

    def step(self, should_stop=None):
        self.epoch += 1
        logits = np.zeros((6, 5))
        logits[:, 3] = self.epoch
        weights = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        arch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|skip_connect~2|"
        return EpochReport(self.epoch - 1, {"val_acc": 50.0 + self.epoch, "train_loss": 1.0 / self.epoch},
                           ArchDistribution(self.kind, OPS, EDGES, {"normal": weights.tolist()}), arch)

    def checkpoint_bytes(self):
        return b""

    def derive(self):
        return None

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass

    def options(self):
        return {}


@pytest.mark.parametrize("kind, title", [("alphas", "architecture weights (softmax) after epoch 4"),
                                         ("probabilities", "probability of each option after epoch 4")])
def test_one_shot_epochs_show_alphas_heatmap_and_derived_arch(kind, title):
    run = Run(space="nb201", strategy=AlphaStrategy(kind), budget=Budget(epochs=4), seed=0)
    dash = nasviz.Dashboard(run, interval_s=0.05)
    assert dash.alphas_box.layout.display == "flex" and len(dash.alphas.data) == 0  # shown at once, filled later
    dash.start_button.click()
    assert run.join(10) == "finished" and dash.wait(5)
    assert dash.alphas_box.layout.display == "flex"
    heat = dash.alphas.data[0]
    assert np.array(heat.z).shape == (6, 5)
    assert list(heat.x) == list(OPS) and list(heat.y) == list(EDGES)
    assert list(dash.alphas.data[1].x) == ["nor_conv_3x3"] * 6
    weight = np.exp(4) / (np.exp(4) + 4)
    assert np.array(heat.customdata)[0, 3] == pytest.approx(weight)  # the absolute weight, on hover
    assert np.array(heat.z)[0, 3] == pytest.approx(weight - 0.2)  # the colour: deviation from uniform
    assert dash.alphas.layout.coloraxis.cmax == pytest.approx(weight - 0.2)
    assert dash.alphas.layout.title.text.startswith(title)  # says what the numbers are
    # the line view: one edge's weights over the epochs
    lines = {t.name: list(t.y) for t in dash.alpha_lines.data}
    assert list(lines) == list(OPS) and len(lines["nor_conv_3x3"]) == 4
    assert lines["nor_conv_3x3"] == sorted(lines["nor_conv_3x3"])
    dash.edge_choice.value = 5
    assert "2->3" in dash.alpha_lines.layout.title.text
    assert list(dash.history.data[0].y) == [51.0, 52.0, 53.0, 54.0]
    assert dash.history.layout.xaxis.title.text == "epochs"
    assert dash.history.layout.xaxis.dtick == 1 and dash.history.layout.xaxis.range[1] >= 4
    assert dash.architecture.layout.title.text == "derived after epoch 4"
    assert sorted(next(t for t in dash.architecture.data if t.name == "ops").text) == \
        sorted(["nor_conv_3x3"] * 5 + ["skip_connect"])
    assert "4 epochs" in dash.status.value


def test_control_panel_lists_the_registries():
    from workbench import estimators, oneshot, searchers, spaces

    panel = nasviz.ControlPanel()
    assert list(panel.space.options) == spaces.names()
    values = [v for _, v in panel.searcher.options]
    assert values == searchers.names(space="nb201") + [f"oneshot:{n}" for n in oneshot.names(space="nb201")]
    assert list(panel.estimator.options) == estimators.names(space="nb201")
    assert panel.selection() == {"space": "nb201", "searcher": "re", "estimator": "tabular", "budget": 100,
                                 "seed": 0}
    if oneshot.names():
        panel.searcher.value = f"oneshot:{oneshot.names()[0]}"
        assert panel.estimator.disabled and panel.budget.description == "epochs"
        assert panel.selection()["strategy"] == oneshot.names()[0]


def test_control_panel_builds_the_run_it_shows(nb201_table_path):
    panel = nasviz.ControlPanel(searcher="random", budget=7, seed=11,
                                estimator_options={"tabular": {"benchmark": str(nb201_table_path)}},
                                searcher_options={"random": {"unique": True}})
    run = panel.make_run(name="from-panel")
    assert run.budget == Budget(evaluations=7) and run.seed == 11 and run.name == "from-panel"
    assert run.config["searcher"]["options"]["unique"] is True
    assert run.config["estimator"]["options"]["benchmark"] == str(nb201_table_path)


def test_control_panel_errors_name_what_is_accepted():
    with pytest.raises(ValueError, match=r"unknown searcher 'evolution'; registered: .*random.*re"):
        nasviz.ControlPanel(searcher="evolution")
    with pytest.raises(ValueError, match="estimator_options maps a registered estimator name"):
        nasviz.ControlPanel(estimator_options={"benchmark": "nb201"})
    with pytest.raises(ValueError, match="budget must be a positive whole number"):
        nasviz.ControlPanel(budget=0)
