"""The run store: one SQLite file (WAL mode) holding every run's config, seed and package versions, each
trial and epoch record as it happens, and strategy checkpoints.

Writes are short ``BEGIN IMMEDIATE`` transactions with a generous busy timeout, so several processes (a
papermill batch) can write one store at once. A trial and the checkpoint taken after it are written in
one transaction: a process killed at any moment leaves either both or neither.

A store file carries ``PRAGMA application_id`` = ``APPLICATION_ID`` and ``PRAGMA user_version`` =
``SCHEMA_VERSION``; ``Store(path)`` opens any other non-empty file read-only first and refuses it without
writing a byte (``_check_identity``). A run being executed holds a lease (``acquire_lease``): a second
process that tries to run it is refused while the lease is alive (see docs/reliability.md).
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
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

from workbench.errors import DataError, WorkbenchError
from workbench.records import Result
from workbench.runs.events import Trial

#: the schema this workbench writes; version 1 (no application id, no leases) is migrated on open
SCHEMA_VERSION = 2
#: ``PRAGMA application_id`` of every store file (ASCII "WBRS": workbench run store)
APPLICATION_ID = 0x57425253
#: a lease whose heartbeat is older than this is stale (taken over by the next process that runs the run)
LEASE_TIMEOUT_S = 30.0
#: how often a lease holder renews its heartbeat (a background thread; each trial/epoch write renews too)
LEASE_RENEW_S = 5.0

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
CREATE TABLE IF NOT EXISTS leases (
    run_id TEXT PRIMARY KEY, token TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,
    acquired REAL NOT NULL, heartbeat REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS trial_workers (
    run_id TEXT NOT NULL REFERENCES runs(id), number INTEGER NOT NULL, worker TEXT, asked_at REAL,
    PRIMARY KEY (run_id, number)
);
"""
#: the tables of a version-1 store (written before stores carried an application id)
_V1_TABLES = {"meta", "runs", "trials", "epochs", "checkpoints"}


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


