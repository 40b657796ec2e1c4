"""Fuzz every registered space's parse paths and count what each input got (issue 9).

    python benchmarks/fuzz_spaces.py [--strings 2500] [--spaces nb201,darts]

Per space: ``--strings`` texts through ``from_string`` and as many values each through ``validate``,
``from_decisions`` and ``from_code`` (where the space has them), drawn by hypothesis from the strategies of
``tests/test_space_properties.py`` (arbitrary Unicode with lone surrogates, token soups of the space's own
texts and hostile fragments, edited valid texts, nested Python values, perturbed archs). Prints the count of
inputs accepted, refused with ``OutOfSpaceError`` and failed with any other exception (by type), and the
slowest call.
"""
from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import test_space_properties as props  # noqa: E402

from workbench import spaces  # noqa: E402
from workbench.errors import OutOfSpaceError  # noqa: E402
from workbench.spaces._base import shorten  # noqa: E402


def fuzz(name: str, path: str, strategy, call, n: int) -> dict:
    counts: collections.Counter = collections.Counter()
    slowest = [0.0, None]

    @settings(max_examples=n, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(value=strategy)
    def run(value):
        t0 = time.perf_counter()
        try:
            call(value)
            counts["accepted"] += 1
        except OutOfSpaceError:
            counts["OutOfSpaceError"] += 1
        except Exception as exc:  # counted, not raised: the figure is what we want
            counts[type(exc).__name__] += 1
            print(f"  {name}.{path}: {type(exc).__name__}: {str(exc)[:120]} on {shorten(value)}")
        elapsed = time.perf_counter() - t0
        if elapsed > slowest[0]:
            slowest[:] = [elapsed, shorten(value, 60)]

    run()
    return {"inputs": sum(counts.values()), "counts": dict(counts), "slowest_s": slowest[0], "slowest": slowest[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strings", type=int, default=2500)
    parser.add_argument("--spaces", default=",".join(spaces.names()))
    args = parser.parse_args()
    for name in args.spaces.split(","):
        space = props.space_of(name)
        base = space.sample(__import__("numpy").random.default_rng(0))
        paths = [("from_string", props.texts(name), space.from_string),
                 ("validate", st.one_of(props.objects(), props.texts(name), props.perturbed(base)), space.validate)]
        decisions = props.decisions_of(space)
        if decisions is not None:
            valid = st.tuples(*[st.integers(0, len(o) - 1) for _, o in decisions]).map(list)
            paths.append(("from_decisions", valid | props.objects() | valid.flatmap(props.perturbed), space.from_decisions))
        if hasattr(space, "from_code"):
            paths.append(("from_code", st.integers(0, space.size() - 1) | st.integers() | props.LEAVES, space.from_code))
        for path, strategy, call in paths:
            t0 = time.perf_counter()
            out = fuzz(name, path, strategy, call, args.strings)
            print(f"{name:9s} {path:15s} {out['inputs']:6,d} inputs  {out['counts']}  slowest {out['slowest_s'] * 1e3:.1f} ms "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
