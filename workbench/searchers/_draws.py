"""Bit-identical fast draws for searchers whose every step is a few small integer draws (RE, random search).

numpy's ``Generator.integers`` and ``Generator.choice`` cost microseconds of argument handling per call,
which is most of a tabular search's time. ``FastDraws`` wraps a ``Generator`` on ``PCG64`` (what
``numpy.random.default_rng`` makes), takes the bit generator's raw 64-bit words in bulk, and derives
from them exactly the values numpy would return, by numpy's own algorithms: 32-bit draws split from each
64-bit word (low half first, the high half kept for the next draw), Lemire's bounded integers, and Floyd's
sampling without replacement followed by a Fisher-Yates shuffle for ``choice(..., replace=False)``. The same
seed gives the same archs as the plain generator (``tests/test_fast_draws.py`` checks it call by call).

Only ``integers(low[, high][, size])`` with small int bounds and ``choice(n, size, replace=False)`` (with
``n <= 10000``) take the fast path. Anything else, and reading ``bit_generator`` (a searcher's
``state_dict``), first puts the real generator exactly where the draws so far leave it (``sync``), then
uses it directly.
"""
from __future__ import annotations

import sys
from typing import Any

import numpy as np

_U32 = 0xFFFFFFFF
_WORDS = 128  # raw words fetched at a time
_N_SMALL = 256
_SMALL = [np.int64(i) for i in range(_N_SMALL)]  # numpy scalars are immutable: small ones are shared


class FastDraws:
    """A stand-in for ``numpy.random.Generator`` (PCG64) with fast, identical small integer draws."""

    __slots__ = ("_gen", "_bg", "_start", "_halves", "_pos", "_prefix", "_done", "_live")

    def __init__(self, gen: np.random.Generator) -> None:
        self._gen = gen
        self._bg = gen.bit_generator
        self._live = False  # True while raw words are taken ahead of the real generator

    @staticmethod
    def supports(gen: Any) -> bool:
        return (isinstance(gen, np.random.Generator) and type(gen.bit_generator).__name__ == "PCG64"
                and sys.byteorder == "little")

    # --- raw words, as numpy's 32-bit draws: each 64-bit word gives its low half, then its high half -------
    def _begin(self) -> None:
        state = self._bg.state
        self._start = state
        # a half left over from the generator's last 64-bit word comes first
        self._prefix = 1 if state["has_uint32"] else 0
        self._halves = [int(state["uinteger"])] if self._prefix else []
        self._pos = 0
        self._done = 0  # halves consumed in earlier chunks
        self._live = True

    def _refill(self) -> None:
        self._done += len(self._halves)
        self._halves = self._bg.random_raw(_WORDS).view(np.uint32).tolist()
        self._pos = 0

    def _next32(self) -> int:
        try:
            value = self._halves[self._pos]
        except IndexError:
            self._refill()
            value = self._halves[0]
        self._pos += 1
        return value

    def _bounded(self, rng: int) -> int:
        """A uniform integer in 0..rng (inclusive), as numpy's ``buffered_bounded_lemire_uint32``."""
        if rng == 0:
            return 0
        excl = rng + 1
        try:
            m = self._halves[self._pos] * excl
        except IndexError:
            self._refill()
            m = self._halves[0] * excl
        self._pos += 1
        if (m & _U32) < excl:
            threshold = (0x100000000 - excl) % excl
            while (m & _U32) < threshold:
                m = self._next32() * excl
        return m >> 32

    def sync(self) -> np.random.Generator:
        """Put the real generator where the draws so far leave it; returns it."""
        if self._live:
            self._live = False
            bg = self._bg
            bg.state = self._start
            used = self._done + self._pos - self._prefix  # halves of fresh words consumed
            if used > 0:
                bg.advance((used + 1) // 2)
                state = bg.state
                if used % 2:  # the high half of the last word is left for the next 32-bit draw
                    state["has_uint32"], state["uinteger"] = 1, self._halves[self._pos]
                else:  # numpy leaves the last high half it returned in ``uinteger``
                    state["has_uint32"], state["uinteger"] = 0, self._halves[self._pos - 1]
                bg.state = state
            elif self._prefix and self._pos:  # only the left-over half was used
                state = bg.state
                state["has_uint32"] = 0
                bg.state = state
        return self._gen

    # --- the Generator methods searchers use -------------------------------------------------------
    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        if high is None and size is None and type(low) is int and 0 < low <= _U32 and dtype is np.int64 \
                and not endpoint and self._live:  # integers(n): the commonest call, checked first
            value = self._bounded(low - 1)
            return _SMALL[value] if value < _N_SMALL else np.int64(value)
        if high is None:
            low, high = 0, low
        if (type(low) is int and type(high) is int and dtype is np.int64 and not endpoint and 0 < high - low <= _U32
                and (size is None or type(size) is int)):
            if not self._live:
                self._begin()
            rng = high - low - 1
            if size is None:
                value = low + self._bounded(rng)
                return _SMALL[value] if 0 <= value < _N_SMALL else np.int64(value)
            bounded = self._bounded
            return np.array([low + bounded(rng) for _ in range(size)], dtype=np.int64)
        return self.sync().integers(low, high, size=size, dtype=dtype, endpoint=endpoint)

    def choice(self, a, size=None, replace=True, p=None, axis=0, shuffle=True):
        if (type(a) is int and type(size) is int and not replace and p is None and axis == 0 and shuffle
                and 0 <= size <= a <= 10000):
            return np.array(self.sample_indices(a, size), dtype=np.int64)
        return self.sync().choice(a, size=size, replace=replace, p=p, axis=axis, shuffle=shuffle)

    def sample_indices(self, a: int, size: int) -> list[int]:
        """``choice(a, size, replace=False).tolist()``, the same values, without building the array."""
        if not 0 <= size <= a <= 10000:
            return self.sync().choice(a, size=size, replace=False).tolist()
        if not self._live:
            self._begin()
        bounded = self._bounded
        chosen: list[int] = []
        for j in range(a - size, a):  # Floyd's algorithm
            val = bounded(j)
            chosen.append(j if val in chosen else val)
        for i in range(size - 1, 0, -1):  # numpy's shuffle of the sample
            k = bounded(i)
            chosen[i], chosen[k] = chosen[k], chosen[i]
        return chosen

    @property
    def bit_generator(self):
        return self.sync().bit_generator

    def __getattr__(self, name: str):  # every other Generator method: exact, through the real generator
        return getattr(self.sync(), name)

    def __repr__(self) -> str:
        return f"FastDraws({self._gen!r})"
