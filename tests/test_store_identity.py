"""The run store recognises its own files, refuses foreign ones without writing a byte, migrates version 1,
matches id prefixes literally, and lets one process at a time execute a run (leases)."""
from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import time

import pytest

from workbench.errors import DataError
from workbench.runs import store as store_mod
from workbench.runs.store import APPLICATION_ID, SCHEMA_VERSION, RunLeasedError, Store


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "workbench.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def test_new_store_carries_application_id_and_schema_version(store_path):
    Store(store_path).close()
    with sqlite3.connect(store_path) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    Store(store_path).close()  # and opens again


def test_foreign_sqlite_file_is_refused_and_left_byte_identical(tmp_path):
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER, name TEXT)")
        conn.execute("INSERT INTO customers VALUES (1, 'Ada')")
    conn.close()
    before = _digest(other)
    proc = _cli("runs", "--store", other, "ls")
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "not a workbench run store" in lines[0] and "customers" in lines[0], proc.stderr
    assert str(other) in lines[0]
    assert _digest(other) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.sqlite"]  # no -wal/-shm left behind


@pytest.mark.parametrize("content", ["runs", "appid", "text"])
def test_other_foreign_files_get_a_clear_error(tmp_path, content):
    path = tmp_path / "x.sqlite"
    if content == "text":
        path.write_text("name,score\nada,1\n" * 20)
    else:
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE runs (id TEXT, owner TEXT)")  # a foreign table of the same name
            if content == "appid":
                conn.execute("PRAGMA application_id=1234")
        conn.close()
    before = _digest(path)
    with pytest.raises(DataError, match="is not a workbench run store"):
        Store(path)
    assert _digest(path) == before


def test_version_1_store_is_migrated(tmp_path):
    path = tmp_path / "v1.sqlite"
    v1_schema = store_mod._SCHEMA.split("CREATE TABLE IF NOT EXISTS leases")[0]
    with sqlite3.connect(path) as conn:  # what version 1 wrote: no application id, no user_version, no leases
        conn.executescript(v1_schema)
        conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        conn.execute("INSERT INTO runs (id, kind, created, updated, status, config, versions) "
                     "VALUES ('r1', 'search', 0, 0, 'finished', '{}', '{}')")
    conn.close()
    store = Store(path)
    assert store.run_info("r1")["status"] == "finished"
    token = store.acquire_lease("r1")
    store.release_lease("r1", token)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_newer_schema_is_refused(store_path):
    Store(store_path).close()
    with sqlite3.connect(store_path) as conn:
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(DataError, match="newer workbench"):
        Store(store_path)


def test_id_prefixes_are_literal_and_ambiguity_lists_candidates(store_path):
    store = Store(store_path)
    for rid in ("abc123", "abd456"):
        store.create_run(rid, kind="search", config={}, seed=0)
    for pattern in ("%", "_", "a%", "ab_"):
        with pytest.raises(KeyError, match="no run"):
            store.run_info(pattern)
    with pytest.raises(KeyError, match="matches 2 runs.*abc123, abd456"):
        store.run_info("ab")
    with pytest.raises(KeyError, match="give a run id"):
        store.run_info("")
    assert store.run_info("abd")["id"] == "abd456"


def test_lease_is_exclusive_and_released(store_path):
    store = Store(store_path)
    token = store.acquire_lease("r")
    with pytest.raises(RunLeasedError, match=r"run r is being executed by process \d+"):
        Store(store_path).acquire_lease("r")  # another Run in the same process
    store.release_lease("r", token)
    store.release_lease("r", Store(store_path).acquire_lease("r"))


def test_in_memory_store_lease_is_exclusive_and_released():
    store = Store()  # seen by this process alone: the lease is kept in memory, without a heartbeat thread
    token = store.acquire_lease("r1")
    with pytest.raises(RunLeasedError, match="r1"):
        store.acquire_lease("r1")
    assert store.lease_holder("r1")["token"] == token and store.renew_lease("r1", token)
    store.release_lease("r1", "not-the-token")
    assert store.lease_holder("r1") is not None
    store.release_lease("r1", token)
    assert store.lease_holder("r1") is None and not store.renew_lease("r1", token)
    store.acquire_lease("r1")


def test_stale_heartbeat_is_taken_over(store_path, monkeypatch):
    store = Store(store_path)
    store.acquire_lease("r")
    monkeypatch.setattr(store_mod, "LEASE_TIMEOUT_S", 0.2)
    time.sleep(0.3)
    other = Store(store_path)
    token = other.acquire_lease("r")  # the first holder stopped beating: taken over
    assert other.lease_holder("r")["token"] == token


HOLDER = """
import sys, time
from workbench.runs.store import Store
s = Store(sys.argv[1]); s.acquire_lease("r"); print("held", flush=True); time.sleep(120)
"""


def test_lease_held_by_a_live_process_then_taken_over_when_it_dies(store_path):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(store_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(RunLeasedError, match=f"process {proc.pid}"):
            Store(store_path).acquire_lease("r")
    finally:
        proc.kill()
        proc.wait()
    store = Store(store_path)
    token = store.acquire_lease("r")  # its pid is dead on this host: the lease is stale at once
    assert store.lease_holder("r")["token"] == token
