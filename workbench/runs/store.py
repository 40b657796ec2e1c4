"""The run store: one SQLite file (WAL mode) holding every run's config, seed and package versions, each
trial and epoch record as it happens, and strategy checkpoints.

Writes are short ``BEGIN IMMEDIATE`` transactions with a generous busy timeout, so several processes (a
papermill batch) can write one store at once. A trial and the checkpoint taken after it are written in
one transaction: a process killed at any moment leaves either both or neither.
"""
from __future__ import annotations

import functools
import json
import math
import os
import socket
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from workbench.errors import DataError
from workbench.records import Result
from workbench.runs.events import Trial

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, name TEXT, kind TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL,
    status TEXT NOT NULL, seed INTEGER, config TEXT NOT NULL, versions TEXT NOT NULL, error TEXT,
    host TEXT, pid INTEGER
);
CREATE TABLE IF NOT EXISTS trials (
    run_id TEXT NOT NULL REFERENCES runs(id), number INTEGER NOT NULL, arch TEXT NOT NULL, status TEXT NOT NULL,
    objective REAL, metrics TEXT NOT NULL, cost_s REAL, fidelity REAL, wall_s REAL, sim_time_s REAL,
    elapsed_s REAL, finished_at REAL, error TEXT, PRIMARY KEY (run_id, number)
);
CREATE TABLE IF NOT EXISTS epochs (
    run_id TEXT NOT NULL REFERENCES runs(id), epoch INTEGER NOT NULL, metrics TEXT NOT NULL, alphas TEXT,
    arch TEXT, finished_at REAL, PRIMARY KEY (run_id, epoch)
);
CREATE TABLE IF NOT EXISTS checkpoints (
    run_id TEXT NOT NULL REFERENCES runs(id), step INTEGER NOT NULL, state BLOB NOT NULL, created REAL NOT NULL,
    PRIMARY KEY (run_id, step)
);
"""


def _json(value: Any) -> str:
    """JSON text of plain data; NaN/inf become null and numpy scalars plain numbers."""
    try:
        return json.dumps(value, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        pass

    def clean(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {str(k): clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        if hasattr(v, "item") and callable(v.item):  # numpy scalars
            return clean(v.item())
        return v

    return json.dumps(clean(value), sort_keys=True)


@functools.lru_cache(maxsize=1)
def _package_versions() -> tuple[tuple[str, str], ...]:
    return tuple(_read_versions().items())


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages that shape a run's results (read once per process)."""
    return dict(_package_versions())


