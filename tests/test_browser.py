"""The interactive notebooks in a real browser, as a learner meets them: ``workbench lab`` serves JupyterLab,
headless Chromium (driven by Playwright) opens copies of notebooks 00, 02, 03 and 04 at 1280x800 with the
file browser open, runs all cells from the menu and presses the dashboards' buttons. Checked from the page's
DOM and plotly's own data:

- every figure lies inside its output box, and no two figures of a dashboard overlap;
- the history's x range covers every evaluation it shows;
- Pause stops the history, Resume restarts it; after a run ends, Start runs a new one;
- in 04, the rendered heatmap's per-row colour range grows across epochs;
- accuracies are shown in percent.

The copies get an extra cell after the parameters (as papermill would inject) that makes the runs short.
Screenshots go to ``artifacts/browser/`` (look at them: they are what a learner sees).
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
VIEWPORT = {"width": 1280, "height": 800}

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# parameters that keep each notebook's runs short (the notebooks' own defaults last about a minute)
OVERRIDES = {
    "00_quickstart.ipynb": {"evaluations": 3000, "eval_delay_s": 0.01, "train_epochs": 1},
    "02_black_box_search.ipynb": {"evaluations": 60, "eval_delay_s": 0.01, "compare_seeds": 2,
                                  "compare_evaluations": 40},
    "03_reinforcement_learning.ipynb": {"evaluations": 40, "eval_delay_s": 0.01, "digits_models": 2},
    "04_darts.ipynb": {"live_epochs": 3, "compare": False},
}

# the history figure of the first dashboard: x of its points, and the x range plotly drew
HISTORY = """() => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')]
      .filter(p => p.layout && p.layout.meta === 'workbench-history');
  if (!plots.length) return null;
  const p = plots[0];
  const x = (p._fullData && p._fullData[0] && p._fullData[0].x) || p.data[0].x || [];
  const y = (p._fullData && p._fullData[0] && p._fullData[0].y) || p.data[0].y || [];
  const range = p._fullLayout && p._fullLayout.xaxis ? p._fullLayout.xaxis.range : null;
  return {n: x.length, xmax: x.length ? Math.max(...x) : null, xmin: x.length ? Math.min(...x) : null,
          ymin: y.length ? Math.min(...y) : null, range: range};
}"""

# every rendered figure against its output box; overlaps between figures of one output
FIT = """() => {
  const bad = [];
  const rect = e => e.getBoundingClientRect();
  const byBox = new Map();
  for (const p of document.querySelectorAll('.js-plotly-plot')) {
    const box = p.closest('.jp-OutputArea-output');
    const svg = p.querySelector('.main-svg');
    if (!box || !svg) continue;
    const b = rect(box), s = rect(svg);
    if (s.width === 0 || s.height === 0) continue;  // not displayed
    const meta = (p.layout && p.layout.meta) || '?';
    if (s.left < b.left - 1 || s.right > b.right + 1)
      bad.push(`${meta}: figure ${s.left.toFixed(0)}-${s.right.toFixed(0)} outside its output box ` +
               `${b.left.toFixed(0)}-${b.right.toFixed(0)}`);
    const area = p.querySelector('.nsewdrag') || p.querySelector('.draglayer');
    if (area) {
      const a = rect(area);
      if (a.width > 0 && (a.left < b.left - 1 || a.right > b.right + 1))
        bad.push(`${meta}: plotted area ${a.left.toFixed(0)}-${a.right.toFixed(0)} outside its box`);
    }
    const legend = p.querySelector('.legend');
    if (legend) {
      const l = rect(legend);
      if (l.width > 0 && (l.left < s.left - 1 || l.right > s.right + 1 || l.top < s.top - 1 || l.bottom > s.bottom + 1))
        bad.push(`${meta}: legend outside its figure`);
    }
    if (!byBox.has(box)) byBox.set(box, []);
    byBox.get(box).push([meta, s]);
  }
  for (const figs of byBox.values())
    for (let i = 0; i < figs.length; i++)
      for (let j = i + 1; j < figs.length; j++) {
        const [m1, a] = figs[i], [m2, b] = figs[j];
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 2 && h > 2) bad.push(`${m1} and ${m2} overlap by ${w.toFixed(0)}x${h.toFixed(0)} px`);
      }
  return bad;
}"""

# per-row colour range (max - min of z) of the first alphas heatmap, and the epoch its title names
ALPHAS = """() => {
  const p = [...document.querySelectorAll('.js-plotly-plot')].find(p => p.layout && p.layout.meta === 'workbench-alphas');
  if (!p || !p.data || !p.data[0] || !p.data[0].z) return null;
  const rows = p.data[0].z.map(r => Math.max(...r) - Math.min(...r));
  const title = (p._fullLayout && p._fullLayout.title && p._fullLayout.title.text) || '';
  const m = title.match(/epoch (\\d+)/);
  return {epoch: m ? +m[1] : null, spread: rows.reduce((a, b) => a + b, 0) / rows.length,
          cmax: p._fullLayout.coloraxis ? p._fullLayout.coloraxis.cmax : null};
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


def _copy_with_overrides(name: str, folder: Path) -> None:
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    lines = [f"{k} = {v!r}" for k, v in OVERRIDES[name].items()]
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell("# the browser test's parameters\n" + "\n".join(lines)))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, folder / name)


