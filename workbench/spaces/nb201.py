"""The NAS-Bench-201 cell space (Dong & Yang, ICLR 2020).

A cell is a DAG of 4 nodes; node 0 is the cell input, node 3 its output, and every node i sums one op
applied to each earlier node j < i. That is 6 edges, each one of 5 ops, so 5**6 = 15,625 cells. The
official text lists each node's inputs as ``op~j`` between bars, nodes joined by ``+``::

    |nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|
     node 1          node 2                          node 3

An arch here is the tuple of the 6 ops in that order: edges 0->1, 0->2, 1->2, 0->3, 1->3, 2->3.
"""
from __future__ import annotations

import functools
import itertools
import re
from typing import Any, Iterator, Sequence

import numpy as np

from workbench.errors import OutOfSpaceError
from workbench.spaces import register
from workbench.spaces._base import SearchSpace, as_choices, as_int, check_text, shorten
from workbench.vocabulary import NB201_EDGES, NB201_OP_NAMES

OPS: tuple[str, ...] = NB201_OP_NAMES
EDGES: tuple[tuple[int, int], ...] = NB201_EDGES
NUM_NODES = 4
_OP_INDEX = {op: i for i, op in enumerate(OPS)}

NB201Arch = tuple  # a tuple of 6 op names, in EDGES order
_MEMBERS = frozenset(itertools.product(OPS, repeat=len(EDGES)))
_TEXTS: dict[NB201Arch, str] = {}  # arch -> its text, filled as archs are written
_OTHER_OPS = {op: tuple(other for other in OPS if other != op) for op in OPS}
_OP = "(" + "|".join(OPS) + ")"
_CANONICAL = re.compile(rf"\|{_OP}~0\|\+\|{_OP}~0\|{_OP}~1\|\+\|{_OP}~0\|{_OP}~1\|{_OP}~2\|")


_EXAMPLE = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
MAX_TEXT_CHARS = 1_000  # the longest canonical text is 120 characters


def _fail(text: str, problem: str) -> OutOfSpaceError:
    # an arch text is shown whole up to 200 characters (canonical texts are up to 120 long)
    return OutOfSpaceError(f"not an NB201 arch string: {shorten(text, 200)}: {problem}")


def parse_arch_string(text: str) -> NB201Arch:
    """Parse the official NB201 text; raises OutOfSpaceError naming what is wrong."""
    return _parse(check_text(text, "an NB201 arch string", _EXAMPLE, MAX_TEXT_CHARS))


@functools.lru_cache(maxsize=32768)
def _parse(text: str) -> NB201Arch:
    s = text.strip()
    if not s:
        raise _fail(text, f"it is empty; expected 3 nodes joined by '+', e.g. {_EXAMPLE}")
    groups = s.split("+")
    if len(groups) != NUM_NODES - 1:
        raise _fail(text, f"it has {len(groups)} node group(s) joined by '+', expected {NUM_NODES - 1}")
    ops: list[str] = []
    for node, group in enumerate(groups, start=1):
        if len(group) < 2 or not group.startswith("|") or not group.endswith("|"):
            raise _fail(text, f"node {node} group {shorten(group, 40)} must start and end with '|'")
        tokens = group[1:-1].split("|")
        if len(tokens) != node:
            raise _fail(text, f"node {node} has {len(tokens)} input(s), expected {node} (inputs 0..{node - 1})")
        for j, token in enumerate(tokens):
            op, sep, source = token.partition("~")
            if not sep:
                raise _fail(text, f"token {shorten(token, 40)} of node {node} lacks '~'; expected 'op~{j}'")
            if op not in _OP_INDEX:
                raise _fail(text, f"unknown op {shorten(op, 40)}; accepted ops: {', '.join(OPS)}")
            if source != str(j):
                raise _fail(text, f"token {shorten(token, 40)} of node {node} names input {shorten(source, 20)}, "
                                  f"expected {j} (inputs in order 0..{node - 1})")
            ops.append(OPS[_OP_INDEX[op]])
    # text order is node by node, which is EDGES order
    return tuple(ops)


