"""Rerun a notebook over a grid of parameters with papermill, in parallel processes, into one store.

>>> from workbench.batch import Grid, run_batch
>>> grid = Grid.parse([("searcher", "random,re"), ("seed", "0,1,2")])     # 6 jobs
>>> report = run_batch("notebooks/02_black_box_search.ipynb", grid, out="study", jobs=2)
>>> report.rows[0]["status"], report.csv_path

Each job runs the notebook in batch mode (``interactive=False``, ``WORKBENCH_BATCH=1``) with its grid
point, plus ``store`` (one SQLite store under ``out`` that every job writes) and ``run_name`` (the job's
label, which the notebook gives its main run). A failed cell fails only its job: its error is reported,
the other jobs finish. What comes out, under ``out``:

- ``results.csv``: one row per job (its parameters, status, error, run id, best objective, trials);
- ``curves.csv``: every trial of every job's run, for comparison figures;
- ``comparison.html``: mean and spread of best-so-far curves per method (drawn by ``nasviz`` in a
  separate process: the workbench library never imports plotly);
- ``notebooks/``: the executed notebooks, without the widget state papermill would otherwise keep.
"""
from __future__ import annotations

import csv
import itertools
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from workbench.settings import BATCH_ENV

RESERVED = ("store", "run_name", "interactive")  # parameters the batch sets for every job


def parse_value(text: str) -> Any:
    """A grid value: JSON where it parses (``0``, ``1.5``, ``true``, ``null``), else the text itself."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


@dataclass(frozen=True)
class Grid:
    """Parameter names and their values; jobs are every combination, in the order given."""

    names: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]

    @classmethod
    def parse(cls, pairs: Iterable[Sequence[str]]) -> "Grid":
        """``[("searcher", "random,re"), ("seed", "0,1,2")]`` (from ``-p NAME V1,V2``)."""
        names, values = [], []
        for pair in pairs:
            if len(pair) != 2:
                raise ValueError(f"a grid parameter is NAME VALUES (comma-separated), got {list(pair)!r}")
            name, text = pair
            if not name.isidentifier():
                raise ValueError(f"grid parameter name {name!r} is not a Python identifier")
            if name in names:
                raise ValueError(f"grid parameter {name!r} is given twice; list all its values once: -p {name} A,B")
            if name in RESERVED:
                raise ValueError(f"grid parameter {name!r} is set by the batch itself; reserved: {', '.join(RESERVED)}")
            items = [v.strip() for v in str(text).split(",")]
            if not all(items):
                raise ValueError(f"grid parameter {name!r} has an empty value in {text!r}")
            names.append(name)
            values.append(tuple(parse_value(v) for v in items))
        return cls(tuple(names), tuple(values))

    def points(self) -> list[dict[str, Any]]:
        return [dict(zip(self.names, combo)) for combo in itertools.product(*self.values)] if self.names else [{}]

    def __len__(self) -> int:
        return len(self.points())

    @property
    def varying(self) -> tuple[str, ...]:
        """The parameters with more than one value: what tells the jobs apart."""
        return tuple(n for n, v in zip(self.names, self.values) if len(v) > 1)


def job_label(params: dict[str, Any], varying: Sequence[str] | None = None) -> str:
    """``searcher=random,seed=0``: the run name a job gives its main run, and its notebook's name.
    Only the ``varying`` parameters (those with more than one value) are named, when given."""
    shown = {k: v for k, v in params.items() if varying is None or k in varying}
    return ",".join(f"{k}={v}" for k, v in shown.items()) or "default"


def _file_label(label: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in label.replace("=", "-").replace(",", "__"))


@dataclass
class Job:
    index: int
    notebook: str
    output: str
    params: dict[str, Any]
    label: str
    store: str
    kernel: str | None = None
    timeout_s: float | None = None
    log: str | None = None  # the kernel's and papermill's own messages go here


@dataclass
class JobResult:
    index: int
    label: str
    params: dict[str, Any]
    status: str  # ok or failed
    error: str | None
    output: str
    seconds: float


@dataclass
class BatchReport:
    out: Path
    rows: list[dict[str, Any]] = field(default_factory=list)
    csv_path: Path | None = None
    curves_path: Path | None = None
    figure_path: Path | None = None
    figure_error: str | None = None

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["status"] != "ok"]


def strip_widget_state(path: str | os.PathLike) -> bool:
    """Remove ``metadata.widgets`` (ipywidgets' saved state, megabytes with plotly) from a notebook file."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    if "widgets" not in nb.metadata:
        return False
    del nb.metadata["widgets"]
    nbformat.write(nb, str(path))
    return True


def execute_job(job: Job) -> JobResult:
    """Run one job with papermill (in a worker process); a failing cell gives a failed result, not a raise."""
    os.environ[BATCH_ENV] = "1"
    start = time.perf_counter()
    error = None
    saved = _redirect_output(job.log) if job.log else None
    try:
        import papermill

        parameters = {**job.params, "interactive": False, "store": job.store, "run_name": job.label}
        papermill.execute_notebook(job.notebook, job.output, parameters=parameters, kernel_name=job.kernel,
                                   progress_bar=False, log_output=False, cwd=str(Path(job.notebook).parent),
                                   execution_timeout=job.timeout_s)
    except Exception as exc:  # PapermillExecutionError names the cell and the error; anything else too
        error = _describe(exc)
    finally:
        if Path(job.output).is_file():
            try:
                strip_widget_state(job.output)
            except Exception as exc:  # a notebook papermill could not finish writing
                error = error or f"cannot read the executed notebook: {exc}"
        if saved:
            _restore_output(saved)
    return JobResult(job.index, job.label, job.params, "failed" if error else "ok", error, job.output,
                     time.perf_counter() - start)


def _redirect_output(path: str) -> tuple[int, int]:
    """Send this worker's stdout and stderr (and so its kernel's) to a log file; returns the old ones."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    return saved


def _restore_output(saved: tuple[int, int]) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    for fd, old in zip((1, 2), saved):
        os.dup2(old, fd)
        os.close(old)


def _describe(exc: BaseException) -> str:
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        cell = getattr(exc, "exec_count", None)
        return f"{ename}: {evalue}" + (f" (in cell [{cell}])" if cell is not None else "")
    return f"{type(exc).__name__}: {exc}"


def notebook_parameters(notebook: str | os.PathLike) -> list[str]:
    """The names the notebook's ``parameters``-tagged cell assigns (what ``-p NAME ...`` may set)."""
    import ast

    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.get("metadata", {}).get("tags", [])]
    names: list[str] = []
    for cell in cells:
        try:
            tree = ast.parse(cell.source)
        except SyntaxError as exc:
            raise ValueError(f"{notebook}: its parameters cell is not valid Python ({exc.msg}, line {exc.lineno})") from None
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
                node, (ast.AnnAssign, ast.AugAssign)) else []
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name) and leaf.id not in names:
                        names.append(leaf.id)
    return names


