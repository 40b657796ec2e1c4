"""nasviz figures: the data behind each figure (nodes, edges, labels, curves, heatmap shapes), not pixels."""
from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nasviz
from workbench import spaces
from nasviz._alphas import _get_alphas_info
from nasviz._architecture import _get_architecture_info
from nasviz._comparison import _get_comparison_info
from nasviz._history import _get_history_info

ROOT = Path(__file__).resolve().parents[1]
ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"


# --- architecture ----------------------------------------------------------------------------------
def test_nb201_cell_has_four_nodes_six_labelled_edges(nb201):
    info = _get_architecture_info(nb201, nb201.from_string(ARCH))
    assert [n.id for n in info.nodes] == [0, 1, 2, 3]
    assert [n.op for n in info.nodes] == ["input", "sum", "sum", "output"]
    ops = {(e.source, e.target): e.op for e in info.edges}
    assert ops == {(0, 1): "nor_conv_3x3", (0, 2): "nor_conv_3x3", (1, 2): "avg_pool_3x3",
                   (0, 3): "skip_connect", (1, 3): "nor_conv_3x3", (2, 3): "skip_connect"}
    assert sorted(info.ops) == ["avg_pool_3x3", "nor_conv_3x3", "skip_connect"]
    # one layer per node, left to right; edges between neighbours are straight, the others arc
    assert [n.x for n in info.nodes] == [0.0, 1.0, 2.0, 3.0]
    for e in info.edges:
        bent = max(abs(y) for y in e.path_y)
        assert (bent > 0.2) == (e.target - e.source > 1), (e.source, e.target, bent)
    # the arcs from node 0 to 2 and from 1 to 3 go to opposite sides, so their labels do not collide
    label_y = {(e.source, e.target): e.label_y for e in info.edges}
    assert label_y[(0, 2)] * label_y[(1, 3)] < 0


def test_nb201_figure_has_one_legend_entry_per_op_and_all_labels(nb201):
    fig = nasviz.plot_architecture(nb201, ARCH)
    legend = [t.name for t in fig.data if t.showlegend is not False]
    assert sorted(legend) == ["avg_pool_3x3", "nor_conv_3x3", "skip_connect"]
    labels = next(t for t in fig.data if t.name == "ops")
    assert sorted(labels.text) == sorted(["nor_conv_3x3", "nor_conv_3x3", "avg_pool_3x3", "skip_connect",
                                          "nor_conv_3x3", "skip_connect"])
    nodes = next(t for t in fig.data if t.name == "nodes")
    assert list(nodes.text) == ["0", "1", "2", "3"]
    conv = next(t for t in fig.data if t.name == "nor_conv_3x3")
    assert sum(v is None for v in conv.x) == 3  # three separate conv edges in one trace
    assert fig.layout.meta == "workbench-architecture"


def test_none_edges_are_dotted(nb201):
    fig = nasviz.plot_architecture(nb201, ("none",) * 6)
    (line,) = [t for t in fig.data if t.name == "none"]
    assert line.line.dash == "dot"


@pytest.mark.parametrize("space_name", spaces.names())
def test_every_registered_space_can_be_drawn(space_name):
    """Conformance: any space's to_graph() draws, with one drawn edge per graph edge."""
    space = spaces.create(space_name)
    arch = space.sample(np.random.default_rng(0))
    graph = space.to_graph(arch)
    info = _get_architecture_info(space, arch)
    assert len(info.nodes) == graph.number_of_nodes()
    assert len(info.edges) == graph.number_of_edges()
    assert {(e.source, e.target) for e in info.edges} == set(graph.edges)
    xs = {n.id: n.x for n in info.nodes}
    assert all(xs[e.source] < xs[e.target] for e in info.edges), "edges run left to right"
    nasviz.plot_architecture(space, arch)  # builds a valid figure


# --- history ---------------------------------------------------------------------------------------
def _trial(number, objective, test=None, sim=0.0, status="ok"):
    metrics = {} if test is None else {"test_acc": test}
    return {"number": number, "arch": f"a{number}", "status": status,
            "objective": objective if status == "ok" else None, "metrics": metrics, "sim_time_s": sim}


