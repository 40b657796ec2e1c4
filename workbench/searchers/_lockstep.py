"""Lockstep searches: many RE or random searches on the NB201 table at once, as numpy arrays across searches.

A study of thousands of tabular searches spends its time in Python's per-step overhead (ask, evaluate,
tell). Here every search keeps its own generator, seeded as the searcher would seed it, and the engine takes
each generator's raw 64-bit words in bulk (one row of an array per search) and derives from them, for all
searches at once, exactly the draws the searcher's own ``FastDraws`` would make (``_draws``): numpy's 32-bit
draws (a word's low half, then its high half), Lemire's bounded integers (a rejected draw is redrawn, search
by search; more words are taken when a search runs out), Floyd's sampling and numpy's shuffle for the
tournament. Each search has its own cursor into its row, so the searches stay exactly on their own streams.

What a search does is the searcher's own algorithm, step for step:

- ``random``: ``space.sample`` = 6 draws in 0..4, one per edge (the arch's base-5 code, edge 0 first);
- ``re``: random archs until ``population_size`` are told; then a tournament of ``sample_size`` members
  (``choice(P, S, replace=False)`` over the deque oldest-first: with ``t`` archs told, deque index ``i`` is
  trial ``t - P + i``, kept in a ring of ``P`` slots; the first of equal best wins, as ``argmax``), and the
  winner mutated (an edge in 0..5, then one of the 4 other ops in OPS order).

An evaluation reads the objective and the charged seconds from the tabular estimator's own column matrix
(by arch code); simulated seconds are summed per search in step order (float64 adds, the loop's sums bit
for bit), the best is updated on a strict ``>`` (the first of equal maxima stays), and a ``sim_seconds``
budget stops each search before the step the loop would not start. So every summary equals the loop's
(``studies._summary_search``); the best arch's metrics come from ``estimator.evaluate`` itself.

``plan`` says whether a study's searcher qualifies, else why not (the study then runs its loop): the
``NB201Space`` space; ``re`` (population and sample sizes only) or ``random`` (``unique=False``), with no
zero-cost guide and no cost limits; a plain ``TabularEstimator`` (no ``epoch``, ``seed`` or ``delay_s``) whose
table holds each arch once and a finite objective and a finite, non-negative cost for every arch; a budget
of ``evaluations`` and/or ``sim_seconds`` only. ``qlearning`` (any of its own options) has its engine in
``_lockstep_q``, under the same space, estimator and budget conditions.
"""
from __future__ import annotations

import math
import sys
import time
from typing import Any

import numpy as np

_U32 = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)
_EDGES = 6
_PLACE = 5 ** np.arange(_EDGES - 1, -1, -1, dtype=np.int64)  # base-5 place of each edge's op, edge 0 first
_BATCH = 2048  # searches run together at most (bounds the memory of the raw draws)
_STEPS = 1024  # steps whose draws are taken up front at most; more are taken as needed
_CHUNK = 4096  # halves taken at a time after the first


class _Streams:
    """The 32-bit draws of one PCG64 generator per search: a row of raw halves and a cursor per search."""

    def __init__(self, seeds: list[int], halves: int) -> None:
        self.gens = [np.random.default_rng(s).bit_generator for s in seeds]
        self.halves = np.empty((len(seeds), 0), dtype=np.uint32)
        self.pos = np.zeros(len(seeds), dtype=np.int64)
        self.rows = np.arange(len(seeds))
        self.top = 0  # the largest cursor
        self._take(halves)

    def _take(self, halves: int) -> None:
        """Append ``halves`` more draws to every row (a fresh generator has no half word left over, and
        whole words continue each stream exactly), first dropping the halves every search has used."""
        used = int(self.pos.min()) if len(self.pos) else 0
        if used:
            self.halves, self.pos, self.top = self.halves[:, used:], self.pos - used, self.top - used
        words = (halves + 1) // 2
        new = np.stack([g.random_raw(words) for g in self.gens]).view(np.uint32)
        self.halves = np.concatenate([self.halves, new], axis=1)

    def ensure(self, draws: int) -> None:
        """Make sure every search has ``draws`` more halves ahead of its cursor."""
        if self.top + draws > self.halves.shape[1]:
            self._take(max(_CHUNK, draws))

    def keep(self, mask: np.ndarray) -> None:
        """Drop the searches not in ``mask`` (finished ones)."""
        self.gens = [g for g, k in zip(self.gens, mask.tolist()) if k]
        self.halves, self.pos = self.halves[mask], self.pos[mask]
        self.rows = np.arange(len(self.gens))

    def _next(self, s: int) -> int:
        if self.pos[s] >= self.halves.shape[1]:
            self._take(_CHUNK)
        value = int(self.halves[s, self.pos[s]])
        self.pos[s] += 1
        self.top = max(self.top, int(self.pos[s]))
        return value

    def bounded(self, rng: int) -> np.ndarray:
        """Each search's uniform integer in 0..rng (inclusive), as numpy's Lemire draw (``_draws._bounded``);
        call ``ensure`` first."""
        if rng == 0:
            return np.zeros(len(self.pos), dtype=np.int64)
        excl = rng + 1
        m = self.halves[self.rows, self.pos].astype(np.uint64) * np.uint64(excl)
        self.pos += 1
        self.top += 1
        threshold = (0x100000000 - excl) % excl
        if threshold:  # rejection: about one draw in 10**9 for these ranges; redrawn search by search
            for s in np.flatnonzero((m & _U32) < np.uint64(threshold)).tolist():
                value = int(m[s])
                while value & 0xFFFFFFFF < threshold:
                    value = self._next(s) * excl
                m[s] = value
        return (m >> _SHIFT).astype(np.int64)