def check_grid(notebook: str | os.PathLike, grid: Grid) -> None:
    """Refuse grid parameters the notebook's ``parameters`` cell does not define, listing the ones it does
    (papermill would inject them anyway, and the notebook would silently ignore them)."""
    have = notebook_parameters(notebook)
    unknown = [name for name in grid.names if name not in have]
    if unknown:
        listed = ", ".join(n for n in have if n not in RESERVED) or "none (it has no cell tagged 'parameters')"
        raise ValueError(f"{Path(notebook).name} has no parameter {unknown[0]!r}; its parameters cell defines: {listed}")


def _group_of(params: dict[str, Any], varying: Sequence[str], notebook: str) -> str:
    """The method a job belongs to in the comparison: its varying parameters except the seed."""
    kept = [k for k in varying if k != "seed"]
    return job_label(params, kept) if kept else Path(notebook).stem


def run_batch(notebook: str | os.PathLike, grid: Grid, *, out: str | os.PathLike, jobs: int = 1,
              kernel: str | None = None, timeout_s: float | None = None,
              on_done: Callable[[JobResult], None] | None = None, figure: bool = True, executor: str = "local",
              address: str | None = None) -> BatchReport:
    """Run every grid point of ``notebook``; collect the table, curves and comparison figure under ``out``.

    ``executor="local"`` runs the jobs in processes of this machine; ``"ray"`` runs each as a Ray task on the
    cluster at ``address`` (or ``RAY_ADDRESS``; a local Ray when neither is given)."""
    notebook = Path(notebook).resolve()
    if not notebook.is_file():
        raise FileNotFoundError(f"notebook not found: {notebook}")
    if notebook.suffix != ".ipynb":
        raise ValueError(f"{notebook} is not a notebook (.ipynb)")
    if jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {jobs}")
    check_grid(notebook, grid)
    out = Path(out).resolve()
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    store_path = out / "runs.sqlite"
    from workbench.runs import Store

    Store(store_path).close()  # create the file and schema once, before the jobs race for it
    todo = []
    for i, params in enumerate(grid.points()):
        label = job_label(params, grid.varying)
        output = out / "notebooks" / f"{notebook.stem}__{_file_label(label)}.ipynb"
        todo.append(Job(i, str(notebook), str(output), params, label, str(store_path), kernel, timeout_s,
                        log=str(output.with_suffix(".log"))))

    results: list[JobResult] = []

    def finished(result: JobResult) -> None:
        results.append(result)
        if on_done:
            on_done(result)

    if executor == "ray":
        _run_on_ray(todo, jobs, address, finished)
    elif executor == "local":
        # worker processes even for one job at a time: each job's output goes to its log, not the terminal
        with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(execute_job, job): job for job in todo}
            for future in as_completed(futures):
                job = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # the worker process itself died
                    result = JobResult(job.index, job.label, job.params, "failed", _describe(exc), job.output, 0.0)
                finished(result)
    else:
        raise ValueError(f"unknown batch executor {executor!r}; accepted: local, ray")
    return collect(notebook, grid, results, out, store_path, figure=figure)