@pytest.fixture(scope="module")
def playwright_sync():
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright; no browser download needed)")
    return sync_playwright


@pytest.fixture(scope="module")
def lab(tmp_path_factory, nb201_table_path):
    """``workbench lab`` on a temp folder holding short-run copies of the interactive notebooks."""
    tmp_path = tmp_path_factory.mktemp("lab")
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for name in OVERRIDES:
        _copy_with_overrides(name, folder)
    port = _free_port()
    env = {**os.environ, "WORKBENCH_NB201_TABLE": str(nb201_table_path), "OMP_NUM_THREADS": "1",
           "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab-settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "lab-workspaces")}
    env.pop("WORKBENCH_BATCH", None)
    env.pop("WORKBENCH_STORE", None)
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


@pytest.fixture(scope="module")
def browser(lab, playwright_sync, tmp_path_factory):
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    with playwright_sync() as p:
        context = p.chromium.launch_persistent_context(str(tmp_path_factory.mktemp("chromium")),
                                                       executable_path=str(CHROMIUM), headless=True,
                                                       args=CHROMIUM_ARGS, viewport=VIEWPORT)
        try:
            yield context
        finally:
            context.close()


class Notebook:
    """One notebook open in JupyterLab: run it, press buttons, read its figures."""

    def __init__(self, page, name: str) -> None:
        self.page, self.name, self.stem = page, name, name.split("_")[0]

    def open_and_run_all(self, lab: str) -> None:
        page = self.page
        page.goto(f"{lab}/lab/tree/{self.name}?reset")  # a fresh workspace: only this notebook open
        page.wait_for_selector(".jp-Notebook .jp-Cell", state="visible")
        page.locator(".jp-StatusBar-Item", has_text="Idle").first.wait_for(state="visible")
        browser_panel = page.locator(".jp-FileBrowser")
        if not browser_panel.is_visible():  # the learner's layout: the file browser open on the left
            page.locator(".lm-TabBar-tab[data-id='filebrowser']").first.click()
        browser_panel.wait_for(state="visible")
        code_cells = page.locator(".jp-CodeCell").count()
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

        def all_ran():
            prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
            done = [t for t in prompts if t.strip().startswith("[") and t.strip()[1:2].isdigit()]
            return len(done) == code_cells and not any("*" in t for t in prompts)

        _wait(all_ran, 300, f"all cells of {self.name} to run")
        # the kernel still sets up the widgets after the last prompt shows; a click waits until it is idle
        _wait(lambda: "| Idle" in " ".join(page.locator(".jp-StatusBar-Item").all_inner_texts()), 60,
              "the kernel to be idle")
        errors = page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']")
        assert errors.count() == 0, errors.all_inner_texts()

    def button(self, label: str, nth: int = 0):
        return self.page.locator(".jupyter-widgets.widget-button", has_text=label).nth(nth)

    def status(self, nth: int = 0) -> str:
        return self.page.locator(".workbench-status").nth(nth).inner_text()

    def history(self) -> dict | None:
        return self.page.evaluate(HISTORY)

    def points(self) -> int:
        h = self.history()
        return h["n"] if h else -1

    def shot(self, label: str) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"{self.stem}_{label}.png"))

    def scroll_to_dashboard(self, nth: int = 0) -> None:
        self.button("Start", nth).scroll_into_view_if_needed()
        self.page.mouse.wheel(0, 120)

    def check_fit(self) -> None:
        time.sleep(0.6)  # a figure resized by its container redraws on the next frame
        bad = self.page.evaluate(FIT)
        assert not bad, f"{self.name}: " + "; ".join(bad)

    def check_history_covers(self) -> dict:
        h = self.history()
        assert h and h["n"] > 0, f"{self.name}: the history has no points"
        lo, hi = h["range"]
        assert lo <= h["xmin"] and hi >= h["xmax"], f"{self.name}: x range {h['range']} cuts points {h['xmin']}-{h['xmax']}"
        return h

    def check_percent(self, nth: int = 0) -> None:
        h = self.history()
        assert h["ymin"] is not None and h["ymin"] > 1.0, f"{self.name}: accuracies look like fractions: {h}"
        assert " %" in self.status(nth).split("best", 1)[1], f"{self.name}: the status shows no percent: {self.status(nth)}"

    def start_again_starts_a_new_run(self, nth: int = 0) -> None:
        first = self.status(nth)
        run_id = first.rsplit("run ", 1)[1].split()[0]
        again = self.button("Start again", nth)
        assert again.is_enabled(), f"{self.name}: Start is not available after the run ended"
        again.click()
        _wait(lambda: run_id not in self.status(nth) and "run " in self.status(nth), 15,
              f"{self.name}: a new run after Start again")