class _Searches:
    """What each search of a batch has found so far: its best value and that arch's code, its simulated
    seconds, when it stopped and (with ``trace``) every improvement. The rows are the searches still running
    (``ids``: each row's search); ``keep`` drops the others, their results set aside."""

    def __init__(self, n: int, trace: bool) -> None:
        self.n = n
        self.ids = np.arange(n)
        self.best = np.full(n, -math.inf)
        self.best_code = np.full(n, -1, dtype=np.int64)
        self.sim = np.zeros(n, dtype=np.float64)
        self.evals = np.full(n, -1, dtype=np.int64)  # set when a search stops
        self.out_best, self.out_code, self.out_sim = self.best.copy(), self.best_code.copy(), self.sim.copy()
        self.found: list[tuple[np.ndarray, int, np.ndarray, np.ndarray]] | None = [] if trace else None

    def stop(self, stopped: np.ndarray, t: int) -> None:
        """The rows ``stopped`` start no step ``t``: their searches made ``t`` evaluations (set once)."""
        gone = self.ids[stopped]
        self.evals[gone[self.evals[gone] < 0]] = t

    def keep(self, rows: np.ndarray) -> None:
        """Keep only ``rows`` (a mask); the dropped searches' results are set aside for the summaries."""
        gone = ~rows
        g = self.ids[gone]
        self.out_best[g], self.out_code[g], self.out_sim[g] = self.best[gone], self.best_code[gone], self.sim[gone]
        self.ids, self.best, self.best_code, self.sim = self.ids[rows], self.best[rows], self.best_code[rows], self.sim[rows]

    def record(self, t: int, code: np.ndarray, value: np.ndarray, cost: np.ndarray,
               active: np.ndarray | None = None) -> None:
        """Step ``t`` evaluated ``code`` (``value``, charged ``cost``) in every row, or in the ``active`` ones:
        the sums grow in step order, the best changes on a strict ``>`` (the first of equal values stays)."""
        better = value > self.best
        if active is None:
            self.sim += cost
        else:
            better &= active
            np.add(self.sim, cost, out=self.sim, where=active)
        if better.any():
            self.best = np.where(better, value, self.best)
            self.best_code = np.where(better, code, self.best_code)
            if self.found is not None:
                self.found.append((self.ids[better], t, code[better], value[better]))

    def finish(self, t: int) -> None:
        """The searches still running stop after step ``t - 1``."""
        self.keep(np.zeros(len(self.ids), dtype=bool))
        self.evals[self.evals < 0] = t


