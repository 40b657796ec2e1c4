"""Fetch the published benchmark files and install them as compact files, atomically.

``download_file`` streams a URL into ``<dest>.part`` (resuming a previous ``.part`` with an HTTP Range
request), checks the size the server announced and the checksum where one is published, and only then
renames the file into place. ``install(name)`` downloads a source of ``SOURCES`` into
``cache_dir()/downloads`` and converts it into ``cache_dir()/benchmarks/<benchmark>.wbench.npz`` (written to
a temporary file and renamed), so an interrupted or failed step never leaves a half-installed benchmark.

Published locations and checksums: NB201's files are on Google Drive, named with the last six hex digits
of their MD5 (``e61699``, ``096897``; the NB201 README says so). NATS-Bench's archives are on Google Drive
too (D-X-Y/NATS-Bench README); their names carry a 5-digit fragment (``3ffb9``, ``50262``) whose relation to
a checksum is not documented, so no check is made for them.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from workbench.errors import DataError

_DRIVE = "https://drive.usercontent.google.com/download?export=download&confirm=t&id="


@dataclass(frozen=True)
class Source:
    """A published benchmark file: where it is, what it installs, how to check it."""

    url: str
    filename: str
    benchmark: str
    md5_suffix: str | None = None
    approx_size: str = ""
    note: str = ""


SOURCES: dict[str, Source] = {
    "nats-tss": Source(_DRIVE + "17_saCsj_krKjlCBLOJEpNtzPXArMCqxU", "NATS-tss-v1_0-3ffb9-simple.tar", "nb201",
                       approx_size="~1.3 GB", note="NATS-Bench topology space (= NB201), 12 and 200 epochs, all seeds"),
    "nats-sss": Source(_DRIVE + "1scOMTUwcQhAMa_IMedp9lTzwmgqHLGgA", "NATS-sss-v1_0-50262-simple.tar", "nats_sss",
                       approx_size="~1.1 GB", note="NATS-Bench size space, 1/12/90 epochs"),
    "nb201-v1_1": Source(_DRIVE + "16Y0UwGisiouVRxW-W5hEtbxmcHw_0hF_", "NAS-Bench-201-v1_1-096897.pth", "nb201",
                         md5_suffix="096897", approx_size="~4.7 GB",
                         note="legacy NB201 file; unpickling it needs many GB of RAM: prefer nats-tss"),
    "nb201-v1_0": Source(_DRIVE + "1SKW0Cu0u8-gb18zDpaAGi0f74UdXeGKs", "NAS-Bench-201-v1_0-e61699.pth", "nb201",
                         md5_suffix="e61699", approx_size="~2.2 GB",
                         note="legacy NB201 file (ICLR 2020 paper numbers); needs many GB of RAM to unpickle"),
}

Progress = Callable[[int, int | None], None]


def downloads_dir() -> Path:
    from workbench.benchmarks import cache_dir

    return cache_dir() / "downloads"


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_md5(path: Path, *, md5: str | None = None, md5_suffix: str | None = None) -> None:
    """Raise a DataError when ``path``'s MD5 is not ``md5`` (or does not end with ``md5_suffix``)."""
    if not md5 and not md5_suffix:
        return
    actual = _md5(path)
    if (md5 and actual != md5.lower()) or (md5_suffix and not actual.endswith(md5_suffix.lower())):
        expected = md5 or f"...{md5_suffix}"
        raise DataError(f"checksum mismatch for {path.name}: MD5 {actual}, expected {expected}; the file was "
                        f"removed (a damaged download or a different file)")


def download_file(url: str, dest: str | os.PathLike, *, md5: str | None = None, md5_suffix: str | None = None,
                  progress: Progress | None = None, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` via ``dest.part``: resumable, size- and checksum-checked, atomic."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "nas-workbench"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # the .part is already complete
            response = None
        else:
            raise DataError(f"download of {url} failed: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DataError(f"download of {url} failed: {getattr(exc, 'reason', exc)}") from None
    total: int | None = None
    if response is not None:
        with response:
            status = response.status
            if have and status != 206:  # the server ignored the Range: start over
                have = 0
            length = response.headers.get("Content-Length")
            total = have + int(length) if length is not None else None
            if "text/html" in response.headers.get("Content-Type", "") and not dest.name.endswith((".html", ".htm")):
                raise DataError(f"{url} answered with a web page, not {dest.name} (Google Drive's quota or "
                                f"consent page?): download it in a browser and run `workbench bench import FILE`")
            received = have
            last = 0.0
            with open(part, "ab" if have else "wb") as out:
                while True:
                    try:
                        block = response.read(1 << 20)
                    except (OSError, ValueError, http.client.HTTPException) as exc:  # reset, IncompleteRead
                        raise DataError(f"download of {url} broke off after {received} bytes ({exc}); run the "
                                        f"same command again to resume") from None
                    if not block:
                        break
                    out.write(block)
                    received += len(block)
                    if progress and time.monotonic() - last > 0.2:
                        progress(received, total)
                        last = time.monotonic()
            if progress:
                progress(received, total)
            if total is not None and received != total:
                raise DataError(f"download of {url} is truncated: got {received} of {total} bytes; nothing was "
                                f"installed; run the same command again to resume")
    try:
        check_md5(part, md5=md5, md5_suffix=md5_suffix)
    except DataError:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, dest)
    return dest


def progress_bar(label: str, stream=None) -> Progress:
    """A one-line progress bar on stderr: percent, MB and MB/s."""
    stream = stream or sys.stderr
    start = time.monotonic()

    def show(done: int, total: int | None) -> None:
        rate = done / max(time.monotonic() - start, 1e-6) / 1e6
        if total:
            width = 30
            filled = int(width * done / total)
            stream.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {100 * done / total:5.1f}% "
                         f"{done / 1e6:8.1f}/{total / 1e6:.1f} MB {rate:6.1f} MB/s")
        else:
            stream.write(f"\r{label} {done / 1e6:8.1f} MB {rate:6.1f} MB/s")
        stream.flush()

    return show


def install(name: str, *, url: str | None = None, md5: str | None = None, allow_pickle: bool = False,
            progress: Progress | None = None, curves: bool = True, existing: str = "refuse") -> Path:
    """Download source ``name`` (``SOURCES``) and install it as a compact benchmark; returns its path.
    ``existing`` is what happens where that benchmark is installed already (see ``import_benchmark``).

    ``url`` replaces the published location (a mirror); ``md5`` replaces the published checksum. The
    sources are pickles, so ``allow_pickle=True`` is required (checked before anything is downloaded).
    """
    from workbench.benchmarks import import_benchmark

    if name not in SOURCES:
        raise DataError(f"unknown benchmark source {name!r}; sources: {', '.join(SOURCES)}")
    source = SOURCES[name]
    if not allow_pickle:
        raise DataError(f"{source.filename} is a Python pickle (the official format); the workbench opens it "
                        f"with a restricted unpickler only when asked: add --allow-pickle (allow_pickle=True)")
    target = downloads_dir() / source.filename
    if not target.is_file():
        download_file(url or source.url, target, md5=md5, md5_suffix=None if md5 else source.md5_suffix,
                      progress=progress)
    return import_benchmark([target], name=source.benchmark, allow_pickle=True, curves=curves, existing=existing)