def _run_on_ray(todo: list[Job], jobs: int, address: str | None, finished: Callable[[JobResult], None]) -> None:
    """Each job a Ray task (one CPU), at most ``jobs`` at once; a task whose worker dies is a failed job.

    On a cluster of several machines, ``out`` must be on a file system every node sees (the store, the
    executed notebooks): the driver collects from there as it does for local jobs."""
    try:
        import ray
    except ImportError:
        raise ValueError("--executor ray needs Ray: pip install 'nas-workbench[ray]'") from None
    started = not ray.is_initialized()
    if started:
        ray.init(address=address or os.environ.get("RAY_ADDRESS") or None, include_dashboard=False,
                 log_to_driver=False)
    remote = ray.remote(num_cpus=1, max_retries=0)(execute_job)
    waiting, running = list(todo), {}
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                job = waiting.pop(0)
                running[remote.remote(job)] = job
            ready, _ = ray.wait(list(running), num_returns=1)
            for ref in ready:
                job = running.pop(ref)
                try:
                    result = ray.get(ref)
                except Exception as exc:  # the worker process running the job died
                    result = JobResult(job.index, job.label, job.params, "failed", _describe(exc), job.output, 0.0)
                finished(result)
    finally:
        if started:
            ray.shutdown()


def collect(notebook: Path, grid: Grid, results: list[JobResult], out: Path, store_path: Path,
            figure: bool = True) -> BatchReport:
    """Join job results with their runs in the store; write results.csv, curves.csv, comparison.html."""
    from workbench.runs import Store

    store = Store(store_path)
    runs_by_name: dict[str, dict] = {}
    for info in store.runs():
        if info["name"]:
            runs_by_name[info["name"]] = info  # the latest run of that name wins
    report = BatchReport(out)
    curves = []
    for r in sorted(results, key=lambda r: r.index):
        info = runs_by_name.get(r.label)
        row = {"job": r.label, **{k: r.params.get(k) for k in grid.names}, "status": r.status, "error": r.error or "",
               "run_id": info["id"] if info else "", "run_status": info["status"] if info else "",
               "trials": info["trials"] if info else "", "best": info["best"] if info and info["best"] is not None else "",
               "seconds": round(r.seconds, 2), "notebook": os.path.relpath(r.output, out)}
        report.rows.append(row)
        if info:
            method = _group_of(r.params, grid.varying, str(notebook))
            for t in store.trials(info["id"]):
                curves.append({"method": method, "run": info["id"], "job": r.label, "number": t.number,
                               "objective": t.objective if t.ok else "", "status": t.status,
                               "sim_time_s": t.sim_time_s})
    store.close()
    report.csv_path = out / "results.csv"
    _write_csv(report.csv_path, report.rows)
    if curves:
        report.curves_path = out / "curves.csv"
        _write_csv(report.curves_path, curves)
        if figure:
            report.figure_path, report.figure_error = _comparison_figure(report.curves_path, out / "comparison.html",
                                                                         title=f"{notebook.stem}: best so far")
    return report


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()) if rows else ["job"])
        writer.writeheader()
        writer.writerows(rows)


def _comparison_figure(curves: Path, html: Path, title: str) -> tuple[Path | None, str | None]:
    """Draw the comparison with nasviz in a child process (the library itself stays free of plotly)."""
    done = subprocess.run([sys.executable, "-m", "nasviz.report", str(curves), str(html), "--title", title],
                          capture_output=True, text=True)
    if done.returncode != 0 or not html.is_file():
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return None, f"comparison figure not drawn: {tail[0]}"
    return html, None


def format_table(rows: list[dict[str, Any]], names: Sequence[str]) -> str:
    """The results as an aligned text table for the terminal."""
    if not rows:
        return "(no jobs)"
    cols = ["job", *names, "status", "trials", "best", "seconds"]
    cells = [[str(r.get(c, "")) if c != "best" or r.get(c) in ("", None) else f"{r[c]:.4g}" for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    for r in rows:
        if r["status"] != "ok":
            lines.append(f"error in {r['job']}: {r['error']}")
    return "\n".join(lines)


__all__ = ["BatchReport", "Grid", "Job", "JobResult", "check_grid", "collect", "execute_job", "format_table", "job_label",
           "notebook_parameters", "parse_value", "run_batch", "strip_widget_state"]