def test_history_best_so_far_and_test_of_incumbent():
    trials = [_trial(0, 1.0, 10.0, 5), _trial(1, 3.0, 30.0, 9), _trial(2, 2.0, 99.0, 12),
              _trial(3, None, status="failed", sim=12), _trial(4, 5.0, 50.0, 20), _trial(5, 4.0, 40.0, 21)]
    info = _get_history_info(trials)
    assert info.x == [1.0, 2.0, 3.0, 5.0, 6.0]
    assert info.objective == [1.0, 3.0, 2.0, 5.0, 4.0]
    assert info.best == [1.0, 3.0, 3.0, 5.0, 5.0]
    assert info.test_metric == "test_acc"
    assert info.test_of_best == [10.0, 30.0, 30.0, 50.0, 50.0]  # the incumbent's test, not the best test
    assert info.failed == 1 and info.best_arch == "a4"
    assert _get_history_info(trials, x="sim_seconds").x == [5.0, 9.0, 12.0, 20.0, 21.0]
    fig = nasviz.plot_history(trials)
    assert [t.name for t in fig.data] == ["trials", "best so far", "test of best (test_acc)"]
    assert list(fig.data[1].y) == [1.0, 3.0, 3.0, 5.0, 5.0]


def test_history_rejects_unknown_axis():
    with pytest.raises(ValueError, match="accepted: evaluations, sim_seconds"):
        _get_history_info([], x="epochs_or_so")


def test_history_of_a_real_tabular_search_is_monotone(nb201_table_path):
    from workbench import Budget, Run

    run = Run(space="nb201", searcher="re", estimator="tabular", budget=Budget(evaluations=150), seed=3,
              estimator_options={"benchmark": str(nb201_table_path)})
    run.run()
    info = _get_history_info(run.trials, x="sim_seconds")
    assert len(info.x) == 150
    assert all(b2 >= b1 for b1, b2 in zip(info.best, info.best[1:]))
    assert info.best[-1] == run.best.objective == max(info.objective)
    assert info.best_arch == run.best.arch
    # tabular NB201 at 200 epochs: the shown test metric is the one at the same epochs
    assert info.test_metric == "test_acc_analognas@200"
    assert all(x2 >= x1 for x1, x2 in zip(info.x, info.x[1:]))


# --- alphas ----------------------------------------------------------------------------------------
OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGES = ("0->1", "0->2", "1->2", "0->3", "1->3", "2->3")


def test_alphas_heatmap_shape_and_argmax():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(6, 5))
    weights = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    info = _get_alphas_info({"normal": weights}, ops=OPS, edges=EDGES)
    (cell,) = info.cells
    assert np.array(cell.weights).shape == (6, 5)
    assert cell.argmax == list(weights.argmax(axis=1))
    fig = nasviz.plot_alphas({"normal": weights.tolist()}, ops=OPS, edges=EDGES)
    heat, marks = fig.data
    assert np.array(heat.z).shape == (6, 5)
    assert list(heat.x) == list(OPS) and list(heat.y) == list(EDGES)
    assert list(marks.x) == [OPS[j] for j in weights.argmax(axis=1)]
    # the colour is the deviation from uniform, on a symmetric scale; the absolute weight is on hover
    np.testing.assert_allclose(heat.z, weights - 0.2)
    np.testing.assert_allclose(heat.customdata, weights)
    span = np.abs(weights - 0.2).max()
    assert fig.layout.coloraxis.cmax == pytest.approx(span) and fig.layout.coloraxis.cmin == pytest.approx(-span)
    # raw logits are softmaxed on request
    soft = _get_alphas_info(logits, ops=OPS, logits=True).cells[0]
    np.testing.assert_allclose(np.array(soft.weights).sum(axis=1), 1.0)
    np.testing.assert_allclose(soft.weights, weights)


def test_near_uniform_alphas_are_not_amplified():
    weights = np.full((6, 5), 0.2) + np.linspace(-1e-3, 1e-3, 5)
    fig = nasviz.plot_alphas(weights, ops=OPS, edges=EDGES)
    assert fig.layout.coloraxis.cmax == pytest.approx(0.02)  # the floor: near-uniform looks near-white


def _epoch(epoch, weights, **metrics):
    return {"epoch": epoch, "alphas": {"normal": weights}, "ops": OPS, "edges": EDGES, "metrics": metrics}