#: the JSON text of metrics mappings already written (a tabular estimator shares one Result per arch, so
#: thousands of runs over one table write a few thousand distinct texts); keyed by id, the mapping kept alive
_METRICS_JSON: dict[int, tuple[Any, str]] = {}


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
        self._heartbeats: dict[tuple[str, str], threading.Event] = {}
        # an in-memory store is seen by this process alone: its leases live here, with no heartbeat to renew
        self._memory_leases: dict[str, dict[str, Any]] | None = {} if self.path == ":memory:" else None
        found = _check_identity(self.path)  # before anything can write to the file
        try:
            self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
            self._conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            if self.path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            if self.path == ":memory:":  # a copy of an empty store made once per process (0.05 ms, not 0.9)
                _copy_empty_store(self._conn)
            elif found != SCHEMA_VERSION:
                with self._write() as cur:
                    self._create_or_migrate(cur)
        except sqlite3.DatabaseError as exc:
            raise DataError(f"{self.path} is not a workbench store (SQLite said: {exc})") from None

    def _create_or_migrate(self, cur: sqlite3.Cursor) -> None:
        """Create the tables (new file) or migrate a version-1 store; in the open write transaction."""
        version = cur.execute("PRAGMA user_version").fetchone()[0]
        if cur.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID and version == SCHEMA_VERSION:
            return  # another process created it meanwhile
        _write_schema(cur)

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
        """One run's record; a prefix of an id is enough when it is unique (matched literally: ``%`` and
        ``_`` are plain characters); an ambiguous prefix is refused with the candidates."""
        if not isinstance(run_id, str) or not run_id:
            raise KeyError(f"give a run id (or a unique prefix of one), got {run_id!r}")
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, name, kind, created, updated, status, seed, config, versions, error, host, pid "
                "FROM runs WHERE substr(id, 1, ?) = ? ORDER BY created", (len(run_id), run_id)).fetchall()
        exact = [row for row in rows if row[0] == run_id]
        if exact:
            return self._run_dict(exact[0])
        if not rows:
            raise KeyError(f"no run {run_id!r} in store {self.path}")
        if len(rows) > 1:
            shown = ", ".join(row[0] for row in rows[:10]) + (", ..." if len(rows) > 10 else "")
            raise KeyError(f"run id prefix {run_id!r} matches {len(rows)} runs in {self.path} ({shown}); give more of it")
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
        self.add_trials(run_id, [trial], [(trial.number + 1, checkpoint)] if checkpoint is not None else ())

    def add_trials(self, run_id: str, trials: list[Trial], checkpoints: Iterable[tuple[int, dict | bytes]] = (),
                   memo: dict | None = None) -> None:
        """Record finished trials and the checkpoints ``(step, state)`` taken among them in ONE transaction:
        a process killed at any moment leaves all of them or none (``workbench.runs.writer`` batches so).
        ``memo`` remembers the JSON of each metrics mapping (default: one memo per process): a tabular
        estimator returns one shared Result per arch."""
        memo = _METRICS_JSON if memo is None else memo  # id(metrics) -> (metrics, its JSON), kept alive
        if len(memo) > 100_000:
            memo.clear()
        rows = []
        for trial in trials:
            r = trial.result
            if r is not None:
                seen = memo.get(id(r.metrics))
                if seen is not None and seen[0] is r.metrics:
                    text = seen[1]
                else:
                    text = _json(dict(r.metrics))
                    memo[id(r.metrics)] = (r.metrics, text)
            rows.append((run_id, trial.number, trial.arch, trial.status, r.objective if r else None,
                         text if r else "{}", r.cost_s if r else 0.0, r.fidelity if r else None,
                         trial.wall_s, trial.sim_time_s, trial.elapsed_s, trial.finished_at, trial.error))
        with self._write() as cur:
            cur.executemany("INSERT INTO trials VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            workers = [(run_id, t.number, t.worker, t.asked_at) for t in trials
                       if t.worker is not None or t.asked_at is not None]
            if workers:
                cur.executemany("INSERT INTO trial_workers VALUES (?, ?, ?, ?)", workers)
            for step, state in checkpoints:
                self._put_checkpoint(cur, run_id, step, state)

    def trials(self, run_id: str) -> list[Trial]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT t.number, arch, status, objective, metrics, cost_s, fidelity, wall_s, sim_time_s, elapsed_s, "
                "finished_at, error, w.worker, w.asked_at FROM trials t LEFT JOIN trial_workers w "
                "ON w.run_id = t.run_id AND w.number = t.number WHERE t.run_id=? ORDER BY t.number",
                (run_id,)).fetchall()
        out = []
        for (number, arch, status, objective, metrics, cost_s, fidelity, wall_s, sim_time_s, elapsed_s,
             finished_at, error, worker, asked_at) in rows:
            result = None
            if status == "ok":
                result = Result(objective=objective, metrics=json.loads(metrics), cost_s=cost_s or 0.0, fidelity=fidelity)
            out.append(Trial(number, arch, result, status, error, wall_s or 0.0, sim_time_s or 0.0,
                             elapsed_s or 0.0, finished_at or 0.0, worker, asked_at))
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

    # --- leases ----------------------------------------------------------------------------------
    def lease_holder(self, run_id: str) -> dict[str, Any] | None:
        """The live lease on ``run_id`` (token, host, pid, acquired, heartbeat), or None (none, or stale)."""
        if self._memory_leases is not None:
            with self._lock:
                held = self._memory_leases.get(run_id)
            return dict(held) if held is not None else None
        with self._lock:
            row = self._conn.execute("SELECT token, host, pid, acquired, heartbeat FROM leases WHERE run_id=?",
                                     (run_id,)).fetchone()
        if row is None or not _lease_alive(row[1], row[2], row[4], time.time()):
            return None
        return dict(zip(("token", "host", "pid", "acquired", "heartbeat"), row))

    def check_lease(self, run_id: str, token: str | None = None) -> None:
        """Raise RunLeasedError if another live process (or Run) holds the lease on ``run_id``."""
        holder = self.lease_holder(run_id)
        if holder is not None and holder["token"] != token:
            raise RunLeasedError(_leased_message(run_id, holder["host"], holder["pid"], holder["heartbeat"]))

    def acquire_lease(self, run_id: str) -> str:
        """Take the lease on ``run_id`` (refused while another holder is alive; a stale one is taken over)
        and renew it every ``LEASE_RENEW_S`` s in a daemon thread until ``release_lease``; returns its token."""
        token = uuid.uuid4().hex
        now = time.time()
        if self._memory_leases is not None:
            with self._lock:
                held = self._memory_leases.get(run_id)
                if held is not None:
                    raise RunLeasedError(_leased_message(run_id, held["host"], held["pid"], held["heartbeat"]))
                self._memory_leases[run_id] = {"token": token, "host": socket.gethostname(), "pid": os.getpid(),
                                               "acquired": now, "heartbeat": now}
            return token
        with self._write() as cur:
            row = cur.execute("SELECT token, host, pid, heartbeat FROM leases WHERE run_id=?", (run_id,)).fetchone()
            if row is not None and _lease_alive(row[1], row[2], row[3], now):
                raise RunLeasedError(_leased_message(run_id, row[1], row[2], row[3]))
            cur.execute("INSERT OR REPLACE INTO leases VALUES (?, ?, ?, ?, ?, ?)",
                        (run_id, token, socket.gethostname(), os.getpid(), now, now))
        stop = threading.Event()
        self._heartbeats[(run_id, token)] = stop
        threading.Thread(target=self._heartbeat, args=(run_id, token, stop), daemon=True,
                         name=f"workbench-lease-{run_id}").start()
        return token

    def renew_lease(self, run_id: str, token: str) -> bool:
        """Refresh the heartbeat; False if the lease is no longer ours (it went stale and was taken over)."""
        if self._memory_leases is not None:
            with self._lock:
                held = self._memory_leases.get(run_id)
                return held is not None and held["token"] == token
        with self._write() as cur:
            cur.execute("UPDATE leases SET heartbeat=? WHERE run_id=? AND token=?", (time.time(), run_id, token))
            return cur.rowcount == 1

    def release_lease(self, run_id: str, token: str | None) -> None:
        """Give the lease up (a no-op if it is not ours any more)."""
        if token is None:
            return
        if self._memory_leases is not None:
            with self._lock:
                if self._memory_leases.get(run_id, {}).get("token") == token:
                    del self._memory_leases[run_id]
            return
        stop = self._heartbeats.pop((run_id, token), None)
        if stop is not None:
            stop.set()
        try:
            with self._write() as cur:
                cur.execute("DELETE FROM leases WHERE run_id=? AND token=?", (run_id, token))
        except sqlite3.Error:  # the store itself failed (or was closed): the lease goes stale with this process
            pass

    def _heartbeat(self, run_id: str, token: str, stop: threading.Event) -> None:
        while not stop.wait(LEASE_RENEW_S):
            try:
                if not self.renew_lease(run_id, token):
                    return
            except Exception:  # the store was closed: the lease ends with it
                return


