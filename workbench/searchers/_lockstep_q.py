"""Lockstep Q-learning (MetaQNN, ``workbench.searchers.qlearning``) on the NB201 table: many searches at once.

Each search keeps its own PCG64 generator, seeded as the searcher seeds it. Q-learning mixes two kinds of
draw, and numpy serves them differently from the same stream of raw 64-bit words:

- ``random()`` takes a whole fresh word ``w`` and returns ``(w >> 11) * 2**-53``; it neither uses nor
  clears a buffered 32-bit half;
- ``integers(n)`` and ``integers(n, size=k)`` (``n`` below ``2**32``) draw 32-bit values one after another:
  the buffered half if there is one (then the buffer is empty), else a fresh word's low half, its high
  half buffered; each value goes through Lemire's bounded draw (a rejected value is redrawn the same way).
  ``integers(1)`` draws nothing.

``_Words`` models exactly that for every search at once: a row of raw words per search, a word cursor, a
buffered-half flag and value per search (``tests/test_lockstep.py`` checks it against numpy call by call).

A search is the searcher's own algorithm step for step (``DecisionEnv`` on NB201): seven decisions per
model (START, then (edge i, op chosen) for i = 0..5, the last with STOP as its only action), each drawing
``random() < epsilon`` and then either a uniform action or the greedy one (ties broken by a draw only
where there are several); then the reward ``reward_scale * objective``, the memory appended, and
``replay_batch`` memories drawn and replayed in order, each from the terminal transition backwards. The Q
table of each search is a row of 31 states x 5 actions (START = 0, state (i, c) = 1 + 5 i + c; the
five STOP states use action 0 only, their other entries -inf so that a row's max is its Q-value). Every Q
update is the loop's float64 expression, in the loop's order, across searches at once, so the Q-values,
hence the archs, are bit for bit the loop's.
"""
from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from workbench.searchers._lockstep import _BATCH, _EDGES, _STEPS, Plan, _Searches

_U32 = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)
_DOUBLE = 1.0 / 9007199254740992.0  # 2**-53
_STATES = 1 + 5 * _EDGES  # START and (edge, op)
_ACTS = 5
_ROW = _STATES * _ACTS  # Q entries per search
_CHUNK = 4096  # words taken at a time after the first
_COLUMNS = np.arange(_ACTS)[:, None]
_SEVEN, _SIX = np.arange(7)[:, None], np.arange(6)[:, None]


