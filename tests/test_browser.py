"""The quickstart in a real browser: ``workbench lab`` serves JupyterLab, headless Chromium (driven by
Playwright) opens a copy of the quickstart, runs all cells and presses Start; the history figure in the page
gains points while the search runs, stops growing on Pause, grows again on Resume, and Stop ends the run.
Screenshots go to ``artifacts/browser/``.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HISTORY_POINTS = """() => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')]
      .filter(p => p.layout && p.layout.meta === 'workbench-history');
  if (plots.length !== 1) return -plots.length - 1;
  const full = plots[0]._fullData && plots[0]._fullData[0];
  const x = full ? full.x : plots[0].data[0].x;
  return x ? x.length : 0;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(condition, timeout: float, what: str, interval: float = 0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture()
def playwright_sync():
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright; no browser download needed)")
    return sync_playwright


@pytest.fixture()
def lab(tmp_path, nb201_table_path):
    """``workbench lab`` on a temp folder holding a copy of the quickstart set up for a slow, long search."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nb = nbformat.read(ROOT / "notebooks" / "00_quickstart.ipynb", as_version=4)
    params = nb.cells[1]
    assert "parameters" in params.metadata.tags
    params.source = params.source.replace("evaluations = 200", "evaluations = 5000") \
        .replace("eval_delay_s = 0.03", "eval_delay_s = 0.02").replace("train_epochs = 3", "train_epochs = 1")
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, folder / "00_quickstart.ipynb")
    port = _free_port()
    env = {**os.environ, "WORKBENCH_NB201_TABLE": str(nb201_table_path), "OMP_NUM_THREADS": "1",
           "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab-settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "lab-workspaces")}
    env.pop("WORKBENCH_BATCH", None)
    # render every cell (JupyterLab 4 otherwise only renders the cells in view)
    settings = tmp_path / "lab-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    news = tmp_path / "lab-settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')  # no news pop-up
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", "lab", "--dir", str(folder), "--port", str(port), "--no-browser", "--",
         "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"

    def ready():
        if server.poll() is not None:
            raise AssertionError(f"workbench lab exited: {(tmp_path / 'lab.log').read_text()[-2000:]}")
        try:
            return urllib.request.urlopen(f"{url}/api/status", timeout=1).status == 200
        except OSError:
            return False

    try:
        _wait(ready, 60, "JupyterLab to answer")
        yield url
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)  # the server's own process group: it and its kernels
            server.wait(15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def test_quickstart_live_search_in_chromium(lab, playwright_sync, tmp_path):
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    with playwright_sync() as p:
        browser = p.chromium.launch_persistent_context(str(tmp_path / "chromium"), executable_path=str(CHROMIUM),
                                                       headless=True, args=CHROMIUM_ARGS,
                                                       viewport={"width": 1500, "height": 1000})
        try:
            page = browser.pages[0] if browser.pages else browser.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{lab}/lab/tree/00_quickstart.ipynb")
            page.wait_for_selector(".jp-Notebook .jp-Cell", state="visible")
            page.locator(".jp-StatusBar-Item", has_text="Idle").first.wait_for(state="visible")

            # Run -> Run All Cells, as a user would; wait until every code cell has run
            code_cells = page.locator(".jp-CodeCell").count()
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

            def all_ran():
                prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
                done = [t for t in prompts if t.strip().startswith("[") and t.strip()[1:2].isdigit()]
                return len(done) == code_cells and not any("*" in t for t in prompts)

            _wait(all_ran, 120, "all cells to run")
            errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            assert page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']").count() == 0, \
                page.locator(".jp-OutputArea").all_inner_texts()
            start = page.locator(".jupyter-widgets.widget-button", has_text="Start")
            start.wait_for(state="visible")
            page.screenshot(path=str(ARTIFACTS / "1_ready.png"), full_page=True)
            assert page.evaluate(HISTORY_POINTS) == 0

            def points() -> int:
                return page.evaluate(HISTORY_POINTS)

            def status() -> str:
                return " ".join(page.locator(".widget-html-content").all_inner_texts())

            start.click()
            first = _wait(lambda: points() >= 10 and points(), 60, "the history to gain points")
            _wait(lambda: points() > first + 20, 30, "the history to keep growing")
            assert "running" in status()
            page.screenshot(path=str(ARTIFACTS / "2_running.png"), full_page=True)

            page.locator(".jupyter-widgets.widget-button", has_text="Pause").click()
            _wait(lambda: "paused" in status(), 10, "the paused status")
            time.sleep(1.0)  # the evaluation in flight lands, and the render loop draws it
            paused_at = points()
            time.sleep(2.0)
            assert points() == paused_at, "the history grew while paused"
            page.screenshot(path=str(ARTIFACTS / "3_paused.png"), full_page=True)

            page.locator(".jupyter-widgets.widget-button", has_text="Resume").click()
            _wait(lambda: points() > paused_at + 20, 30, "growth after Resume")
            page.screenshot(path=str(ARTIFACTS / "4_resumed.png"), full_page=True)

            page.locator(".jupyter-widgets.widget-button", has_text="Stop").click()
            _wait(lambda: "stopped" in status(), 15, "the stopped status")
            time.sleep(0.8)
            stopped_at = points()
            time.sleep(1.0)
            assert points() == stopped_at < 5000
            assert errors.count() == 0 or "Traceback" not in " ".join(errors.all_inner_texts())
            page.screenshot(path=str(ARTIFACTS / "5_stopped.png"), full_page=True)
        finally:
            browser.close()