# --- identity: is this file a store of ours? ------------------------------------------------------
def _write_schema(cur: sqlite3.Cursor) -> None:
    """Create the tables (or the ones missing) and stamp the schema version and application id."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            cur.execute(statement)
    cur.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    cur.execute(f"PRAGMA application_id={APPLICATION_ID}")
    cur.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


_EMPTY: list[sqlite3.Connection] = []
_EMPTY_LOCK = threading.Lock()


def _copy_empty_store(target: sqlite3.Connection) -> None:
    """Fill ``target`` (a new in-memory database) with an empty store of the current schema, copied from one
    made once per process (SQLite's backup API copies the pages, the application id and the schema version)."""
    with _EMPTY_LOCK:
        if not _EMPTY:
            conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            cur = conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            _write_schema(cur)
            cur.execute("COMMIT")
            _EMPTY.append(conn)
        _EMPTY[0].backup(target)


def _check_identity(path: str) -> int | None:
    """Look at ``path`` read-only and refuse it unless it is absent, empty, or a workbench store this code
    can open; returns the schema version found (None: a new store). Writes nothing, whatever the file."""
    if path == ":memory:" or not os.path.exists(path) or os.path.getsize(path) == 0:
        return None
    if os.path.isdir(path):
        raise DataError(f"{path} is a folder, not a workbench run store; give a file path")
    try:
        conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True, timeout=60.0)
    except sqlite3.Error as exc:
        raise DataError(f"cannot open {path} to check that it is a workbench run store: {exc}") from None
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        meta_version = None
        if "meta" in tables and app_id in (0, APPLICATION_ID):
            try:
                row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
                meta_version = row[0] if row else None
            except sqlite3.Error:
                meta_version = None
    except sqlite3.DatabaseError as exc:
        raise DataError(f"{path} is not a workbench run store: it is not an SQLite database ({exc}); "
                        f"give another --store path") from None
    finally:
        conn.close()
    if app_id == APPLICATION_ID:
        if version > SCHEMA_VERSION:
            raise DataError(f"{path} is a workbench run store of schema version {version}, written by a newer "
                            f"workbench; this one reads versions 1..{SCHEMA_VERSION}: upgrade nas-workbench")
        return version
    if app_id == 0 and not tables:
        return None  # an empty SQLite database (e.g. another process is creating the store right now)
    if app_id == 0 and tables == _V1_TABLES and meta_version == "1":
        return 1  # a store written before application ids: migrated to SCHEMA_VERSION on open
    held = ", ".join(sorted(tables)[:8]) + (", ..." if len(tables) > 8 else "") or "no tables"
    owner = f"application id {app_id:#010x}" if app_id else "no application id"
    raise DataError(f"{path} is not a workbench run store: it is an SQLite database ({owner}) holding tables "
                    f"{held}; it was left untouched. Give another --store path")


# --- leases: one process executes a run at a time ----------------------------------------------------
class RunLeasedError(WorkbenchError):
    """The run is being executed by another live process (its lease is fresh)."""


def _leased_message(run_id: str, host: str, pid: int, heartbeat: float) -> str:
    return (f"run {run_id} is being executed by process {pid} on {host} (heartbeat {time.time() - heartbeat:.0f} s "
            f"ago); wait for it to end or stop it. Its lease is taken over once that process has died or its "
            f"heartbeat is older than {LEASE_TIMEOUT_S:.0f} s")


def _lease_alive(host: str, pid: int, heartbeat: float, now: float) -> bool:
    if now - heartbeat > LEASE_TIMEOUT_S:
        return False
    if host == socket.gethostname():
        return _pid_alive(pid)
    return True


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
