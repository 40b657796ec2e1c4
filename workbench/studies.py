"""Many searches at once: N seeds x M searchers over one benchmark, in one process, with one shared estimator.

>>> from workbench import study
>>> result = study(searchers=["random", "re"], seeds=500, budget=200,
...                estimator_options={"benchmark": "nb201", "dataset": "cifar10", "metric": "val_acc"},
...                record="summary")                                   # doctest: +SKIP
>>> result.table()     # per searcher: runs, mean and std of the best objective   # doctest: +SKIP

Every search is the one ``Run(space=..., searcher=name, estimator=..., budget=..., seed=seed)`` makes: the
searcher's seed is derived from the run's seed as a ``Run`` derives it (or given directly with
``searcher_seeds``), so a study's searches propose exactly the archs those runs propose. The estimator is
built once and shared (a tabular estimator's arch-to-row index is built once per table and process).

``record="trials"`` (the default) runs each search as a ``Run`` and records it in ``store``, every trial
included, as ``workbench run`` does. ``record="summary"`` keeps only each search's summary (best arch,
its objective and metrics, evaluations, simulated seconds): a plain ask/evaluate/tell loop with the same
budget semantics, no store and no events, for studies of thousands of searches.

Summaries of RE, random and Q-learning searches on the NB201 table (a plain tabular estimator, a budget of
evaluations and/or simulated seconds) run in lockstep (``workbench.searchers._lockstep``, Q-learning in
``_lockstep_q``): all seeds of a searcher at once, as numpy arrays across searches, drawing exactly what
each search's own generator draws, so the summaries equal the loop's field for field (``wall_seconds``
excepted: there each search's share of the engine's time). ``lockstep=False`` forces the loop. In lockstep,
``progress`` is called for each search once the engine has run them all.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from workbench.errors import EvaluationError

RECORD_MODES = ("trials", "summary")


@dataclass
class SearchSummary:
    """One search of a study: its best trial and what it spent. ``incumbents`` (with ``trace=True``):
    ``(evaluation, arch, objective)`` at each improvement, evaluations counted from 0."""

    searcher: str
    seed: int | None
    searcher_seed: int | None
    evaluations: int
    best_arch: str | None
    best_objective: float
    best_metrics: dict[str, float] = field(default_factory=dict)
    sim_seconds: float = 0.0
    wall_seconds: float = 0.0
    failed: int = 0
    run_id: str | None = None
    incumbents: list[tuple[int, str, float]] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"searcher": self.searcher, "seed": self.seed, "searcher_seed": self.searcher_seed,
               "run_id": self.run_id, "evaluations": self.evaluations, "failed": self.failed,
               "best_arch": self.best_arch, "best_objective": self.best_objective,
               "sim_seconds": self.sim_seconds, "wall_seconds": self.wall_seconds}
        out.update({f"best_{k}": v for k, v in self.best_metrics.items()})
        return out


@dataclass
class StudyResult:
    """The summaries of a study's searches, in order (searcher by searcher, seed by seed)."""

    summaries: list[SearchSummary]
    seconds: float
    store: Any = None
    record: str = "trials"

    def by_searcher(self) -> dict[str, list[SearchSummary]]:
        out: dict[str, list[SearchSummary]] = {}
        for s in self.summaries:
            out.setdefault(s.searcher, []).append(s)
        return out

    def values(self, searcher: str, metric: str | None = None) -> np.ndarray:
        """Each search's best objective (or the best trial's ``metric``, e.g. ``"val_acc@200"``)."""
        rows = self.by_searcher()[searcher]
        if metric is None:
            return np.array([s.best_objective for s in rows], dtype=np.float64)
        return np.array([s.best_metrics.get(metric, math.nan) for s in rows], dtype=np.float64)

    def table(self, metric: str | None = None) -> list[dict[str, Any]]:
        """Per searcher: runs, mean and std (population, as the NB201 paper) of the best objective or ``metric``."""
        out = []
        for name, rows in self.by_searcher().items():
            v = self.values(name, metric)
            out.append({"searcher": name, "runs": len(rows), "metric": metric or "objective",
                        "mean": float(np.mean(v)), "std": float(np.std(v)),
                        "evaluations": float(np.mean([s.evaluations for s in rows]))})
        return out

    def rows(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.summaries]


