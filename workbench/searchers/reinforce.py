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

``zero_cost={"proxy": "synflow", "warmup": N, "top": 10, "proposals": k}`` (off by default): the first asks
are the proxy's ``top`` best of N random archs, which the controller learns from as it is told their
results, and later asks are the proxy's best of k samples of the controller (Abdelfattah et al., ICLR 2021,
section 5; see ``workbench.searchers._zerocost``).
"""
from __future__ import annotations

import base64
from typing import Any, Sequence

import numpy as np

from workbench.records import Result
from workbench.searchers import register
from workbench.searchers._base import Searcher
from workbench.searchers._zerocost import ZeroCostGuide


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-z))``: the same doubles as scipy's ``expit`` (which computes it so), without scipy."""
    if z.min() < -700.0:  # exp(-z) overflows to inf there and the sigmoid is 0, as expit gives
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-z))
    return 1.0 / (1.0 + np.exp(-z))


def encode_array(a: np.ndarray) -> str:
    """float64 array -> base64 text (exact)."""
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f8").tobytes()).decode("ascii")


def decode_array(text: str, shape: Sequence[int]) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f8").reshape(shape).copy()


class _Flat:
    """Named views into one flat float64 vector, so that Adam and the state are one array each."""

    def __init__(self, shapes: dict[str, tuple[int, ...]]) -> None:
        self.shapes = shapes
        self.size = sum(int(np.prod(s)) for s in shapes.values())

    def views(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        out, k = {}, 0
        for name, shape in self.shapes.items():
            n = int(np.prod(shape))
            out[name] = flat[k:k + n].reshape(shape)
            k += n
        return out


class LSTMPolicy:
    """A one-layer LSTM that emits one categorical decision per step (NAS-RL's controller).

    Input at step 0 is a learned start embedding; at step t > 0 the embedding of the choice made at t - 1
    (a separate embedding per decision and option). ``w`` is ``[w_ih | w_hh]`` with gate order i, f, g, o,
    as in ``torch.nn.LSTMCell``; each decision has its own softmax head (rows of ``w_out``).
    """

    kind = "lstm"

    def __init__(self, sizes: Sequence[int], hidden: int, rng: np.random.Generator, init_range: float = 0.08) -> None:
        self.sizes = [int(n) for n in sizes]
        self.hidden = h = int(hidden)
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(int).tolist()
        total = self.offsets[-1]
        self.layout = _Flat({"embed": (1 + total, h), "w": (4 * h, 2 * h), "b": (4 * h,),
                             "w_out": (total, h), "b_out": (total,)})
        self.flat = rng.uniform(-init_range, init_range, size=self.layout.size)
        self.params = self.layout.views(self.flat)
        self._cache: tuple | None = None

    def run(self, choices: Sequence[int] | None = None, rng: np.random.Generator | None = None,
            greedy: bool = False):
        """Feed ``choices`` (teacher forcing) or sample them (Gumbel-max with ``rng``, or greedily); returns
        (choices, logits per step, caches for backpropagation)."""
        p = self.params
        H = self.hidden
        w, b, embed, w_out, b_out = p["w"], p["b"], p["embed"], p["w_out"], p["b_out"]
        noise = None
        if choices is None and not greedy:
            noise = -np.log(-np.log(rng.random(self.offsets[-1])))
        h = np.zeros(H)
        c = np.zeros(H)
        x = embed[0]
        out, logits_all, caches = [], [], []
        for t in range(len(self.sizes)):
            xh = np.concatenate((x, h))
            z = w @ xh
            z += b
            s = _sigmoid(z)  # every gate's sigmoid; the g slice is replaced by tanh
            g = np.tanh(z[2 * H:3 * H])
            c_prev = c
            c = s[H:2 * H] * c + s[:H] * g
            tc = np.tanh(c)
            h = s[3 * H:] * tc
            lo, hi = self.offsets[t], self.offsets[t + 1]
            logits = w_out[lo:hi] @ h + b_out[lo:hi]
            if choices is not None:
                a = int(choices[t])
            elif greedy:
                a = int(np.argmax(logits))
            else:
                a = int(np.argmax(logits + noise[lo:hi]))
            out.append(a)
            logits_all.append(logits)
            caches.append((xh, c_prev, s, g, tc, h))
            x = embed[1 + lo + a]
        return out, logits_all, caches

    @staticmethod
    def _softmax(logits: np.ndarray) -> np.ndarray:
        e = np.exp(logits - logits.max())
        return e / e.sum()

    def sample(self, rng: np.random.Generator, greedy: bool = False) -> tuple[list[int], list[np.ndarray]]:
        """Sample one decision per step; returns the choices and each step's probabilities."""
        choices, logits, caches = self.run(rng=rng, greedy=greedy)
        if not greedy:
            self._cache = (tuple(choices), logits, caches)
        return choices, [self._softmax(z) for z in logits]

    def probabilities(self, choices: Sequence[int]) -> list[np.ndarray]:
        """Each step's probabilities when the controller is fed ``choices`` (teacher forcing)."""
        return [self._softmax(z) for z in self.run(choices)[1]]

    def gradients(self, choices: Sequence[int], advantage: float, entropy_weight: float):
        """Gradient of ``loss = -advantage * log p(choices) - entropy_weight * entropy`` (summed over steps) as
        one flat vector; returns (grad, log_prob, entropy). Reuses the forward pass of the last sample."""
        choices = [int(a) for a in choices]
        if self._cache is not None and self._cache[0] == tuple(choices):
            _, logits, caches = self._cache
        else:
            _, logits, caches = self.run(choices)
        self._cache = None  # the parameters are about to change
        p = self.params
        H = self.hidden
        T = len(choices)
        starts = self._starts
        seg = self._segment
        grad = np.zeros_like(self.flat)
        gv = self.layout.views(grad)
        # the softmax heads, all steps at once
        z = np.concatenate(logits)
        z -= np.maximum.reduceat(z, starts)[seg]
        e = np.exp(z)
        logs = z - np.log(np.add.reduceat(e, starts))[seg]
        prob = np.exp(logs)
        plogs = prob * logs
        ent = -np.add.reduceat(plogs, starts)
        chosen = starts + np.asarray(choices)
        log_prob = float(logs[chosen].sum())
        entropy = float(ent.sum())
        dz_out = advantage * prob
        if entropy_weight:
            dz_out += entropy_weight * (plogs + prob * ent[seg])
        dz_out[chosen] -= advantage
        xhs, c_prevs, ss, gs, tcs, hs = (np.stack(a) for a in zip(*caches))
        gv["w_out"][:] = dz_out[:, None] * hs[seg]
        gv["b_out"][:] = dz_out
        dh_heads = np.add.reduceat(p["w_out"] * dz_out[:, None], starts, axis=0)
        # gate derivatives, all steps at once
        deriv = ss * (1.0 - ss)
        deriv[:, 2 * H:3 * H] = 1.0 - gs * gs
        o_dtanh = ss[:, 3 * H:] * (1.0 - tcs * tcs)
        fs, is_ = ss[:, H:2 * H], ss[:, :H]
        # the recurrence, backwards
        w_h = p["w"][:, H:]
        dzs = np.empty((T, 4 * H))
        dh_next = np.zeros(H)
        dc_next = np.zeros(H)
        for t in range(T - 1, -1, -1):
            dh = dh_heads[t] + dh_next
            dc = dc_next + dh * o_dtanh[t]
            dz = np.concatenate((dc * gs[t], dc * c_prevs[t], dc * is_[t], dh * tcs[t]))
            dz *= deriv[t]
            dzs[t] = dz
            dh_next = dz @ w_h
            dc_next = dc * fs[t]
        gv["w"][:] = dzs.T @ xhs
        gv["b"][:] = dzs.sum(axis=0)
        rows = np.concatenate(([0], 1 + starts[:-1] + np.asarray(choices[:-1], dtype=int)))
        np.add.at(gv["embed"], rows, dzs @ p["w"][:, :H])
        return grad, log_prob, entropy

    @property
    def _starts(self) -> np.ndarray:
        return np.asarray(self.offsets[:-1])

    @property
    def _segment(self) -> np.ndarray:
        seg = getattr(self, "_segment_cache", None)
        if seg is None:
            seg = self._segment_cache = np.repeat(np.arange(len(self.sizes)), self.sizes)
        return seg


class IndependentPolicy:
    """One independent softmax per decision: the policy of NAS-Bench-201's REINFORCE baseline
    (logits initialised at 1e-3 * N(0, 1), as in AutoDL-Projects)."""

    kind = "independent"

    def __init__(self, sizes: Sequence[int], hidden: int, rng: np.random.Generator, init_range: float = 1e-3) -> None:
        self.sizes = [int(n) for n in sizes]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(int).tolist()
        self.layout = _Flat({"logits": (self.offsets[-1],)})
        self.flat = init_range * rng.standard_normal(self.layout.size)
        self.params = self.layout.views(self.flat)

    def _log_probs(self) -> np.ndarray:
        """Log-probabilities of every option, flat (softmax within each decision)."""
        z = self.flat
        if self._equal:
            m = z.reshape(len(self.sizes), -1)
            m = m - m.max(axis=1, keepdims=True)
            return (m - np.log(np.exp(m).sum(axis=1, keepdims=True))).ravel()
        starts = np.asarray(self.offsets[:-1])
        seg = np.repeat(np.arange(len(self.sizes)), self.sizes)
        m = z - np.maximum.reduceat(z, starts)[seg]
        return m - np.log(np.add.reduceat(np.exp(m), starts))[seg]

    @property
    def _equal(self) -> bool:
        return len(set(self.sizes)) == 1

    def probabilities(self, choices: Sequence[int] | None = None) -> list[np.ndarray]:
        p = np.exp(self._log_probs())
        return [p[self.offsets[t]:self.offsets[t + 1]] for t in range(len(self.sizes))]

    def sample(self, rng: np.random.Generator, greedy: bool = False) -> tuple[list[int], list[np.ndarray]]:
        """Gumbel-max sampling of every decision at once (or each decision's most likely option)."""
        scores = self.flat.copy() if greedy else self.flat - np.log(-np.log(rng.random(self.flat.size)))
        if self._equal:
            choices = scores.reshape(len(self.sizes), -1).argmax(axis=1).tolist()
        else:
            choices = [int(np.argmax(scores[self.offsets[t]:self.offsets[t + 1]])) for t in range(len(self.sizes))]
        return choices, self.probabilities()

    def gradients(self, choices: Sequence[int], advantage: float, entropy_weight: float):
        logs = self._log_probs()
        prob = np.exp(logs)
        starts = np.asarray(self.offsets[:-1])
        seg = np.repeat(np.arange(len(self.sizes)), self.sizes)
        plogs = prob * logs
        ent = -np.add.reduceat(plogs, starts)
        chosen = starts + np.asarray(choices, dtype=int)
        grad = advantage * prob
        if entropy_weight:
            grad += entropy_weight * (plogs + prob * ent[seg])
        grad[chosen] -= advantage
        return grad, float(logs[chosen].sum()), float(ent.sum())


POLICIES = {"lstm": LSTMPolicy, "independent": IndependentPolicy}


class Adam:
    """Adam (Kingma & Ba) on one flat parameter vector, with torch's defaults (betas 0.9, 0.999, eps 1e-8)."""

    def __init__(self, size: int, lr: float, betas=(0.9, 0.999), eps: float = 1e-8) -> None:
        self.lr, self.betas, self.eps = float(lr), betas, eps
        self.step_count = 0
        self.m = np.zeros(size)
        self.v = np.zeros(size)

    def step(self, flat: np.ndarray, grad: np.ndarray) -> None:
        """Update ``flat`` in place."""
        self.step_count += 1
        b1, b2 = self.betas
        self.m *= b1
        self.m += (1 - b1) * grad
        self.v *= b2
        self.v += (1 - b2) * grad * grad
        step = self.lr / (1 - b1 ** self.step_count)
        denom = np.sqrt(self.v / (1 - b2 ** self.step_count))
        denom += self.eps
        flat -= step * self.m / denom


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
                 reward_scale: float = 1.0, init_range: float | None = None, zero_cost: dict | None = None,
                 scorer=None) -> None:
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
        # zero-cost warm-up (first asks = the proxy's best) and move proposal; off by default
        self.zero_cost = ZeroCostGuide.maybe(space, seed, zero_cost, top=10, scorer=scorer)

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
            self._adam = Adam(self._policy.flat.size, self.lr)
        return self._policy

    @property
    def baseline(self) -> float | None:
        """The bias-corrected moving average of rewards (None before the first tell)."""
        return self._ema_num / self._ema_den if self._ema_den else None

    def ask(self) -> Any:
        warm = self.zero_cost.next_warm() if self.zero_cost else None
        if warm is not None:
            return warm
        if self.zero_cost and self.zero_cost.proposals:
            return self.zero_cost.best([self.space.from_decisions(self.policy.sample(self.rng)[0])
                                        for _ in range(self.zero_cost.proposals)])
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
        grad, log_prob, entropy = policy.gradients(self.space.to_decisions(arch), advantage, self.entropy_weight)
        self._adam.step(policy.flat, grad)
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
    def options(self) -> dict[str, Any]:
        return {**super().options(), "controller": self.controller, "hidden_size": self.hidden_size, "lr": self.lr,
                "baseline_momentum": self.baseline_momentum, "entropy_weight": self.entropy_weight,
                "reward_scale": self.reward_scale, "init_range": self.init_range,
                "zero_cost": self.zero_cost.options() if self.zero_cost else None, "scorer": None}

    def state_dict(self) -> dict[str, Any]:
        policy = self.policy
        return {**super().state_dict(), "options": self.options(),
                "params": {"layout": {k: list(v) for k, v in policy.layout.shapes.items()},
                           "data": encode_array(policy.flat)},
                "adam": {"step": self._adam.step_count, "m": encode_array(self._adam.m),
                         "v": encode_array(self._adam.v)},
                "baseline": [self._ema_num, self._ema_den], "history": [list(h) for h in self.history],
                **({"zero_cost": self.zero_cost.state_dict()} if self.zero_cost else {})}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        policy = self.policy
        layout = {k: tuple(v) for k, v in state["params"]["layout"].items()}
        if layout != policy.layout.shapes:
            raise ValueError(f"this state holds a controller of shapes {layout}, this searcher's is "
                             f"{policy.layout.shapes} (another space or hidden_size?)")
        policy.flat[:] = decode_array(state["params"]["data"], (policy.layout.size,))
        if hasattr(policy, "_cache"):
            policy._cache = None
        self._adam = Adam(policy.layout.size, self.lr)
        self._adam.step_count = int(state["adam"]["step"])
        self._adam.m[:] = decode_array(state["adam"]["m"], (policy.layout.size,))
        self._adam.v[:] = decode_array(state["adam"]["v"], (policy.layout.size,))
        self._ema_num, self._ema_den = (float(x) for x in state["baseline"])
        self.history = [tuple(h) for h in state.get("history", [])]
        if self.zero_cost and "zero_cost" in state:
            self.zero_cost.load_state_dict(state["zero_cost"])
