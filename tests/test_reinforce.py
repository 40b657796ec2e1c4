"""REINFORCE (NAS-RL): the numpy controller's gradients equal torch autograd's, it is seeded and resumable,
and it learns on the NB201 table."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from workbench import searchers, spaces
from workbench.estimators import Result
from workbench.searchers.reinforce import IndependentPolicy, LSTMPolicy


def _torch_loss(params, sizes, choices, advantage, entropy_weight, hidden):
    """The same controller written with torch.nn.LSTMCell, for an autograd reference."""
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    cell = torch.nn.LSTMCell(hidden, hidden, dtype=torch.float64)
    with torch.no_grad():
        cell.bias_hh.zero_()
    cell.weight_ih = torch.nn.Parameter(t["w"][:, :hidden])
    cell.weight_hh = torch.nn.Parameter(t["w"][:, hidden:])
    cell.bias_ih = torch.nn.Parameter(t["b"])
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    h = c = torch.zeros(1, hidden, dtype=torch.float64)
    x = t["embed"][0:1]
    log_prob = entropy = 0
    for step, a in enumerate(choices):
        h, c = cell(x, (h, c))
        lo, hi = offsets[step], offsets[step + 1]
        logs = torch.log_softmax(h[0] @ t["w_out"][lo:hi].T + t["b_out"][lo:hi], -1)
        log_prob = log_prob + logs[a]
        entropy = entropy - (logs.exp() * logs).sum()
        x = t["embed"][1 + lo + a: 2 + lo + a]
    return t, -advantage * log_prob - entropy_weight * entropy, log_prob, entropy, cell


@pytest.mark.parametrize("sizes, choices", [([5, 5, 5, 5, 5, 5], [3, 0, 4, 1, 1, 2]), ([4, 3, 2, 5], [0, 2, 1, 4])])
def test_lstm_gradient_equals_torch_autograd(sizes, choices):
    policy = LSTMPolicy(sizes, hidden=7, rng=np.random.default_rng(0), init_range=0.5)
    grad, log_prob, entropy = policy.gradients(choices, advantage=1.7, entropy_weight=0.3)
    t, loss, ref_logp, ref_ent, cell = _torch_loss(policy.params, sizes, choices, 1.7, 0.3, 7)
    loss.backward()
    views = policy.layout.views(grad)
    assert log_prob == pytest.approx(ref_logp.item(), abs=1e-12)
    assert entropy == pytest.approx(ref_ent.item(), abs=1e-12)
    torch_w = torch.cat([cell.weight_ih.grad, cell.weight_hh.grad], dim=1).numpy()
    np.testing.assert_allclose(views["w"], torch_w, atol=1e-12)
    np.testing.assert_allclose(views["b"], cell.bias_ih.grad.numpy(), atol=1e-12)
    for name in ("embed", "w_out", "b_out"):
        np.testing.assert_allclose(views[name], t[name].grad.numpy(), atol=1e-12)


def test_independent_policy_gradient_equals_torch_autograd():
    sizes, choices = [5, 3, 4], [1, 2, 0]
    policy = IndependentPolicy(sizes, hidden=0, rng=np.random.default_rng(1), init_range=1.0)
    grad, log_prob, entropy = policy.gradients(choices, advantage=-0.8, entropy_weight=0.05)
    logits = torch.tensor(policy.flat, requires_grad=True)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    lp = ent = 0
    for t, a in enumerate(choices):
        logs = torch.log_softmax(logits[offsets[t]:offsets[t + 1]], -1)
        lp, ent = lp + logs[a], ent - (logs.exp() * logs).sum()
    (0.8 * lp - 0.05 * ent).backward()
    np.testing.assert_allclose(grad, logits.grad.numpy(), atol=1e-12)
    assert log_prob == pytest.approx(lp.item())


def _table_reward(table, space, dataset="cifar10"):
    col = table.column(dataset, "val_acc", 12)
    rows = {text: i for i, text in enumerate(table.arch_strings.tolist())}
    return lambda arch: float(col[rows[space.to_string(arch)]])


@pytest.mark.parametrize("controller", ["lstm", "independent"])
def test_controller_learns_on_the_nb201_table(controller, nb201_table, nb201):
    """The mean 12-epoch accuracy of what the controller samples rises, and its baseline tracks it."""
    reward = _table_reward(nb201_table, nb201)
    gains = []
    for seed in range(5):
        s = searchers.create("reinforce", space=nb201, seed=seed, controller=controller, lr=0.05)
        values = []
        for _ in range(300):
            arch = s.ask()
            values.append(reward(arch))
            s.tell(arch, Result(objective=values[-1]))
        gains.append(np.mean(values[-100:]) - np.mean(values[:100]))
        assert s.baseline == pytest.approx(s.history[-1][1])
    assert min(gains) > 0, gains
    assert np.mean(gains) > 3.0, gains  # percentage points of 12-epoch validation accuracy


def test_probabilities_move_towards_rewarded_choices(nb201):
    """A reward that pays only for conv3x3 on the first edge teaches the controller exactly that."""
    s = searchers.create("reinforce", space=nb201, seed=0, lr=0.05)
    before = s.probabilities()[0][nb201.ops.index("nor_conv_3x3")]
    for _ in range(150):
        arch = s.ask()
        s.tell(arch, Result(objective=100.0 if arch[0] == "nor_conv_3x3" else 0.0))
    after = s.probabilities()[0][nb201.ops.index("nor_conv_3x3")]
    assert before == pytest.approx(0.2, abs=0.05)
    assert after > 0.9
    assert s.most_likely()[0] == "nor_conv_3x3"


def test_state_dict_holds_weights_and_optimizer_and_resumes_on_layers():
    space = spaces.create("layers")
    a = searchers.create("reinforce", space=space, seed=4)
    for k in range(12):
        arch = a.ask()
        assert space.validate(arch) == arch
        a.tell(arch, Result(objective=float(len(arch)) + 0.1 * k))
    state = json.loads(json.dumps(a.state_dict()))
    assert state["adam"]["step"] == 12 and len(state["history"]) == 12
    assert set(state["params"]["layout"]) == {"embed", "w", "b", "w_out", "b_out"}
    b = searchers.create("reinforce", space=space, seed=0)
    b.load_state_dict(state)
    np.testing.assert_array_equal(a.policy.flat, b.policy.flat)
    for k in range(8):
        x, y = a.ask(), b.ask()
        assert x == y
        a.tell(x, Result(objective=float(k)))
        b.tell(y, Result(objective=float(k)))
    np.testing.assert_array_equal(a.policy.flat, b.policy.flat)


def test_bad_options_are_named(nb201):
    with pytest.raises(ValueError, match="unknown controller 'gru'; accepted: lstm, independent"):
        searchers.create("reinforce", space=nb201, controller="gru")
    with pytest.raises(ValueError, match="baseline_momentum"):
        searchers.create("reinforce", space=nb201, baseline_momentum=1.5)
