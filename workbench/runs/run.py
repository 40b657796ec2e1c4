"""``Run``: a search strategy bound to a budget, a seed and a store, run in a thread or synchronously.

>>> from workbench import Run, Budget
>>> run = Run(space="nb201", searcher="re", estimator="tabular", budget=Budget(evaluations=100), seed=0)
>>> run.start()          # returns at once; the search works in a background thread
>>> run.pause(); run.resume(); run.stop()   # cooperative, honoured between evaluations
>>> run.join()           # waits; re-raises a failure of the thread
>>> run.best.arch, run.best.objective

Every state change is an event (``workbench.runs.events``); ``run.subscribe(callback)`` receives them all,
in the worker thread, in order. The worker never prints.
"""
from __future__ import annotations

import threading
import time
import traceback
import uuid
from typing import Any, Callable, Mapping

import numpy as np

from workbench.errors import EvaluationError, WorkbenchError
from workbench.runs.budget import Budget, Progress
from workbench.runs.events import (EpochFinished, Event, IncumbentChanged, StatusChanged, Trial,
                                   TrialFinished)
from workbench.runs.store import Store

Listener = Callable[[Event], None]


def child_seeds(seed: int | None, n: int) -> list[int]:
    """``n`` independent 32-bit seeds derived from a run's seed (the same seed gives the same children)."""
    seq = np.random.SeedSequence(seed)
    return [int(s.generate_state(1)[0]) for s in seq.spawn(n)]


def _component(kind: str, value: Any) -> tuple[str, dict]:
    """Normalise a component given as a name, a ``{"name":..., "options":...}`` dict or an object."""
    if isinstance(value, str):
        return value, {}
    if isinstance(value, Mapping):
        return value["name"], dict(value.get("options", {}))
    raise TypeError(f"{kind} must be a name or a {{'name', 'options'}} dict here, got {type(value).__name__}")


class _ClassOrInstanceMethod:
    """Dispatch ``Run.resume(run_id, store=...)`` to ``Run.restore`` and ``run.resume()`` to unpausing that run."""

    def __get__(self, obj, cls):
        return cls.restore if obj is None else obj._resume_paused