def study(*, space: Any = "nb201", searchers: Sequence[str] | str = ("random", "re"),
          seeds: int | Iterable[int] = 10, estimator: Any = "tabular", estimator_options: Mapping | None = None,
          searcher_options: Mapping[str, Mapping] | None = None, budget: Any = 100, store: Any = None,
          record: str = "trials", searcher_seeds: Sequence[int] | None = None, trace: bool = False,
          progress: Callable[[int, int], None] | None = None, lockstep: bool | None = None) -> StudyResult:
    """Run every searcher in ``searchers`` once per seed in ``seeds`` (an int ``n`` means ``range(n)``).

    ``estimator`` is a registered name (built once with ``estimator_options``) or an estimator object;
    ``searcher_options`` maps a searcher name to its options; ``budget`` as ``Run``'s (evaluations,
    simulated or wall seconds). ``searcher_seeds`` gives the searchers' seeds directly (one per seed, the
    same for every searcher) instead of deriving them as a ``Run`` does. ``progress(done, total)`` is called
    after each search. ``store`` (a path or ``Store``; default in memory) receives every run and trial with
    ``record="trials"``.

    ``lockstep`` (``record="summary"`` only): None runs a searcher's searches in lockstep where that engine
    applies (see the module's docstring; the same summaries, faster), False always runs the loop, True
    requires the engine and raises ValueError saying why where it does not apply.
    """
    from workbench import estimators, spaces
    from workbench.runs.run import _as_budget, child_seeds

    if record not in RECORD_MODES:
        raise ValueError(f"record must be one of {', '.join(RECORD_MODES)}, got {record!r}")
    names = [searchers] if isinstance(searchers, str) else list(searchers)
    if not names:
        raise ValueError("a study needs at least one searcher")
    seed_list = list(range(seeds)) if isinstance(seeds, (int, np.integer)) else [int(s) for s in seeds]
    if searcher_seeds is not None and len(searcher_seeds) != len(seed_list):
        raise ValueError(f"searcher_seeds has {len(searcher_seeds)} seeds for {len(seed_list)} runs; give one per run")
    options = {k: dict(v) for k, v in (searcher_options or {}).items()}
    unknown = set(options) - set(names)
    if unknown:
        raise ValueError(f"searcher_options names searchers not in the study: {sorted(unknown)}; searchers: {names}")
    budget = _as_budget(budget)
    space_obj = spaces.create(space) if isinstance(space, str) else space
    if isinstance(estimator, str):
        estimator = estimators.create(estimator, space=space_obj, **dict(estimator_options or {}))
    estimator.check_space(space_obj)
    if record == "trials":
        from workbench.runs import Store

        store = Store(store) if isinstance(store, str) or hasattr(store, "__fspath__") else (store or Store())
    if lockstep not in (None, True, False):
        raise ValueError(f"lockstep must be None (automatic), True or False, got {lockstep!r}")
    if lockstep and record != "summary":
        raise ValueError('lockstep=True needs record="summary"')
    total, done = len(names) * len(seed_list), 0
    out: list[SearchSummary] = []
    start = time.perf_counter()
    for name in names:
        opts = options.get(name, {})
        sseeds = [int(searcher_seeds[i]) if searcher_seeds is not None else child_seeds(seed, 3)[0]
                  for i, seed in enumerate(seed_list)]
        engine = None
        if record == "summary" and lockstep is not False and seed_list:
            from workbench.searchers import _lockstep

            engine = _lockstep.plan(space_obj, name, opts, estimator, budget)
            if isinstance(engine, str):
                if lockstep:
                    raise ValueError(f"no lockstep engine for searcher {name!r}: {engine}")
                engine = None
        if engine is not None:
            for seed, sseed, fields in zip(seed_list, sseeds, engine.run(sseeds, trace)):
                out.append(SearchSummary(name, seed, sseed, **fields))
                done += 1
                if progress is not None:
                    progress(done, total)
            continue
        for seed, sseed in zip(seed_list, sseeds):
            if record == "trials":
                out.append(_recorded_search(space_obj, name, opts, estimator, budget, seed, sseed, store, trace))
            else:
                out.append(_summary_search(space_obj, name, opts, estimator, budget, seed, sseed, trace))
            done += 1
            if progress is not None:
                progress(done, total)
    return StudyResult(out, time.perf_counter() - start, store if record == "trials" else None, record)


def _recorded_search(space, name, opts, estimator, budget, seed, searcher_seed, store, trace) -> SearchSummary:
    from workbench.runs import Run

    run = Run(space=space, searcher=name, searcher_options={**opts, "seed": searcher_seed}, estimator=estimator,
              budget=budget, seed=seed, store=store).run()
    best = run.best
    trials = run.trials
    incumbents = None
    if trace:
        incumbents, top = [], -math.inf
        for t in trials:
            if t.ok and t.objective > top:
                top = t.objective
                incumbents.append((t.number, t.arch, t.objective))
    return SearchSummary(name, seed, searcher_seed, len(trials), best.arch if best else None,
                         best.objective if best else -math.inf, dict(best.metrics) if best else {},
                         trials[-1].sim_time_s if trials else 0.0, trials[-1].elapsed_s if trials else 0.0,
                         sum(not t.ok for t in trials), run.id, incumbents)


def _summary_search(space, name, opts, estimator, budget, seed, searcher_seed, trace) -> SearchSummary:
    """ask/evaluate/tell under ``budget`` as a Run does it, keeping only the best trial."""
    from workbench import searchers

    searcher = searchers.create(name, space=space, seed=searcher_seed, **opts)
    ask, tell, evaluate = searcher.ask, searcher.tell, estimator.evaluate
    max_evals = budget.evaluations if budget.evaluations is not None else math.inf
    max_sim = budget.sim_seconds if budget.sim_seconds is not None else math.inf
    max_wall = budget.wall_seconds if budget.wall_seconds is not None else math.inf
    incumbents: list[tuple[int, Any, float]] | None = [] if trace else None
    best_arch, best, best_result = None, -math.inf, None
    n = failed = 0
    sim = 0.0
    t0 = time.monotonic()
    timed = max_wall != math.inf
    while n < max_evals and sim < max_sim and (not timed or time.monotonic() - t0 < max_wall):
        arch = ask()
        try:
            result = evaluate(arch)
        except EvaluationError:  # the trial fails, the search goes on (as in a Run)
            n += 1
            failed += 1
            continue
        tell(arch, result)
        sim += result.cost_s
        if result.objective > best:
            best, best_arch, best_result = result.objective, arch, result
            if incumbents is not None:
                incumbents.append((n, arch, best))
        n += 1
    text = space.to_string
    return SearchSummary(name, seed, searcher_seed, n, text(best_arch) if best_arch is not None else None, best,
                         dict(best_result.metrics) if best_result is not None else {}, sim, time.monotonic() - t0,
                         failed, None, [(k, text(a), v) for k, a, v in incumbents] if incumbents is not None else None)


__all__ = ["SearchSummary", "StudyResult", "study"]
