"""``workbench lab`` hands its process to JupyterLab: ``kill <pid>`` stops the server, its kernels and frees the port."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "workbench-lab-test"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_kill_leaves_no_server_kernel_or_taken_port(tmp_path):
    (tmp_path / "empty.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "workbench.cli", "lab", "--no-browser", "--port", str(port), "--dir", str(tmp_path),
           "--", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}", "--ServerApp.port_retries=0"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait(lambda: _port_open(port) or proc.poll() is not None, 120, "JupyterLab to listen")
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        # the workbench process became the server (exec): same pid, no wrapper process around it
        assert b"jupyterlab" in Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/kernels", data=b"{}", method="POST",
                                         headers={"Authorization": f"token {TOKEN}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 201
        _wait(lambda: _descendants(proc.pid), 60, "the kernel process")
        below = _descendants(proc.pid)

        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
        _wait(lambda: not _port_open(port), 10, "the port to be freed")
        _wait(lambda: not any(_alive(p) for p in below), 20, "the kernel to end")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