def _shut_down_kernels(page, lab: str) -> None:
    """End the kernels of the notebooks opened so far (their runs would compete for the CPU)."""
    xsrf = next((c["value"] for c in page.context.cookies() if c["name"] == "_xsrf"), "")
    for session in page.request.get(f"{lab}/api/sessions").json():
        page.request.delete(f"{lab}/api/sessions/{session['id']}", headers={"X-XSRFToken": xsrf})


@pytest.fixture()
def page(_page, lab):
    yield _page
    _shut_down_kernels(_page, lab)


@pytest.fixture(scope="module")
def _page(browser):
    page = browser.pages[0] if browser.pages else browser.new_page()
    page.set_default_timeout(60_000)
    log = open(ARTIFACTS / "console.log", "w")
    page.on("console", lambda m: log.write(f"{m.type}: {m.text}\n") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: log.write(f"pageerror: {e}\n"))
    yield page
    log.close()


def test_00_quickstart_pause_resume_stop_and_start_again(lab, page):
    nb = Notebook(page, "00_quickstart.ipynb")
    nb.open_and_run_all(lab)
    start = nb.button("Start")
    start.wait_for(state="visible")
    nb.scroll_to_dashboard()
    nb.shot("1_ready")
    _wait(lambda: nb.points() == 0, 60, "the empty history figure")
    assert page.locator(".workbench-fit").count() >= 1, "the dashboard's FitWidget did not render"
    nb.check_fit()
    start.click()
    try:
        _wait(lambda: "running" in nb.status() or "finished" in nb.status(), 5, "Start to answer at once")
    except AssertionError:
        nb.shot("1b_no_answer")
        raise AssertionError(f"Start did not answer within 5 s; the status says: {nb.status()}") from None
    first = _wait(lambda: nb.points() >= 10 and nb.points(), 60, "the history to gain points")
    _wait(lambda: nb.points() > first + 20, 30, "the history to keep growing")
    nb.shot("2_running")
    nb.check_fit()
    nb.check_history_covers()
    nb.check_percent()

    nb.button("Pause").click()
    _wait(lambda: "paused" in nb.status(), 10, "the paused status")
    time.sleep(1.0)  # the evaluation in flight lands, and the render loop draws it
    paused_at, clock = nb.points(), nb.status().split(" s ·")[0]
    time.sleep(1.5)
    assert nb.points() == paused_at, "the history grew while paused"
    assert nb.status().split(" s ·")[0] == clock, "the clock ran while paused"
    nb.shot("3_paused")
    nb.button("Resume").click()
    _wait(lambda: nb.points() > paused_at + 20, 30, "growth after Resume")
    nb.button("Stop").click()
    _wait(lambda: "stopped" in nb.status(), 15, "the stopped status")
    time.sleep(0.8)
    nb.check_history_covers()
    nb.shot("4_stopped")
    nb.start_again_starts_a_new_run()
    _wait(lambda: "running" in nb.status(), 10, "the new run to run")
    nb.button("Stop").click()
    _wait(lambda: "stopped" in nb.status(), 15, "the new run to stop")


