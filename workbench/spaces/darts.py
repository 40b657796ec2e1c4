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

import itertools
import re
from collections import namedtuple
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from workbench.errors import OutOfSpaceError
from workbench.spaces import register
from workbench.spaces._base import SearchSpace, as_choices, as_int, check_text, shorten

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
            return "[" + ", ".join(f"({p[0]!r}, {p[1]!r})" if isinstance(p, tuple) and len(p) == 2 else repr(p)
                                   for p in pairs) + "]"

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

CELL_TYPES: tuple[str, ...] = ("normal", "reduce")
GENOTYPE_OPS: tuple[str, ...] = tuple(op for op in DARTS_OPS if op != "none")
"""The 7 ops a derived genotype may hold (DARTS never derives ``none``; NB301's space has these 7)."""
_NODE_INPUT_PAIRS: tuple[tuple[tuple[int, int], ...], ...] = tuple(
    tuple(itertools.combinations(range(node + 2), 2)) for node in range(STEPS)
)  # node k (0-based) reads two distinct earlier nodes among 0..k+1


def _genotype_fail(text: Any, problem: str) -> OutOfSpaceError:
    return OutOfSpaceError(f"not a DARTS genotype: {problem}; got {shorten(text, 120)}")


# --- a small bounded reader of DARTS' genotype text (no eval, no ast: bounded time, memory and depth) -----
MAX_GENOTYPE_CHARS = 10_000  # DARTS_V2's text is 382 characters
_MAX_DEPTH = 3               # Genotype( [ ( ... ) ] )
_MAX_ITEMS = 64              # items in one list or tuple
_MAX_RANGE = 2 * STEPS + 2   # a concat range longer than this cannot be a DARTS concat list
_TOKENS = re.compile(r"""(?P<space>\s+)|(?P<name>[A-Za-z_][A-Za-z0-9_.]{0,63})|(?P<int>-?[0-9]{1,6})(?![0-9])"""
                     r"""|(?P<str>'[A-Za-z0-9_]{0,64}'|"[A-Za-z0-9_]{0,64}")|(?P<punct>[()\[\],=])""")


def _tokens(text: str) -> Iterator[tuple[str, Any, int]]:
    """``(kind, value, position)`` tokens: names, ints (at most 6 digits), quoted op names, punctuation;
    then ``("end", None, len(text))``. Lazy, so the parser reports the first thing it cannot use."""
    pos = 0
    while pos < len(text):
        m = _TOKENS.match(text, pos)
        if m is None:
            raise _genotype_fail(text, f"it does not parse: unexpected {shorten(text[pos:pos + 20], 30)} at position "
                                       f"{pos} (accepted: names, integers of at most 6 digits, quoted op names, ( ) [ ] , =)")
        kind = m.lastgroup
        if kind == "int":
            yield "int", int(m.group()), pos
        elif kind == "str":
            yield "str", m.group()[1:-1], pos
        elif kind != "space":
            yield kind, m.group(), pos
        pos = m.end()
    while True:
        yield "end", None, pos


