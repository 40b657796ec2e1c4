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

import ast
import itertools
from collections import namedtuple
from typing import Any, Iterable, Sequence

import numpy as np

from workbench.errors import OutOfSpaceError
from workbench.spaces import register
from workbench.spaces._base import SearchSpace

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
    return OutOfSpaceError(f"not a DARTS genotype: {problem}; got {text!r}")


def _literal(node: ast.AST, text: str) -> Any:
    """A literal list/tuple, or ``range(a, b)`` as DARTS' search code prints concat lists."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" and not node.keywords:
        try:
            return list(range(*[ast.literal_eval(a) for a in node.args]))
        except (ValueError, TypeError):
            raise _genotype_fail(text, f"bad range {ast.unparse(node)!r}") from None
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise _genotype_fail(text, f"{ast.unparse(node)!r} is not a literal list of (op, input) pairs") from None


def parse_genotype(text: str) -> Genotype:
    """Read DARTS' text ``Genotype(normal=[...], normal_concat=[...], reduce=[...], reduce_concat=[...])``
    without evaluating code (positional fields are accepted too)."""
    if not isinstance(text, str):
        raise OutOfSpaceError(f"a DARTS genotype text must be str, got {type(text).__name__}: {text!r}")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise _genotype_fail(text, f"it does not parse ({exc.msg}); expected {DARTS_V2!r}") from None
    if not (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id == "Genotype"):
        raise _genotype_fail(text, "expected 'Genotype(normal=[...], normal_concat=[...], reduce=[...], reduce_concat=[...])'")
    fields = dict(zip(Genotype._fields, (_literal(a, text) for a in tree.args)))
    for kw in tree.keywords:
        if kw.arg not in Genotype._fields:
            raise _genotype_fail(text, f"unknown field {kw.arg!r}; fields: {', '.join(Genotype._fields)}")
        fields[kw.arg] = _literal(kw.value, text)
    missing = [f for f in ("normal", "reduce") if f not in fields]
    if missing:
        raise _genotype_fail(text, f"missing field(s) {', '.join(missing)}")
    try:
        return Genotype(**fields)
    except TypeError as exc:
        raise _genotype_fail(text, str(exc)) from None


def _check_cell(genotype: Genotype, cell: str) -> None:
    pairs = getattr(genotype, cell)
    if not isinstance(pairs, tuple):
        raise _genotype_fail(genotype, f"the {cell} cell must be a list of (op, input) pairs, got {pairs!r}")
    if len(pairs) != 2 * STEPS:
        raise _genotype_fail(genotype, f"the {cell} cell has {len(pairs)} (op, input) pairs, expected {2 * STEPS} (2 per node, {STEPS} nodes)")
    for k, pair in enumerate(pairs):
        node = k // 2
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise _genotype_fail(genotype, f"{cell} pair {k} is {pair!r}; expected (op, input)")
        op, src = pair
        if op == "none":
            raise _genotype_fail(genotype, f"{cell} pair {k} uses 'none', which DARTS only uses in the supernet; accepted ops: {', '.join(GENOTYPE_OPS)}")
        if op not in GENOTYPE_OPS:
            raise _genotype_fail(genotype, f"unknown op {op!r} in {cell} pair {k}; accepted ops: {', '.join(GENOTYPE_OPS)}")
        if isinstance(src, bool) or not isinstance(src, (int, np.integer)) or not 0 <= src <= node + 1:
            raise _genotype_fail(genotype, f"{cell} pair {k} ({op!r}, {src!r}) feeds node {node + 2}, which may read inputs 0..{node + 1}")
    for node in range(STEPS):
        a, b = pairs[2 * node][1], pairs[2 * node + 1][1]
        if a == b:
            raise _genotype_fail(genotype, f"{cell} node {node + 2} reads input {a} twice; its two inputs must differ (DARTS keeps the top-2 distinct edges)")
    concat = getattr(genotype, f"{cell}_concat")
    if tuple(concat) != CONCAT:
        raise _genotype_fail(genotype, f"{cell}_concat is {list(concat)}; this space concatenates all intermediate nodes {list(CONCAT)}")


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
            try:
                arch = Genotype(**arch)
            except TypeError as exc:
                raise _genotype_fail(arch, str(exc)) from None
        elif isinstance(arch, tuple) and not isinstance(arch, Genotype) and len(arch) == 4:
            try:
                arch = Genotype(*arch)
            except TypeError as exc:
                raise _genotype_fail(arch, str(exc)) from None
        elif not isinstance(arch, Genotype):
            raise OutOfSpaceError(
                f"a DARTS arch is a Genotype or its text, e.g. {DARTS_V2!r}; got {type(arch).__name__}: {arch!r}")
        for cell in CELL_TYPES:
            _check_cell(arch, cell)
        return arch._replace(**{cell: [(op, int(src)) for op, src in getattr(arch, cell)] for cell in CELL_TYPES})

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
        if len(choices) != expected:
            raise OutOfSpaceError(f"DARTS needs {expected} decisions (per cell and node: inputs, op a, op b), got {len(choices)}")
        cells = []
        it = iter(int(c) for c in choices)
        for cell in CELL_TYPES:
            pairs = []
            for node in range(STEPS):
                i, a, b = next(it), next(it), next(it)
                if not (0 <= i < len(_NODE_INPUT_PAIRS[node]) and 0 <= a < len(GENOTYPE_OPS) and 0 <= b < len(GENOTYPE_OPS)):
                    raise OutOfSpaceError(f"DARTS decisions for {cell} node {node + 2} out of range: inputs {i} "
                                          f"(0..{len(_NODE_INPUT_PAIRS[node]) - 1}), ops {a}, {b} (0..{len(GENOTYPE_OPS) - 1})")
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