def _read_versions() -> dict[str, str]:
    import platform
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for pkg in ("nas-workbench", "numpy", "torch", "torchvision", "scikit-learn", "onnxruntime"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return versions


class Store:
    """A SQLite run store. ``Store(path)`` creates the file if needed; ``Store(":memory:")`` keeps nothing."""

    def __init__(self, path: str | os.PathLike = ":memory:", *, timeout: float = 60.0) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
            self._conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            if self.path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)
            with self._write() as cur:
                cur.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            row = self._conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise DataError(f"{self.path} is not a workbench store (SQLite said: {exc})") from None
        if int(row[0]) != SCHEMA_VERSION:
            raise DataError(f"store {self.path} has schema version {row[0]}; this workbench reads {SCHEMA_VERSION}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __repr__(self) -> str:
        return f"Store({self.path!r})"

    # --- runs ------------------------------------------------------------------------------------
    def create_run(self, run_id: str, *, kind: str, config: dict, seed: int | None, name: str | None = None) -> None:
        now = time.time()
        with self._write() as cur:
            cur.execute(
                "INSERT INTO runs (id, name, kind, created, updated, status, seed, config, versions, host, pid) "
                "VALUES (?, ?, ?, ?, ?, 'created', ?, ?, ?, ?, ?)",
                (run_id, name, kind, now, now, seed, _json(config), _json(package_versions()),
                 socket.gethostname(), os.getpid()),
            )

    def set_status(self, run_id: str, status: str, error: str | None = None) -> None:
        with self._write() as cur:
            cur.execute("UPDATE runs SET status=?, error=?, updated=?, host=?, pid=? WHERE id=?",
                        (status, error, time.time(), socket.gethostname(), os.getpid(), run_id))

    def run_info(self, run_id: str) -> dict[str, Any]:
        """One run's record; a prefix of an id is enough when it is unique."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, name, kind, created, updated, status, seed, config, versions, error, host, pid "
                "FROM runs WHERE id LIKE ? ORDER BY created", (f"{run_id}%",)).fetchall()
        if not rows:
            raise KeyError(f"no run {run_id!r} in store {self.path}")
        if len(rows) > 1 and rows[0][0] != run_id:
            raise KeyError(f"run id prefix {run_id!r} matches {len(rows)} runs in {self.path}; give more of it")
        return self._run_dict(rows[0])

    def runs(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, name, kind, created, updated, status, seed, config, versions, error, host, pid "
                "FROM runs ORDER BY created").fetchall()
            counts = dict(self._conn.execute("SELECT run_id, COUNT(*) FROM trials GROUP BY run_id").fetchall())
            epochs = dict(self._conn.execute("SELECT run_id, COUNT(*) FROM epochs GROUP BY run_id").fetchall())
            best = dict(self._conn.execute(
                "SELECT run_id, MAX(objective) FROM trials WHERE status='ok' GROUP BY run_id").fetchall())
        out = []
        for row in rows:
            info = self._run_dict(row)
            info.update(trials=counts.get(info["id"], 0), epochs=epochs.get(info["id"], 0), best=best.get(info["id"]))
            out.append(info)
        return out

    def _run_dict(self, row) -> dict[str, Any]:
        keys = ("id", "name", "kind", "created", "updated", "status", "seed", "config", "versions", "error", "host", "pid")
        info = dict(zip(keys, row))
        info["config"] = json.loads(info["config"])
        info["versions"] = json.loads(info["versions"])
        if info["status"] in ("running", "paused", "stopping") and info["host"] == socket.gethostname():
            if not _pid_alive(info["pid"]):
                info["status"] = "interrupted"
        return info

    # --- trials ----------------------------------------------------------------------------------
    def add_trial(self, run_id: str, trial: Trial, checkpoint: dict | None = None) -> None:
        """Record a finished trial, and with it (atomically) the strategy's state after it."""
        r = trial.result
        with self._write() as cur:
            cur.execute(
                "INSERT INTO trials VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, trial.number, trial.arch, trial.status, r.objective if r else None,
                 _json(dict(r.metrics) if r else {}), r.cost_s if r else 0.0, r.fidelity if r else None,
                 trial.wall_s, trial.sim_time_s, trial.elapsed_s, trial.finished_at, trial.error),
            )
            if checkpoint is not None:
                self._put_checkpoint(cur, run_id, trial.number + 1, checkpoint)

    def trials(self, run_id: str) -> list[Trial]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT number, arch, status, objective, metrics, cost_s, fidelity, wall_s, sim_time_s, elapsed_s, "
                "finished_at, error FROM trials WHERE run_id=? ORDER BY number", (run_id,)).fetchall()
        out = []
        for (number, arch, status, objective, metrics, cost_s, fidelity, wall_s, sim_time_s, elapsed_s,
             finished_at, error) in rows:
            result = None
            if status == "ok":
                result = Result(objective=objective, metrics=json.loads(metrics), cost_s=cost_s or 0.0, fidelity=fidelity)
            out.append(Trial(number, arch, result, status, error, wall_s or 0.0, sim_time_s or 0.0,
                             elapsed_s or 0.0, finished_at or 0.0))
        return out

    # --- epochs (one-shot strategies) ------------------------------------------------------------
    def add_epoch(self, run_id: str, epoch: int, metrics: dict, alphas: Any = None, arch: str | None = None,
                  checkpoint: dict | None = None) -> None:
        with self._write() as cur:
            cur.execute("INSERT OR REPLACE INTO epochs VALUES (?, ?, ?, ?, ?, ?)",
                        (run_id, epoch, _json(metrics), _json(alphas) if alphas is not None else None, arch, time.time()))
            if checkpoint is not None:
                self._put_checkpoint(cur, run_id, epoch + 1, checkpoint)

    def drop_epochs(self, run_id: str, first: int) -> int:
        """Delete the epoch records from epoch ``first`` on (a resume that has no state to continue them from
        computes them again); returns how many were deleted."""
        with self._write() as cur:
            cur.execute("DELETE FROM epochs WHERE run_id=? AND epoch>=?", (run_id, int(first)))
            return cur.rowcount

    def epochs(self, run_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT epoch, metrics, alphas, arch, finished_at FROM epochs WHERE run_id=? ORDER BY epoch",
                (run_id,)).fetchall()
        return [{"epoch": e, "metrics": json.loads(m), "alphas": json.loads(a) if a else None, "arch": arch,
                 "finished_at": t} for e, m, a, arch, t in rows]

    # --- checkpoints -----------------------------------------------------------------------------
    def _put_checkpoint(self, cur, run_id: str, step: int, state: dict | bytes) -> None:
        blob = state if isinstance(state, bytes) else _json(state).encode()
        cur.execute("INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?, ?)", (run_id, step, blob, time.time()))
        # keep the newest two: the previous one still stands if the newest is ever unreadable
        cur.execute("DELETE FROM checkpoints WHERE run_id=? AND step NOT IN "
                    "(SELECT step FROM checkpoints WHERE run_id=? ORDER BY step DESC LIMIT 2)", (run_id, run_id))

    def put_checkpoint(self, run_id: str, step: int, state: dict | bytes) -> None:
        with self._write() as cur:
            self._put_checkpoint(cur, run_id, step, state)

    def latest_checkpoint(self, run_id: str) -> tuple[int, dict | bytes] | None:
        """``(step, state)`` of the newest checkpoint: ``step`` trials (or epochs) were done when it was taken."""
        with self._lock:
            row = self._conn.execute(
                "SELECT step, state FROM checkpoints WHERE run_id=? ORDER BY step DESC LIMIT 1", (run_id,)).fetchone()
        if row is None:
            return None
        step, blob = row
        try:
            return step, json.loads(blob)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return step, bytes(blob)


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
