"""Cost models of architectures: a latency lookup table measured on this device, exact params and FLOPs, and
the ``Constraint`` a black-box searcher checks before it proposes an arch.

A ``LatencyTable`` holds the median latency (ms) of every block shape a space can build, plus its stem and head,
measured on one device (ProxylessNAS/OFA's "latency lookup table"); a network's predicted latency is the sum of
its parts. ``LatencyTable.measure(space)`` measures it once per device fingerprint (device, its name, torch
version, CPU threads, batch size, the space's skeleton) and caches it as JSON in ``cache_dir()/latency``.

This module imports no torch: measuring does, lazily (``workbench.nn.latency``); a loaded table predicts without it.
"""
from __future__ import annotations

import hashlib
import json
import math
import time
from pathlib import Path
from typing import Any, Callable, Mapping

_MEMO: dict[str, "LatencyTable"] = {}


def _require(space, method: str, what: str) -> None:
    if not callable(getattr(space, method, None)):
        raise ValueError(f"{what} needs a space that decomposes a network into blocks (a {method}() method, as the "
                         f"'mobilenet' space has); {getattr(space, 'name', space)!r} does not")


def _table_path(folder: Path | None, space, fingerprint: str) -> Path | None:
    """Where a table of ``fingerprint`` is saved in ``folder`` (None: kept in memory only)."""
    return folder / f"{space.name}-{fingerprint}.json" if folder is not None else None


class LatencyTable:
    """Per-block latencies (ms) of one space on one device; ``predict_ms(arch)`` sums an arch's blocks."""

    def __init__(self, entries: dict[str, float], *, space, info: dict[str, Any]) -> None:
        self.entries = {str(k): float(v) for k, v in entries.items()}
        self.space = space
        self.info = dict(info)

    # --- building ----------------------------------------------------------------------------------------
    @staticmethod
    def fingerprint(space, *, device: str = "auto", batch_size: int = 1, num_threads: int | None = 1,
                    in_channels: int = 3) -> str:
        """A short hash of what the latencies depend on: device, torch version, threads, batch, the skeleton."""
        from workbench.nn.latency import environment

        env = environment(device, num_threads)
        text = json.dumps({"env": env, "batch": int(batch_size), "in_channels": int(in_channels), "space": space.name,
                           "options": space.options()}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @classmethod
    def measure(cls, space, *, device: str = "auto", batch_size: int = 1, warmup: int = 3, repeats: int = 15,
                num_threads: int | None = 1, in_channels: int = 3, cache: bool | str | Path = True,
                refresh: bool = False,
                progress: Callable[[int, str, float], None] | None = None) -> "LatencyTable":
        """Measure every block of ``space`` (inputs of ``in_channels``) on ``device`` (``"auto"``: CUDA when present, else the CPU), or
        return the table measured before for the same fingerprint (this process, then ``cache``: True for
        ``cache_dir()/latency``, a folder, or False to keep it in memory only). ``refresh`` measures anew."""
        _require(space, "latency_entries", "a latency table")
        from workbench.nn.latency import environment, measure_entries

        fp = cls.fingerprint(space, device=device, batch_size=batch_size, num_threads=num_threads,
                             in_channels=in_channels)
        folder = None
        if cache:
            from workbench.benchmarks import cache_dir

            folder = Path(cache) if not isinstance(cache, bool) else cache_dir() / "latency"
        path = _table_path(folder, space, fp)
        if not refresh:
            table = cls._measured_before(space, fp, path)
            if table is not None:
                return table
        start = time.perf_counter()
        entries = measure_entries(space.latency_entries(batch_size, in_channels=in_channels), device, warmup=warmup, repeats=repeats,
                                  num_threads=num_threads, progress=progress)
        info = {**environment(device, num_threads), "fingerprint": fp, "batch_size": int(batch_size), "in_channels": int(in_channels),
                "warmup": int(warmup), "repeats": int(repeats), "statistic": "median",
                "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "measure_s": round(time.perf_counter() - start, 3), "space": space.name,
                "space_options": space.options()}
        if folder is not None:
            info["_cache_folder"] = str(folder)
        table = cls(entries, space=space, info=info)
        if path is not None:
            table.save(path)
        _MEMO[fp] = table
        return table

    # --- using ---------------------------------------------------------------------------------------------
    def keys_of(self, arch: Any) -> list[str]:
        return self.space.latency_keys(arch)

    def predict_ms(self, arch: Any) -> float:
        """Predicted latency of ``arch`` (ms): the sum of its stem, blocks and head."""
        total = 0.0
        for key in self.keys_of(arch):
            try:
                total += self.entries[key]
            except KeyError:
                raise KeyError(f"the latency table has no entry {key!r}; it was measured for another skeleton "
                               f"({self.info.get('space_options')})") from None
        return total

    def __getitem__(self, key: str) -> float:
        return self.entries[key]

    def __len__(self) -> int:
        return len(self.entries)

    # --- persistence ---------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"info": self.info, "entries": self.entries}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], space, *, source: str = "the data") -> "LatencyTable":
        """A table back from ``to_dict``; refused (DataError naming ``source``) unless every entry is a
        finite number of milliseconds >= 0."""
        entries = data.get("entries") if isinstance(data, Mapping) else None
        info = data.get("info") if isinstance(data, Mapping) else None
        if not isinstance(entries, dict) or not isinstance(info, (Mapping, type(None))) or not all(
                isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                and v >= 0 for k, v in entries.items()):
            from workbench.errors import DataError

            raise DataError(f"{source} is not a latency table (needs 'entries': {{key: milliseconds >= 0}} and "
                            f"'info' an object, if any)")
        return cls(dict(entries), space=space, info=dict(info or {}))

    @classmethod
    def cached(cls, space, fingerprint: str) -> "LatencyTable":
        """The table measured before under ``fingerprint`` (``LatencyTable.fingerprint``): this process's,
        else the cache folder's; a DataError says where it was looked for when neither holds it."""
        from workbench.errors import DataError

        if not (isinstance(fingerprint, str) and len(fingerprint) == 16
                and all(c in "0123456789abcdef" for c in fingerprint)):
            raise DataError(f"latency table fingerprint must be 16 lowercase hex digits "
                            f"(LatencyTable.fingerprint), got {fingerprint!r}")
        from workbench.benchmarks import cache_dir

        path = _table_path(cache_dir() / "latency", space, fingerprint)
        table = cls._measured_before(space, fingerprint, path)
        if table is None:
            raise DataError(f"no latency table {fingerprint} of the {space.name!r} space in this process or in "
                            f"{path.parent}: measure it on the device it describes (LatencyTable.measure) or "
                            f"pass the table itself")
        return table

    @classmethod
    def _measured_before(cls, space, fingerprint: str, path: Path | None) -> "LatencyTable | None":
        """The table of ``fingerprint`` this process holds, else the one saved at ``path``, else None."""
        if fingerprint in _MEMO:
            return _MEMO[fingerprint]
        if path is None or not path.is_file():
            return None
        table = _MEMO[fingerprint] = cls.load(path, space)
        return table

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1, sort_keys=True))
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path, space) -> "LatencyTable":
        try:
            data = json.loads(Path(path).read_text())
        except (ValueError, UnicodeDecodeError):
            data = None
        return cls.from_dict(data, space, source=str(path))

    def __repr__(self) -> str:
        return (f"LatencyTable({len(self)} entries, {self.info.get('device_name', '?')}, torch "
                f"{self.info.get('torch', '?')}, batch {self.info.get('batch_size', '?')})")


