"""Caps on what a compressed benchmark input may expand to (decompression bombs are refused in one line).

The largest official file, NATS-Bench's single ``NATS-tss-v1_0-3ffb9.pickle.pbz2``, is about 1.3 GB
compressed and about 5.1 GB decompressed (each of its 15,625 per-arch records is ~85 kB compressed and
~326 kB decompressed, a ratio of about 4). A compressed input may expand to at most
``min(MAX_DECOMPRESSED_BYTES, max(MIN_DECOMPRESSED_CAP, MAX_RATIO * compressed size))``: far above any
official file, far below what a bomb (a 3 kB file that expands to 4 GiB) needs. Decompression streams in
blocks, so memory never holds more than the cap.
"""
from __future__ import annotations

import bz2
from typing import IO

from workbench.errors import DataError

#: no compressed benchmark input expands beyond this, whatever its size (3x the largest official file)
MAX_DECOMPRESSED_BYTES = 16 * 1024**3
#: ... nor beyond this many times its compressed size (official files: about 4x) ...
MAX_RATIO = 200
#: ... except that small inputs may always expand to this much
MIN_DECOMPRESSED_CAP = 64 * 1024**2

_BLOCK = 1 << 22


def cap_for(compressed_bytes: int) -> int:
    """The most bytes an input of ``compressed_bytes`` may decompress to."""
    return min(MAX_DECOMPRESSED_BYTES, max(MIN_DECOMPRESSED_CAP, MAX_RATIO * int(compressed_bytes)))


def too_large(source: str, cap: int, declared: int | None = None) -> DataError:
    what = f"declares {declared:,} bytes, more than" if declared is not None else "expands beyond"
    return DataError(f"{source} {what} the {cap:,} bytes allowed for it (a damaged file or a decompression bomb; "
                     f"the caps are in workbench.benchmarks._limits)")


def check_declared(source: str, declared: int, compressed_bytes: int) -> None:
    """Refuse a member whose header declares more than its cap (zip/tar members), before reading it."""
    cap = cap_for(compressed_bytes)
    if declared > cap:
        raise too_large(source, cap, declared)


def bz2_decompress(source: str, stream: IO[bytes], compressed_bytes: int) -> bytes:
    """Decompress a bz2 stream (multi-stream files too) in blocks, refusing output beyond the cap."""
    cap = cap_for(compressed_bytes)
    out = bytearray()
    decomp = bz2.BZ2Decompressor()
    try:
        while True:
            if decomp.eof:
                chunk = decomp.unused_data or stream.read(_BLOCK)
                if not chunk:
                    break
                decomp = bz2.BZ2Decompressor()  # a concatenated stream (pbzip2 writes these)
            elif decomp.needs_input:
                chunk = stream.read(_BLOCK)
                if not chunk:
                    break
            else:
                chunk = b""
            out += decomp.decompress(chunk, max_length=_BLOCK)
            if len(out) > cap:
                raise too_large(source, cap)
    except MemoryError:
        raise DataError(f"{source}: out of memory while decompressing ({len(out):,} bytes so far)") from None
    if not decomp.eof:
        raise DataError(f"{source} is not a complete bz2 stream (truncated or foreign file?)")
    return bytes(out)
