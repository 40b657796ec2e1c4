"""DARTS (first and second order): the unrolled gradient is the true gradient, searches move the alphas and
derive archs of their space, and one-shot runs pause, stop and resume exactly."""
from __future__ import annotations

import threading
import time

import pytest
import torch

from workbench import Budget, Run, oneshot, spaces
from workbench.nn.supernet_nb201 import NB201Supernet
from workbench.oneshot.darts import unrolled_arch_gradient

TINY = dict(data="digits", data_options={"limit": 160}, batch_size=16, channels=2, cells_per_stage=1, layers=2)


def _tiny_double_supernet(seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = NB201Supernet(num_classes=3, in_channels=1, channels=2, cells_per_stage=1).double()
    with torch.no_grad():
        model.alphas.copy_(torch.randn(model.alphas.shape, generator=gen, dtype=torch.float64))
    batches = [torch.randn(6, 1, 5, 5, generator=gen, dtype=torch.float64) for _ in range(2)]
    labels = [torch.randint(0, 3, (6,), generator=gen) for _ in range(2)]
    buffers = [torch.randn(p.shape, generator=gen, dtype=torch.float64) * 0.1 for p in model.weights()]
    return model, batches, labels, buffers


@pytest.mark.slow
def test_second_order_gradient_matches_finite_differences():
    """d/dalpha L_val(w - xi * (grad_w L_train(w, alpha) + wd w + m buf), alpha), by central differences."""
    model, (xt, xv), (yt, yv), buffers = _tiny_double_supernet()
    loss_fn = torch.nn.CrossEntropyLoss()
    lr, momentum, wd = 0.5, 0.9, 3e-4
    weights = model.weights()

    def unrolled_val_loss() -> float:
        backup = [p.detach().clone() for p in weights]
        grads = torch.autograd.grad(loss_fn(model(xt), yt), weights)
        with torch.no_grad():
            for p, g, b in zip(weights, grads, buffers):
                p.sub_(lr * (g + wd * p + momentum * b))
            value = float(loss_fn(model(xv), yv))
            for p, w0 in zip(weights, backup):
                p.copy_(w0)
        return value

    # r sets the finite-difference step of the Hessian-vector product: DARTS' 0.01 suits float32 and large
    # networks; in double precision a tiny step checks the formula itself, away from ReLU kinks
    (grad,), _, val_loss = unrolled_arch_gradient(model, loss_fn, xt, yt, xv, yv, lr=lr, momentum=momentum,
                                                  weight_decay=wd, momentum_buffers=buffers, r=1e-6)
    assert float(val_loss) == pytest.approx(unrolled_val_loss(), rel=1e-12)  # weights restored exactly

    h = 1e-6
    numeric = torch.zeros_like(model.alphas)
    for index in range(model.alphas.numel()):
        e, k = divmod(index, model.alphas.shape[1])
        with torch.no_grad():
            model.alphas[e, k] += h
        plus = unrolled_val_loss()
        with torch.no_grad():
            model.alphas[e, k] -= 2 * h
        minus = unrolled_val_loss()
        with torch.no_grad():
            model.alphas[e, k] += h
        numeric[e, k] = (plus - minus) / (2 * h)

    assert torch.allclose(grad, numeric, rtol=1e-6, atol=1e-8), (grad - numeric).abs().max()
    # the implicit (Hessian) term matters here: the first-order gradient at w' alone is measurably different
    first_order = torch.autograd.grad(loss_fn(model(xv), yv), [model.alphas])[0]
    assert (first_order - numeric).abs().max() > 1e-3


@pytest.mark.slow
@pytest.mark.parametrize("space_name", ["nb201", "darts"])
@pytest.mark.parametrize("order", [1, 2])
def test_darts_on_digits_moves_alphas_and_derives_an_arch_of_the_space(space_name, order):
    space = spaces.create(space_name)
    darts = oneshot.create("darts", space=space, order=order, batches_per_step=2, seed=1, **TINY)
    before = darts.alphas()
    report = darts.step()
    after = darts.alphas()
    kinds = ("normal",) if space_name == "nb201" else ("normal", "reduce")
    dist = report.distribution
    assert dist.kind == "alphas" and dist.row_axis == "edges" and tuple(dist.groups) == kinds
    n_edges = 6 if space_name == "nb201" else 14
    assert dist.rows == darts.edge_labels and len(dist.rows) == n_edges
    assert dist.ops == (space.ops if space_name == "nb201" else spaces.darts.DARTS_OPS)
    assert dist.as_lists() == after
    for kind in kinds:
        rows = torch.tensor(after[kind])
        assert rows.shape == (n_edges, len(dist.ops))
        assert torch.allclose(rows.sum(1), torch.ones(n_edges), atol=1e-5)
        assert not torch.equal(rows, torch.tensor(before[kind])), "alphas did not move"
    arch = darts.derive()
    assert space.validate(arch) == arch
    assert report.arch == space.to_string(arch)
    assert space.from_string(report.arch) == arch
    assert report.epoch == 0 and not report.partial
    m = report.metrics
    assert m["batches"] == 2 and m["lr"] == pytest.approx(0.025)
    assert 0.0 <= m["train_acc"] <= 100.0 and 0.0 <= m["val_acc"] <= 100.0  # percent
    assert m["train_loss"] > 0 and m["val_loss"] > 0


def test_derive_follows_the_paper():
    """NB201: argmax per edge, ``none`` included; DARTS: the 2 strongest inputs per node, ``none`` excluded."""
    from workbench.spaces.darts import DARTS_OPS

    w = torch.full((6, 5), 0.1)
    for e, k in enumerate([0, 1, 2, 3, 4, 3]):
        w[e, k] = 0.6
    assert spaces.create("nb201").derive({"normal": w}, spaces.create("nb201").ops) == (
        "none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3", "nor_conv_3x3")

    normal = torch.full((14, 8), 0.01)
    normal[:, 0] = 0.9  # none dominates every edge, and must be ignored
    normal[1, DARTS_OPS.index("sep_conv_3x3")] = 0.5   # node 2 <- 1
    normal[0, DARTS_OPS.index("skip_connect")] = 0.3   # node 2 <- 0
    normal[4, DARTS_OPS.index("dil_conv_5x5")] = 0.4   # node 3 <- 2
    normal[2, DARTS_OPS.index("max_pool_3x3")] = 0.2   # node 3 <- 0
    genotype = spaces.create("darts").derive({"normal": normal, "reduce": normal}, DARTS_OPS)
    assert genotype.normal[:4] == (("sep_conv_3x3", 1), ("skip_connect", 0), ("dil_conv_5x5", 2), ("max_pool_3x3", 0))
    assert all(op != "none" for op, _ in genotype.normal + genotype.reduce)
    spaces.create("darts").validate(genotype)


def test_bad_options_name_the_value():
    with pytest.raises(ValueError, match="order must be 1"):
        oneshot.create("darts", space="nb201", order=3)
    with pytest.raises(ValueError, match="batch_size"):
        oneshot.create("darts", space="nb201", batch_size=0)
    with pytest.raises(ValueError, match="unknown supernet option.*'bogus'.*accepted: cells_per_stage, channels"):
        oneshot.create("darts", space="nb201", supernet_options={"bogus": 1})
    with pytest.raises(ValueError, match="the 'layers' space provides none"):
        oneshot.create("darts", space="layers")


def _final_alphas(run: Run) -> dict:
    return run.strategy.alphas()


OPTIONS = dict(TINY, batches_per_step=3, order=2)


@pytest.mark.slow
def test_uninterrupted_and_paused_stopped_resumed_runs_agree(store_path):
    """Pause after epoch 1, stop while paused, resume from the store: same alphas and records as one run."""
    reference = Run(space="nb201", strategy="darts", strategy_options=OPTIONS, budget=Budget(epochs=4), seed=7,
                    store=store_path)
    reference.run()
    assert reference.status == "finished" and len(reference.epochs) == 4

    run = Run(space="nb201", strategy="darts", strategy_options=OPTIONS, budget=Budget(epochs=4), seed=7,
              store=store_path)
    paused = threading.Event()

    def on_event(event):
        if getattr(event, "epoch", None) == 1:
            run.pause()
        if getattr(event, "status", None) == "paused":
            paused.set()

    run.subscribe(on_event)
    run.start()
    assert paused.wait(120)
    run.stop()
    assert run.join(120) == "stopped"
    assert len(run.epochs) == 2

    resumed = Run.restore(run.id, store=store_path)
    resumed.run()
    assert resumed.status == "finished" and len(resumed.epochs) == 4
    assert _final_alphas(resumed) == _final_alphas(reference)
    stored = resumed.store.epochs(run.id)
    expected = reference.store.epochs(reference.id)
    assert [e["alphas"] for e in stored] == [e["alphas"] for e in expected]
    assert [e["arch"] for e in stored] == [e["arch"] for e in expected]


def test_stop_inside_an_epoch_resumes_at_the_next_batch(store_path):
    """A stop between two batches of an epoch checkpoints the epoch's position; resuming finishes it exactly."""
    options = dict(OPTIONS, order=1)
    reference = Run(space="nb201", strategy="darts", strategy_options=options, budget=Budget(epochs=2), seed=5,
                    store=store_path).run()

    run = Run(space="nb201", strategy="darts", strategy_options=options, budget=Budget(epochs=2), seed=5,
              store=store_path)
    calls = {"n": 0}
    step = run.strategy.step

    def stop_after_one_batch(should_stop=None):
        def stop_now():
            calls["n"] += 1
            if calls["n"] == 3:  # epoch 0 asks twice; this is epoch 1 after its first batch
                run.stop()
            return should_stop()
        return step(should_stop=stop_now)

    run.strategy.step = stop_after_one_batch
    run.run()
    assert run.status == "stopped" and len(run.epochs) == 1

    resumed = Run.restore(run.id, store=store_path)
    resumed.run()
    assert len(resumed.epochs) == 2
    assert _final_alphas(resumed) == _final_alphas(reference)
    assert resumed.epochs[-1].metrics["batches"] == 3


def test_each_epoch_looks_up_the_derived_nb201_arch(nb201_table_path):
    """The run's estimator (here the NB201 table) estimates each epoch's derived arch: how collapse shows."""
    from workbench import estimators

    run = Run(space="nb201", strategy="darts", strategy_options=dict(TINY, batches_per_step=1),
              estimator="tabular", estimator_options={"benchmark": str(nb201_table_path)}, budget=Budget(epochs=1),
              seed=0).run()
    event = run.epochs[0]
    truth = estimators.create("tabular", space="nb201", benchmark=str(nb201_table_path)).evaluate(event.arch)
    assert event.metrics["derived_objective"] == truth.objective
    assert event.metrics["derived_val_acc@200"] == truth.metrics["val_acc@200"]
    assert run.config["estimator"]["name"] == "tabular"
    assert run.store.epochs(run.id)[0]["metrics"]["derived_objective"] == truth.objective


def test_each_epoch_asks_the_nb301_surrogate_on_the_darts_space(shared_data):
    from tests.conftest import need

    model = need(shared_data / "nb301" / "model_v2.onnx", "NB301 surrogate model")
    pytest.importorskip("onnxruntime")
    run = Run(space="darts", strategy="darts", strategy_options=dict(TINY, batches_per_step=1), estimator="surrogate",
              estimator_options={"model": str(model)}, budget=Budget(epochs=1), seed=0).run()
    assert 0.0 < run.epochs[0].metrics["derived_objective"] <= 100.0


@pytest.mark.slow
def test_pause_takes_effect_at_the_next_batch_and_resume_continues_exactly(store_path):
    options = dict(TINY, batches_per_step=4, order=1)
    reference = Run(space="nb201", strategy="darts", strategy_options=options, budget=Budget(epochs=2), seed=9,
                    store=store_path).run()
    run = Run(space="nb201", strategy="darts", strategy_options=options, budget=Budget(epochs=2), seed=9,
              store=store_path)
    step = run.strategy.step

    def pause_inside_the_first_epoch(should_stop=None):
        if not run.epochs and run.strategy.epoch_state_ is None:
            run.pause()  # before the first batch: the step must stop after it, inside the epoch
        return step(should_stop=should_stop)

    run.strategy.step = pause_inside_the_first_epoch
    run.start()
    deadline = time.monotonic() + 120
    # the first batch ends, the step returns partial and the run checkpoints the unfinished epoch
    while run.store.latest_checkpoint(run.id) is None:
        assert time.monotonic() < deadline and run.status in ("created", "running", "paused")
        time.sleep(0.02)
    assert run.status == "paused"
    time.sleep(0.3)  # the worker now waits between two batches of epoch 0: no second batch may start
    assert run.strategy.epoch_state_.cursor == 1 and not run.epochs
    assert run.store.latest_checkpoint(run.id)[0] == 0  # the interrupted epoch's state is in the store
    run.resume()
    assert run.join(120) == "finished"
    assert run.strategy.alphas() == reference.strategy.alphas()
    assert [e.metrics["batches"] for e in run.epochs] == [4, 4]