class _Words:
    """Each search's PCG64 stream as numpy serves ``random()`` and 32-bit bounded ``integers``: raw words, a
    word cursor, and the buffered high half (flag and value) per search."""

    def __init__(self, seeds: list[int], words: int) -> None:
        self.gens = [np.random.default_rng(s).bit_generator for s in seeds]
        n = len(seeds)
        self.words = np.empty((n, 0), dtype=np.uint64)
        self.pos = np.zeros(n, dtype=np.int64)
        self.has = np.zeros(n, dtype=bool)  # a fresh generator has no half left over
        self.buf = np.zeros(n, dtype=np.uint64)
        self.rows = np.arange(n)
        self._take(words)

    def _take(self, words: int, drop: bool = True) -> None:
        """Append ``words`` more raw words to every row, first dropping the words every search has used
        (unless ``drop`` is False: the cursors keep their meaning)."""
        used = int(self.pos.min()) if len(self.pos) and drop else 0
        if used:
            self.words, self.pos = self.words[:, used:], self.pos - used
        new = np.stack([g.random_raw(words) for g in self.gens]) if self.gens else np.empty((0, words), np.uint64)
        self.words = np.ascontiguousarray(np.concatenate([self.words, new], axis=1))

    def ensure(self, words: int) -> None:
        """Make sure every search has ``words`` more raw words ahead of its cursor."""
        short = int(self.pos.max()) + words - self.words.shape[1] if len(self.pos) else 0
        if short > 0:  # (a cursor may stand past the end: ``skip_random`` reads nothing)
            self._take(max(_CHUNK, short))

    def keep(self, mask: np.ndarray) -> None:
        """Drop the searches not in ``mask``."""
        self.gens = [g for g, k in zip(self.gens, mask.tolist()) if k]
        self.words, self.pos, self.has, self.buf = self.words[mask], self.pos[mask], self.has[mask], self.buf[mask]
        self.rows = np.arange(len(self.gens))

    def random(self) -> np.ndarray:
        """Every search's ``random()``."""
        self.ensure(1)
        w = self.words[self.rows, self.pos]
        self.pos += 1
        return (w >> np.uint64(11)).astype(np.float64) * _DOUBLE

    def skip_random(self) -> None:
        """Every search's ``random()`` whose value nothing reads."""
        self.pos += 1

    def _next32(self, s: int) -> int:
        if self.has[s]:
            self.has[s] = False
            return int(self.buf[s])
        if self.pos[s] >= self.words.shape[1]:
            self._take(max(_CHUNK, int(self.pos[s]) + 1 - self.words.shape[1]), drop=False)
        w = int(self.words[s, self.pos[s]])
        self.pos[s] += 1
        self.has[s], self.buf[s] = True, w >> 32
        return w & 0xFFFFFFFF

    def _bounded_one(self, s: int, excl: int) -> int:
        """Search ``s``'s ``integers(excl)``, one by one (Lemire with rejection, as numpy)."""
        if excl == 1:
            return 0
        threshold = (0x100000000 - excl) % excl
        m = self._next32(s) * excl
        while m & 0xFFFFFFFF < threshold:
            m = self._next32(s) * excl
        return m >> 32

    def bounded(self, excl, searches: np.ndarray) -> np.ndarray:
        """``integers(excl)`` of each search in ``searches`` (indices; ``excl`` an int or one per search, each
        at least 2)."""
        self.ensure(1)
        pos, has = self.pos[searches], self.has[searches]
        fresh = self.words[searches, pos]
        h = np.where(has, self.buf[searches], fresh & _U32)
        self.buf[searches] = np.where(has, self.buf[searches], fresh >> _SHIFT)
        self.pos[searches] = pos + ~has
        self.has[searches] = ~has
        excl = np.asarray(excl, dtype=np.uint64)
        m = h * excl
        threshold = (np.uint64(0x100000000) - excl) % excl
        bad = (m & _U32) < threshold
        if bad.any():  # rejection: redrawn search by search
            excl_b = np.broadcast_to(excl, m.shape)
            for i in np.flatnonzero(bad).tolist():
                s, e = int(searches[i]), int(excl_b[i])
                value = int(m[i])
                while value & 0xFFFFFFFF < (0x100000000 - e) % e:
                    value = self._next32(s) * e
                m[i] = value
        return (m >> _SHIFT).astype(np.int64)

    def bounded_many(self, excl: int, k: int) -> np.ndarray:
        """Every search's ``integers(excl, size=k)``, shape (searches, k)."""
        n = len(self.pos)
        if excl == 1 or k == 0:
            return np.zeros((n, k), dtype=np.int64)
        self.ensure(k // 2 + 1)
        pos, has, buf = self.pos.copy(), self.has.copy(), self.buf.copy()
        lead = has.astype(np.int64)
        halves = self.words.view(np.uint32)  # a word's low half, then its high half
        at = 2 * pos[:, None] + np.arange(k)[None, :] - lead[:, None]
        h = halves[self.rows[:, None], np.maximum(at, 0)].astype(np.uint64)
        h[:, 0] = np.where(has, buf, h[:, 0])
        fresh = k - lead  # halves of fresh words used
        odd = fresh % 2 == 1
        self.pos = pos + (fresh + 1) // 2
        self.has = odd
        last = halves[self.rows, np.minimum(2 * pos + fresh, halves.shape[1] - 1)]  # the high half left over
        self.buf = np.where(odd, last.astype(np.uint64), buf)
        m = h * np.uint64(excl)
        threshold = (0x100000000 - excl) % excl
        out = (m >> _SHIFT).astype(np.int64)
        if threshold:
            for s in np.flatnonzero(((m & _U32) < np.uint64(threshold)).any(axis=1)).tolist():
                self.pos[s], self.has[s], self.buf[s] = pos[s], has[s], buf[s]  # redo this search one by one
                out[s] = [self._bounded_one(s, excl) for _ in range(k)]
        return out


class QPlan(Plan):
    """The lockstep engine for ``qlearning`` searches on NB201 (from ``_lockstep.plan``)."""

    def __init__(self, space, searcher, estimator, max_evals: float, max_sim: float) -> None:
        super().__init__(space, "qlearning", 0, 0, estimator, max_evals, max_sim)
        self.alpha, self.gamma = searcher.learning_rate, searcher.discount
        self.q_init, self.replay = searcher.q_init, searcher.replay_batch
        self.reward_scale = searcher.reward_scale
        self.reward = self.reward_scale * self.objective  # by arch code, as tell computes it
        self._epsilon = searcher.epsilon
        q = np.full((_STATES, _ACTS), self.q_init)
        q[1 + 5 * (_EDGES - 1):, 1:] = -math.inf  # the last edge's states: STOP only
        self.q0 = q.ravel()

    def _words_per_step(self) -> int:
        """Raw words a step takes at most (without rejections): 7 random(), 6 action draws, the replay picks."""
        return 7 + 4 + (self.replay + 1) // 2 + 1

    def _run_batch(self, seeds: list[int], trace: bool) -> list[dict[str, Any]]:
        start = time.perf_counter()
        n = len(seeds)
        horizon = min(math.ceil(self.max_evals), _STEPS) if self.max_evals != math.inf else _STEPS
        per_step = self._words_per_step()
        words = _Words(seeds, min(horizon * per_step, 64 * per_step) + 8)
        alpha, gamma, rs = self.alpha, self.gamma, self.reward_scale
        Q = np.tile(self.q0, n)
        cap = min(horizon, 128)  # memories kept; grown as needed
        # memory t of every search (search-local, searches last so that gathers come out contiguous): its Q
        # entries, terminal transition first; the first Q entry of each earlier transition's next state; its reward
        chain = np.zeros((cap, 7, n), dtype=np.int64)
        nexts = np.zeros((cap, 6, n), dtype=np.int64)
        rewards = np.zeros((cap, n), dtype=np.float64)
        searches = _Searches(n, trace)
        timed = self.max_sim != math.inf
        t = 0
        while t < self.max_evals and len(searches.ids):
            if timed:
                active = searches.sim < self.max_sim
                if not active.all():  # a search stops before the first step it would not start
                    searches.stop(~active, t)
                    searches.keep(active)
                    Q = Q.reshape(-1, _ROW)[active].ravel()
                    chain, nexts, rewards = chain[..., active], nexts[..., active], rewards[:, active]
                    words.keep(active)
                    if not len(searches.ids):
                        break
            m = len(searches.ids)
            rows = words.rows
            base_q, base_s = rows * _ROW, rows * _STATES
            Q2 = Q.reshape(-1, _ACTS)
            words.ensure(per_step)
            # --- ask: six edge decisions, then the STOP state's (a random() draw and nothing else)
            eps = self._epsilon(t)
            state = np.zeros(m, dtype=np.int64)
            code = np.zeros(m, dtype=np.int64)
            states, acts = [state], []
            for e in range(_EDGES):
                explore = words.random() < eps
                a = np.empty(m, dtype=np.int64)
                who = np.flatnonzero(explore)
                if len(who):
                    a[who] = words.bounded(_ACTS, who)
                who = np.flatnonzero(~explore)
                if len(who):
                    q = Q2[base_s[who] + state[who]]
                    tie = q == q.max(axis=1)[:, None]
                    count = tie.sum(axis=1)
                    pick = tie.argmax(axis=1)  # the only tie
                    multi = np.flatnonzero(count > 1)
                    if len(multi):
                        r = words.bounded(count[multi].astype(np.uint64), who[multi])
                        pick[multi] = (tie[multi].cumsum(axis=1) <= r[:, None]).sum(axis=1)  # the r-th tie
                    a[who] = pick
                acts.append(a)
                state = 1 + 5 * e + a
                states.append(state)
                code = code * 5 + a
            words.skip_random()
            # --- evaluate and tell: the memory, then the replay
            value = self.objective[code]
            if t >= len(chain):
                grow = max(len(chain), 1)
                chain = np.concatenate([chain, np.zeros((grow, 7, m), np.int64)])
                nexts = np.concatenate([nexts, np.zeros((grow, 6, m), np.int64)])
                rewards = np.concatenate([rewards, np.zeros((grow, m))])
            chain[t, 0] = states[_EDGES] * _ACTS  # the terminal transition: the last state's STOP
            for k in range(1, 7):  # then (state, action, next state) backwards
                e = _EDGES - k
                chain[t, k] = states[e] * _ACTS + acts[e]
                nexts[t, k - 1] = states[e + 1] * _ACTS
            rewards[t] = self.reward[code]
            if self.replay:
                picks = words.bounded_many(t + 1, self.replay)
                pt = np.ascontiguousarray(picks.T)[:, None, :]  # (picks, 1, searches)
                r_all = rewards.reshape(-1).take(pt[:, 0] * m + rows)
                ch_all = chain.reshape(-1).take(pt * (7 * m) + (_SEVEN * m + rows)) + base_q  # (picks, 7, searches)
                # the Q entries of each earlier transition's next state, (picks, transitions, actions, searches)
                nx_all = nexts.reshape(-1).take(pt * (6 * m) + (_SIX * m + rows)) + base_q
                nx_all = nx_all[:, :, None, :] + _COLUMNS
                take, put, maximum = Q.take, Q.put, np.maximum.reduce
                scaled = gamma != 1.0  # 1.0 * x is x
                for p in range(self.replay):
                    ch, nx, r = ch_all[p], nx_all[p], r_all[p]
                    i = ch[0]
                    v = take(i)
                    put(i, v + alpha * (r - v))
                    i = ch[1]  # the last edge's state: its one Q-value is the max
                    mx = take(nx[0, 0])
                    v = take(i)
                    put(i, v + alpha * ((gamma * mx if scaled else mx) - v))
                    for k in range(2, 7):
                        mx = maximum(take(nx[k - 1]), axis=0)
                        i = ch[k]
                        v = take(i)
                        put(i, v + alpha * ((gamma * mx if scaled else mx) - v))
            searches.record(t, code, value, self.cost[code])
            t += 1
        searches.finish(t)
        return self._summaries(searches, (time.perf_counter() - start) / max(n, 1))


def plan_q(space, options: dict, estimator, max_evals: float, max_sim: float) -> QPlan | str:
    """The lockstep engine for ``qlearning`` with ``options`` (the space, estimator and budget already
    checked by ``_lockstep.plan``), or why it does not apply."""
    from workbench import searchers
    from workbench.searchers.qlearning import QLearning

    allowed = {"learning_rate", "discount", "q_init", "replay_batch", "num_models", "schedule", "reward_scale"}
    if set(options) - allowed:
        return f"qlearning with options other than {', '.join(sorted(allowed))}"
    if searchers.registry.get("qlearning") is not QLearning:
        return "searcher 'qlearning' is registered to another class"
    try:
        searcher = QLearning(space=space, seed=0, **options)
        searcher.epsilon(0)
    except Exception as exc:  # the loop raises it
        return f"qlearning's options are not accepted ({exc})"
    values = [searcher.learning_rate, searcher.discount, searcher.q_init, searcher.reward_scale]
    values += [eps for eps, _ in searcher.schedule]
    if not all(math.isfinite(v) and abs(v) < 1e300 for v in values):
        return "qlearning's learning_rate, discount, q_init, reward_scale or epsilons are not finite"
    reward = searcher.reward_scale * estimator._matrix[:, estimator._objective_pos]
    if not (np.isfinite(reward).all() and np.abs(reward).max() < 1e300):
        return "the rewards (reward_scale times the objective) are not all finite"
    return QPlan(space, searcher, estimator, max_evals, max_sim)