def test_02_black_box_search_fits_and_starts_again(lab, page):
    nb = Notebook(page, "02_black_box_search.ipynb")
    nb.open_and_run_all(lab)
    nb.scroll_to_dashboard()
    nb.button("Start").click()
    _wait(lambda: "finished" in nb.status(), 30, "the live search to finish")
    evaluations = OVERRIDES["02_black_box_search.ipynb"]["evaluations"]
    _wait(lambda: nb.points() == evaluations, 15, "every evaluation in the history")
    nb.check_history_covers()
    nb.check_percent()
    nb.shot("1_finished")
    nb.check_fit()
    nb.start_again_starts_a_new_run()
    _wait(lambda: "finished" in nb.status(), 30, "the second run to finish")
    page.locator(".js-plotly-plot").last.scroll_into_view_if_needed()
    nb.shot("2_comparison")
    nb.check_fit()


def test_03_reinforcement_learning_fits(lab, page):
    nb = Notebook(page, "03_reinforcement_learning.ipynb")
    nb.open_and_run_all(lab)
    nb.scroll_to_dashboard()
    nb.button("Start").click()
    evaluations = OVERRIDES["03_reinforcement_learning.ipynb"]["evaluations"]
    _wait(lambda: f"finished · {evaluations} evaluations" in nb.status(), 30, "REINFORCE to finish")
    nb.check_history_covers()
    nb.check_percent()
    nb.shot("1_reinforce")
    nb.check_fit()
    nb.start_again_starts_a_new_run()


def test_04_darts_alphas_separate_visibly(lab, page):
    nb = Notebook(page, "04_darts.ipynb")
    nb.open_and_run_all(lab)
    nb.scroll_to_dashboard()
    nb.button("Start").click()
    seen: dict[int, float] = {}

    def finished():
        a = page.evaluate(ALPHAS)
        if a and a["epoch"]:
            seen[a["epoch"]] = a["spread"]
        return "finished" in nb.status()

    _wait(finished, 120, "the DARTS run to finish", interval=0.25)
    time.sleep(1.0)
    finished()
    page.locator(".js-plotly-plot").nth(2).scroll_into_view_if_needed()
    nb.shot("1_alphas")
    epochs = OVERRIDES["04_darts.ipynb"]["live_epochs"]
    assert max(seen) == epochs and len(seen) >= 2, seen
    assert seen[max(seen)] > seen[min(seen)], f"the heatmap's per-row colour range did not grow: {seen}"
    nb.check_fit()
    nb.check_history_covers()
    nb.check_percent()
    nb.start_again_starts_a_new_run()
    nb.button("Stop").click()