class _GenotypeReader:
    """Recursive descent over the tokens, at most ``_MAX_DEPTH`` deep: ``Genotype(field=value, ...)`` where a
    value is an int, a quoted name, a list or tuple of values, or ``range(a, b)``."""

    def __init__(self, text: str) -> None:
        self.text, self.i = text, 0
        self._stream, self._seen = _tokens(text), []

    def token(self, i: int) -> tuple[str, Any, int]:
        while len(self._seen) <= i:
            self._seen.append(next(self._stream))
        return self._seen[i]

    def fail(self, problem: str) -> OutOfSpaceError:
        return _genotype_fail(self.text, f"it does not parse: {problem} at position {self.token(self.i)[2]}")

    def peek(self) -> tuple[str, Any, int]:
        return self.token(self.i)

    def take(self, kind: str, value: Any = None) -> Any:
        tok_kind, tok_value, _ = self.token(self.i)
        if tok_kind != kind or (value is not None and tok_value != value):
            want = repr(value) if value is not None else kind
            raise self.fail(f"expected {want}, found {shorten(tok_value, 30) if tok_kind != 'end' else 'the end'}")
        self.i += 1
        return tok_value

    def genotype(self) -> dict[str, Any]:
        name = self.take("name")
        if name.rsplit(".", 1)[-1] != "Genotype":
            raise _genotype_fail(self.text, "expected 'Genotype(normal=[...], normal_concat=[...], reduce=[...], "
                                            "reduce_concat=[...])'")
        self.take("punct", "(")
        fields: dict[str, Any] = {}
        positional = True
        while self.peek()[1] != ")":
            kind, value, _ = self.peek()
            if kind == "name" and self.token(self.i + 1)[1] == "=":
                self.i += 2
                if value not in Genotype._fields:
                    raise self.fail(f"unknown field {shorten(value, 30)}; fields: {', '.join(Genotype._fields)}")
                if value in fields:
                    raise self.fail(f"field {value!r} is given twice")
                positional = False
                key = value
            else:
                if not positional:
                    raise self.fail("a positional field after a keyword field")
                if len(fields) >= len(Genotype._fields):
                    raise self.fail(f"more than {len(Genotype._fields)} fields")
                key = Genotype._fields[len(fields)]
            fields[key] = self.value(depth=2, concat=key.endswith("_concat"))
            if self.peek()[1] != ")":
                self.take("punct", ",")
        self.take("punct", ")")
        if self.peek()[0] != "end":
            raise self.fail("text after the closing ')'")
        return fields

    def value(self, depth: int, concat: bool = False) -> Any:
        kind, value, _ = self.peek()
        if kind in ("int", "str"):
            self.i += 1
            return value
        if kind == "name" and value == "range" and concat:
            self.i += 1
            return self.range()
        if value in ("[", "(") and kind == "punct":
            if depth > _MAX_DEPTH:
                raise self.fail(f"nesting deeper than {_MAX_DEPTH} levels")
            close = "]" if value == "[" else ")"
            self.i += 1
            items = []
            while self.peek()[1] != close:
                if len(items) >= _MAX_ITEMS:
                    raise self.fail(f"more than {_MAX_ITEMS} items in one list")
                items.append(self.value(depth + 1))
                if self.peek()[1] != close:
                    self.take("punct", ",")
            self.take("punct", close)
            return items if close == "]" else tuple(items)
        what = shorten(value, 30) if kind != "end" else "end of text"
        raise self.fail(f"{what} is not a literal list of (op, input) pairs (a concat list may be range(2, 6))")

    def range(self) -> list[int]:
        self.take("punct", "(")
        args = [self.take("int")]
        while self.peek()[1] == "," and len(args) < 3:
            self.take("punct", ",")
            if self.peek()[1] == ")":
                break
            args.append(self.take("int"))
        self.take("punct", ")")
        try:
            r = range(*args)
        except ValueError as exc:  # a zero step
            raise self.fail(f"bad range{tuple(args)}: {exc}") from None
        if len(r) > _MAX_RANGE:
            raise self.fail(f"range{tuple(args)} holds {len(r):,} numbers; a DARTS concat list is "
                            f"{list(CONCAT)} (range(2, 6))")
        return list(r)


def parse_genotype(text: str) -> Genotype:
    """Read DARTS' text ``Genotype(normal=[...], normal_concat=[...], reduce=[...], reduce_concat=[...])``
    without evaluating code (positional fields are accepted too; ``range(a, b)`` in the concat fields)."""
    check_text(text, "a DARTS genotype text", "DARTS_V2's text, 'Genotype(normal=[...], ...)'", MAX_GENOTYPE_CHARS)
    if not text.strip():
        raise _genotype_fail(text, f"it is empty; expected e.g. {shorten(repr(DARTS_V2), 60)}")
    fields = _GenotypeReader(text.strip()).genotype()
    missing = [f for f in ("normal", "reduce") if f not in fields]
    if missing:
        raise _genotype_fail(text, f"missing field(s) {', '.join(missing)}")
    for name, value in fields.items():
        if not isinstance(value, (list, tuple)):
            raise _genotype_fail(text, f"{name} must be a list, got {shorten(value, 30)}")
    return Genotype(**fields)


