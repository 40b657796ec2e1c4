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

import math
import threading
import time
import traceback
import uuid
from collections import deque
from typing import Any, Callable, Mapping

import numpy as np

from workbench.errors import EvaluationError, WorkbenchError
from workbench.runs.budget import Budget, Progress
from workbench.runs.events import (EpochFinished, Event, IncumbentChanged, RunStatus, StatusChanged, Trial,
                                   TrialFinished)
from workbench.runs.store import Store
from workbench.runs.writer import COMMIT_EVERY, COMMIT_SECONDS, TrialWriter, check_commit_policy

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
    checkpointed every ``checkpoint_every`` trials; trials after the last checkpoint are replayed
    through ask/tell on resume, so nothing is evaluated twice. Trials are committed to the store every
    ``commit_every`` trials or ``commit_seconds`` s (``workbench.runs.writer``): a kill loses at most those.
    A one-shot strategy is checkpointed with every epoch (and when paused or stopped inside one); given an
    ``estimator``, the run estimates each epoch's derived arch with it (``derived_*`` metrics).
    """

    def __init__(self, *, space: Any = "nb201", searcher: Any = None, estimator: Any = None, strategy: Any = None,
                 budget: Budget | Mapping | int | None = None, seed: int | None = 0,
                 store: Store | str | None = None, name: str | None = None,
                 space_options: Mapping | None = None, searcher_options: Mapping | None = None,
                 estimator_options: Mapping | None = None, strategy_options: Mapping | None = None,
                 checkpoint_every: int = 20, run_id: str | None = None, commit_every: int = COMMIT_EVERY,
                 commit_seconds: float = COMMIT_SECONDS, executor: str | None = None,
                 executor_options: Mapping | None = None) -> None:
        from workbench import estimators, searchers, spaces
        from workbench.validate import check_seed

        self.seed = seed = check_seed(seed)
        self.name = name
        self.id = run_id or uuid.uuid4().hex[:12]
        self.budget = _as_budget(budget)
        self.checkpoint_every = max(1, int(checkpoint_every))
        # trials reach the store in batches (``workbench.runs.writer``): a kill loses at most these
        check_commit_policy(commit_every, commit_seconds)
        self.commit_every, self.commit_seconds = commit_every, commit_seconds
        searcher_seed, estimator_seed, strategy_seed = child_seeds(seed, 3)

        if isinstance(space, (str, Mapping)):
            space_name, opts = _component("space", space)
            self.space = spaces.create(space_name, **{**opts, **(space_options or {})})
        else:
            self.space = _given_object("space", space, space_options)
        self.config: dict[str, Any] = {"space": describe("space", self.space), "budget": self.budget.to_dict(),
                                       "seed": seed}

        self.strategy = None
        self.executor = None
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
                self.strategy = _given_object("strategy", strategy, strategy_options)
            self.config["strategy"] = describe("strategy", self.strategy)
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
            else:
                self.searcher = _given_object("searcher", searcher, searcher_options)
            self.config["searcher"] = describe("searcher", self.searcher)
            self._init_estimator(estimator, estimator_options, estimator_seed)
            if hasattr(self.estimator, "check_budget"):  # refuse a budget the estimator can never use up
                self.estimator.check_budget(self.budget)
            self.kind = "search"
            from workbench.runs import executors

            self.executor = executors.create(executor, dict(executor_options or {}))
            if self.executor is not None:
                self.config["executor"] = {"name": self.executor.name, "options": self.executor.options()}
        self._reissue: list[str] = []  # archs in flight when a parallel run was killed, sent again on resume

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
        self._derived_estimates: dict[str, dict[str, float]] = {}

    def _init_estimator(self, estimator: Any, options: Mapping | None, seed: int) -> None:
        from workbench import estimators

        if isinstance(estimator, (str, Mapping)):
            ename, opts = _component("estimator", estimator)
            opts.update(options or {})
            if ename == "train":
                opts.setdefault("seed", seed)
            self.estimator = estimators.create(ename, space=self.space, **opts)
        else:
            self.estimator = _given_object("estimator", estimator, options)
        self.config["estimator"] = describe("estimator", self.estimator)
        self.estimator.check_space(self.space)

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
        if not self._take_lease():
            return
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
            self.store.release_lease(self.id, self._lease)

    def _take_lease(self) -> bool:
        """Hold the store's lease on this run while the worker runs; refused (the store left untouched)
        while another live process or Run executes it."""
        try:
            self._lease = self.store.acquire_lease(self.id)
        except WorkbenchError as exc:
            self._error, self._error_text, self._lease = exc, str(exc), None
            self._publish(StatusChanged(self.id, time.time(), "failed", self._status, str(exc)))
            return False
        return True

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
        if self.executor is not None:
            from workbench.runs.parallel import parallel_search

            return parallel_search(self, self.executor, self._reissue)
        writer = TrialWriter(self.store, self.id, every=self.commit_every, seconds=self.commit_seconds)
        try:
            self._search_trials(writer)
        except BaseException:
            _flush_quietly(writer)  # the trials that finished are real: keep them, keep the original error
            raise
        writer.flush()

    def _search_trials(self, writer: TrialWriter) -> None:
        started = time.monotonic() if self._started_at is None else self._started_at
        budget = self.budget
        # evaluations and simulated seconds are checked here; wall seconds and epochs by Budget.exhausted
        max_evals = budget.evaluations if budget.evaluations is not None else math.inf
        max_sim = budget.sim_seconds if budget.sim_seconds is not None else math.inf
        general = budget.wall_seconds is not None or budget.epochs is not None
        # the loop below runs thousands of times a second on a table: the bound methods are looked up once
        ask, tell, evaluate = self.searcher.ask, self.searcher.tell, self.estimator.evaluate
        to_string, add, finished = self.space.to_string, writer.add, self._trial_finished
        resumed, stopped = self._resume_flag.is_set, self._stop_flag.is_set
        perf, monotonic, now = time.perf_counter, time.monotonic, time.time
        every, trials = self.checkpoint_every, self._trials
        while len(trials) < max_evals and self._sim_time < max_sim and not (general and self._budget_done()):
            if not resumed():
                writer.flush()  # a paused run's store holds every finished trial
                if not self._wait_if_paused():
                    break
            elif stopped():
                self._sync_status()  # publish "stopping" from this (the worker's) thread
                break
            number = len(trials)
            arch = ask()
            text = to_string(arch)
            t0 = perf()
            try:
                result = evaluate(arch)
                status, error = "ok", None
            except EvaluationError as exc:  # e.g. a NaN loss: the trial fails, the search goes on
                result, status, error = None, "failed", f"{type(exc).__name__}: {exc}"
            wall = perf() - t0
            if result is not None:
                tell(arch, result)
                self._sim_time += result.cost_s
            trial = Trial._finished(number, text, result, status, error, wall, self._sim_time,
                                    self._elapsed_before + (monotonic() - started), now())
            add(trial, {"searcher": self.searcher.state_dict()} if (number + 1) % every == 0 else None)
            finished(trial)
        if trials and len(trials) % every:
            writer.checkpoint(len(trials), {"searcher": self.searcher.state_dict()})

    def _trial_finished(self, trial: Trial) -> None:
        """Publish the trial; with no subscriber, the same bookkeeping without building event objects (an
        append and an assignment, each atomic: a reader holding ``_state_lock`` sees a consistent list)."""
        if self._listeners:
            self._publish(TrialFinished(self.id, trial.finished_at, trial, trial.number + 1))
            return
        self._trials.append(trial)
        if trial.status == "ok" and (self._best is None or trial.result.objective > self._best.result.objective):
            self._best = trial

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
        queue = deque([event])
        while queue:
            ev = queue.popleft()
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
        store.check_lease(info["id"])  # refused while another live process executes this run
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
            if "estimator" in cfg:  # the estimator of each epoch's derived arch
                kwargs["estimator"] = cfg["estimator"]
        else:
            kwargs["searcher"], kwargs["estimator"] = cfg["searcher"], cfg["estimator"]
            if "executor" in cfg:
                kwargs["executor"], kwargs["executor_options"] = cfg["executor"]["name"], cfg["executor"]["options"]
        run = cls(**kwargs)
        run.config = cfg | {"budget": run.budget.to_dict()}
        run._recorded = True
        run._restore(store.trials(info["id"]), store.epochs(info["id"]), store.latest_checkpoint(info["id"]))
        return run

    def _restore(self, trials: list[Trial], epochs: list[dict], checkpoint) -> None:
        if self.kind == "search" and self.executor is not None:
            from workbench.runs.parallel import restore_pending

            self._reissue = restore_pending(self, trials, checkpoint)
            for trial in trials:
                self._apply_restored(TrialFinished(self.id, trial.finished_at, trial, trial.number + 1))
            self._sim_time = trials[-1].sim_time_s if trials else 0.0
            self._elapsed_before = trials[-1].elapsed_s if trials else 0.0
        elif self.kind == "search":
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
        return f"Run(id={self.id!r}, kind={self.kind!r}, status={str(self.status)!r}, trials={len(self._trials)}, budget={self.budget})"


def _flush_quietly(writer: TrialWriter) -> None:
    try:
        writer.flush()
    except BaseException:  # the store itself failed: the caller re-raises the original error
        pass


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
