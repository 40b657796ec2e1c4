"""REINFORCE with an LSTM controller: neural architecture search with reinforcement learning (NAS-RL).

Zoph & Le (ICLR 2017) let a recurrent controller emit an architecture one decision at a time: at step t
the LSTM reads the embedding of the previous choice, a softmax head for decision t gives the probabilities
of its options, and one is sampled. The accuracy R of the sampled network is the reward, and the
controller ascends the policy gradient (Williams' REINFORCE)::

    grad J = (R - b) * grad sum_t log p(a_t | a_<t)        b: exponential moving average of past rewards

plus ``entropy_weight`` times the gradient of the policy's entropy, which keeps it exploring.
The controller runs on any space that lists its decisions (``space.decisions()``): NB201's 6 edges,
the ``layers`` space's per-layer choices, and later cell and MobileNet spaces.

Defaults follow the NAS-Bench-201 paper's REINFORCE baseline (AutoDL-Projects,
``exps/NAS-Bench-201-algos/reinforce.py`` and ``scripts-search/NAS-Bench-201-algos/REINFORCE.sh``): Adam,
one update per sampled arch, a bias-corrected exponential moving-average baseline with momentum 0.9, the
reward is the validation accuracy in %. That script's policy is a table of independent logits
(``controller="independent"`` here); its header runs it with learning rate 0.001, the repository's docs
reproduce the table with 0.5 and NATS-Bench's version uses 0.01. The default here is the LSTM of NAS-RL
(Zoph & Le: uniform initialisation in [-0.08, 0.08]) with Adam at 0.01 and ENAS's entropy weight 1e-4.

The controller is a small numpy LSTM with hand-written backpropagation (checked against torch's
autograd in the tests): a tiny controller step is ~50x cheaper than torch's per-op overhead, so thousands
of simulated searches on a tabular benchmark take seconds, and the state is plain arrays.
"""
from __future__ import annotations

import base64
from typing import Any, Sequence

import numpy as np

from workbench.estimators._base import Result
from workbench.searchers import register
from workbench.searchers._base import Searcher


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max()
    return z - np.log(np.exp(z).sum())


def encode_array(a: np.ndarray) -> str:
    """float64 array -> base64 text (exact)."""
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f8").tobytes()).decode("ascii")


def decode_array(text: str, shape: Sequence[int]) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f8").reshape(shape).copy()