def _bounded(value: Any, name: str, arch: Any) -> Any:
    """``value`` if it is a list, tuple or range of at most ``_MAX_ITEMS`` items (checked before it is copied)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple, range, np.ndarray)):
        raise _genotype_fail(arch, f"{name} must be a list, got {type(value).__name__}: {shorten(value, 40)}")
    if len(value) > _MAX_ITEMS:
        raise _genotype_fail(arch, f"{name} holds {len(value):,} items, expected {2 * STEPS if name in CELL_TYPES else STEPS}")
    return value


def _check_cell(genotype: Genotype, cell: str) -> None:
    pairs = getattr(genotype, cell)
    if not isinstance(pairs, tuple):
        raise _genotype_fail(genotype, f"the {cell} cell must be a list of (op, input) pairs, got {shorten(pairs, 40)}")
    if len(pairs) != 2 * STEPS:
        raise _genotype_fail(genotype, f"the {cell} cell has {len(pairs):,} (op, input) pairs, expected {2 * STEPS} (2 per node, {STEPS} nodes)")
    for k, pair in enumerate(pairs):
        node = k // 2
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise _genotype_fail(genotype, f"{cell} pair {k} is {shorten(pair, 40)}; expected (op, input)")
        op, src = pair
        if isinstance(op, str) and op == "none":
            raise _genotype_fail(genotype, f"{cell} pair {k} uses 'none', which DARTS only uses in the supernet; accepted ops: {', '.join(GENOTYPE_OPS)}")
        if not isinstance(op, str) or op not in GENOTYPE_OPS:
            raise _genotype_fail(genotype, f"unknown op {shorten(op, 40)} in {cell} pair {k}; accepted ops: {', '.join(GENOTYPE_OPS)}")
        if isinstance(src, (bool, np.bool_)) or not isinstance(src, (int, np.integer)) or not 0 <= src <= node + 1:
            raise _genotype_fail(genotype, f"{cell} pair {k} ({op!r}, {shorten(src, 30)}) feeds node {node + 2}, which may read inputs 0..{node + 1}")
    for node in range(STEPS):
        a, b = pairs[2 * node][1], pairs[2 * node + 1][1]
        if a == b:
            raise _genotype_fail(genotype, f"{cell} node {node + 2} reads input {a} twice; its two inputs must differ (DARTS keeps the top-2 distinct edges)")
    concat = getattr(genotype, f"{cell}_concat")
    if (not isinstance(concat, tuple) or len(concat) != len(CONCAT)
            or any(isinstance(c, (bool, np.bool_)) or not isinstance(c, (int, np.integer)) for c in concat)
            or tuple(int(c) for c in concat) != CONCAT):
        raise _genotype_fail(genotype, f"{cell}_concat is {shorten(list(concat) if isinstance(concat, tuple) else concat, 40)}; "
                                       f"this space concatenates all intermediate nodes {list(CONCAT)}")


def _canonical_cell(pairs: tuple) -> tuple:
    """The lexicographically smallest relabelling of a cell over orders of its intermediate nodes that keep
    every node after its inputs, with the two pairs of each node sorted: equal for isomorphic cells."""
    best = None
    nodes = [tuple(pairs[2 * k: 2 * k + 2]) for k in range(STEPS)]
    for order in itertools.permutations(range(STEPS)):
        new_index = {0: 0, 1: 1, **{old + 2: new + 2 for new, old in enumerate(order)}}
        ok = all(src < 2 or order.index(src - 2) < pos for pos, old in enumerate(order) for _, src in nodes[old])
        if not ok:
            continue
        cell = tuple(tuple(sorted((op, new_index[src]) for op, src in nodes[old])) for old in order)
        if best is None or cell < best:
            best = cell
    return tuple(p for node in best for p in node)  # type: ignore[union-attr]


@register("darts")
class DARTSSpace(SearchSpace):
    """The DARTS / NAS-Bench-301 space: a normal and a reduction cell, each of 4 nodes with 2 distinct
    inputs and 7 ops per edge (about 1e18 genotypes). ``build`` makes DARTS' evaluation network."""

    name = "darts"
    ops = GENOTYPE_OPS

    # --- text --------------------------------------------------------------------------------------
    def to_string(self, arch: Any) -> str:
        return repr(self.validate(arch))

    def from_string(self, text: str) -> Genotype:
        return self.validate(parse_genotype(text))

    def key(self, arch: Any) -> str:
        """Canonical text: equal for genotypes whose cells are isomorphic (pair order within a node, order of
        independent nodes)."""
        g = self.validate(arch)
        return repr(Genotype(_canonical_cell(g.normal), CONCAT, _canonical_cell(g.reduce), CONCAT))

    # --- membership ----------------------------------------------------------------------------------
    def validate(self, arch: Any) -> Genotype:
        """A Genotype (text, a DARTS namedtuple, a 4-tuple or a dict are accepted), or OutOfSpaceError."""
        if isinstance(arch, str):
            arch = parse_genotype(arch)
        elif isinstance(arch, dict):
            unknown = [k for k in arch if k not in Genotype._fields]
            if unknown or not {"normal", "reduce"} <= set(arch):
                raise _genotype_fail(arch, f"a genotype dict has the keys {', '.join(Genotype._fields)} "
                                           f"(normal and reduce required), got {shorten(list(arch), 60)}")
            arch = Genotype(**{k: _bounded(v, k, arch) for k, v in arch.items()})
        elif isinstance(arch, tuple) and not isinstance(arch, Genotype) and len(arch) == 4:
            arch = Genotype(*(_bounded(v, k, arch) for k, v in zip(Genotype._fields, arch)))
        elif not isinstance(arch, Genotype):
            raise OutOfSpaceError(f"a DARTS arch is a Genotype or its text, e.g. {shorten(repr(DARTS_V2), 60)}; "
                                  f"got {type(arch).__name__}: {shorten(arch)}")
        for cell in CELL_TYPES:
            _check_cell(arch, cell)
        return Genotype(*(tuple((str(op), int(src)) for op, src in getattr(arch, cell)) if cell in CELL_TYPES
                          else CONCAT for cell in Genotype._fields))

    def size(self) -> int:
        per_cell = 1
        for node in range(STEPS):
            per_cell *= len(_NODE_INPUT_PAIRS[node]) * len(GENOTYPE_OPS) ** 2
        return per_cell**2

    # --- exploration ---------------------------------------------------------------------------------
    def _sample_cell(self, rng: np.random.Generator) -> tuple:
        pairs = []
        for node in range(STEPS):
            a, b = _NODE_INPUT_PAIRS[node][int(rng.integers(len(_NODE_INPUT_PAIRS[node])))]
            ops = rng.integers(len(GENOTYPE_OPS), size=2)
            pairs += [(GENOTYPE_OPS[int(ops[0])], a), (GENOTYPE_OPS[int(ops[1])], b)]
        return tuple(pairs)

    def sample(self, rng: np.random.Generator) -> Genotype:
        """Uniform over NB301's configuration space: per node a uniform pair of distinct inputs, uniform ops."""
        return Genotype(self._sample_cell(rng), CONCAT, self._sample_cell(rng), CONCAT)

    def _edits(self, g: Genotype) -> list[Genotype]:
        out = []
        for cell in CELL_TYPES:
            pairs = list(getattr(g, cell))
            for k, (op, src) in enumerate(pairs):
                other = pairs[k ^ 1][1]
                for new_op in GENOTYPE_OPS:
                    if new_op != op:
                        out.append(g._replace(**{cell: pairs[:k] + [(new_op, src)] + pairs[k + 1:]}))
                for new_src in range(k // 2 + 2):
                    if new_src not in (src, other):
                        out.append(g._replace(**{cell: pairs[:k] + [(op, new_src)] + pairs[k + 1:]}))
        return out

    def mutate(self, arch: Any, rng: np.random.Generator) -> Genotype:
        """Change one op or one input of one edge of one cell (as NB301's and NASLib's DARTS mutation),
        giving a genotype not isomorphic to the parent."""
        g = self.validate(arch)
        parent = self.key(g)
        edits = self._edits(g)
        for i in rng.permutation(len(edits)):
            child = edits[int(i)]
            if self.key(child) != parent:
                return child
        raise RuntimeError(f"no mutation of {g!r} changes the network")  # not reachable in this space

    def neighbours(self, arch: Any) -> list[Genotype]:
        """Every genotype one op change or one input change away, one per isomorphism class."""
        g = self.validate(arch)
        return self.distinct_members(self._edits(g), exclude=g)

    # --- decisions: per cell and node, the input pair then the op of each of the two edges -------------
    def decisions(self) -> list[tuple[str, Sequence[Any]]]:
        out: list[tuple[str, Sequence[Any]]] = []
        for cell in CELL_TYPES:
            for node in range(STEPS):
                out.append((f"{cell} node {node + 2} inputs", _NODE_INPUT_PAIRS[node]))
                out.append((f"{cell} node {node + 2} op a", GENOTYPE_OPS))
                out.append((f"{cell} node {node + 2} op b", GENOTYPE_OPS))
        return out

    def from_decisions(self, choices: Sequence[int]) -> Genotype:
        expected = 2 * STEPS * 3
        choices = as_choices(choices, expected, "DARTS (per cell and node: inputs, op a, op b)")
        cells = []
        it = iter(choices)
        for cell in CELL_TYPES:
            pairs = []
            for node in range(STEPS):
                where = f"DARTS decision for {cell} node {node + 2}"
                i = as_int(next(it), f"{where} inputs", 0, len(_NODE_INPUT_PAIRS[node]) - 1)
                a = as_int(next(it), f"{where} op a", 0, len(GENOTYPE_OPS) - 1)
                b = as_int(next(it), f"{where} op b", 0, len(GENOTYPE_OPS) - 1)
                x, y = _NODE_INPUT_PAIRS[node][i]
                pairs += [(GENOTYPE_OPS[a], x), (GENOTYPE_OPS[b], y)]
            cells.append(tuple(pairs))
        return Genotype(cells[0], CONCAT, cells[1], CONCAT)

    def to_decisions(self, arch: Any) -> list[int]:
        g = self.validate(arch)
        out = []
        for cell in CELL_TYPES:
            pairs = getattr(g, cell)
            for node in range(STEPS):
                first, second = sorted(pairs[2 * node: 2 * node + 2], key=lambda p: p[1])
                out += [_NODE_INPUT_PAIRS[node].index((first[1], second[1])),
                        GENOTYPE_OPS.index(first[0]), GENOTYPE_OPS.index(second[0])]
        return out

    # --- views ---------------------------------------------------------------------------------------
    def to_graph(self, arch: Any):
        """Both cells in one DiGraph. Nodes ``"{cell}:c_{k-2}"``, ``"{cell}:c_{k-1}"``, ``"{cell}:0".."{cell}:3"``
        and ``"{cell}:c_{k}"`` carry ``op`` (input / sum / output), ``cell`` and ``layer``; edges carry the op,
        concat edges ``op="concat"``. The graph attribute ``cells`` lists the two cells for a drawer."""
        import networkx as nx

        g = self.validate(arch)
        graph = nx.DiGraph(space=self.name, arch=repr(g), cells=list(CELL_TYPES))
        for cell in CELL_TYPES:
            names = [f"{cell}:c_{{k-2}}", f"{cell}:c_{{k-1}}"] + [f"{cell}:{i}" for i in range(STEPS)]
            out = f"{cell}:c_{{k}}"
            layer = [0, 0] + [0] * STEPS
            pairs = getattr(g, cell)
            for node in range(STEPS):
                layer[node + 2] = 1 + max(layer[src] for _, src in pairs[2 * node: 2 * node + 2])
            for i, name in enumerate(names):
                graph.add_node(name, op="input" if i < 2 else "sum", cell=cell, label=name.split(":", 1)[1], layer=layer[i])
            graph.add_node(out, op="output", cell=cell, label="c_{k}", layer=max(layer) + 1)
            for k, (op, src) in enumerate(pairs):
                graph.add_edge(names[src], names[k // 2 + 2], op=op)
            for node in CONCAT:
                graph.add_edge(names[node], out, op="concat")
        return graph

    def encode(self, arch: Any) -> np.ndarray:
        """Per cell, a one-hot op (7) for each of the 14 possible edges (zeros where unused): 196 floats."""
        g = self.validate(arch)
        out = np.zeros((len(CELL_TYPES), 14, len(GENOTYPE_OPS)), dtype=np.float32)
        for c, cell in enumerate(CELL_TYPES):
            for k, (op, src) in enumerate(getattr(g, cell)):
                out[c, edge_index(k // 2, src), GENOTYPE_OPS.index(op)] = 1.0
        return out.ravel()

    def build(self, arch: Any, num_classes: int, in_channels: int = 3, *, channels: int = 36, layers: int = 20,
              **options: Any):
        """DARTS' evaluation network (36 channels, 20 cells by default; e.g. ``channels=8, layers=5`` on a CPU)."""
        from workbench.nn.darts_network import DARTSNetwork

        return DARTSNetwork(self.validate(arch), num_classes=num_classes, in_channels=in_channels,
                            channels=channels, layers=layers, **options)

    def supernet_options(self) -> dict[str, Any]:
        """DARTS' search network: C=16, 8 layers."""
        return {"channels": 16, "layers": 8, "track_running_stats": True}

    def supernet(self, num_classes: int, in_channels: int = 3, **options: Any):
        """``DARTSSupernet``: every edge of a cell holds all 8 ops; normal and reduction cells share one alpha
        matrix each (14 x 8)."""
        from workbench.nn.supernet_darts import DARTSSupernet

        return DARTSSupernet(num_classes, in_channels, **self._supernet_kwargs(options))

    def derive(self, weights: Any, ops: Sequence[str] = DARTS_OPS) -> Genotype:
        """DARTS' rule (Liu et al. 2019, sec. 2.4): per node, the two inputs whose strongest non-``none`` op
        weighs most, each with that op; pairs listed strongest first, as DARTS' ``genotype()`` does.
        ``weights`` is ``{"normal": (14 x ops), "reduce": (14 x ops)}``."""
        none = ops.index("none") if "none" in ops else None

        def cell(w) -> list[tuple[str, int]]:
            w = np.asarray(w, dtype=np.float64)
            pairs: list[tuple[str, int]] = []
            start = 0
            for i in range(2, 2 + STEPS):
                rows = w[start: start + i]
                best = []
                for j in range(i):
                    strength, neg_k = max((float(rows[j, k]), -k) for k in range(len(ops)) if k != none)
                    best.append((strength, -j, -neg_k))
                for strength, neg_j, k in sorted(best, reverse=True)[:2]:
                    pairs.append((ops[k], -neg_j))
                start += i
            return pairs

        return self.validate(Genotype(normal=cell(weights["normal"]), normal_concat=CONCAT,
                                      reduce=cell(weights["reduce"]), reduce_concat=CONCAT))


def edge_index(node: int, src: int) -> int:
    """The index (0..13) of the edge src -> intermediate node ``node`` (0-based), in NB301's numbering:
    node 0 has edges 0-1, node 1 edges 2-4, node 2 edges 5-8, node 3 edges 9-13."""
    return node * (node + 3) // 2 + src


__all__ = ["CONCAT", "DARTSSpace", "DARTS_OPS", "DARTS_V2", "GENOTYPE_OPS", "Genotype", "edge_index", "parse_genotype"]
