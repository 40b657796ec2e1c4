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

from typing import Any

import numpy as np

_U32 = 0xFFFFFFFF
_WORDS = 128  # raw words fetched at a time


class FastDraws:
    """A stand-in for ``numpy.random.Generator`` (PCG64) with fast, identical small integer draws."""

    __slots__ = ("_gen", "_bg", "_start", "_words", "_pos", "_used", "_has", "_half", "_live")

    def __init__(self, gen: np.random.Generator) -> None:
        self._gen = gen
        self._bg = gen.bit_generator
        self._live = False  # True while raw words are taken ahead of the real generator

    @staticmethod
    def supports(gen: Any) -> bool:
        return isinstance(gen, np.random.Generator) and type(gen.bit_generator).__name__ == "PCG64"

    # --- raw words ---------------------------------------------------------------------------------
    def _begin(self) -> None:
        state = self._bg.state
        self._start = state
        self._has, self._half = int(state["has_uint32"]), int(state["uinteger"])
        self._words, self._pos, self._used = [], 0, 0
        self._live = True

    def _next32(self) -> int:
        if self._has:
            self._has = 0
            return self._half
        if self._pos == len(self._words):
            self._words = self._bg.random_raw(_WORDS).tolist()
            self._pos = 0
        word = self._words[self._pos]
        self._pos += 1
        self._used += 1
        self._has, self._half = 1, word >> 32
        return word & _U32

    def _bounded(self, rng: int) -> int:
        """A uniform integer in 0..rng (inclusive), as numpy's ``buffered_bounded_lemire_uint32``."""
        if rng == 0:
            return 0
        excl = rng + 1
        if self._has:  # the first 32-bit draw, inlined (the hot path)
            self._has = 0
            m = self._half * excl
        else:
            m = self._next32() * excl
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
            if self._used:
                bg.advance(self._used)
            state = bg.state
            state["has_uint32"], state["uinteger"] = self._has, self._half
            bg.state = state
        return self._gen

    # --- the Generator methods searchers use -------------------------------------------------------
    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        if high is None:
            low, high = 0, low
        if (type(low) is int and type(high) is int and not endpoint and dtype is np.int64 and 0 < high - low <= _U32
                and (size is None or type(size) is int)):
            if not self._live:
                self._begin()
            rng = high - low - 1
            if size is None:
                return np.int64(low + self._bounded(rng))
            return np.array([low + self._bounded(rng) for _ in range(size)], dtype=np.int64)
        return self.sync().integers(low, high, size=size, dtype=dtype, endpoint=endpoint)

    def choice(self, a, size=None, replace=True, p=None, axis=0, shuffle=True):
        if (type(a) is int and type(size) is int and not replace and p is None and axis == 0 and shuffle
                and 0 <= size <= a <= 10000):
            if not self._live:
                self._begin()
            chosen: list[int] = []
            for j in range(a - size, a):  # Floyd's algorithm
                val = self._bounded(j)
                chosen.append(j if val in chosen else val)
            for i in range(size - 1, 0, -1):  # numpy's shuffle of the sample
                k = self._bounded(i)
                chosen[i], chosen[k] = chosen[k], chosen[i]
            return np.array(chosen, dtype=np.int64)
        return self.sync().choice(a, size=size, replace=replace, p=p, axis=axis, shuffle=shuffle)

    @property
    def bit_generator(self):
        return self.sync().bit_generator

    def __getattr__(self, name: str):  # every other Generator method: exact, through the real generator
        return getattr(self.sync(), name)

    def __repr__(self) -> str:
        return f"FastDraws({self._gen!r})"
