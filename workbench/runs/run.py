"""``Run``: a search strategy bound to a budget, a seed and a store, run in a thread or synchronously.

>>> from workbench import Run, Budget
>>> run = Run(space="nb201", searcher="re", estimator="tabular", budget=Budget(evaluations=100), seed=0)
>>> run.start()          # returns at once; the search works in a background thread
>>> run.pause(); run.resume(); run.stop()   # set flags and return at once; honoured between evaluations
>>> Run.restore(run.id, store=run.store)     # a stored run, rebuilt to continue where it stopped
>>> run.join()           # waits; re-raises a failure of the thread
>>> run.best.arch, run.best.objective

Every state change is an event (``workbench.runs.events``); ``run.subscribe(callback)`` receives them all,
in the worker thread, in order. Control methods only set flags: the worker alone publishes events and
writes the store, so a button callback never waits for a busy store. The worker never prints.
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
from workbench.runs.events import (EpochFinished, Event, IncumbentChanged, RunStatus, StatusChanged, Trial,
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


class Run:
    """A search run. Components may be given as registry names (with ``*_options``) or as objects.

    With names, the run derives the searcher's and estimator's seeds from ``seed``. Every component's name
    and ``options()`` are recorded, so ``Run.restore(run_id, store=...)`` rebuilds the same run after the
    process dies. The strategy's state is
    checkpointed every ``checkpoint_every`` trials (epochs); trials after the last checkpoint are replayed
    through ask/tell on resume, so nothing is evaluated twice.
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
            self.space = spaces.create(space_name, **{**opts, **(space_options or {})})
        else:
            self.space = _given_object("space", space, space_options)
        self.config: dict[str, Any] = {"space": describe("space", self.space), "budget": self.budget.to_dict(),
                                       "seed": seed}

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
                self.strategy = _given_object("strategy", strategy, strategy_options)
            self.config["strategy"] = describe("strategy", self.strategy)
            self.kind = "oneshot"
        else:
            if searcher is None or estimator is None:
                raise ValueError("a Run needs a searcher and an estimator, or a one-shot strategy")
            if isinstance(searcher, (str, Mapping)):
                sname, opts = _component("searcher", searcher)
                opts.update(searcher_options or {})
                seed_used = opts.pop("seed", searcher_seed)
                self.searcher = searchers.create(sname, space=self.space, seed=seed_used, **opts)
            else:
                self.searcher = _given_object("searcher", searcher, searcher_options)
            self.config["searcher"] = describe("searcher", self.searcher)
            if isinstance(estimator, (str, Mapping)):
                ename, opts = _component("estimator", estimator)
                opts.update(estimator_options or {})
                if ename == "train":
                    opts.setdefault("seed", estimator_seed)
                self.estimator = estimators.create(ename, space=self.space, **opts)
            else:
                self.estimator = _given_object("estimator", estimator, estimator_options)
            self.config["estimator"] = describe("estimator", self.estimator)
            self.estimator.check_space(self.space)
            self.kind = "search"

        self.store = Store(store) if isinstance(store, str) or hasattr(store, "__fspath__") else (store or Store())
        self._listeners: list[Listener] = []
        self.listener_errors: list[BaseException] = []
        self._status = RunStatus.CREATED  # the last status the worker published
        self._launched = False  # start() or run() was called
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

    # --- public state ----------------------------------------------------------------------------
    @property
    def status(self) -> RunStatus:
        """The run's status, including what was just asked for: ``paused`` as soon as ``pause()`` returns,
        ``stopping`` after ``stop()``, though the worker may still be finishing an evaluation. The
        ``StatusChanged`` events (from the worker) follow when it reaches the request."""
        status = self._status
        if status.final or (status is RunStatus.CREATED and not self._launched):
            return status
        return self._requested_status(status)

    def _requested_status(self, current: RunStatus) -> RunStatus:
        if self._stop_flag.is_set():
            return RunStatus.STOPPING
        if not self._resume_flag.is_set():
            return RunStatus.PAUSED
        return RunStatus.RUNNING if current in (RunStatus.PAUSED, RunStatus.STOPPING) else current

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
            raise WorkbenchError(f"run {self.id} was already started (status {self.status}); "
                                 f"make a new Run to search again")
        self._thread = threading.Thread(target=self._main, name=f"workbench-run-{self.id}", daemon=True)
        self._launched = True
        self._thread.start()
        return self

    def run(self) -> "Run":
        """Run synchronously in the calling thread (batch mode); raises what the search raised."""
        if self._thread is not None:
            raise WorkbenchError(f"run {self.id} was already started in a thread")
        self._launched = True
        self._main()
        if self._error is not None:
            raise self._error
        return self

    def pause(self) -> None:
        """No new evaluation (epoch) starts until ``resume()``; the current one finishes and is recorded.

        Returns at once: it only sets a flag. ``status`` says ``paused`` from now on; the worker publishes
        the ``StatusChanged`` event and writes the store when it reaches the flag."""
        if self._launched and self.status in (RunStatus.CREATED, RunStatus.RUNNING):
            self._resume_flag.clear()

    def resume(self, *args: Any, **kwargs: Any) -> None:
        """Let a paused run go on (returns at once). It takes no arguments: to continue a run from its
        store (after the process died, or to give it more budget), use ``Run.restore(run_id, store=...)``."""
        if args or kwargs or not isinstance(self, Run):
            raise WorkbenchError(
                "Run.resume() only unpauses a paused run and takes no arguments; to continue a stored run use "
                "Run.restore(run_id, store=...) and then start() or run() it")
        if not self.status.final:
            self._resume_flag.set()

    def stop(self) -> None:
        """End the run after the current evaluation (or batch); returns at once (it only sets a flag)."""
        if not self.status.final:
            self._stop_flag.set()
            self._resume_flag.set()

    def join(self, timeout: float | None = None) -> RunStatus:
        """Wait for the thread (at most ``timeout`` s); re-raise its failure; return the status."""
        if self._thread is not None:
            self._thread.join(timeout)
        if self._error is not None:
            raise self._error
        return self.status

    @property
    def stop_requested(self) -> bool:
        return self._stop_flag.is_set()

    # --- worker ----------------------------------------------------------------------------------
    def _main(self) -> None:
        try:
            self._record_run()
            self._started_at = time.monotonic()
            self._set_status(RunStatus.RUNNING)
            if self.kind == "search":
                self._search_loop()
            else:
                self._oneshot_loop()
            stopped = self._stop_flag.is_set() and not self._budget_done()
            self._set_status(RunStatus.STOPPED if stopped else RunStatus.FINISHED)
        except BaseException as exc:  # captured, shown by join()/status, never printed
            self._error = exc
            self._error_text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            try:
                self._set_status(RunStatus.FAILED, error=self._error_text)
            except BaseException:  # the store itself failed: keep the original error
                self._status = RunStatus.FAILED
        finally:
            self._elapsed_before = self.progress().wall_seconds
            self._started_at = None

    def _budget_done(self) -> bool:
        return self.budget.exhausted(self.progress())

    def _wait_if_paused(self) -> bool:
        """Publish what ``pause()``/``resume()``/``stop()`` asked for; block while paused; False when the run
        should end. Only the worker calls this, so only the worker publishes status changes."""
        self._sync_status()
        while not self._resume_flag.wait(0.05):
            if self._stop_flag.is_set():
                break
        self._sync_status()
        return not self._stop_flag.is_set()

    def _sync_status(self) -> None:
        self._set_status(self._requested_status(self._status))

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
        saved = True  # whether the store holds the strategy's newest state
        while not self._budget_done() and self._wait_if_paused():
            epoch = len(self._epochs)
            # strategies that can pause inside an epoch (``pause_within_epoch``) are interrupted by pause too
            within = getattr(self.strategy, "pause_within_epoch", False)
            report = self.strategy.step(
                should_stop=lambda: self._stop_flag.is_set() or (within and not self._resume_flag.is_set()))
            if report.get("partial"):
                # stopped inside an epoch: checkpoint its state so a resume continues that same epoch
                self.store.put_checkpoint(self.id, epoch, self.strategy.checkpoint_bytes())
                saved = True
                continue
            event = EpochFinished(self.id, time.time(), epoch, dict(report.get("metrics", {})),
                                  report.get("alphas"), tuple(report.get("ops", ())), tuple(report.get("edges", ())),
                                  report.get("arch"))
            checkpoint = None
            if (epoch + 1) % self.checkpoint_every == 0:
                checkpoint = self.strategy.checkpoint_bytes()
            self.store.add_epoch(self.id, epoch, dict(event.metrics), event.alphas, event.arch, checkpoint)
            saved = checkpoint is not None
            self._publish(event)
        if not saved:  # a finished or stopped run resumes from where it ended
            self.store.put_checkpoint(self.id, len(self._epochs), self.strategy.checkpoint_bytes())

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

    def _set_status(self, status: RunStatus, error: str | None = None) -> None:
        """Record and publish a status change (worker thread only)."""
        previous = self._status
        if status == previous:
            return
        if self._recorded:
            self.store.set_status(self.id, status.value, error)
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
        for kind in ("space", "strategy", "searcher", "estimator"):
            if kind in cfg and cfg[kind].get("options", {}) is None:
                raise WorkbenchError(
                    f"cannot restore run {run_id}: its {kind} {cfg[kind]['name']!r} was given as an object without "
                    f"an options() method, so the store does not say how to rebuild it")
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
            if checkpoint is not None:
                done, state = checkpoint
                self.strategy.load_checkpoint_bytes(state)
                epochs = epochs[:done]
            for rec in epochs:
                self._apply(EpochFinished(self.id, rec["finished_at"], rec["epoch"], rec["metrics"], rec["alphas"],
                                          (), (), rec["arch"]))

    def _apply_restored(self, event: Event) -> None:
        for follow in self._apply(event):
            self._apply(follow)

    def __repr__(self) -> str:
        return f"Run(id={self.id!r}, kind={self.kind!r}, status={str(self.status)!r}, trials={len(self._trials)}, budget={self.budget})"


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


def describe(kind: str, component: Any) -> dict[str, Any]:
    """``{"name": ..., "options": ...}``: what rebuilds ``component`` with its registry's ``create`` (the run
    records it, so ``Run.restore`` builds the same component whether it was given by name or as an object).
    An object without ``options()`` (a hand-written stand-in) is recorded with ``options`` None: its run
    works, and restoring it says why it cannot be rebuilt instead of guessing defaults."""
    options = getattr(component, "options", None)
    name = getattr(component, "name", None) or type(component).__name__
    return {"name": name, "options": _plain(options()) if callable(options) else None}


def _given_object(kind: str, component: Any, options: Mapping | None) -> Any:
    if options:
        raise ValueError(f"{kind}_options={dict(options)!r} only apply to a {kind} given by name; this {kind} is "
                         f"the object {component!r}: build it with those options instead")
    return component


def _plain(options: Mapping) -> dict:
    """Options as plain JSON-able values (objects become their repr)."""
    out = {}
    for k, v in options.items():
        if isinstance(v, (str, int, float, bool, type(None), list, tuple, dict)):
            out[k] = v
        else:
            out[k] = getattr(v, "meta", {}).get("source") or repr(v)
    return out
