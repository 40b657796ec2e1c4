"""How much does a live dashboard slow the search it shows? Target: at most 1.05x.

The same search runs with and without ``nasviz.Dashboard`` attached, alternately, in ONE Jupyter kernel
(started here through nbclient, so widget messages really go through the kernel's comm and iopub
machinery), and the ratio of the median wall times is printed. Two workloads:

- ``train``: real training of small NB201 networks on scikit-learn's digits (what a live search usually
  is: each evaluation takes a fraction of a second or more);
- ``tabular``: NB201 table lookups, thousands per second, the worst case: the search is pure Python, so
  the render loop competes with it for the GIL.

Usage: ``OMP_NUM_THREADS=1 python benchmarks/dashboard_overhead.py [--repeats 5]``
(needs the NB201 table: ``WORKBENCH_NB201_TABLE`` or ../shared/data/nb201/nb201_table.csv).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

KERNEL_CODE = r'''
import os, statistics, time
import nasviz
from workbench import Budget, Run

TABLE = {table!r}
REPEATS = {repeats}
WORKLOADS = {{
    "train": dict(searcher="random", estimator="train", budget=Budget(evaluations={train_evals}),
                  estimator_options=dict(dataset="digits", epochs=1, batch_size=128,
                                         build=dict(channels=4, cells_per_stage=1))),
    "tabular": dict(searcher="re", estimator="tabular", budget=Budget(evaluations={tabular_evals}),
                    estimator_options=dict(benchmark=TABLE)),
}}

def once(workload, seed, dashboard):
    run = Run(space="nb201", seed=seed, **WORKLOADS[workload])
    dash = nasviz.Dashboard(run) if dashboard else None  # default redraw cap: twice a second
    if dash is not None:
        display(dash)  # the widgets live in this kernel; their messages go out on iopub
    time.sleep(2.0)  # both ways: let the kernel send the new widgets (5 MB of plotly.js each) before timing
    start = time.perf_counter()
    run.start()
    run.join()
    seconds = time.perf_counter() - start
    if dash is not None:
        dash.wait(10)
        renders, events, cpu = dash.renders, dash.events_applied, dash.render_cpu_s
        dash.close()
    else:
        renders = events = cpu = 0
    return seconds, renders, events, cpu

for workload in WORKLOADS:
    once(workload, 999, True)  # warm up: imports, the table, torch, the first FigureWidget
    once(workload, 999, False)
    plain, live, renders, events, cpu = [], [], 0, 0, 0.0
    for r in range(REPEATS):
        order = (False, True) if r % 2 == 0 else (True, False)  # alternate, so drift hits both alike
        for dashboard in order:
            seconds, n_renders, n_events, n_cpu = once(workload, r, dashboard)
            (live if dashboard else plain).append(seconds)
            print(f"RESULT   {{workload}} round {{r + 1}} {{'with' if dashboard else 'without'}} dashboard: "
                  f"{{seconds:.3f}} s   load %.2f %.2f %.2f" % os.getloadavg())
            renders, events, cpu = renders + n_renders, events + n_events, cpu + n_cpu
    ratio = statistics.median(live) / statistics.median(plain)
    print(f"RESULT {{workload}}: without {{statistics.median(plain):.3f}} s, with dashboard "
          f"{{statistics.median(live):.3f}} s (median of {{REPEATS}}), ratio {{ratio:.3f}}; "
          f"{{events / REPEATS:.0f}} events drawn in {{renders / REPEATS:.1f}} redraws per run, "
          f"render loop CPU {{cpu / REPEATS:.3f}} s per run ({{cpu / sum(live):.1%}} of the search's time)   "
          + "load %.2f %.2f %.2f" % os.getloadavg())
'''


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--train-evaluations", type=int, default=12)
    parser.add_argument("--tabular-evaluations", type=int, default=15000)
    args = parser.parse_args(argv)
    table = os.environ.get("WORKBENCH_NB201_TABLE") or str(ROOT.parent / "shared" / "data" / "nb201" / "nb201_table.csv")
    if not Path(table).is_file():
        print(f"NB201 table not found at {table}; set WORKBENCH_NB201_TABLE", file=sys.stderr)
        return 2

    import nbclient
    import nbformat

    code = KERNEL_CODE.format(table=table, repeats=args.repeats, train_evals=args.train_evaluations,
                              tabular_evals=args.tabular_evaluations)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)],
                                  metadata={"kernelspec": {"name": "python3", "language": "python",
                                                           "display_name": "Python 3"}})
    nbclient.NotebookClient(nb, timeout=1800, kernel_name="python3").execute()
    for output in nb.cells[0].outputs:
        if output.get("output_type") == "stream":
            for line in output["text"].splitlines():
                if line.startswith("RESULT "):
                    print(line[len("RESULT "):])
    return 0


if __name__ == "__main__":
    sys.exit(main())
