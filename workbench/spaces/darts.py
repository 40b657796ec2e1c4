"""The DARTS cell space (Liu et al., ICLR 2019), the space of NAS-Bench-301.

A network stacks normal cells and reduction cells. Each cell has two inputs (node 0 = c_{k-2}, the output
of the cell before the previous one; node 1 = c_{k-1}, the previous cell's output), four intermediate
nodes 2..5 and an output that concatenates nodes 2..5. Every intermediate node sums two ops, each applied
to one earlier node. A genotype lists, per cell, the 8 ``(op, input)`` pairs, two per node in node order::

    Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1),     # node 2
                     ('sep_conv_3x3', 0), ('sep_conv_3x3', 1),     # node 3
                     ('sep_conv_3x3', 1), ('skip_connect', 0),     # node 4
                     ('skip_connect', 0), ('dil_conv_3x3', 2)],    # node 5
             normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])

That text (DARTS' own ``repr`` of its ``Genotype`` namedtuple) is this space's text form: ``from_string``
reads it (``range(2, 6)`` is accepted for the concat lists, as DARTS' search code prints them) and
``to_string`` writes it. ``DARTS_V2`` below is the genotype published in DARTS' ``cnn/genotypes.py``.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Any, Iterable

DARTS_OPS: tuple[str, ...] = (
    "none",
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)
"""The 8 candidate ops, in DARTS' ``PRIMITIVES`` order (``none`` is only used by the supernet)."""

STEPS = 4  # intermediate nodes per cell
CONCAT: tuple[int, ...] = (2, 3, 4, 5)

_GenotypeBase = namedtuple("Genotype", "normal normal_concat reduce reduce_concat")


def _pairs(value: Iterable) -> tuple:
    return tuple(tuple(p) if isinstance(p, (list, tuple)) else p for p in value)


class Genotype(_GenotypeBase):
    """An immutable DARTS genotype: a namedtuple with DARTS' field names, its lists stored as tuples.

    ``Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], reduce=[...],
    reduce_concat=[2, 3, 4, 5])`` works as in DARTS; ``repr`` prints DARTS' text form (lists), so the
    published genotypes read and write unchanged. Use ``DARTSSpace.validate`` to check membership.
    """

    __slots__ = ()

    def __new__(cls, normal: Iterable, normal_concat: Iterable[int] = CONCAT, reduce: Iterable = (),
                reduce_concat: Iterable[int] = CONCAT) -> "Genotype":
        return super().__new__(cls, _pairs(normal), tuple(normal_concat), _pairs(reduce), tuple(reduce_concat))

    @classmethod
    def _make(cls, iterable: Iterable) -> "Genotype":
        return cls(*iterable)

    def _replace(self, **changes: Any) -> "Genotype":
        return type(self)(**{**self._asdict(), **changes})

    def __repr__(self) -> str:
        def cell(pairs: tuple) -> str:
            return "[" + ", ".join(f"({op!r}, {src!r})" for op, src in pairs) + "]"

        return (f"Genotype(normal={cell(self.normal)}, normal_concat={list(self.normal_concat)}, "
                f"reduce={cell(self.reduce)}, reduce_concat={list(self.reduce_concat)})")

    __str__ = __repr__


DARTS_V2 = Genotype(
    normal=[("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
            ("sep_conv_3x3", 1), ("skip_connect", 0), ("skip_connect", 0), ("dil_conv_3x3", 2)],
    normal_concat=[2, 3, 4, 5],
    reduce=[("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
            ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("max_pool_3x3", 1)],
    reduce_concat=[2, 3, 4, 5],
)
"""DARTS (second order), as published in DARTS' ``cnn/genotypes.py``: 2.76% CIFAR-10 test error."""