class Run:
    """A search run. Components may be given as registry names (with ``*_options``) or as objects.

    With names, the run derives the searcher's and estimator's seeds from ``seed`` and can be resumed
    from its store after the process dies (``Run.resume(run_id, store=...)``). The strategy's state is
    checkpointed every ``checkpoint_every`` trials; trials after the last checkpoint are replayed
    through ask/tell on resume, so nothing is evaluated twice. A one-shot strategy is checkpointed with
    every epoch (and when paused or stopped inside one); given an ``estimator``, the run estimates each
    epoch's derived arch with it (``derived_*`` metrics).
    """

    def __init__(self, *, space: Any = "nb201", searcher: Any = None, estimator: Any = None, strategy: Any = None,
                 budget: Budget | Mapping | int | None = None, seed: int | None = 0,
                 store: Store | str | None = None, name: str | None = None,
                 space_options: Mapping | None = None, searcher_options: Mapping | None = None,
                 estimator_options: Mapping | None = None, strategy_options: Mapping | None = None,
                 checkpoint_every: int = 20, run_id: str | None = None) -> None:
        from workbench import estimators, searchers, spaces

        self.seed = seed
        self.name = name
        self.id = run_id or uuid.uuid4().hex[:12]
        self.budget = _as_budget(budget)
        self.checkpoint_every = max(1, int(checkpoint_every))
        searcher_seed, estimator_seed, strategy_seed = child_seeds(seed, 3)

        if isinstance(space, (str, Mapping)):
            space_name, opts = _component("space", space)
            opts.update(space_options or {})
            self.space = spaces.create(space_name, **opts)
            space_cfg = {"name": space_name, "options": opts}
        else:
            self.space = space
            space_cfg = {"name": space.name, "options": dict(space_options or {})}
        self.config: dict[str, Any] = {"space": space_cfg, "budget": self.budget.to_dict(), "seed": seed}

        self.strategy = None
        self.searcher = self.estimator = None
        if strategy is not None:
            from workbench import oneshot

            if isinstance(strategy, (str, Mapping)):
                sname, opts = _component("strategy", strategy)
                opts.update(strategy_options or {})
                opts.setdefault("seed", strategy_seed)
                self.strategy = oneshot.create(sname, space=self.space, **opts)
            else:
                from workbench.oneshot._base import OneShotStrategy

                if not isinstance(strategy, OneShotStrategy):
                    raise TypeError(f"strategy must be a registered name, a {{'name', 'options'}} dict or a "
                                    f"workbench.oneshot OneShotStrategy, got {type(strategy).__name__}")
                self.strategy, sname, opts = strategy, strategy.name, dict(strategy_options or {})
            self.config["strategy"] = {"name": sname, "options": _plain(opts)}
            self.kind = "oneshot"
            if estimator is not None:  # estimates the derived arch of every epoch
                self._init_estimator(estimator, estimator_options, estimator_seed)
        else:
            if searcher is None or estimator is None:
                raise ValueError("a Run needs a searcher and an estimator, or a one-shot strategy")
            if isinstance(searcher, (str, Mapping)):
                sname, opts = _component("searcher", searcher)
                opts.update(searcher_options or {})
                seed_used = opts.pop("seed", searcher_seed)
                self.searcher = searchers.create(sname, space=self.space, seed=seed_used, **opts)
                self.config["searcher"] = {"name": sname, "options": {**opts, "seed": seed_used}}
            else:
                self.searcher = searcher
                self.config["searcher"] = {"name": searcher.name,
                                           "options": {**searcher.hyperparameters(), "seed": searcher.seed}}
            self._init_estimator(estimator, estimator_options, estimator_seed)
            self.kind = "search"

        self.store = Store(store) if isinstance(store, str) or hasattr(store, "__fspath__") else (store or Store())
        self._listeners: list[Listener] = []
        self.listener_errors: list[BaseException] = []
        self._status = "created"
        self._trials: list[Trial] = []
        self._epochs: list[EpochFinished] = []
        self._best: Trial | None = None
        self._sim_time = 0.0
        self._elapsed_before = 0.0
        self._started_at: float | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._error_text: str | None = None
        self._resume_flag = threading.Event()
        self._resume_flag.set()
        self._stop_flag = threading.Event()
        self._state_lock = threading.RLock()
        self._recorded = False
        self._derived_estimates: dict[str, dict[str, float]] = {}

    def _init_estimator(self, estimator: Any, options: Mapping | None, seed: int) -> None:
        from workbench import estimators

        if isinstance(estimator, (str, Mapping)):
            ename, opts = _component("estimator", estimator)
            opts.update(options or {})
            if ename == "train":
                opts.setdefault("seed", seed)
            self.estimator = estimators.create(ename, space=self.space, **opts)
            self.config["estimator"] = {"name": ename, "options": _plain(opts)}
        else:
            self.estimator = estimator
            self.config["estimator"] = {"name": estimator.name, "options": _plain(estimator.config())}
        self.estimator.check_space(self.space)

    # --- public state ----------------------------------------------------------------------------
    @property
    def status(self) -> str:
        return self._status

    @property
    def trials(self) -> list[Trial]:
        with self._state_lock:
            return list(self._trials)

    @property
    def epochs(self) -> list[EpochFinished]:
        with self._state_lock:
            return list(self._epochs)

    @property
    def best(self) -> Trial | None:
        return self._best

    @property
    def error(self) -> BaseException | None:
        return self._error

    def progress(self) -> Progress:
        elapsed = self._elapsed_before + (time.monotonic() - self._started_at if self._started_at else 0.0)
        return Progress(evaluations=len(self._trials), sim_seconds=self._sim_time, wall_seconds=elapsed,
                        epochs=len(self._epochs))

    def fraction_done(self) -> float:
        return self.budget.fraction(self.progress())

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` for every event from now on (in the worker thread); returns an unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # --- control ---------------------------------------------------------------------------------
    def start(self) -> "Run":
        """Run in a background thread; returns at once."""
        if self._thread is not None:
            raise WorkbenchError(f"run {self.id} was already started (status {self._status})")
        self._thread = threading.Thread(target=self._main, name=f"workbench-run-{self.id}", daemon=True)
        self._thread.start()
        return self

    def run(self) -> "Run":
        """Run synchronously in the calling thread (batch mode); raises what the search raised."""
        if self._thread is not None:
            raise WorkbenchError(f"run {self.id} was already started in a thread")
        self._main()
        if self._error is not None:
            raise self._error
        return self

    def pause(self) -> None:
        """No new evaluation starts until ``resume()``; the current one finishes and is recorded."""
        if self._status == "running":
            self._resume_flag.clear()
            self._set_status("paused")

    #: ``run.resume()`` continues a paused run; ``Run.resume(run_id, store=...)`` continues a stored one
    resume = _ClassOrInstanceMethod()

    def _resume_paused(self) -> None:
        """Let a paused run go on."""
        if self._status == "paused":
            self._set_status("running")
            self._resume_flag.set()

    def stop(self) -> None:
        """End the run after the current evaluation (or batch); returns at once."""
        if self._status in ("created", "running", "paused"):
            self._stop_flag.set()
            if self._thread is not None and self._status != "created":
                self._set_status("stopping")
            self._resume_flag.set()

    def join(self, timeout: float | None = None) -> str:
        """Wait for the thread (at most ``timeout`` s); re-raise its failure; return the status."""
        if self._thread is not None:
            self._thread.join(timeout)
        if self._error is not None:
            raise self._error
        return self._status

    @property
    def stop_requested(self) -> bool:
        return self._stop_flag.is_set()

    # --- worker ----------------------------------------------------------------------------------
    def _main(self) -> None:
        try:
            self._record_run()
            self._started_at = time.monotonic()
            self._set_status("running")
            if self.kind == "search":
                self._search_loop()
            else:
                self._oneshot_loop()
            self._set_status("stopped" if self._stop_flag.is_set() and not self._budget_done() else "finished")
        except BaseException as exc:  # captured, shown by join()/status, never printed
            self._error = exc
            self._error_text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            try:
                self._set_status("failed", error=self._error_text)
            except BaseException:  # the store itself failed: keep the original error
                self._status = "failed"
        finally:
            self._elapsed_before = self.progress().wall_seconds
            self._started_at = None

    def _budget_done(self) -> bool:
        return self.budget.exhausted(self.progress())

    def _wait_if_paused(self) -> bool:
        """Block while paused; False when the run should end."""
        while not self._resume_flag.wait(0.05):
            if self._stop_flag.is_set():
                return False
        return not self._stop_flag.is_set()

    def _search_loop(self) -> None:
        while not self._budget_done() and self._wait_if_paused():
            number = len(self._trials)
            arch = self.searcher.ask()
            text = self.space.to_string(arch)
            t0 = time.perf_counter()
            try:
                result = self.estimator.evaluate(arch)
                status, error = "ok", None
            except EvaluationError as exc:  # e.g. a NaN loss: the trial fails, the search goes on
                result, status, error = None, "failed", f"{type(exc).__name__}: {exc}"
            wall = time.perf_counter() - t0
            if result is not None:
                self.searcher.tell(arch, result)
                self._sim_time += result.cost_s
            trial = Trial(number, text, result, status, error, wall_s=wall, sim_time_s=self._sim_time,
                          elapsed_s=self.progress().wall_seconds, finished_at=time.time())
            checkpoint = None
            if (number + 1) % self.checkpoint_every == 0:
                checkpoint = {"searcher": self.searcher.state_dict()}
            self.store.add_trial(self.id, trial, checkpoint)
            self._publish(TrialFinished(self.id, time.time(), trial, number + 1))
        if self._trials and len(self._trials) % self.checkpoint_every:
            self.store.put_checkpoint(self.id, len(self._trials), {"searcher": self.searcher.state_dict()})

    def _oneshot_loop(self) -> None:
        """One ``step()`` per epoch; each finished epoch is stored with the strategy's checkpoint in one
        transaction, and a step stopped inside an epoch checkpoints that position, so a run killed at any
        moment resumes from exactly the state its newest stored epoch left."""
        within = self.strategy.pause_within_epoch  # a pause then takes effect at the next batch
        while not self._budget_done() and self._wait_if_paused():
            epoch = len(self._epochs)
            report = self.strategy.step(
                should_stop=lambda: self._stop_flag.is_set() or (within and not self._resume_flag.is_set()))
            if report.epoch != epoch:
                raise WorkbenchError(f"run {self.id}: the strategy reported epoch {report.epoch} where the run "
                                     f"expected epoch {epoch}")
            if report.partial:  # stopped inside an epoch: a resume continues that same epoch
                self.store.put_checkpoint(self.id, epoch, self.strategy.checkpoint_bytes())
                continue
            metrics = {**report.metrics, **self._estimate_derived(report.arch)}
            event = _epoch_event(self.id, time.time(), epoch, metrics, report.distribution, report.arch,
                                 report.scores)
            self.store.add_epoch(self.id, epoch, metrics, _epoch_record(report.distribution, report.scores),
                                 report.arch, self.strategy.checkpoint_bytes())
            self._publish(event)

    def _estimate_derived(self, arch: str | None) -> dict[str, float]:
        """``derived_*`` metrics: the run's estimator on the epoch's derived arch (cached per arch)."""
        if self.estimator is None or arch is None:
            return {}
        if arch not in self._derived_estimates:
            result = self.estimator.evaluate(self.space.from_string(arch))
            values = {"derived_objective": result.objective}
            values.update({f"derived_{k}": float(v) for k, v in result.metrics.items()
                           if isinstance(v, (int, float)) and not isinstance(v, bool)})
            self._derived_estimates[arch] = values
        return dict(self._derived_estimates[arch])

    # --- events ----------------------------------------------------------------------------------
    def _apply(self, event: Event) -> list[Event]:
        """Update the run's own state from an event; returns follow-up events."""
        follow: list[Event] = []
        with self._state_lock:
            if isinstance(event, StatusChanged):
                self._status = event.status
            elif isinstance(event, TrialFinished):
                self._trials.append(event.trial)
                if event.trial.ok and (self._best is None or event.trial.objective > self._best.objective):
                    follow.append(IncumbentChanged(self.id, event.time, event.trial, self._best))
            elif isinstance(event, IncumbentChanged):
                self._best = event.trial
            elif isinstance(event, EpochFinished):
                self._epochs.append(event)
        return follow

    def _publish(self, event: Event) -> None:
        queue = [event]
        while queue:
            ev = queue.pop(0)
            queue.extend(self._apply(ev))
            for listener in list(self._listeners):
                try:
                    listener(ev)
                except Exception as exc:  # a broken listener must not end the search
                    self.listener_errors.append(exc)

    def _set_status(self, status: str, error: str | None = None) -> None:
        previous = self._status
        if status == previous:
            return
        if self._recorded:
            self.store.set_status(self.id, status, error)
        self._publish(StatusChanged(self.id, time.time(), status, previous, error))

    def _record_run(self) -> None:
        if not self._recorded:
            self.store.create_run(self.id, kind=self.kind, config=self.config, seed=self.seed, name=self.name)
            self._recorded = True

    # --- resume ----------------------------------------------------------------------------------
    @classmethod
    def restore(cls, run_id: str, *, store: Store | str, budget: Budget | Mapping | int | None = None) -> "Run":
        """Rebuild a stored run and continue it where it stopped (or was killed); no finished trial is lost
        or repeated. ``budget`` may raise the original limits. Call ``start()`` or ``run()`` on the result."""
        store = Store(store) if not isinstance(store, Store) else store
        info = store.run_info(run_id)
        cfg = info["config"]
        kwargs: dict[str, Any] = {"space": cfg["space"], "budget": budget or cfg["budget"], "seed": cfg["seed"],
                                  "store": store, "name": info["name"], "run_id": info["id"]}
        if info["kind"] == "oneshot":
            kwargs["strategy"] = cfg["strategy"]
        else:
            kwargs["searcher"], kwargs["estimator"] = cfg["searcher"], cfg["estimator"]
        run = cls(**kwargs)
        run.config = cfg | {"budget": run.budget.to_dict()}
        run._recorded = True
        run._restore(store.trials(info["id"]), store.epochs(info["id"]), store.latest_checkpoint(info["id"]))
        return run

    def _restore(self, trials: list[Trial], epochs: list[dict], checkpoint) -> None:
        if self.kind == "search":
            done = 0
            if checkpoint is not None:
                done, state = checkpoint
                self.searcher.load_state_dict(state["searcher"])
            for trial in trials[done:]:  # replay what came after the checkpoint
                arch = self.searcher.ask()
                if self.space.to_string(arch) != trial.arch:
                    raise WorkbenchError(
                        f"cannot resume run {self.id}: replaying trial {trial.number} proposed "
                        f"{self.space.to_string(arch)!r}, the store holds {trial.arch!r}"
                    )
                if trial.result is not None:
                    self.searcher.tell(arch, trial.result)
            for trial in trials:
                self._apply_restored(TrialFinished(self.id, trial.finished_at, trial, trial.number + 1))
            self._sim_time = trials[-1].sim_time_s if trials else 0.0
            self._elapsed_before = trials[-1].elapsed_s if trials else 0.0
        else:
            done = 0
            if checkpoint is not None:
                done, state = checkpoint
                if done > len(epochs):
                    raise WorkbenchError(f"cannot resume run {self.id}: its checkpoint follows epoch {done}, but "
                                         f"the store holds only {len(epochs)} epoch(s)")
                self.strategy.load_checkpoint_bytes(state)
            if len(epochs) > done:  # no state to continue them from: drop them, the run computes them again
                self.store.drop_epochs(self.id, done)
                epochs = epochs[:done]
            for rec in epochs:
                distribution, scores = _from_epoch_record(rec["alphas"])
                self._apply(_epoch_event(self.id, rec["finished_at"], rec["epoch"], rec["metrics"], distribution,
                                         rec["arch"], scores))

    def _apply_restored(self, event: Event) -> None:
        for follow in self._apply(event):
            self._apply(follow)

    def __repr__(self) -> str:
        return f"Run(id={self.id!r}, kind={self.kind!r}, status={self._status!r}, trials={len(self._trials)}, budget={self.budget})"


def _epoch_event(run_id: str, when: float, epoch: int, metrics: Mapping[str, float], distribution,
                 arch: str | None, scores: Mapping[str, float] | None = None) -> EpochFinished:
    """The event of a finished epoch; ``alphas``/``ops``/``edges`` are the distribution's matrices and axes."""
    return EpochFinished(run_id, when, epoch, dict(metrics),
                         distribution.as_lists() if distribution is not None else None,
                         distribution.ops if distribution is not None else (),
                         distribution.rows if distribution is not None else (), arch, distribution,
                         dict(scores or {}))


def _epoch_record(distribution, scores: Mapping[str, float]) -> dict | None:
    """What the store keeps of an epoch's distribution and scores (plain JSON)."""
    if distribution is None and not scores:
        return None
    return {"distribution": distribution.to_dict() if distribution is not None else None, "scores": dict(scores)}


def _from_epoch_record(record: Mapping | None) -> tuple:
    """``(distribution, scores)`` back from ``_epoch_record``'s JSON."""
    from workbench.records import ArchDistribution

    if not record:
        return None, {}
    d = record.get("distribution")
    distribution = None if d is None else ArchDistribution(d["kind"], tuple(d["ops"]), tuple(d["rows"]),
                                                           d["groups"], d["row_axis"])
    return distribution, dict(record.get("scores") or {})


def _as_budget(budget) -> Budget:
    if isinstance(budget, Budget):
        return budget
    if budget is None:
        return Budget(evaluations=100)
    if isinstance(budget, Mapping):
        return Budget.from_dict(budget)
    if isinstance(budget, (int, str)):
        return Budget.parse(str(budget))
    raise TypeError(f"budget must be a Budget, a dict or a number of evaluations, got {budget!r}")


def _plain(options: Mapping) -> dict:
    """Options as plain JSON-able values (objects become their repr)."""
    out = {}
    for k, v in options.items():
        if isinstance(v, (str, int, float, bool, type(None), list, tuple, dict)):
            out[k] = v
        else:
            out[k] = getattr(v, "meta", {}).get("source") or repr(v)
    return out
