"""MetaQNN: Q-learning over layer-by-layer states (Baker, Gupta, Naik & Raskar, ICLR 2017).

The agent builds a network one layer at a time. A *state* is the layer just placed (its kind and
parameters, its depth, and the bin of the feature-map size); an *action* is the next layer, or to
terminate (add the classifier). The only reward comes at the end: the trained network's validation
accuracy. Q-values start at 0.5 and are learned with the one-step update (learning rate 0.01, discount 1)::

    Q(s_T, u_T) <- (1 - a) Q(s_T, u_T) + a * accuracy
    Q(s_i, u_i) <- (1 - a) Q(s_i, u_i) + a * max_u' Q(s_i+1, u')          for i = T-1 .. 0

Each step is epsilon-greedy (a random allowed action with probability epsilon, else the best by Q).
Epsilon follows MetaQNN's schedule (its Table 2): 1.0 for 1,500 models, then 0.9, 0.8, 0.7 for 100 models
each and 0.6 .. 0.1 for 150 models each, 2,700 models in all; ``num_models`` stretches or shrinks that
schedule to another budget. After every model, 100 models drawn from the replay memory (every model
seen so far) are replayed through the update ("experience replay").

State and action rules on the ``layers`` space follow MetaQNN: at most ``max_depth`` layers; a pooling
layer may not follow a pooling layer; a fully connected layer only where the map is at most
``fc_max_size`` wide, at most ``max_fc`` of them, each no wider than the one before; after an fc layer only
fc or terminate; no downsampling of a 1x1 map. MetaQNN bins the feature-map size in its states; with
strides of 2 there are only about log2(input) sizes, so the states here keep the exact size. MetaQNN has
no skip connections, so the archs it proposes have none. On any other space that lists its decisions (NB201) the
states are edge by edge: after deciding edge i the state is (i, the op chosen on edge i).

Workbench objectives are accuracies in %; ``reward_scale=0.01`` turns them into MetaQNN's fractions.
"""
from __future__ import annotations

import ast
import math
from typing import Any, Hashable


from workbench.records import Result
from workbench.searchers import register
from workbench.searchers._base import Searcher

#: MetaQNN's epsilon schedule (Baker et al. 2017, Table 2): (epsilon, number of models).
METAQNN_SCHEDULE: tuple[tuple[float, int], ...] = (
    (1.0, 1500), (0.9, 100), (0.8, 100), (0.7, 100), (0.6, 150), (0.5, 150), (0.4, 150), (0.3, 150),
    (0.2, 150), (0.1, 150),
)

START: tuple = ("start",)
STOP: tuple = ("stop",)


class DecisionEnv:
    """Edge-by-edge (decision-by-decision) states for any space with ``decisions()``: as MetaQNN's state
    is the layer just placed, the state after decision i is ``(i, option chosen)``; actions are the next
    decision's options, and the last decision's only action is to terminate."""

    def __init__(self, space) -> None:
        self.space = space
        self.sizes = [len(options) for _, options in space.decisions()]

    def actions(self, state: tuple) -> list[tuple]:
        step = 0 if state == START else state[0] + 1
        if step >= len(self.sizes):
            return [STOP]
        return [(step, a) for a in range(self.sizes[step])]

    def next_state(self, state: tuple, action: tuple) -> tuple:
        return action

    def trajectory(self, arch) -> list[tuple[tuple, tuple]]:
        """(state, action) pairs that build ``arch``, ending with the terminate action."""
        states = [START] + [(i, int(c)) for i, c in enumerate(self.space.to_decisions(arch))]
        return list(zip(states, states[1:] + [STOP]))

    def arch(self, actions: list[tuple]):
        return self.space.from_decisions([choice for _, choice in actions])


