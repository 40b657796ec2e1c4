"""MetaQNN's Q-learning: its epsilon schedule, state/action rules, update rule, resumption, and a real search."""
from __future__ import annotations

import json

import numpy as np
import pytest

from workbench import Budget, Run, searchers, spaces
from workbench.estimators import Result
from workbench.searchers.qlearning import START, STOP, LayersEnv


def test_epsilon_schedule_is_metaqnns():
    s = searchers.create("qlearning", space="nb201", seed=0)
    # Baker et al. 2017, Table 2: 1.0 for 1,500 models, 0.9-0.7 for 100 each, 0.6-0.1 for 150 each
    expected = {0: 1.0, 1499: 1.0, 1500: 0.9, 1599: 0.9, 1600: 0.8, 1799: 0.7, 1800: 0.6, 2549: 0.2,
                2550: 0.1, 2699: 0.1, 9999: 0.1}
    assert {m: s.epsilon(m) for m in expected} == expected
    assert s.warmup == 1500
    short = searchers.create("qlearning", space="nb201", seed=0, num_models=200)
    assert short.warmup == 111 and short.epsilon(110) == 1.0 and short.epsilon(111) == 0.9
    assert short.epsilon(199) == 0.1


def test_metaqnn_action_rules_on_layers():
    space = spaces.create("layers", max_depth=4, input_size=16)
    env = LayersEnv(space)
    first = env.actions(START)
    assert STOP not in first and ("pool", 2, 2) in first and not any(a[0] == "fc" for a in first)
    after_pool = env.next_state(START, ("pool", 2, 2))  # 16 -> 8: fc now allowed, another pool not
    acts = env.actions(after_pool)
    assert STOP in acts and ("fc", 64) in acts and not any(a[0] == "pool" for a in acts)
    after_fc = env.next_state(after_pool, ("fc", 32))
    assert env.actions(after_fc) == [STOP, ("fc", 32)]  # only fc no wider than 32, or terminate
    deep = START
    for _ in range(4):
        deep = env.next_state(deep, ("conv", 3, 8, 1))
    assert env.actions(deep) == [STOP]


def test_update_rule_by_hand(nb201):
    """One told model, replayed once: Q(s_T, stop) moves 1% of the way to the reward, and each earlier
    state 1% of the way to the next state's best Q (learning rate 0.01, discount 1, Q0 = 0.5)."""
    s = searchers.create("qlearning", space=nb201, seed=0, replay_batch=1)
    arch = nb201.sample(np.random.default_rng(0))
    s.tell(arch, Result(objective=90.0))
    table = {(str(r["state"]), str(r["action"])): r["q"] for r in s.q_table()}
    choices = nb201.to_decisions(arch)
    q_stop = table[(str((5, choices[5])), str(STOP))]
    assert q_stop == pytest.approx(0.5 + 0.01 * (0.9 - 0.5))
    q_last = table[(str((4, choices[4])), str((5, choices[5])))]
    assert q_last == pytest.approx(0.5 + 0.01 * (q_stop - 0.5))
    q_first = s.q_values(START)[(0, choices[0])]
    assert 0.5 < q_first < q_last
    untouched = [v for a, v in s.q_values(START).items() if a != (0, choices[0])]
    assert untouched == [0.5] * 4


def test_q_values_learn_the_reward_of_the_last_decision(nb201):
    """Rewarded for each 3x3 convolution, the learned Q of terminating after a 3x3 convolution on the last
    edge beats terminating after any other op, and the greedy agent puts one there."""
    s = searchers.create("qlearning", space=nb201, seed=1, schedule=[(1.0, 100), (0.0, 10)], num_models=110)
    for _ in range(100):
        arch = s.ask()
        s.tell(arch, Result(objective=50.0 + 50.0 * arch.count("nor_conv_3x3") / 6))
    conv3 = nb201.ops.index("nor_conv_3x3")
    q_stop = {c: s.q_values((5, c))[STOP] for c in range(5)}
    assert q_stop[conv3] == max(q_stop.values()) and q_stop[conv3] > 0.6
    assert s.ask()[-1] == "nor_conv_3x3"


def test_state_dict_round_trip_on_layers():
    space = spaces.create("layers", max_depth=4)
    a = searchers.create("qlearning", space=space, seed=2, num_models=30)
    for k in range(15):
        arch = a.ask()
        assert space.validate(arch) == arch and all(not layer.skips for layer in arch)
        a.tell(arch, Result(objective=50.0 + len(arch)))
    state = json.loads(json.dumps(a.state_dict()))
    b = searchers.create("qlearning", space=space, seed=99, num_models=30)
    b.load_state_dict(state)
    assert b.q_table() == a.q_table()
    for k in range(10):
        x, y = a.ask(), b.ask()
        assert x == y
        a.tell(x, Result(objective=60.0 + k))
        b.tell(y, Result(objective=60.0 + k))
    assert b.q_table() == a.q_table()


@pytest.mark.slow
def test_metaqnn_on_digits_improves_over_its_random_warmup(tmp_path):
    """A real MetaQNN search: layers on 8x8 digits, each model trained from scratch. The models proposed
    after the epsilon = 1 warm-up are better on average than the warm-up's random ones."""
    space_options = {"input_size": 8, "max_depth": 4, "filters": [4, 16], "kernel_sizes": [1, 3],
                     "fc_units": [32]}
    run = Run(space="layers", space_options=space_options, searcher="qlearning",
              searcher_options={"num_models": 30}, estimator="train",
              estimator_options={"dataset": "digits", "epochs": 3, "lr": 0.1, "data": {"limit": 400},
                                 "device": "cpu"},
              budget=Budget(evaluations=30), seed=0, store=str(tmp_path / "runs.sqlite"))
    run.run()
    values = [t.objective for t in run.trials]
    warmup = run.searcher.warmup
    assert warmup == 17 and len(values) == 30
    assert np.mean(values[warmup:]) > np.mean(values[:warmup]) + 2.0, (values[:warmup], values[warmup:])
