"""Measure inference latency on the current device: the per-block lookup table of hardware-aware NAS.

``measure_ms`` times a module the way ProxylessNAS and OFA built their latency tables: eval mode, no grad,
a few warm-up calls, then ``repeats`` timed calls (synchronised on CUDA), and the median in milliseconds.
``measure_table`` does it for every distinct block shape a space can build (``space.latency_blocks()``),
plus its fixed stem and head; ``workbench.costs.LatencyTable`` holds and caches the result.
"""
from __future__ import annotations

import platform
import statistics
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Sequence

import torch
from torch import nn


def resolve(device: Any = "auto") -> torch.device:
    """``"auto"``: CUDA when present, else the CPU (latency tables are not measured on MPS)."""
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def device_name(device: torch.device) -> str:
    """A readable name of the device (GPU model, or the CPU model and core count)."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import os

    return f"{model} ({os.cpu_count()} cores)"


@contextmanager
def threads(n: int | None):
    """Run with ``n`` intra-op CPU threads, restoring the previous number afterwards."""
    if not n:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def clock_for(device: Any, num_threads: int | None) -> str:
    """``"thread"`` (CPU time of the calling thread) on a CPU with one intra-op thread, else ``"wall"``.

    With one thread the forward pass runs in the calling thread, so its CPU time is the latency without the
    time other processes took the core away: on a shared, loaded machine wall time is mostly that noise."""
    return "thread" if resolve(device).type == "cpu" and num_threads == 1 else "wall"


def measure_ms(module: nn.Module, input_shape: Sequence[int], device: Any = "cpu", *, warmup: int = 3,
               repeats: int = 15, num_threads: int | None = 1, clock: str = "auto") -> float:
    """Median time of one forward pass of ``module`` on a zero input of ``input_shape``, in milliseconds.

    ``clock``: ``"wall"``, ``"thread"`` (CPU time of this thread: only with one CPU thread), or ``"auto"``
    (``clock_for(device, num_threads)``)."""
    if clock == "auto":
        clock = clock_for(device, num_threads)
    if clock not in ("wall", "thread"):
        raise ValueError(f"clock must be 'auto', 'wall' or 'thread', got {clock!r}")
    now = time.thread_time if clock == "thread" else time.perf_counter
    if warmup < 0 or repeats < 1:
        raise ValueError(f"need warmup >= 0 and repeats >= 1, got warmup={warmup}, repeats={repeats}")
    device = resolve(device)
    module = module.to(device).eval()
    x = torch.zeros(*[int(d) for d in input_shape], device=device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    times = []
    with threads(num_threads if device.type == "cpu" else None), torch.inference_mode():
        for _ in range(warmup):
            module(x)
        sync()
        for _ in range(repeats):
            start = now()
            module(x)
            sync()
            times.append(now() - start)
    return 1000.0 * statistics.median(times)


def measure_entries(entries: Iterable[tuple[str, Callable[[], nn.Module], Sequence[int]]], device: Any = "cpu", *,
                    warmup: int = 3, repeats: int = 15, num_threads: int | None = 1,
                    progress: Callable[[int, str, float], None] | None = None) -> dict[str, float]:
    """Measure each ``(key, make_module, input_shape)``; returns ``{key: median ms}``."""
    out: dict[str, float] = {}
    generator = torch.Generator().manual_seed(0)
    for i, (key, make, shape) in enumerate(entries):
        if key in out:
            continue
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(torch.randint(2**31, (1,), generator=generator)))
            module = make()
        out[key] = measure_ms(module, shape, device, warmup=warmup, repeats=repeats, num_threads=num_threads)
        if progress is not None:
            progress(i, key, out[key])
    return out


def environment(device: Any = "auto", num_threads: int | None = 1) -> dict[str, Any]:
    """What a table was measured on: device type and name, torch version, CPU threads."""
    device = resolve(device)
    return {"device": device.type, "device_name": device_name(device), "torch": torch.__version__,
            "threads": int(num_threads) if (num_threads and device.type == "cpu") else None,
            "clock": clock_for(device, num_threads)}


def prediction_vs_measurement(table, archs: Sequence[Any], *, warmup: int | None = None,
                              repeats: int | None = None) -> list[tuple[float, float]]:
    """``(predicted ms, measured ms)`` of each arch: the table's sum of blocks against timing the whole built
    network the same way the table's entries were timed (same device, threads, batch, warm-up, repeats)."""
    info, space = table.info, table.space
    out = []
    for arch in archs:
        channels = int(info.get("in_channels", 3))
        net = space.build(arch, in_channels=channels)
        shape = (int(info.get("batch_size", 1)), channels, space.input_size, space.input_size)
        measured = measure_ms(net, shape, info.get("device", "cpu"), warmup=warmup or int(info.get("warmup", 3)),
                              repeats=repeats or int(info.get("repeats", 15)), num_threads=info.get("threads"))
        out.append((table.predict_ms(arch), measured))
    return out


def mape(pairs: Sequence[tuple[float, float]]) -> float:
    """Mean absolute percentage error of predictions against measurements, in percent."""
    return 100.0 * sum(abs(p - m) / m for p, m in pairs) / len(pairs)