class LayersEnv:
    """MetaQNN's states and actions on the ``layers`` space (see the module docstring)."""

    def __init__(self, space) -> None:
        self.space = space
        from workbench.spaces.layers import conv, fc, pool

        self._make = {"conv": conv, "pool": pool, "fc": fc}

    def _size(self, state: tuple) -> int:
        return state[-1] if state != START else self.space.input_size

    # a state: (depth, kind, params..., num_fc, size), size being the map width after the layer
    def actions(self, state: tuple) -> list[tuple]:
        sp = self.space
        depth = 0 if state == START else state[0]
        if depth >= sp.max_depth:
            return [STOP]
        kind = None if state == START else state[1]
        size = self._size(state)
        num_fc = 0 if state == START else state[-2]
        out: list[tuple] = [] if state == START else [STOP]
        if kind != "fc":
            for k in sp.kernel_sizes:
                for n in sp.filters:
                    for s in sp.strides:
                        if s == 1 or size > 1:
                            out.append(("conv", k, n, s))
            if kind != "pool" and size > 1:
                out.extend(("pool", k, s) for k, s in sp.pools)
        if num_fc < sp.max_fc and size <= sp.fc_max_size:
            limit = state[2] if kind == "fc" else math.inf
            out.extend(("fc", u) for u in sp.fc_units if u <= limit)
        return out

    def next_state(self, state: tuple, action: tuple) -> tuple:
        depth = 0 if state == START else state[0]
        size = self._size(state)
        num_fc = 0 if state == START else state[-2]
        if action[0] in ("conv", "pool"):
            size = math.ceil(size / action[-1])
        else:
            num_fc += 1
        return (depth + 1,) + tuple(action) + (num_fc, size)

    def trajectory(self, arch) -> list[tuple[tuple, tuple]]:
        pairs, state = [], START
        for layer in self.space.validate(arch):
            if layer.kind == "conv":
                action = ("conv", layer.kernel, layer.filters, layer.stride)
            elif layer.kind == "pool":
                action = ("pool", layer.kernel, layer.stride)
            else:
                action = ("fc", layer.units)
            pairs.append((state, action))
            state = self.next_state(state, action)
        pairs.append((state, STOP))
        return pairs

    def arch(self, actions: list[tuple]):
        return tuple(self._make[a[0]](*a[1:]) for a in actions)


