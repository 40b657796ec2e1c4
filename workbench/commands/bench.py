"""``workbench bench ls | download NAME | import PATH... | info NAME``: get and convert tabular benchmarks."""
from __future__ import annotations

import argparse
import sys


def add_parser(sub) -> None:
    p = sub.add_parser("bench", help="list, download and import tabular benchmarks (NB201/NATS, NB101, ...)",
                       description="Benchmarks live as compact files in $WORKBENCH_CACHE/benchmarks "
                                   "(default ~/.cache/nas-workbench/benchmarks).")
    actions = p.add_subparsers(dest="bench_command", metavar="ACTION", required=True)
    ls = actions.add_parser("ls", help="what is installed, where, and what can be downloaded")
    ls.set_defaults(func=_ls)
    dl = actions.add_parser("download", help="fetch a published benchmark file and install it")
    dl.add_argument("name", help="source name (see `workbench bench ls`)")
    dl.add_argument("--allow-pickle", action="store_true",
                    help="allow unpickling the official files (restricted to plain data and numpy scalars)")
    dl.add_argument("--url", default=None, help="download from this URL instead (a mirror)")
    dl.add_argument("--md5", default=None, help="expected MD5 of the file (replaces the published checksum)")
    dl.add_argument("--no-curves", action="store_true", help="keep only last-epoch values (smaller file)")
    dl.add_argument("--quiet", action="store_true", help="no progress bar")
    dl.set_defaults(func=_download)
    im = actions.add_parser("import", help="convert files you have into one installed compact benchmark")
    im.add_argument("paths", nargs="+", help="NATS folder/.tar/.pickle.pbz2, NB201 .pth, NB201 CSV, NASLib JSON/zip, "
                                             "NB101 .tfrecord/JSON; merged, the first that holds a value wins")
    im.add_argument("--name", default=None, help="benchmark name to install as (default: the source's, e.g. nb201)")
    im.add_argument("--out", default=None, help="write the compact file here instead of installing it")
    im.add_argument("--allow-pickle", action="store_true", help="allow unpickling official NB201/NATS files")
    im.add_argument("--no-curves", action="store_true", help="keep only last-epoch values (smaller file)")
    im.set_defaults(func=_import)
    info = actions.add_parser("info", help="datasets, metrics and regimes of a benchmark")
    info.add_argument("name", help="benchmark name or file")
    info.set_defaults(func=_info)


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)


def _ls(args: argparse.Namespace) -> int:
    from workbench import benchmarks
    from workbench.benchmarks.download import SOURCES

    print(f"cache: {benchmarks.cache_dir()}  (set WORKBENCH_CACHE to move it)")
    rows = benchmarks.installed()
    print("installed:" if rows else "installed: none")
    for r in rows:
        what = r.get("error") or (f"{r.get('space', '?')}, {r.get('archs', '?')} archs, {r.get('columns', '?')} columns, "
                                  f"{r.get('curves', 0)} curves" if "archs" in r else r.get("format", ""))
        print(f"  {r['name']:12} {_size(r['bytes']):>9}  {what}\n  {'':12} {r['path']}")
    print("downloadable (workbench bench download NAME --allow-pickle):")
    for name, src in SOURCES.items():
        check = f"md5 ...{src.md5_suffix}" if src.md5_suffix else "no published checksum"
        print(f"  {name:12} -> {src.benchmark:9} {src.approx_size:>8}  {src.filename} ({check}); {src.note}")
    return 0


def _download(args: argparse.Namespace) -> int:
    from workbench.benchmarks.download import SOURCES, install, progress_bar

    progress = None if args.quiet else progress_bar(args.name)
    path = install(args.name, url=args.url, md5=args.md5, allow_pickle=args.allow_pickle, progress=progress,
                   curves=not args.no_curves)
    if progress:
        sys.stderr.write("\n")
    print(f"installed {SOURCES[args.name].benchmark} at {path}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from workbench import benchmarks

    path = benchmarks.import_benchmark(args.paths, name=args.name, dest=args.out, allow_pickle=args.allow_pickle,
                                       curves=not args.no_curves)
    print(f"installed {path}")
    return 0


def _info(args: argparse.Namespace) -> int:
    from workbench import benchmarks

    table = benchmarks.load(args.name)
    print(f"{table.name}: space {table.space_name}, {len(table)} archs, source {table.meta.get('source')}")
    for dataset in table.datasets():
        parts = []
        for metric in table.metrics(dataset):
            regimes = table.epochs(dataset, metric)
            curves = [e for e in regimes if benchmarks.column_name(dataset, metric, e) in table.curves]
            parts.append(metric + (f"@{regimes}" if regimes else "") + (f" (curves @{curves})" if curves else ""))
        print(f"  {dataset}: " + ", ".join(parts))
    return 0