@functools.lru_cache(maxsize=32768)
def arch_string(arch: NB201Arch) -> str:
    nodes = []
    k = 0
    for node in range(1, NUM_NODES):
        nodes.append("|" + "|".join(f"{arch[k + j]}~{j}" for j in range(node)) + "|")
        k += node
    return "+".join(nodes)


@register("nb201")
class NB201Space(SearchSpace):
    """NAS-Bench-201: 6 edges x 5 ops = 15,625 cells. ``build`` makes the NB201 network (C=16, N=5)."""

    name = "nb201"
    ops = OPS
    edges = EDGES

    def to_string(self, arch: Any) -> str:
        try:
            return _TEXTS[arch]  # an arch of the space seen before
        except (KeyError, TypeError):
            valid = self.validate(arch)
            text = _TEXTS[valid] = arch_string(valid)  # at most 15,625 texts
            return text

    def from_string(self, text: str) -> NB201Arch:
        return parse_arch_string(text)

    def validate(self, arch: Any) -> NB201Arch:
        if type(arch) is tuple:
            try:
                if arch in _MEMBERS:
                    return arch
            except TypeError:  # unhashable items: refused below
                pass
        if isinstance(arch, str):
            return parse_arch_string(arch)
        if not isinstance(arch, (tuple, list)):
            raise OutOfSpaceError(
                f"an NB201 arch is an arch string or a tuple of 6 op names, got {type(arch).__name__}: {shorten(arch)}"
            )
        if len(arch) != len(EDGES):
            raise OutOfSpaceError(f"an NB201 arch has {len(EDGES)} ops (one per edge), got {len(arch):,}: {shorten(arch)}")
        for op in arch:
            if not isinstance(op, str) or op not in _OP_INDEX:
                raise OutOfSpaceError(f"unknown NB201 op {shorten(op, 40)} in {shorten(arch)}; accepted ops: {', '.join(OPS)}")
        return tuple(OPS[_OP_INDEX[op]] for op in arch)

    # --- numbering: position in enumerate() order (product order of OPS over EDGES) --------------
    def code(self, arch: Any) -> int:
        """The arch's position in ``enumerate()`` order (base-5 digits, first edge most significant)."""
        code = 0
        for op in self.validate(arch):
            code = code * len(OPS) + _OP_INDEX[op]
        return code

    def codes_of_strings(self, texts: Sequence[str]) -> np.ndarray:
        """``code(from_string(t))`` of many texts at once (a benchmark's rows: one pattern match each)."""
        out = np.empty(len(texts), dtype=np.int64)
        for i, text in enumerate(texts):
            m = _CANONICAL.fullmatch(text)
            if m is None:  # not in the canonical form: the full parser (raises on what is not an arch)
                out[i] = self.code(parse_arch_string(text))
                continue
            code = 0
            for op in m.groups():
                code = code * 5 + _OP_INDEX[op]
            out[i] = code
        return out

    def from_code(self, code: int) -> NB201Arch:
        code = as_int(code, "an NB201 code", 0, self.size() - 1)
        digits = []
        for _ in EDGES:
            code, d = divmod(code, len(OPS))
            digits.append(OPS[d])
        return tuple(reversed(digits))

    def size(self) -> int:
        return len(OPS) ** len(EDGES)

    def enumerate(self) -> Iterator[NB201Arch]:
        return iter(itertools.product(OPS, repeat=len(EDGES)))

    # --- exploration -----------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator) -> NB201Arch:
        return tuple(OPS[i] for i in rng.integers(0, len(OPS), size=len(EDGES)))

    def mutate(self, arch: Any, rng: np.random.Generator) -> NB201Arch:
        arch = list(self.validate(arch))
        edge = int(rng.integers(len(EDGES)))
        choices = _OTHER_OPS[arch[edge]]  # the other ops, in OPS order
        arch[edge] = choices[int(rng.integers(len(choices)))]
        return tuple(arch)

    def neighbours(self, arch: Any) -> list[NB201Arch]:
        arch = self.validate(arch)
        return [arch[:e] + (op,) + arch[e + 1 :] for e in range(len(EDGES)) for op in OPS if op != arch[e]]

    def decisions(self) -> list[tuple[str, Sequence[str]]]:
        return [(f"edge {j}->{i}", OPS) for j, i in EDGES]

    def from_decisions(self, choices: Sequence[int]) -> NB201Arch:
        choices = as_choices(choices, len(EDGES), "NB201")
        return tuple(OPS[as_int(c, f"NB201 decision {i} (edge {j}->{k})", 0, len(OPS) - 1)]
                     for i, (c, (j, k)) in enumerate(zip(choices, EDGES)))

    def to_decisions(self, arch: Any) -> list[int]:
        return [_OP_INDEX[op] for op in self.validate(arch)]

    # --- isomorphism -----------------------------------------------------------------------------
    def key(self, arch: Any) -> str:
        """Canonical form, as the NB201 paper counts isomorphic cells (15,625 cells, 6,466 unique).

        Each node is written as the sorted sum of its incoming terms: a ``skip_connect`` term is its input's
        expression, another op wraps it (``(e)@op``), and ``none`` (or an op on node 1 when node 1 is zero)
        is the zero term ``#``. Cells with the same key compute the same function.
        """
        arch = self.validate(arch)
        expr = {0: "0"}
        k = 0
        for node in range(1, NUM_NODES):
            terms = []
            for j in range(node):
                op, source = arch[k + j], expr[j]
                if op == "none" or source == "#":
                    terms.append("#")
                elif op == "skip_connect":
                    terms.append(source)
                else:
                    terms.append(f"({source})@{op}")
            expr[node] = "+".join(sorted(terms))
            k += node
        return expr[NUM_NODES - 1]

    # --- views -----------------------------------------------------------------------------------
    def to_graph(self, arch: Any):
        import networkx as nx

        arch = self.validate(arch)
        g = nx.DiGraph(space=self.name, arch=arch_string(arch))
        labels = {0: "input", NUM_NODES - 1: "output"}
        for n in range(NUM_NODES):
            g.add_node(n, op=labels.get(n, "sum"), label=str(n), layer=n)
        for (j, i), op in zip(EDGES, arch):
            g.add_edge(j, i, op=op)
        return g

    def encode(self, arch: Any) -> np.ndarray:
        out = np.zeros((len(EDGES), len(OPS)), dtype=np.float32)
        for e, op in enumerate(self.validate(arch)):
            out[e, _OP_INDEX[op]] = 1.0
        return out.ravel()

    def build(self, arch: Any, num_classes: int, in_channels: int = 3, *, channels: int = 16,
              cells_per_stage: int = 5, **options: Any):
        """The NB201 network: stem, 3 stages of ``cells_per_stage`` cells with residual reduction blocks
        between them, global pooling and a linear classifier. Any input size and channel count."""
        from workbench.nn.nb201 import NB201Network

        return NB201Network(self.validate(arch), num_classes=num_classes, in_channels=in_channels,
                            channels=channels, cells_per_stage=cells_per_stage, **options)

    def supernet_options(self) -> dict[str, Any]:
        """The NB201 paper's search setting: C=16, N=5 cells per stage."""
        return {"channels": 16, "cells_per_stage": 5, "track_running_stats": True}

    def supernet(self, num_classes: int, in_channels: int = 3, **options: Any):
        """``NB201Supernet``: every edge holds all 5 ops; one (6 x 5) alpha matrix shared by all cells."""
        from workbench.nn.supernet_nb201 import NB201Supernet

        return NB201Supernet(num_classes, in_channels, **self._supernet_kwargs(options))

    def derive(self, weights: Any, ops: Sequence[str] = OPS) -> NB201Arch:
        """The op of largest weight on each edge (``none`` included, as the NB201 paper's DARTS does);
        ``weights`` is ``{"normal": (6 x ops)}`` or the matrix itself."""
        w = np.asarray(weights["normal"] if isinstance(weights, dict) else weights, dtype=np.float64)
        return self.validate(tuple(ops[int(k)] for k in w.argmax(axis=-1)))
