"""Small helpers the notebooks share: batch or interactive, where the NB201 table is, showing figures.

Every notebook has a ``parameters`` cell with ``interactive = True``; papermill (``-p interactive False``)
or the environment variable ``WORKBENCH_BATCH=1`` switch it to batch mode, where searches run
synchronously, figures are not displayed (they would carry plotly.js into every executed notebook) and
the notebook ends with a text summary.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from workbench.settings import BATCH_ENV, batch_mode, store_path, table_env

TABLE_ENV = table_env("nb201")


def notebook_store(store: str | os.PathLike | None = "") -> str:
    """The store a notebook records its runs in: its ``store`` parameter, else ``$WORKBENCH_STORE``, else
    an in-memory store (an interactive session leaves no file behind unless asked to)."""
    return store_path(store, default=":memory:")


def find_nb201_table(path: str | os.PathLike | None = "") -> str:
    """The NB201 table CSV: ``path`` if given, else ``$WORKBENCH_NB201_TABLE``, else the workbench cache,
    else ``../shared/data`` beside a source checkout. Raises a ``DataError`` that says how to get it."""
    from workbench import benchmarks
    from workbench.errors import DataError

    if path:
        if not Path(path).is_file():
            raise DataError(f"the NB201 table {str(path)!r} given as a parameter does not exist. " + _HOW_TO_GET)
        return str(path)
    try:
        return str(benchmarks.find("nb201"))
    except DataError:
        pass
    beside_checkout = Path(__file__).resolve().parents[2] / "shared" / "data" / "nb201" / "nb201_table.csv"
    if beside_checkout.is_file():
        return str(beside_checkout)
    raise DataError(f"the NB201 table was not found (looked at ${TABLE_ENV}, in {benchmarks.benchmarks_dir()} "
                    f"and at {beside_checkout}). " + _HOW_TO_GET)


_HOW_TO_GET = (
    "This notebook looks up accuracies of NAS-Bench-201 cells in that table. Any one of these works: "
    "(1) `workbench bench download nats-tss --allow-pickle` downloads NATS-Bench's topology benchmark "
    "(the NB201 cells) and installs it in the workbench cache; "
    "(2) `workbench bench import PATH --name nb201` installs files you already have (nb201_table.csv, "
    "NATS-tss-v1_0-3ffb9-simple/, NAS-Bench-201-v1_1-096897.pth); "
    f"(3) `{TABLE_ENV}=/path/to/nb201_table.csv workbench lab` points the notebooks at a file; "
    "(4) the notebook parameter nb201_table = '/path/to/nb201_table.csv'. "
    "The README's 'Search spaces and benchmarks' section says more."
)


def show(fig: Any, batch: bool) -> Any:
    """Display a figure interactively (as JSON for JupyterLab's plotly renderer, without plotly.js);
    in batch mode show nothing, so executed notebooks stay small."""
    if batch:
        return None
    fig.show(renderer="plotly_mimetype")
    return None


def summary(run: Any) -> str:
    """A few lines that say what a run did: method, budget used, the best arch, its objective and test metric."""
    from nasviz._history import default_test_metric

    cfg = run.config
    method = (cfg.get("searcher") or cfg.get("strategy") or {}).get("name", "?")
    count, unit = (len(run.trials), "evaluations") if run.kind == "search" else (len(run.epochs), "epochs")
    lines = [f"{method} on {cfg['space']['name']} (seed {run.seed}): {run.status} after {count} {unit}"]
    best = run.best
    if best is not None:
        test = default_test_metric(best.metrics, best.result.fidelity if best.result else None)
        shown = f", {test} {best.metrics[test]:.2f}" if test else ""
        lines.append(f"best: {best.arch}")
        lines.append(f"      objective {best.objective:.2f} (trial {best.number}){shown}")
    return "\n".join(lines)