class Plan:
    """A lockstep engine for one searcher of a study (from ``plan``); ``run(seeds, trace)`` runs its searches."""

    def __init__(self, space, name: str, population: int, sample: int, estimator, max_evals: float,
                 max_sim: float) -> None:
        self.space, self.name, self.estimator = space, name, estimator
        self.population, self.sample = population, sample
        self.max_evals, self.max_sim = max_evals, max_sim
        matrix, code_to_row = estimator._matrix, estimator._index.code_to_row
        self.objective = np.ascontiguousarray(matrix[code_to_row, estimator._objective_pos])  # by arch code
        self.cost = np.ascontiguousarray(matrix[code_to_row, -1])

    def _draws_per_step(self, step: int) -> int:
        """32-bit draws a step takes (without rejections): a sample, or a tournament and a mutation."""
        if self.name == "random" or step < self.population:
            return _EDGES
        floyd = self.sample - (self.sample == self.population)  # a draw in 0..0 takes none
        return floyd + self.sample - 1 + 2

    def run(self, seeds: list[int], trace: bool = False) -> list[dict[str, Any]]:
        """The searches of ``seeds`` (the searchers' seeds), in order, as dicts of ``SearchSummary`` fields.
        They run in batches of up to ``_BATCH`` searches; each search's ``wall_seconds`` is its batch's
        elapsed time divided by the batch's number of searches (they run together)."""
        out: list[dict[str, Any]] = []
        for lo in range(0, len(seeds), _BATCH):
            out += self._run_batch(list(seeds[lo:lo + _BATCH]), trace)
        return out

    def _run_batch(self, seeds: list[int], trace: bool) -> list[dict[str, Any]]:
        start = time.perf_counter()
        n = len(seeds)
        horizon = min(math.ceil(self.max_evals), _STEPS) if self.max_evals != math.inf else _STEPS
        streams = _Streams(seeds, sum(self._draws_per_step(t) for t in range(horizon)) + 16)
        P, S = self.population, self.sample
        ring_code = np.zeros((n, P), dtype=np.int64)
        ring_val = np.zeros((n, P), dtype=np.float64)
        searches = _Searches(n, trace)
        timed = self.max_sim != math.inf
        active = None  # every row runs the step
        t = 0
        while t < self.max_evals and len(searches.ids):
            if timed:
                active = searches.sim < self.max_sim  # an inactive search's sum no longer changes
                stopped = ~active
                if stopped.any():
                    searches.stop(stopped, t)  # before the first step it would not start
                    if active.sum() * 2 <= len(active):  # compact: drop the finished searches' rows
                        searches.keep(active)
                        ring_code, ring_val = ring_code[active], ring_val[active]
                        streams.keep(active)
                        active = np.ones(len(searches.ids), dtype=bool)
                        if not len(searches.ids):
                            break
            streams.ensure(self._draws_per_step(t))
            rows = streams.rows
            if self.name == "random" or t < P:
                code = streams.bounded(4) * _PLACE[0]
                for e in range(1, _EDGES):
                    code += streams.bounded(4) * _PLACE[e]
            else:
                chosen = np.empty((len(rows), S), dtype=np.int64)
                for k, j in enumerate(range(P - S, P)):  # Floyd's algorithm
                    val = streams.bounded(j)
                    if k:
                        val = np.where((chosen[:, :k] == val[:, None]).any(axis=1), j, val)
                    chosen[:, k] = val
                for i in range(S - 1, 0, -1):  # numpy's shuffle of the sample
                    k = streams.bounded(i)
                    swap = chosen[rows, k]
                    chosen[rows, k] = chosen[:, i]
                    chosen[:, i] = swap
                slots = (chosen + t) % P  # deque index i holds trial t - P + i
                winner = ring_val[rows[:, None], slots].argmax(axis=1)  # the first of equals
                parent = ring_code[rows, slots[rows, winner]]
                edge = streams.bounded(5)
                pick = streams.bounded(3)
                place = _PLACE[edge]
                old = parent // place % 5
                code = parent + (pick + (pick >= old) - old) * place  # the other ops, in OPS order
            value = self.objective[code]
            if self.name == "re":
                ring_code[:, t % P] = code
                ring_val[:, t % P] = value
            searches.record(t, code, value, self.cost[code], active)
            t += 1
        searches.finish(t)
        return self._summaries(searches, (time.perf_counter() - start) / max(n, 1))

    def _summaries(self, searches: _Searches, wall: float) -> list[dict[str, Any]]:
        """One dict of ``SearchSummary`` fields per search of the batch, in order."""
        n, evals, found = searches.n, searches.evals, searches.found
        best, code, sim = searches.out_best, searches.out_code, searches.out_sim
        space, texts = self.space, {}

        def text(c: int) -> str:
            if c not in texts:
                texts[c] = space.to_string(space.from_code(c))
            return texts[c]

        incumbents: list[list[tuple[int, str, float]]] | None = None
        if found is not None:
            incumbents = [[] for _ in range(n)]
            for searches, step, codes, values in found:
                for s, c, v in zip(searches.tolist(), codes.tolist(), values.tolist()):
                    incumbents[s].append((step, text(c), v))
        out = []
        for s in range(n):
            c = int(code[s])
            arch = space.from_code(c) if c >= 0 else None
            out.append({"evaluations": int(evals[s]), "best_arch": text(c) if arch is not None else None,
                        "best_objective": float(best[s]),
                        "best_metrics": dict(self.estimator.evaluate(arch).metrics) if arch is not None else {},
                        "sim_seconds": float(sim[s]), "wall_seconds": wall, "failed": 0,
                        "incumbents": incumbents[s] if incumbents is not None else None})
        return out