def test_alpha_history_of_one_edge_over_epochs():
    records = []
    for e in range(4):
        logits = np.zeros((6, 5))
        logits[:, 3] = e
        records.append(_epoch(e, (np.exp(logits) / np.exp(logits).sum(1, keepdims=True)).tolist()))
    fig = nasviz.plot_alpha_history(records, edge="1->2")
    lines = {t.name: list(t.y) for t in fig.data}
    assert list(lines) == list(OPS) and list(fig.data[0].x) == [1, 2, 3, 4]
    assert lines["nor_conv_3x3"] == sorted(lines["nor_conv_3x3"]) and lines["nor_conv_3x3"][0] == pytest.approx(0.2)
    assert "1->2" in fig.layout.title.text and fig.layout.xaxis.dtick == 1
    with pytest.raises(ValueError, match="no edge '9->9'"):
        nasviz.plot_alpha_history(records, edge="9->9")
    with pytest.raises(ValueError, match="no epoch record carries"):
        nasviz.plot_alpha_history([{"epoch": 0, "metrics": {}}])


def test_plot_epochs_separates_supernet_and_derived_arch():
    records = [_epoch(e, None, train_acc=50.0 + e, val_acc=40.0 + e, **{"derived_val_acc@200": 80.0 - e})
               for e in range(3)]
    fig = nasviz.plot_epochs(records)
    assert [t.name for t in fig.data] == ["train_acc", "val_acc", "derived_val_acc@200"]
    assert fig.data[2].yaxis == "y2" and list(fig.data[0].x) == [1, 2, 3]
    assert fig.layout.xaxis.dtick == 1 and fig.layout.xaxis.tickformat == "d"
    runs = nasviz.plot_epochs({"a": records, "b": records[:2]}, metric="val_acc")
    assert [t.name for t in runs.data] == ["a", "b"] and list(runs.data[1].y) == [40.0, 41.0]
    with pytest.raises(ValueError, match="no epoch record has the metrics"):
        nasviz.plot_epochs([{"epoch": 0, "metrics": {}}])


def test_every_figure_uses_the_workbench_style_and_fits_its_container(nb201):
    from nasviz._style import integer_ticks

    figs = [nasviz.plot_architecture(nb201, nb201.sample(np.random.default_rng(0))),
            nasviz.plot_history([{"number": 0, "arch": "a", "objective": 90.0}]),
            nasviz.plot_alphas(np.full((6, 5), 0.2)),
            nasviz.plot_epochs([_epoch(0, None, val_acc=50.0)]),
            nasviz.plot_comparison({"random": [[{"number": 0, "objective": 1.0}]]}),
            nasviz.plot_against_published([{"method": "re", "dataset": "cifar10", "val_mean": 91.0, "val_std": 0.3}])]
    for fig in figs:
        assert fig.layout.width is None and fig.layout.autosize, fig.layout.meta
        assert fig.layout.template.layout.paper_bgcolor == "white", fig.layout.meta
    assert integer_ticks(4, 1)["dtick"] == 1 and integer_ticks(200)["dtick"] == 20 and integer_ticks(3000)["dtick"] == 500


def test_ours_against_published_as_points_with_error_bars():
    rows = [{"method": m, "dataset": d, "val_mean": 90.0 + i, "val_std": 0.2, "published_val_mean": 90.1 + i,
             "published_val_std": 0.3} for i, (m, d) in enumerate([("random", "cifar10"), ("re", "cifar10"),
                                                                  ("random", "cifar100")])]
    fig = nasviz.plot_against_published(rows)
    ours = [t for t in fig.data if t.name == "ours"]
    assert len(ours) == 2 and all(t.mode == "markers" for t in fig.data)  # one panel per data set
    assert list(ours[0].y) == [90.0, 91.0] and list(ours[0].error_y.array) == [0.2, 0.2]
    assert fig.layout.yaxis.range is None  # each panel zooms to its numbers (no axis from 0)
    assert [a.text for a in fig.layout.annotations] == ["cifar10", "cifar100"]


def test_q_history_shows_q_relative_to_the_state_mean(nb201_table_path):
    import nasviz.rl
    from workbench import Budget, Run
    from workbench.searchers.qlearning import START

    run = Run(space="nb201", searcher="qlearning", searcher_options={"num_models": 30}, estimator="tabular",
              estimator_options={"benchmark": str(nb201_table_path)}, budget=Budget(evaluations=30), seed=0)
    history = nasviz.rl.QHistory(run.searcher, states=[START])
    run.subscribe(history.record)
    run.run()
    assert history.models == list(range(1, 31)) and history.epsilons[0] == 1.0 and history.epsilons[-1] < 1.0
    fig = nasviz.rl.plot_q_history(history, ops=run.space.ops)
    assert [t.name for t in fig.data] == list(run.space.ops)
    last = np.array([t.y[-1] for t in fig.data])
    assert abs(last.sum()) < 1e-9 and np.ptp(last) > 0  # relative to the mean, and they differ
    bars = nasviz.rl.plot_q_values({"a": 0.70, "b": 0.72})
    assert list(bars.data[0].y) == pytest.approx([-0.01, 0.01]) and list(bars.data[0].customdata) == [0.70, 0.72]