@register("qlearning")
class QLearning(Searcher):
    """MetaQNN's Q-learning agent: epsilon-greedy layer-by-layer sampling, Q-updates with experience replay."""

    name = "qlearning"

    def __init__(self, *, space, seed: int | None = None, learning_rate: float = 0.01, discount: float = 1.0,
                 q_init: float = 0.5, replay_batch: int = 100, num_models: int = 2700,
                 schedule: Any = None, reward_scale: float = 0.01) -> None:
        super().__init__(space=space, seed=seed)
        if not 0 < learning_rate <= 1 or not 0 <= discount <= 1:
            raise ValueError(f"need 0 < learning_rate <= 1 and 0 <= discount <= 1, got {learning_rate}, {discount}")
        if num_models < 1 or replay_batch < 0:
            raise ValueError(f"num_models must be >= 1 and replay_batch >= 0, got {num_models}, {replay_batch}")
        self.learning_rate = float(learning_rate)
        self.discount = float(discount)
        self.q_init = float(q_init)
        self.replay_batch = int(replay_batch)
        self.num_models = int(num_models)
        self.schedule = [(float(e), int(n)) for e, n in (schedule or METAQNN_SCHEDULE)]
        self.reward_scale = float(reward_scale)
        self._env = None
        self._ids: dict[Hashable, int] = {}  # state key -> row of the Q table
        self._keys: list[Hashable] = []
        self._actions: list[list[tuple]] = []  # allowed actions per row
        self._q: list[list[float]] = []
        self._memory: list[tuple[list[tuple[int, int, int]], float]] = []  # (row, action, next row) triples, reward
        self._memory_text: list[tuple[str, float]] = []
        self._replay_steps: list[tuple] = []  # _memory with the Q rows themselves (lists updated in place)
        self.num_asked = 0

    # --- environment -------------------------------------------------------------------------------
    @property
    def env(self):
        if self._env is None:
            self._env = LayersEnv(self.space) if self.space.name == "layers" else DecisionEnv(self.space)
        return self._env

    def _row(self, state: tuple) -> int:
        row = self._ids.get(state)
        if row is None:
            row = self._ids[state] = len(self._keys)
            self._keys.append(state)
            acts = self.env.actions(state) if state != STOP else []
            self._actions.append(acts)
            self._q.append([self.q_init] * len(acts))
        return row

    # --- schedule ----------------------------------------------------------------------------------
    def epsilon(self, model: int | None = None) -> float:
        """Epsilon for the ``model``-th proposal (default: the next one), the schedule scaled to ``num_models``."""
        model = self.num_asked if model is None else model
        total = sum(n for _, n in self.schedule)
        done = 0.0
        for eps, n in self.schedule:
            done += n * self.num_models / total
            if model < round(done):
                return eps
        return self.schedule[-1][0]

    @property
    def warmup(self) -> int:
        """How many models are proposed at the first epsilon (1.0: pure random exploration)."""
        total = sum(n for _, n in self.schedule)
        return round(self.schedule[0][1] * self.num_models / total)

    # --- ask / tell --------------------------------------------------------------------------------
    def ask(self) -> Any:
        eps = self.epsilon()
        self.num_asked += 1
        rng = self.rng
        state, actions = START, []
        while True:
            row = self._row(state)
            allowed = self._actions[row]
            if rng.random() < eps:
                a = int(rng.integers(len(allowed)))
            else:
                q = self._q[row]
                best = max(q)
                ties = [i for i, v in enumerate(q) if v == best]
                a = ties[int(rng.integers(len(ties)))] if len(ties) > 1 else ties[0]
            action = allowed[a]
            if action == STOP:
                break
            actions.append(action)
            state = self.env.next_state(state, action)
        return self.env.arch(actions)

    def _transitions(self, arch) -> list[tuple[int, int, int]]:
        out = []
        for state, action in self.env.trajectory(arch):
            row = self._row(state)
            try:
                a = self._actions[row].index(action)
            except ValueError:
                raise ValueError(f"{self.space.to_string(arch)!r} breaks MetaQNN's rules at {state} -> {action}") from None
            nxt = self._row(self.env.next_state(state, action)) if action != STOP else -1
            out.append((row, a, nxt))
        return out

    def tell(self, arch: Any, result: Result) -> None:
        super().tell(arch, result)
        reward = self.reward_scale * float(result.objective)
        self._memory.append((self._transitions(arch), reward))
        self._memory_text.append((self.space.to_string(arch), reward))
        if self.replay_batch:
            picks = self.rng.integers(len(self._memory), size=self.replay_batch)
            self._replay(picks.tolist())

    def _replay(self, picks: list[int]) -> None:
        """MetaQNN's update of each picked trajectory, in order, from the terminal transition backwards (the hot
        loop of a tabular Q-learning search: Q rows are reached as objects, not looked up per step)."""
        alpha, gamma, steps = self.learning_rate, self.discount, self._replay_steps
        while len(steps) < len(self._memory):  # memories told since: their Q rows as objects, newest step first
            transitions, reward = self._memory[len(steps)]
            q = self._q
            row, a, _ = transitions[-1]
            steps.append((q[row], a, reward, tuple((q[r], b, q[n]) for r, b, n in reversed(transitions[:-1]))))
        for j in picks:
            qa, a, reward, earlier = steps[j]
            qa[a] += alpha * (reward - qa[a])
            for qa, a, qn in earlier:
                qa[a] += alpha * (gamma * max(qn) - qa[a])

    # --- views -------------------------------------------------------------------------------------
    def q_table(self) -> list[dict[str, Any]]:
        """Every learned Q-value: one record per (state, action) with the state, the action and Q."""
        return [{"state": key, "action": action, "q": value}
                for key, acts, values in zip(self._keys, self._actions, self._q)
                for action, value in zip(acts, values)]

    def q_values(self, state: tuple = START) -> dict[tuple, float]:
        """The Q-value of each action allowed in ``state`` (default: the first decision)."""
        row = self._row(state)
        return dict(zip(self._actions[row], self._q[row]))

    # --- persistence -------------------------------------------------------------------------------
    def options(self) -> dict[str, Any]:
        return {**super().options(), "learning_rate": self.learning_rate, "discount": self.discount, "q_init": self.q_init,
                "replay_batch": self.replay_batch, "num_models": self.num_models,
                "schedule": [list(p) for p in self.schedule], "reward_scale": self.reward_scale}

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "num_asked": self.num_asked,
                "states": [repr(k) for k in self._keys], "q": [list(v) for v in self._q],
                "memory": [list(m) for m in self._memory_text]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.num_asked = int(state["num_asked"])
        self._ids, self._keys, self._actions, self._q = {}, [], [], []
        for text, values in zip(state["states"], state["q"]):
            row = self._row(ast.literal_eval(text))
            self._q[row] = [float(v) for v in values]
        self._memory, self._memory_text, self._replay_steps = [], [], []
        for text, reward in state["memory"]:
            arch = self.space.from_string(text)
            self._memory.append((self._transitions(arch), float(reward)))
            self._memory_text.append((text, float(reward)))