class LSTMPolicy:
    """A one-layer LSTM that emits one categorical decision per step (NAS-RL's controller).

    Input at step 0 is a learned start embedding; at step t > 0 the embedding of the choice made at t - 1
    (a separate embedding per decision and option). Gate order i, f, g, o, as in ``torch.nn.LSTMCell``.
    """

    kind = "lstm"

    def __init__(self, sizes: Sequence[int], hidden: int, rng: np.random.Generator, init_range: float = 0.08) -> None:
        self.sizes = [int(n) for n in sizes]
        self.hidden = int(hidden)
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(int)
        h, total = self.hidden, int(self.offsets[-1])

        def u(*shape):
            return rng.uniform(-init_range, init_range, size=shape)

        self.params: dict[str, np.ndarray] = {
            "embed": u(1 + total, h),  # row 0: start token; row 1 + offsets[t] + a: option a of decision t
            "w_ih": u(4 * h, h), "w_hh": u(4 * h, h), "b": u(4 * h),
            "w_out": u(total, h), "b_out": u(total),
        }

    def _rows(self, t: int) -> slice:
        return slice(int(self.offsets[t]), int(self.offsets[t + 1]))

    def _step(self, x, h, c):
        p = self.params
        z = p["w_ih"] @ x + p["w_hh"] @ h + p["b"]
        H = self.hidden
        i, f, g, o = _sigmoid(z[:H]), _sigmoid(z[H:2 * H]), np.tanh(z[2 * H:3 * H]), _sigmoid(z[3 * H:])
        c2 = f * c + i * g
        tc = np.tanh(c2)
        return o * tc, c2, (x, h, c, i, f, g, o, tc)

    def sample(self, rng: np.random.Generator, greedy: bool = False) -> tuple[list[int], list[np.ndarray]]:
        """Sample one decision per step; returns the choices and each step's probabilities."""
        p = self.params
        h = np.zeros(self.hidden)
        c = np.zeros(self.hidden)
        x = p["embed"][0]
        choices, probs = [], []
        for t, n in enumerate(self.sizes):
            h, c, _ = self._step(x, h, c)
            rows = self._rows(t)
            logp = _log_softmax(p["w_out"][rows] @ h + p["b_out"][rows])
            prob = np.exp(logp)
            a = int(np.argmax(prob)) if greedy else int(min(np.searchsorted(np.cumsum(prob), rng.random() * prob.sum()), n - 1))
            choices.append(a)
            probs.append(prob)
            x = p["embed"][1 + int(self.offsets[t]) + a]
        return choices, probs

    def probabilities(self, choices: Sequence[int]) -> list[np.ndarray]:
        """Each step's probabilities when the controller is fed ``choices`` (teacher forcing)."""
        return self.forward(choices)[2]

    def forward(self, choices: Sequence[int]):
        p = self.params
        h = np.zeros(self.hidden)
        c = np.zeros(self.hidden)
        x = p["embed"][0]
        caches, hs, probs = [], [], []
        for t, a in enumerate(choices):
            h, c, cache = self._step(x, h, c)
            rows = self._rows(t)
            logp = _log_softmax(p["w_out"][rows] @ h + p["b_out"][rows])
            caches.append(cache)
            hs.append(h)
            probs.append(np.exp(logp))
            x = p["embed"][1 + int(self.offsets[t]) + int(a)]
        return caches, hs, probs

    def gradients(self, choices: Sequence[int], advantage: float, entropy_weight: float):
        """Gradients of ``loss = -advantage * log p(choices) - entropy_weight * entropy`` (summed over steps);
        returns (grads, log_prob, entropy)."""
        p = self.params
        caches, hs, probs = self.forward(choices)
        grads = {k: np.zeros_like(v) for k, v in p.items()}
        H = self.hidden
        log_prob = entropy = 0.0
        dh_next = np.zeros(H)
        dc_next = np.zeros(H)
        for t in reversed(range(len(choices))):
            a = int(choices[t])
            prob = probs[t]
            logs = np.log(np.maximum(prob, 1e-300))
            ent = float(-(prob * logs).sum())
            log_prob += float(logs[a])
            entropy += ent
            onehot = np.zeros_like(prob)
            onehot[a] = 1.0
            dz_out = -advantage * (onehot - prob) + entropy_weight * prob * (logs + ent)
            rows = self._rows(t)
            grads["w_out"][rows] += np.outer(dz_out, hs[t])
            grads["b_out"][rows] += dz_out
            dh = p["w_out"][rows].T @ dz_out + dh_next
            x, h_prev, c_prev, i, f, g, o, tc = caches[t]
            do = dh * tc
            dc = dc_next + dh * o * (1.0 - tc * tc)
            dz = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g), do * o * (1 - o)])
            grads["w_ih"] += np.outer(dz, x)
            grads["w_hh"] += np.outer(dz, h_prev)
            grads["b"] += dz
            row = 0 if t == 0 else 1 + int(self.offsets[t - 1]) + int(choices[t - 1])
            grads["embed"][row] += p["w_ih"].T @ dz
            dh_next = p["w_hh"].T @ dz
            dc_next = dc * f
        return grads, log_prob, entropy


