"""A restricted unpickler for the official NB201 / NATS-Bench files, which are Python pickles.

Unpickling runs code named by the file, so the workbench never does it unless the user asked for it
(``allow_pickle=True``, ``--allow-pickle``), and even then only these globals may be named: an
``OrderedDict``, ``set``/``frozenset``, ``codecs.encode`` (bytes in protocol-2 pickles) and the numpy scalar and dtype constructors the official files hold.
Anything else (a class, a function, a torch tensor) stops the load with a ``DataError`` naming it.
"""
from __future__ import annotations

import codecs
import io
import os
import pickle
import zipfile
from pathlib import Path
from typing import IO, Any

import numpy as np

from workbench.errors import DataError

try:  # numpy >= 2 moved the module; importing numpy.core.* warns there
    from numpy._core import multiarray as _multiarray
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core import multiarray as _multiarray  # type: ignore[no-redef]

import collections

_ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("numpy", "dtype"): np.dtype,
    ("numpy", "ndarray"): np.ndarray,
    # protocol-2 pickles (torch.save's legacy layout) write bytes as _codecs.encode(text, "latin1")
    ("_codecs", "encode"): codecs.encode,
}
for _module in ("numpy.core.multiarray", "numpy._core.multiarray"):
    _ALLOWED[(_module, "scalar")] = _multiarray.scalar
    _ALLOWED[(_module, "_reconstruct")] = _multiarray._reconstruct

_TORCH_MAGIC = 0x1950A86A20F9469CFC6C


def pickle_refused(path: str | Path) -> DataError:
    """The error for a pickle the user has not allowed the workbench to open."""
    return DataError(
        f"{path} is a Python pickle (the official NB201/NATS format); opening one runs code named in it, so the "
        f"workbench does it only when asked: pass allow_pickle=True (CLI: --allow-pickle). It then uses a "
        f"restricted unpickler that accepts only dicts, lists, numbers, strings and numpy scalars."
    )


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals in ``_ALLOWED`` and refuses persistent ids (tensors)."""

    def __init__(self, file: IO[bytes], *, source: str = "pickle") -> None:
        super().__init__(file, encoding="latin1")
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        module = {"__builtin__": "builtins"}.get(module, module)  # protocol-2 (Python 2) names
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            if module.startswith("torch"):
                self.persistent_load(None)
            allowed = ", ".join(f"{m}.{n}" for m, n in sorted(_ALLOWED))
            raise DataError(f"{self.source} names {module}.{name}, which the restricted unpickler refuses; "
                            f"accepted: {allowed}") from None

    def persistent_load(self, pid: Any) -> Any:
        raise DataError(f"{self.source} holds torch tensors (trained weights); the workbench reads only the "
                        f"files without weights (the '-simple' archive or the benchmark .pth/.pickle.pbz2 file)")


def restricted_load(file: IO[bytes], *, source: str = "pickle") -> Any:
    """Unpickle one object from ``file`` with the restricted unpickler; errors become ``DataError``."""
    try:
        return RestrictedUnpickler(file, source=source).load()
    except DataError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            OSError, MemoryError) as exc:
        raise DataError(f"{source} is not a readable pickle (truncated or foreign file?): {type(exc).__name__}: {exc}") from None


def load_pbz2(path: str | Path, data: bytes | None = None) -> Any:
    """A NATS ``*.pickle.pbz2`` file (bz2-compressed pickle), from ``path`` or from its bytes ``data``."""
    from workbench.benchmarks._limits import bz2_decompress

    try:
        if data is not None:
            raw = bz2_decompress(str(path), io.BytesIO(data), len(data))
        else:
            with open(path, "rb") as f:
                raw = bz2_decompress(str(path), f, os.fstat(f.fileno()).st_size)
    except (OSError, EOFError, ValueError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"{path} is not a bz2-compressed NATS file (truncated or foreign?): {exc}") from None
    return restricted_load(io.BytesIO(raw), source=str(path))


def load_torch_file(path: str | Path) -> Any:
    """The object in a ``torch.save`` file without torch: the zip layout (torch >= 1.6) or the legacy
    layout of the NB201 ``.pth`` files (magic number, protocol, system info, then the object)."""
    path = Path(path)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.endswith("data.pkl")]
            if not names:
                raise DataError(f"{path} is a zip file but not a torch.save file (no data.pkl member)")
            from workbench.benchmarks._limits import check_declared

            info = zf.getinfo(names[0])
            check_declared(f"{path}:{names[0]}", info.file_size, info.compress_size)
            with zf.open(names[0]) as f:
                return restricted_load(io.BytesIO(f.read()), source=str(path))
    with open(path, "rb") as f:
        magic = restricted_load(f, source=str(path))
        if magic != _TORCH_MAGIC:
            raise DataError(f"{path} is not a torch.save file (no torch magic number at its start)")
        restricted_load(f, source=str(path))  # protocol version
        restricted_load(f, source=str(path))  # system info (byte order, type sizes)
        return restricted_load(f, source=str(path))
