"""GDAS: Gumbel-softmax sampling of one op per edge, its temperature schedule, and searches on digits."""
from __future__ import annotations

import pytest
import torch

from workbench import Budget, Run, oneshot, spaces
from workbench.nn.supernet_nb201 import NB201Supernet
from workbench.oneshot.gdas import gumbel_softmax_hard, tau_schedule

TINY = dict(data="digits", data_options={"limit": 160}, batch_size=16, channels=2, cells_per_stage=1, layers=2)


def test_tau_falls_linearly_from_10_to_0_1():
    """Dong & Yang 2019: tau from 10 to 0.1, linearly over the epochs."""
    assert tau_schedule(0, 240, 10.0, 0.1) == 10.0
    assert tau_schedule(239, 240, 10.0, 0.1) == pytest.approx(0.1)
    assert tau_schedule(500, 240, 10.0, 0.1) == pytest.approx(0.1)
    assert tau_schedule(1, 3, 10.0, 0.1) == pytest.approx(5.05)


def test_gumbel_samples_are_one_hot_follow_softmax_and_pass_gradients():
    alphas = torch.tensor([[2.0, 0.0, -1.0, 0.5]], requires_grad=True)
    gen = torch.Generator().manual_seed(0)
    counts = torch.zeros(4)
    for _ in range(4000):
        weights, index = gumbel_softmax_hard(alphas, 1.0, gen)
        counts[index[0]] += 1
    # the Gumbel-max trick: argmax(log p + g) is distributed as p = softmax(alphas), at any tau
    assert torch.allclose(counts / counts.sum(), torch.softmax(alphas.detach(), -1)[0], atol=0.025)
    weights, index = gumbel_softmax_hard(alphas, 0.5, gen)
    assert weights.detach().tolist() == [[1.0 if k == index[0] else 0.0 for k in range(4)]]
    (grad,) = torch.autograd.grad(weights[0, index[0]], [alphas])
    assert grad.abs().sum() > 0  # straight-through: the sampled weight's gradient reaches every alpha


def test_a_sampled_forward_computes_only_the_sampled_ops():
    net = NB201Supernet(num_classes=3, in_channels=1, channels=2, cells_per_stage=1)
    calls = []
    for c, cell in enumerate(m for m in net.modules() if type(m).__name__ == "NB201MixedCell"):
        for e, edge in enumerate(cell.edges):
            for name, op in zip(edge.names, edge.ops):
                op.register_forward_hook(lambda *_, key=(c, e, name): calls.append(key))
    weights, index = gumbel_softmax_hard(net.alphas, 1.0, torch.Generator().manual_seed(3))
    net(torch.randn(2, 1, 6, 6), weights={"normal": weights}, index={"normal": index})
    chosen = {(c, e, net.ops[index[e]]) for c in range(3) for e in range(6) if net.ops[index[e]] != "none"}
    assert set(calls) == chosen and len(calls) == len(chosen)


@pytest.mark.parametrize("space_name", ["nb201", "darts"])
def test_gdas_on_digits_moves_alphas_and_derives_an_arch_of_the_space(space_name):
    space = spaces.create(space_name)
    gdas = oneshot.create("gdas", space=space, batches_per_step=2, epochs=5, seed=2, **TINY)
    before = gdas.alphas()
    first = gdas.step()
    second = gdas.step()
    assert first.metrics["tau"] == 10.0 and second.metrics["tau"] == pytest.approx(10.0 - 9.9 / 4)
    for kind, rows in second.distribution.as_lists().items():
        assert torch.tensor(rows).shape == (len(second.distribution.rows), len(second.distribution.ops))
        assert not torch.equal(torch.tensor(rows), torch.tensor(before[kind]))
    arch = gdas.derive()
    assert space.validate(arch) == arch and second.arch == space.to_string(arch)


def test_gdas_run_resumes_with_identical_alphas(store_path):
    options = dict(TINY, batches_per_step=2, epochs=4)
    reference = Run(space="nb201", strategy="gdas", strategy_options=options, budget=Budget(epochs=3), seed=4,
                    store=store_path).run()
    first = Run(space="nb201", strategy="gdas", strategy_options=options, budget=Budget(epochs=1), seed=4,
                store=store_path).run()
    resumed = Run.resume(first.id, store=store_path, budget=Budget(epochs=3)).run()
    assert resumed.strategy.alphas() == reference.strategy.alphas()
    assert [e.metrics["tau"] for e in resumed.epochs] == [e.metrics["tau"] for e in reference.epochs]