class IndependentPolicy:
    """One independent softmax per decision: the policy of NAS-Bench-201's REINFORCE baseline
    (logits initialised at 1e-3 * N(0, 1), as in AutoDL-Projects)."""

    kind = "independent"

    def __init__(self, sizes: Sequence[int], hidden: int, rng: np.random.Generator, init_range: float = 1e-3) -> None:
        self.sizes = [int(n) for n in sizes]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(int)
        self.params = {"logits": init_range * rng.standard_normal(int(self.offsets[-1]))}

    def probabilities(self, choices: Sequence[int] | None = None) -> list[np.ndarray]:
        z = self.params["logits"]
        return [np.exp(_log_softmax(z[self.offsets[t]:self.offsets[t + 1]])) for t in range(len(self.sizes))]

    def sample(self, rng: np.random.Generator, greedy: bool = False) -> tuple[list[int], list[np.ndarray]]:
        probs = self.probabilities()
        choices = [int(np.argmax(pr)) if greedy else int(min(np.searchsorted(np.cumsum(pr), rng.random() * pr.sum()), len(pr) - 1))
                   for pr in probs]
        return choices, probs

    def gradients(self, choices: Sequence[int], advantage: float, entropy_weight: float):
        probs = self.probabilities()
        grad = np.zeros_like(self.params["logits"])
        log_prob = entropy = 0.0
        for t, (a, prob) in enumerate(zip(choices, probs)):
            logs = np.log(np.maximum(prob, 1e-300))
            ent = float(-(prob * logs).sum())
            log_prob += float(logs[int(a)])
            entropy += ent
            onehot = np.zeros_like(prob)
            onehot[int(a)] = 1.0
            grad[self.offsets[t]:self.offsets[t + 1]] = -advantage * (onehot - prob) + entropy_weight * prob * (logs + ent)
        return {"logits": grad}, log_prob, entropy


POLICIES = {"lstm": LSTMPolicy, "independent": IndependentPolicy}


class Adam:
    """Adam (Kingma & Ba) over a dict of numpy arrays, with torch's defaults (betas 0.9, 0.999, eps 1e-8)."""

    def __init__(self, params: dict[str, np.ndarray], lr: float, betas=(0.9, 0.999), eps: float = 1e-8) -> None:
        self.lr, self.betas, self.eps = float(lr), betas, eps
        self.step_count = 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.step_count += 1
        b1, b2 = self.betas
        c1 = 1 - b1 ** self.step_count
        c2 = 1 - b2 ** self.step_count
        for k, g in grads.items():
            m, v = self.m[k], self.v[k]
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            params[k] -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)