class CostModel:
    """``costs(arch) -> {"params", "flops"[, "latency_ms"]}`` without training: exact counts (analytic where the
    space offers ``costs()``, else by building the network on the CPU) and the latency table's prediction."""

    def __init__(self, space, table: LatencyTable | None = None, *, num_classes: int = 10, in_channels: int = 3,
                 input_size: int | None = None) -> None:
        self.space, self.table = space, table
        self.num_classes, self.in_channels = int(num_classes), int(in_channels)
        self.input_size = input_size or getattr(space, "input_size", 32)

    def costs(self, arch: Any, need: tuple[str, ...] = ("params", "flops", "latency_ms")) -> dict[str, float]:
        out: dict[str, float] = {}
        if "params" in need or "flops" in need:
            if callable(getattr(self.space, "costs", None)):
                out.update(self.space.costs(arch, self.num_classes, self.in_channels))
            else:
                from workbench.nn.cost import count_flops, count_params

                net = self.space.build(arch, num_classes=self.num_classes, in_channels=self.in_channels)
                out["params"] = count_params(net)
                if "flops" in need:
                    out["flops"] = count_flops(net, (1, self.in_channels, self.input_size, self.input_size))
        if "latency_ms" in need:
            if self.table is None:
                raise ValueError("a latency limit needs a latency table: CostModel(space, table=LatencyTable.measure"
                                 "(space)) or Constraint(..., table=...)")
            out["latency_ms"] = self.table.predict_ms(arch)
        return out


LIMITS = {"max_latency_ms": "latency_ms", "max_flops": "flops", "max_params": "params"}


class Constraint:
    """Upper limits on an arch's costs, checked from a cost model (never by calling an estimator).

    ``Constraint(space, max_params=3e5, max_flops=None, max_latency_ms=2.0, table=table)``; ``ok(arch)``,
    ``violation(arch)`` (a sentence, or None), ``costs(arch)``; ``config()`` is what a searcher records.
    """

    def __init__(self, space, *, max_latency_ms: float | None = None, max_flops: float | None = None,
                 max_params: float | None = None, table: LatencyTable | None = None,
                 model: CostModel | None = None) -> None:
        self.limits = {}
        for name, value in (("max_latency_ms", max_latency_ms), ("max_flops", max_flops), ("max_params", max_params)):
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{name} must be a positive number, got {value!r}")
            self.limits[name] = float(value)
        self.model = model or CostModel(space, table)
        if "max_latency_ms" in self.limits and self.model.table is None:
            raise ValueError("max_latency_ms needs a latency table: pass table=LatencyTable.measure(space)")
        self._need = tuple(LIMITS[name] for name in self.limits)
        self._cache: dict[Any, dict[str, float]] = {}

    def __bool__(self) -> bool:
        return bool(self.limits)

    def costs(self, arch: Any) -> dict[str, float]:
        if arch not in self._cache:
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[arch] = self.model.costs(arch, self._need)
        return self._cache[arch]

    def violation(self, arch: Any) -> str | None:
        costs = self.costs(arch)
        for name, limit in self.limits.items():
            value = costs[LIMITS[name]]
            if value > limit:
                return f"{LIMITS[name]} {value:g} > {name}={limit:g}"
        return None

    def ok(self, arch: Any) -> bool:
        return self.violation(arch) is None

    def options(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.limits)
        if self.model.table is not None:
            out["latency_table"] = self.model.table.info.get("fingerprint")
        return out

    def __repr__(self) -> str:
        return f"Constraint({', '.join(f'{k}={v:g}' for k, v in self.limits.items())})"