def test_oneshot_presets_are_copies_and_name_the_accepted():
    from workbench.oneshot.presets import preset

    cpu = preset("cpu", arch_lr=0.1)
    assert cpu["arch_lr"] == 0.1 and preset("cpu")["arch_lr"] == 0.03
    cpu["data_options"]["limit"] = 5
    assert preset("cpu")["data_options"]["limit"] == 1000
    with pytest.raises(ValueError, match="unknown one-shot preset 'gpu'; accepted: cpu, paper"):
        preset("gpu")


def test_alphas_darts_normal_and_reduce_cells():
    weights = np.full((14, 8), 1 / 8)
    weights[:, 3] += 0.01
    fig = nasviz.plot_alphas({"normal": weights, "reduce": weights})
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    assert [np.array(h.z).shape for h in heatmaps] == [(14, 8), (14, 8)]
    assert [a.text for a in fig.layout.annotations] == ["normal", "reduce"]


def test_alphas_errors_name_the_problem():
    with pytest.raises(ValueError, match="5 ops per edge, but 2 op names"):
        nasviz.plot_alphas(np.ones((6, 5)) / 5, ops=["a", "b"])
    with pytest.raises(ValueError, match="2-D edges x ops matrix"):
        nasviz.plot_alphas({"normal": [1, 2, 3]})


# --- comparison ------------------------------------------------------------------------------------
def test_comparison_mean_and_spread_of_best_so_far():
    table = {"random": [[1, 3, 2, 4], [2, 2, 5, 1]], "re": [[0, 6, 6, 7], [4, 4, 4, 4, 9]]}
    info = _get_comparison_info(table)
    random, re_ = info.methods
    assert random.method == "random" and random.runs == 2
    # best so far: [1,3,3,4] and [2,2,5,5]
    assert random.x == [1.0, 2.0, 3.0, 4.0]
    assert random.mean == [1.5, 2.5, 4.0, 4.5]
    assert random.std == [0.5, 0.5, 1.0, 0.5]
    assert random.low == [1.0, 2.0, 3.0, 4.0] and random.high == [2.0, 3.0, 5.0, 5.0]
    assert random.final == [4.0, 5.0]
    # a method's curve stops at its shortest run; the final best is each run's own
    assert re_.x == [1.0, 2.0, 3.0, 4.0] and re_.mean == [2.0, 5.0, 5.0, 5.5] and re_.final == [7.0, 9.0]
    fig = nasviz.plot_comparison(table)
    assert [t.name for t in fig.data if t.showlegend is not False] == ["random (2 runs)", "re (2 runs)"]


def test_comparison_from_rows_with_failed_trials_and_sim_seconds():
    rows = [
        {"method": "a", "run": "r1", "number": 1, "objective": 5.0, "sim_time_s": 20.0},
        {"method": "a", "run": "r1", "number": 0, "objective": None, "status": "failed", "sim_time_s": 10.0},
        {"method": "a", "run": "r2", "number": 0, "objective": 3.0, "sim_time_s": 10.0},
        {"method": "a", "run": "r2", "number": 1, "objective": 1.0, "sim_time_s": 30.0},
    ]
    info = _get_comparison_info(rows)
    (a,) = info.methods
    assert a.runs == 2 and a.x == [1.0, 2.0]
    assert a.mean == [3.0, 4.0]  # run r1 has no value yet at evaluation 1 (its first trial failed)
    timed = _get_comparison_info(rows, x="sim_seconds").methods[0]
    assert timed.x[0] >= 10.0 and math.isclose(timed.x[-1], 20.0)
    assert math.isclose(timed.mean[-1], 4.0)


def test_comparison_rejects_rows_without_method():
    with pytest.raises(ValueError, match="row 0 must be a mapping with 'method'"):
        _get_comparison_info([{"objective": 1.0}])


# --- layering --------------------------------------------------------------------------------------
def test_workbench_never_imports_nasviz_or_plotly():
    for path in (ROOT / "workbench").rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(import|from)\s+nasviz", text, re.M), f"{path} imports nasviz"
    code = ("import sys, workbench, workbench.runs, workbench.cli, workbench.batch; "
            "from workbench import spaces, searchers, estimators; "
            "bad = sorted(m for m in ('nasviz', 'plotly', 'ipywidgets') if m in sys.modules); "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