@register("reinforce")
class Reinforce(Searcher):
    """NAS-RL: an LSTM controller (or NB201's independent policy) trained by REINFORCE.

    ``ask()`` samples an arch from the controller; ``tell(arch, result)`` makes one policy-gradient step
    with reward ``reward_scale * result.objective`` against the moving-average baseline. Archs told
    without being asked are learned from too (their log-probability is recomputed).
    """

    name = "reinforce"

    def __init__(self, *, space, seed: int | None = None, controller: str = "lstm", hidden_size: int = 16,
                 lr: float = 0.01, baseline_momentum: float = 0.9, entropy_weight: float = 1e-4,
                 reward_scale: float = 1.0, init_range: float | None = None) -> None:
        super().__init__(space=space, seed=seed)
        if controller not in POLICIES:
            raise ValueError(f"unknown controller {controller!r}; accepted: {', '.join(POLICIES)}")
        if not 0.0 <= baseline_momentum < 1.0:
            raise ValueError(f"baseline_momentum must be in [0, 1), got {baseline_momentum}")
        if lr <= 0 or hidden_size < 1:
            raise ValueError(f"lr and hidden_size must be positive, got lr={lr}, hidden_size={hidden_size}")
        self.controller = controller
        self.hidden_size = int(hidden_size)
        self.lr = float(lr)
        self.baseline_momentum = float(baseline_momentum)
        self.entropy_weight = float(entropy_weight)
        self.reward_scale = float(reward_scale)
        self.init_range = init_range
        self._policy = None
        self._adam: Adam | None = None
        self._ema_num = 0.0
        self._ema_den = 0.0
        #: per tell: (reward, baseline after the update, log-probability, entropy) for live plots
        self.history: list[tuple[float, float, float, float]] = []

    # --- the controller ------------------------------------------------------------------------------
    def _sizes(self) -> list[int]:
        return [len(options) for _, options in self.space.decisions()]

    @property
    def policy(self):
        if self._policy is None:
            init_rng = np.random.default_rng(np.random.SeedSequence(self.seed).spawn(1)[0])
            cls = POLICIES[self.controller]
            kwargs = {} if self.init_range is None else {"init_range": self.init_range}
            self._policy = cls(self._sizes(), self.hidden_size, init_rng, **kwargs)
            self._adam = Adam(self._policy.params, self.lr)
        return self._policy

    @property
    def baseline(self) -> float | None:
        """The bias-corrected moving average of rewards (None before the first tell)."""
        return self._ema_num / self._ema_den if self._ema_den else None

    def ask(self) -> Any:
        choices, _ = self.policy.sample(self.rng)
        return self.space.from_decisions(choices)

    def tell(self, arch: Any, result: Result) -> None:
        super().tell(arch, result)
        policy = self.policy
        reward = self.reward_scale * float(result.objective)
        m = self.baseline_momentum
        self._ema_num = m * self._ema_num + (1 - m) * reward
        self._ema_den = m * self._ema_den + (1 - m)
        advantage = reward - self.baseline
        grads, log_prob, entropy = policy.gradients(self.space.to_decisions(arch), advantage, self.entropy_weight)
        self._adam.step(policy.params, grads)
        self.history.append((reward, float(self.baseline), log_prob, entropy))

    def probabilities(self, arch: Any | None = None) -> list[np.ndarray]:
        """Per decision, the controller's probabilities of each option: along ``arch`` (fed its own choices)
        or, without one, along the controller's most likely arch."""
        policy = self.policy
        if arch is None:
            choices, probs = policy.sample(self.rng, greedy=True)
            return probs
        return policy.probabilities(self.space.to_decisions(arch))

    def most_likely(self) -> Any:
        """The arch made of each step's most likely choice."""
        choices, _ = self.policy.sample(self.rng, greedy=True)
        return self.space.from_decisions(choices)

    # --- persistence ---------------------------------------------------------------------------------
    def hyperparameters(self) -> dict[str, Any]:
        return {"controller": self.controller, "hidden_size": self.hidden_size, "lr": self.lr,
                "baseline_momentum": self.baseline_momentum, "entropy_weight": self.entropy_weight,
                "reward_scale": self.reward_scale, "init_range": self.init_range}

    def state_dict(self) -> dict[str, Any]:
        policy = self.policy
        arrays = {k: {"shape": list(v.shape), "data": encode_array(v)} for k, v in policy.params.items()}
        adam = {"step": self._adam.step_count,
                "m": {k: encode_array(v) for k, v in self._adam.m.items()},
                "v": {k: encode_array(v) for k, v in self._adam.v.items()}}
        return {**super().state_dict(), "hyperparameters": self.hyperparameters(), "params": arrays, "adam": adam,
                "baseline": [self._ema_num, self._ema_den], "history": [list(h) for h in self.history]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        policy = self.policy
        for k, spec in state["params"].items():
            policy.params[k] = decode_array(spec["data"], spec["shape"])
        self._adam = Adam(policy.params, self.lr)
        self._adam.step_count = int(state["adam"]["step"])
        for k, spec in state["params"].items():
            self._adam.m[k] = decode_array(state["adam"]["m"][k], spec["shape"])
            self._adam.v[k] = decode_array(state["adam"]["v"][k], spec["shape"])
        self._ema_num, self._ema_den = (float(x) for x in state["baseline"])
        self.history = [tuple(h) for h in state.get("history", [])]
