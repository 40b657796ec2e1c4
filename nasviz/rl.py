"""Figures of reinforcement-learning searchers: a controller's sampling distribution, its reward and
baseline, and a Q-learner's values. Pure functions, plain records in, ``go.Figure`` out.

>>> nasviz.rl.plot_policy(searcher.probabilities(), space.decisions())
>>> nasviz.rl.plot_rewards(searcher.history)
>>> nasviz.rl.plot_q_values(agent.q_values())
>>> nasviz.rl.plot_q_history(q_history)          # Q relative to the state's mean, as epsilon falls
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
    from nasviz._style import style

    style(fig, meta="workbench-policy", height=140 + 28 * len(info.decisions))
    fig.update_layout(title=dict(text=title), yaxis={"autorange": "reversed"})
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
    from nasviz._style import integer_ticks, style

    style(fig, meta="workbench-rewards", height=320)
    fig.update_layout(title=dict(text=title), xaxis_title="evaluation", yaxis_title="reward (validation accuracy, %)",
                      xaxis=integer_ticks(len(info.step), 0))
    return fig


def plot_q_values(q_values: Mapping[Any, float], *, title: str = "Q-values of the first decision"):
    """Bars of Q per action of one state (a Q-learning searcher's ``q_values(state)``), relative to the
    state's mean Q (the absolute values are on hover): what the agent prefers, not where all Q-values sit."""
    import plotly.graph_objects as go

    from nasviz._style import style

    labels = [str(a) for a in q_values]
    values = np.asarray(list(q_values.values()), dtype=float)
    mean = float(values.mean()) if values.size else 0.0
    fig = go.Figure(go.Bar(x=labels, y=values - mean, customdata=values,
                           marker_color=["#d62728" if v == values.max() else "#1f77b4" for v in values],
                           hovertemplate="%{x}: Q %{customdata:.4f} (%{y:+.4f} vs the mean)<extra></extra>"))
    style(fig, meta="workbench-q-values", height=320)
    fig.update_layout(title=dict(text=title), xaxis_title="action",
                      yaxis_title=f"Q − state's mean ({mean:.4f})")
    return fig


class QHistory:
    """Snapshots of a Q-learning searcher's Q-values while a run goes on: subscribe ``record`` to the run.

    >>> history = nasviz.rl.QHistory(run.searcher, states=[START])
    >>> run.subscribe(history.record)       # before run.start() / run.run()
    >>> nasviz.rl.plot_q_history(history)

    ``record`` runs in the run's worker thread after each told result; it only copies a few numbers.
    ``states`` default to the first decision (``START``); ``every`` thins the snapshots.
    """

    def __init__(self, searcher: Any, states: Sequence[Any] | None = None, every: int = 1) -> None:
        from workbench.searchers.qlearning import START

        self.searcher = searcher
        self.states = list(states) if states is not None else [START]
        self.every = max(1, int(every))
        self.models: list[int] = []
        self.epsilons: list[float] = []
        self.values: list[list[dict[Any, float]]] = []  # per snapshot, per state: action -> Q

    def record(self, event: Any) -> None:
        from workbench.runs.events import TrialFinished

        if not isinstance(event, TrialFinished) or event.total % self.every:
            return
        told = int(getattr(self.searcher, "num_told", event.total))
        self.models.append(told)
        self.epsilons.append(float(self.searcher.epsilon(max(told - 1, 0))))
        self.values.append([dict(self.searcher.q_values(s)) for s in self.states])


def _action_label(action: Any, ops: Sequence[str] | None) -> str:
    if ops is not None and isinstance(action, tuple) and len(action) == 2 and isinstance(action[1], int):
        return str(ops[action[1]])
    return str(action[-1] if isinstance(action, tuple) and len(action) == 1 else action)


def plot_q_history(history: QHistory, *, state: int = 0, ops: Sequence[str] | None = None,
                   title: str | None = None):
    """Q of each action of one state minus the state's mean, over the models told, with the epsilon schedule
    shaded: while epsilon is 1 the agent only explores; as it falls, the actions it prefers pull apart."""
    import plotly.graph_objects as go

    from nasviz._colors import _PALETTE
    from nasviz._style import integer_ticks, style

    if not history.models:
        raise ValueError("the Q history is empty: subscribe history.record to the run before it starts")
    snaps = [v[state] for v in history.values]
    actions = list(snaps[-1])
    fig = go.Figure()
    start = 0
    for k in range(1, len(history.models) + 1):  # shade each epsilon phase
        if k == len(history.models) or history.epsilons[k] != history.epsilons[start]:
            eps = history.epsilons[start]
            fig.add_vrect(x0=history.models[start] - 0.5, x1=history.models[k - 1] + 0.5, line_width=0,
                          fillcolor="#9467bd", opacity=0.04 + 0.14 * eps, layer="below",
                          annotation_text=f"ε {eps:g}", annotation_position="top left",
                          annotation_font=dict(size=10, color="#6a4c93"))
            start = k
    for j, action in enumerate(actions):
        rel = [s.get(action, np.nan) - float(np.mean(list(s.values()))) for s in snaps]
        fig.add_trace(go.Scatter(x=history.models, y=rel, mode="lines", name=_action_label(action, ops),
                                 line=dict(color=_PALETTE[j % len(_PALETTE)], width=2)))
    style(fig, meta="workbench-q-history", height=340)
    fig.update_layout(title=dict(text=title or "Q of each action relative to the state's mean, as epsilon falls"),
                      xaxis_title="models told", yaxis_title="Q − mean Q of the state",
                      xaxis=integer_ticks(max(history.models), 0))
    return fig
