"""Figures of reinforcement-learning searchers: a controller's sampling distribution, its reward and
baseline, and a Q-learner's values. Pure functions, plain records in, ``go.Figure`` out.

>>> nasviz.rl.plot_policy(searcher.probabilities(), space.decisions())
>>> nasviz.rl.plot_rewards(searcher.history)
>>> nasviz.rl.plot_q_values(agent.q_values())
"""
from __future__ import annotations

from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np


class PolicyInfo(NamedTuple):
    decisions: list[str]
    options: list[str]
    probabilities: np.ndarray  # decisions x options, NaN where a decision has fewer options


def _get_policy_info(probabilities: Sequence[Sequence[float]], decisions: Sequence[tuple[str, Sequence[Any]]]) -> PolicyInfo:
    if len(probabilities) != len(decisions):
        raise ValueError(f"got probabilities of {len(probabilities)} decisions for {len(decisions)} decisions")
    width = max(len(opts) for _, opts in decisions)
    grid = np.full((len(decisions), width), np.nan)
    for i, p in enumerate(probabilities):
        grid[i, :len(p)] = p
    same = all(list(opts) == list(decisions[0][1]) for _, opts in decisions)
    options = [str(o) for o in decisions[0][1]] if same else [f"option {k}" for k in range(width)]
    return PolicyInfo([name for name, _ in decisions], options, grid)


def plot_policy(probabilities: Sequence[Sequence[float]], decisions: Sequence[tuple[str, Sequence[Any]]], *,
                title: str = "controller: probability of each option, per decision"):
    """Heatmap of a controller's distribution (rows: decisions, columns: options)."""
    import plotly.graph_objects as go

    info = _get_policy_info(probabilities, decisions)
    fig = go.Figure(go.Heatmap(z=info.probabilities, x=info.options, y=info.decisions, zmin=0, zmax=1,
                               colorscale="Blues", text=np.round(info.probabilities, 2), texttemplate="%{text}"))
    fig.update_layout(title=title, yaxis={"autorange": "reversed"}, height=120 + 28 * len(info.decisions))
    return fig


class RewardInfo(NamedTuple):
    step: np.ndarray
    reward: np.ndarray
    baseline: np.ndarray


def _get_reward_info(history: Sequence[Sequence[float]]) -> RewardInfo:
    arr = np.asarray([list(h)[:2] for h in history], dtype=float).reshape(-1, 2)
    return RewardInfo(np.arange(1, len(arr) + 1), arr[:, 0], arr[:, 1])


def plot_rewards(history: Sequence[Sequence[float]], *, title: str = "REINFORCE: reward and moving-average baseline"):
    """Each told reward and the baseline after it (a REINFORCE searcher's ``history``)."""
    import plotly.graph_objects as go

    info = _get_reward_info(history)
    fig = go.Figure([go.Scatter(x=info.step, y=info.reward, mode="markers", name="reward", marker={"size": 4}),
                     go.Scatter(x=info.step, y=info.baseline, mode="lines", name="baseline")])
    fig.update_layout(title=title, xaxis_title="evaluation", yaxis_title="reward")
    return fig


def plot_q_values(q_values: Mapping[Any, float], *, title: str = "Q-values of the first decision"):
    """Bars of Q per action of one state (a Q-learning searcher's ``q_values(state)``)."""
    import plotly.graph_objects as go

    labels = [str(a) for a in q_values]
    fig = go.Figure(go.Bar(x=labels, y=list(q_values.values())))
    fig.update_layout(title=title, xaxis_title="action", yaxis_title="Q")
    return fig
