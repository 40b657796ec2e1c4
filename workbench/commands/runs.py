"""``workbench runs ls | show ID | export ID --format csv|json``: what a store holds."""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import sys

from workbench.commands import default_store, write_output


def add_parser(sub) -> None:
    p = sub.add_parser("runs", help="list, show and export the runs of a store")
    p.add_argument("--store", default=None, help="SQLite store (default $WORKBENCH_STORE or ./workbench-runs.sqlite)")
    rs = p.add_subparsers(dest="runs_command", metavar="ACTION", required=True)
    ls = rs.add_parser("ls", help="one line per run")
    ls.set_defaults(func=_ls)
    show = rs.add_parser("show", help="a run's config, versions and best trials")
    show.add_argument("run_id")
    show.set_defaults(func=_show)
    export = rs.add_parser("export", help="every trial (or epoch) of a run as CSV or JSON")
    export.add_argument("run_id")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--out", default=None, help="file to write (default standard output)")
    export.set_defaults(func=_export)
    for action in (ls, show, export):
        action.add_argument("--store", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def _open(args):
    from pathlib import Path

    from workbench.runs import Store

    path = args.store or default_store()
    if not Path(path).is_file():
        raise FileNotFoundError(f"no store at {path} (give --store PATH or set WORKBENCH_STORE)")
    return Store(path)


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def _what(info) -> str:
    cfg = info["config"]
    method = (cfg.get("searcher") or cfg.get("strategy") or {}).get("name", "?")
    est = cfg.get("estimator", {}).get("name", "")
    return f"{method}/{est}" if est else method


def _ls(args) -> int:
    store = _open(args)
    rows = store.runs()
    print(f"{'id':12}  {'created':19}  {'status':11}  {'space':8}  {'method':16}  {'seed':>6}  {'trials':>6}  {'best':>8}  name")
    for r in rows:
        best = f"{r['best']:.4g}" if r["best"] is not None else "-"
        count = r["trials"] if r["kind"] == "search" else r["epochs"]
        print(f"{r['id']:12}  {_when(r['created']):19}  {r['status']:11}  {r['config']['space']['name']:8}  "
              f"{_what(r):16}  {str(r['seed']):>6}  {count:>6}  {best:>8}  {r['name'] or ''}")
    return 0


def _show(args) -> int:
    store = _open(args)
    info = store.run_info(args.run_id)
    trials = store.trials(info["id"])
    print(f"run      {info['id']}  ({info['kind']}, {info['status']})")
    print(f"created  {_when(info['created'])}   updated {_when(info['updated'])}")
    if info["name"]:
        print(f"name     {info['name']}")
    print(f"seed     {info['seed']}")
    print("config   " + json.dumps(info["config"], sort_keys=True))
    print("versions " + ", ".join(f"{k} {v}" for k, v in sorted(info["versions"].items())))
    if info["error"]:
        print(f"error    {info['error']}")
    ok = [t for t in trials if t.ok]
    print(f"trials   {len(trials)} ({len(trials) - len(ok)} failed)")
    if ok:
        print("best:")
        for t in sorted(ok, key=lambda t: -t.objective)[:5]:
            print(f"  #{t.number:<5} {t.objective:8.4g}  {t.arch}")
    epochs = store.epochs(info["id"])
    if epochs:
        print(f"epochs   {len(epochs)}; last: {json.dumps(epochs[-1]['metrics'], sort_keys=True)}")
    return 0


def _export(args) -> int:
    store = _open(args)
    info = store.run_info(args.run_id)
    if info["kind"] == "search":
        records = [t.to_dict() for t in store.trials(info["id"])]
    else:
        records = store.epochs(info["id"])
    if args.format == "json":
        text = json.dumps({"run": info, "records": records}, indent=1, sort_keys=True)
    else:
        buf = io.StringIO()
        metric_keys = sorted({k for r in records for k in r.get("metrics", {})})
        base = [k for k in (records[0].keys() if records else []) if k not in ("metrics", "alphas")]
        writer = csv.writer(buf)
        writer.writerow(["run_id", *base, *metric_keys])
        for r in records:
            writer.writerow([info["id"], *[r.get(k) for k in base], *[r.get("metrics", {}).get(k) for k in metric_keys]])
        text = buf.getvalue()
    if args.out:
        write_output(args.out, text)
    else:
        sys.stdout.write(text)
    return 0
