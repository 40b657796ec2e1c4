"""Write a comparison figure from a batch's ``curves.csv``: ``python -m nasviz.report CURVES HTML``.

``workbench batch`` calls this in a child process, so the workbench library never imports plotly; the
HTML file loads plotly.js from a ``plotly.min.js`` written beside it, and so opens without a network.
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from nasviz._comparison import plot_comparison


def write_comparison_html(curves: str | Path, html: str | Path, title: str = "best so far") -> Path:
    with open(curves, newline="") as f:
        rows = [dict(r, objective=float(r["objective"]) if r.get("objective") else None,
                     number=int(r["number"]), sim_time_s=float(r["sim_time_s"] or "nan")) for r in csv.DictReader(f)]
    fig = plot_comparison(rows, title=f"{title}: mean ± 1 std over runs")
    html = Path(html)
    fig.write_html(str(html), include_plotlyjs="directory", full_html=True)
    return html


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nasviz.report", description=__doc__.splitlines()[0])
    parser.add_argument("curves", help="curves.csv written by workbench batch")
    parser.add_argument("html", help="HTML file to write")
    parser.add_argument("--title", default="best so far")
    args = parser.parse_args(argv)
    try:
        write_comparison_html(args.curves, args.html, args.title)
    except (OSError, ValueError, KeyError) as exc:
        print(f"nasviz.report: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