def plan(space, name: str, options: dict, estimator, budget) -> Plan | str:
    """The lockstep engine for searcher ``name`` (with ``options``) of a study, or why it does not apply."""
    from workbench.estimators.tabular import TabularEstimator
    from workbench.searchers.evolution import RegularizedEvolution
    from workbench.searchers.random_search import RandomSearch
    from workbench.spaces.nb201 import NB201Space

    if sys.byteorder != "little":
        return "the raw words are split as on a little-endian machine"
    if type(space) is not NB201Space:
        return f"the space is {getattr(space, 'name', type(space).__name__)!r}, not nb201"
    if budget.wall_seconds is not None or budget.epochs is not None:
        return "the budget counts wall seconds or epochs"
    if budget.evaluations is None and budget.sim_seconds is None:
        return "the budget has no evaluations or simulated seconds"
    if type(estimator) is not TabularEstimator or "evaluate" in vars(estimator):
        return "the estimator is not a plain tabular estimator"
    if estimator.epoch is not None or estimator.seed is not None or estimator.delay_s:
        return "the tabular estimator reads an epoch or a seed, or waits (delay_s)"
    index = estimator._index
    if index.code_to_row is None or type(index.space) is not NB201Space:
        return "the table does not hold every NB201 arch exactly once"
    objective, cost = estimator._matrix[:, estimator._objective_pos], estimator._matrix[:, -1]
    if not np.isfinite(objective).all():
        return "the table lacks the objective for some archs (those trials fail)"
    if not (np.isfinite(cost).all() and (cost >= 0).all()):
        return "some charged costs are not finite non-negative seconds"
    if budget.evaluations is None and not (cost > 0).any():
        return "no lookup charges simulated seconds, so the sim_seconds budget never runs out"
    if name == "re":
        allowed = {"population_size", "sample_size", "zero_cost", "scorer", "constraint", "max_latency_ms",
                   "max_flops", "max_params", "latency_table"}
        if set(options) - allowed or any(options.get(k) is not None for k in allowed - {"population_size", "sample_size"}):
            return "regularized evolution with options other than population_size and sample_size"
        population, sample = options.get("population_size", 10), options.get("sample_size", 3)
        if not all(type(v) is int for v in (population, sample)) or not 1 <= sample <= population <= 10000:
            return "population_size and sample_size are not ints with 1 <= sample_size <= population_size <= 10000"
        expected = RegularizedEvolution
    elif name == "random":
        allowed = {"unique", "constraint", "max_latency_ms", "max_flops", "max_params", "latency_table"}
        if set(options) - allowed or options.get("unique", False) is not False or \
                any(options.get(k) is not None for k in allowed - {"unique"}):
            return "random search with unique=True or cost limits"
        population, sample = 0, 0
        expected = RandomSearch
    elif name == "qlearning":
        from workbench.searchers._lockstep_q import plan_q

        max_evals = budget.evaluations if budget.evaluations is not None else math.inf
        max_sim = budget.sim_seconds if budget.sim_seconds is not None else math.inf
        return plan_q(space, options, estimator, max_evals, max_sim)
    else:
        return f"searcher {name!r} has no lockstep engine (only re, random and qlearning)"
    from workbench import searchers

    if searchers.registry.get(name) is not expected:
        return f"searcher {name!r} is registered to another class"
    max_evals = budget.evaluations if budget.evaluations is not None else math.inf
    max_sim = budget.sim_seconds if budget.sim_seconds is not None else math.inf
    return Plan(space, name, population, sample, estimator, max_evals, max_sim)
