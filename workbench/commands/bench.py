"""``workbench bench ls | download NAME | import PATH... | info NAME | verify NAME``: get, convert and check
tabular benchmarks."""
from __future__ import annotations

import argparse
import os
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
    _existing_flags(dl)
    dl.set_defaults(func=_download)
    im = actions.add_parser("import", help="convert files you have into one installed compact benchmark")
    im.add_argument("paths", nargs="+", help="NATS folder/.tar/.pickle.pbz2, NB201 .pth, NB201 CSV, NASLib JSON/zip, "
                                             "NB101 .tfrecord/JSON; merged, the first that holds a value wins")
    im.add_argument("--name", default=None, help="benchmark name to install as (default: the source's, e.g. nb201)")
    im.add_argument("--out", default=None, help="write the compact file here instead of installing it")
    im.add_argument("--allow-pickle", action="store_true", help="allow unpickling official NB201/NATS files")
    im.add_argument("--no-curves", action="store_true", help="keep only last-epoch values (smaller file)")
    _existing_flags(im)
    im.set_defaults(func=_import)
    info = actions.add_parser("info", help="datasets, metrics and regimes of a benchmark")
    info.add_argument("name", help="benchmark name or file")
    info.set_defaults(func=_info)
    verify = actions.add_parser("verify", help="check every member of a compact benchmark file against its checksum")
    verify.add_argument("names", nargs="*", help="benchmark names or files (default: every installed one)")
    verify.set_defaults(func=_verify)


def _existing_flags(parser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--merge", dest="existing", action="store_const", const="merge", default="refuse",
                       help="where the name is installed: keep its values and add this import's where it has none")
    group.add_argument("--replace", dest="existing", action="store_const", const="replace",
                       help="where the name is installed: overwrite it (default: refuse, saying what each holds)")


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
        if "coverage" in r:
            print(f"  {'':12} archs with data: {r['with_data']:,} of {r['archs']:,}; archs per metric:")
            for line in _coverage(r["coverage"]):
                print(f"  {'':12}   {line}")
    print("downloadable (workbench bench download NAME --allow-pickle):")
    for name, src in SOURCES.items():
        check = f"md5 ...{src.md5_suffix}" if src.md5_suffix else "no published checksum"
        print(f"  {name:12} -> {src.benchmark:9} {src.approx_size:>8}  {src.filename} ({check}); {src.note}")
    return 0


def _coverage(counts: dict[str, int]) -> list[str]:
    """One line per dataset: ``cifar10: test_acc 15,625, val_acc 15,625`` (the most archs over a metric's
    training regimes)."""
    from workbench.benchmarks import split_column_name

    best: dict[str, dict[str, int]] = {}
    for key, n in counts.items():
        dataset, metric, _ = split_column_name(key)
        best.setdefault(dataset, {})[metric] = max(n, best.get(dataset, {}).get(metric, 0))
    return [f"{d}: " + ", ".join(f"{m} {n:,}" for m, n in sorted(ms.items())) for d, ms in sorted(best.items())]


def _verify(args: argparse.Namespace) -> int:
    from workbench import benchmarks
    from workbench.benchmarks import compact
    from workbench.errors import DataError

    targets = args.names or [r["path"] for r in benchmarks.installed() if r["path"].endswith(".wbench.npz")]
    if not targets:
        print("no compact benchmark installed; name a file or a benchmark")
        return 0
    bad = 0
    for target in targets:
        path = benchmarks.find(target) if os.sep not in target and not os.path.exists(target) else target
        if not compact.is_compact(path):
            raise DataError(f"{path} is not a compact benchmark file (.wbench.npz); only those carry checksums")
        report = compact.verify(path)
        if report["problems"]:
            bad += 1
            print(f"DAMAGED {path}:")
            for problem in report["problems"]:
                print(f"  {problem}")
        else:
            print(f"ok {path}: {report['members']} members, {report['bytes']:,} bytes match their CRC-32")
    return 1 if bad else 0


def _download(args: argparse.Namespace) -> int:
    from workbench.benchmarks.download import SOURCES, install, progress_bar

    progress = None if args.quiet else progress_bar(args.name)
    path = install(args.name, url=args.url, md5=args.md5, allow_pickle=args.allow_pickle, progress=progress,
                   curves=not args.no_curves, existing=args.existing)
    if progress:
        sys.stderr.write("\n")
    print(f"installed {SOURCES[args.name].benchmark} at {path}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from workbench import benchmarks

    path = benchmarks.import_benchmark(args.paths, name=args.name, dest=args.out, allow_pickle=args.allow_pickle,
                                       curves=not args.no_curves, existing=args.existing)
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
