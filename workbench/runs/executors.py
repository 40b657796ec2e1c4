"""Where evaluations run: in the run's own thread (``inline``, the default) or on a Ray cluster (``ray``).

>>> run = Run(space="nb201", searcher="re", estimator="train", estimator_options={...},
...           executor="ray", executor_options={"max_concurrent": 4, "num_gpus": 1}, budget=Budget(evaluations=100))

With ``ray``, each of ``max_concurrent`` Ray actors (one per worker process, with its own resource request,
e.g. one GPU per training trial) rebuilds the space and the estimator once from the run's recorded
configuration and then evaluates the archs the driver sends it. Tabular work is cheap per arch, so an actor
evaluates ``batch_size`` archs per call instead of paying one Ray round trip per lookup. The driver stays
the only writer of the store: SQLite semantics and resume are those of an inline run.

A worker that dies mid-evaluation (its process killed, its node lost) is replaced by a new actor and the
evaluation is sent again, up to ``max_retries`` times; after that the trial is recorded as failed with the
cause. The executor connects to ``address`` (or ``RAY_ADDRESS``) when given, else starts a local Ray.
"""
from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from workbench.errors import WorkbenchError

#: the executors ``Run(executor=...)`` accepts
EXECUTORS = ("inline", "ray")


@dataclass(frozen=True)
class Outcome:
    """What one evaluation on a worker gave: a result dict (``Result.to_dict()``), or a failure."""

    arch: str
    status: str  # "ok" or "failed"
    result: dict | None
    error: str | None
    wall_s: float
    worker: str


@dataclass
class Task:
    """Archs sent to one worker in one call, how often they were tried, and when they were asked."""

    archs: list[str]
    asked_at: list[float]
    attempt: int = 0
    worker: str = ""
    handle: Any = None
    actor: Any = None
    causes: list[str] = field(default_factory=list)


def evaluate_texts(space, estimator, archs: list[str], worker: str) -> list[Outcome]:
    """Evaluate archs given as text; an ``EvaluationError`` fails that arch only (as an inline run does)."""
    from workbench.errors import EvaluationError

    out = []
    for text in archs:
        start = time.perf_counter()
        try:
            result = estimator.evaluate(space.from_string(text))
            out.append(Outcome(text, "ok", result.to_dict(), None, time.perf_counter() - start, worker))
        except EvaluationError as exc:
            out.append(Outcome(text, "failed", None, f"{type(exc).__name__}: {exc}", time.perf_counter() - start,
                               worker))
    return out


class _Worker:
    """The body of a Ray actor: one space and one estimator, built once from the run's configuration."""

    def __init__(self, space_cfg: dict, estimator_cfg: dict) -> None:
        from workbench import estimators, spaces

        self.space = spaces.create(space_cfg["name"], **space_cfg.get("options", {}))
        self.estimator = estimators.create(estimator_cfg["name"], space=self.space,
                                           **estimator_cfg.get("options", {}))
        self.name = f"{socket.gethostname()}:{os.getpid()}"

    def identity(self) -> str:
        return self.name

    def evaluate(self, archs: list[str]) -> list[Outcome]:
        return evaluate_texts(self.space, self.estimator, archs, self.name)


class RayExecutor:
    """Evaluate archs in parallel on Ray actors; ``submit`` and ``wait`` are called by the run's thread only."""

    name = "ray"

    def __init__(self, *, address: str | None = None, max_concurrent: int = 2, num_cpus: float = 1,
                 num_gpus: float = 0, max_retries: int = 2, batch_size: int = 1, init_timeout_s: float = 120) -> None:
        for key, value, low in (("max_concurrent", max_concurrent, 1), ("batch_size", batch_size, 1),
                                ("max_retries", max_retries, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"executor option {key} must be an integer >= {low}, got {value!r}")
        if num_cpus < 0 or num_gpus < 0:
            raise ValueError(f"num_cpus and num_gpus must be >= 0, got {num_cpus!r} and {num_gpus!r}")
        self.address = address
        self.max_concurrent = max_concurrent
        self.num_cpus, self.num_gpus = num_cpus, num_gpus
        self.max_retries = max_retries
        self.batch_size = batch_size
        self.init_timeout_s = init_timeout_s
        self._ray = None
        self._actors: list[Any] = []
        self._idle: list[Any] = []
        self._names: dict[Any, str] = {}
        self._tasks: dict[Any, Task] = {}
        self._space_cfg: dict | None = None
        self._estimator_cfg: dict | None = None
        self.started_ray = False

    def options(self) -> dict[str, Any]:
        return {"address": self.address, "max_concurrent": self.max_concurrent, "num_cpus": self.num_cpus,
                "num_gpus": self.num_gpus, "max_retries": self.max_retries, "batch_size": self.batch_size}

    # --- life cycle ------------------------------------------------------------------------------
    def start(self, space_cfg: dict, estimator_cfg: dict) -> None:
        """Connect to (or start) Ray and create the workers."""
        try:
            import ray
        except ImportError:
            raise WorkbenchError("executor 'ray' needs Ray: pip install 'nas-workbench[ray]' (or pip install ray)") from None
        self._ray = ray
        if not ray.is_initialized():
            address = self.address or os.environ.get("RAY_ADDRESS") or None
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                      "ignore_reinit_error": True}
            if address is None:
                kwargs["num_cpus"] = max(self.max_concurrent * max(self.num_cpus, 1), os.cpu_count() or 1)
                self.started_ray = True
            try:
                ray.init(address=address, **kwargs)
            except Exception as exc:
                where = address or "a local Ray"
                raise WorkbenchError(f"cannot start or reach {where}: {type(exc).__name__}: {exc}") from None
        self._space_cfg, self._estimator_cfg = space_cfg, estimator_cfg
        for _ in range(self.max_concurrent):
            self._add_actor()

    def _add_actor(self) -> Any:
        ray = self._ray
        cls = ray.remote(num_cpus=self.num_cpus, num_gpus=self.num_gpus, max_restarts=0)(_Worker)
        actor = cls.remote(self._space_cfg, self._estimator_cfg)
        try:  # waits until the worker is up: its process identity names the trials it runs
            self._names[actor] = ray.get(actor.identity.remote(), timeout=self.init_timeout_s)
        except Exception as exc:
            raise WorkbenchError(f"a Ray worker could not start: {type(exc).__name__}: {exc}") from None
        self._actors.append(actor)
        self._idle.append(actor)
        return actor

    def _replace(self, actor: Any) -> None:
        if actor in self._actors:
            self._actors.remove(actor)
        if actor in self._idle:
            self._idle.remove(actor)
        try:
            self._ray.kill(actor, no_restart=True)
        except Exception:  # already gone
            pass
        self._names.pop(actor, None)
        self._add_actor()

    def shutdown(self) -> None:
        """Stop the workers (and the local Ray this executor started)."""
        if self._ray is None:
            return
        for actor in self._actors:
            try:
                self._ray.kill(actor, no_restart=True)
            except Exception:
                pass
        self._actors, self._idle, self._tasks = [], [], {}
        if self.started_ray:
            self._ray.shutdown()
        self._ray = None

    # --- work ------------------------------------------------------------------------------------
    @property
    def free_slots(self) -> int:
        return len(self._idle)

    @property
    def in_flight(self) -> list[Task]:
        return list(self._tasks.values())

    def submit(self, task: Task) -> Task:
        """Send a task to an idle worker (call only while ``free_slots`` > 0)."""
        if not self._idle:
            raise WorkbenchError("no idle Ray worker to submit to")
        actor = self._idle.pop(0)
        task.actor = actor
        task.worker = self._names.get(actor, "")
        task.handle = actor.evaluate.remote(task.archs)
        self._tasks[task.handle] = task
        return task

    def wait(self, timeout: float) -> tuple[list[tuple[Task, list[Outcome]]], list[Task]]:
        """Finished tasks with their outcomes, and tasks whose worker died (already resubmittable)."""
        ray = self._ray
        if not self._tasks:
            time.sleep(min(timeout, 0.01))
            return [], []
        ready, _ = ray.wait(list(self._tasks), num_returns=len(self._tasks), timeout=timeout)
        done, lost = [], []
        for handle in ready:
            task = self._tasks.pop(handle)
            try:
                outcomes = ray.get(handle)
            except Exception as exc:  # the actor died (killed process, lost node) or could not start
                task.causes.append(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".strip())
                self._replace(task.actor)
                lost.append(task)
                continue
            self._idle.append(task.actor)
            done.append((task, outcomes))
        return done, lost


def create(name: str | None, options: dict | None = None) -> RayExecutor | None:
    """The executor called ``name`` (None for inline)."""
    if name in (None, "inline"):
        if options:
            raise ValueError(f"the inline executor takes no options, got {sorted(options)}")
        return None
    if name == "ray":
        return RayExecutor(**(options or {}))
    raise ValueError(f"unknown executor {name!r}; accepted: {', '.join(EXECUTORS)}")


__all__ = ["EXECUTORS", "Outcome", "RayExecutor", "Task", "create", "evaluate_texts"]
