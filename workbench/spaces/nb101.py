"""The NAS-Bench-101 cell space (Ying et al., ICML 2019).

A cell is a DAG of at most 7 vertices and at most 9 edges, given as an upper-triangular 0/1 adjacency
matrix and one op per vertex. Vertex 0 is the cell input and the last vertex its output; every other
vertex is ``conv3x3-bn-relu``, ``conv1x1-bn-relu`` or ``maxpool3x3``. The Inception-like cell of the
official README (row = source vertex, column = destination)::

        in c1 c3 c3 c3 mp out
    in [ 0, 1, 1, 1, 0, 1, 0]
    c1 [ 0, 0, 0, 0, 0, 0, 1]
    c3 [ 0, 0, 0, 0, 0, 0, 1]
    c3 [ 0, 0, 0, 0, 1, 0, 0]
    c3 [ 0, 0, 0, 0, 0, 0, 1]
    mp [ 0, 0, 0, 0, 0, 0, 1]
    out[ 0, 0, 0, 0, 0, 0, 0]

Its text form here is the matrix rows joined by ``,``, a ``|``, then the ops joined by ``,``::

    0111010,0000001,0000001,0000100,0000001,0000001,0000000|input,conv1x1-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,maxpool3x3,output

``from_string`` also reads NASLib's flattened keys (49 adjacency bits then 7 op ids: 0 input, 1 output,
2 maxpool3x3, 3 conv1x1-bn-relu, 4 conv3x3-bn-relu) and JSON ``{"matrix": [[...]], "ops": [...]}``.

An arch keeps the matrix as given (as NB101's ``ModelSpec.original_matrix``), so mutation can bring
vertices back; vertices not on an input-output path are pruned before checking and hashing, as the
official API does. ``key(arch)`` is the official isomorphism-invariant MD5 graph hash (nasbench
``graph_util.hash_module``), so keys match the official ``nasbench_*.tfrecord`` rows; up to isomorphism
the space holds 423,624 cells.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import numpy as np

from workbench.errors import OutOfSpaceError
from workbench.spaces import register
from workbench.spaces._base import MAX_TEXT_CHARS, SearchSpace, as_choices, as_int, check_text, shorten

INPUT, OUTPUT = "input", "output"
CONV3X3, CONV1X1, MAXPOOL3X3 = "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"
OPS: tuple[str, ...] = (CONV3X3, CONV1X1, MAXPOOL3X3)
"""Interior ops in the official ``config['available_ops']`` order (their index is the hash label)."""
MAX_VERTICES = 7
MAX_EDGES = 9
NUM_CELLS = 423_624  # unique cells up to isomorphism (NB101 paper; nasbench generate_graphs.py)
NASLIB_OP_IDS: dict[int, str] = {0: INPUT, 1: OUTPUT, 2: MAXPOOL3X3, 3: CONV1X1, 4: CONV3X3}
_HASH_LABEL = {INPUT: -1, OUTPUT: -2, CONV3X3: 0, CONV1X1: 1, MAXPOOL3X3: 2}
_EXAMPLE = "0111010,0000001,0000001,0000100,0000001,0000001,0000000|input,conv1x1-bn-relu,...,output"
MAX_RAW_VERTICES = 32
"""Most vertices an arch may be given with (vertices off every input-output path are pruned; at most 7 stay)."""


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _as_matrix(value: Any) -> tuple[tuple[int, ...], ...]:
    """A nested sequence or 2-d integer array as a tuple of tuples of ints; integers only (no bools, floats,
    text), at most ``MAX_RAW_VERTICES`` rows and columns; OutOfSpaceError otherwise."""
    accepted = f"a square matrix of integers 0/1 with at most {MAX_RAW_VERTICES} rows"
    if isinstance(value, np.ndarray):
        if value.ndim != 2 or value.dtype.kind not in "iu":
            raise OutOfSpaceError(f"an NB101 matrix must be {accepted}, got a {value.ndim}-d {value.dtype} array")
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or len(value) > MAX_RAW_VERTICES:
        raise OutOfSpaceError(f"an NB101 matrix must be {accepted}, got {type(value).__name__}: {shorten(value)}")
    rows = []
    for i, row in enumerate(value):
        if isinstance(row, np.ndarray) and row.ndim == 1 and row.dtype.kind in "iu":
            row = row.tolist()
        if not isinstance(row, (list, tuple)) or len(row) > MAX_RAW_VERTICES:
            raise OutOfSpaceError(f"NB101 matrix row {i} must be a list of integers 0/1, got {shorten(row)}")
        for j, x in enumerate(row):
            if not _is_int(x):
                raise OutOfSpaceError(f"NB101 matrix entry [{i}][{j}] is {shorten(x, 40)} ({type(x).__name__}); "
                                      f"entries must be the integers 0 or 1")
        rows.append(tuple(int(x) for x in row))
    return tuple(rows)


def _as_ops(value: Any) -> tuple[str, ...]:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if (not isinstance(value, (list, tuple)) or len(value) > MAX_RAW_VERTICES
            or not all(isinstance(op, str) for op in value)):
        raise OutOfSpaceError(f"NB101 ops must be a list of at most {MAX_RAW_VERTICES} op names, got {shorten(value)}")
    return tuple(str(op) for op in value)


@dataclass(frozen=True)
class NB101Arch:
    """An NB101 cell: ``matrix[i][j] == 1`` is an edge i -> j; ``ops[i]`` is vertex i's op (with input/output).

    Any nested sequence or numpy array is stored as a tuple of tuples of ints; use the space's
    ``validate`` to check membership.
    """

    matrix: tuple[tuple[int, ...], ...]
    ops: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "matrix", _as_matrix(self.matrix))
        object.__setattr__(self, "ops", _as_ops(self.ops))

    @property
    def num_vertices(self) -> int:
        return len(self.ops)

    def __str__(self) -> str:
        return arch_string(self)


# --- graph functions (pure numpy / hashlib) -------------------------------------------------------
def graph_hash(matrix: Any, labels: Sequence[int]) -> str:
    """The official NB101 graph hash (``graph_util.hash_module``), reimplemented.

    Each vertex starts as the MD5 of ``str((out_degree, in_degree, label))``; then, as many rounds as
    there are vertices, it becomes the MD5 of its in-neighbours' hashes sorted and joined, ``|``, its
    out-neighbours' hashes sorted and joined, ``|``, its own hash. The cell's hash is the MD5 of
    ``str(sorted(vertex hashes))``. Labels: input -1, output -2, else the op's index in ``OPS``.
    """
    m = np.asarray(matrix).tolist()  # plain lists: numpy scalar indexing would dominate the time
    n = len(m)
    ins = [[w for w in range(n) if m[w][v]] for v in range(n)]
    outs = [[w for w in range(n) if m[v][w]] for v in range(n)]
    md5 = hashlib.md5
    hashes = [md5(str((len(outs[v]), len(ins[v]), int(labels[v]))).encode("utf-8")).hexdigest() for v in range(n)]
    for _ in range(n):
        hashes = [
            md5(("".join(sorted(hashes[w] for w in ins[v])) + "|" + "".join(sorted(hashes[w] for w in outs[v]))
                 + "|" + hashes[v]).encode("utf-8")).hexdigest()
            for v in range(n)
        ]
    return md5(str(sorted(hashes)).encode("utf-8")).hexdigest()


def prune(matrix: Any, ops: Sequence[str]) -> tuple[np.ndarray, list[str]] | None:
    """Drop vertices not on an input -> output path (as ``ModelSpec._prune``); None if none connects."""
    m = np.asarray(matrix, dtype=np.int8)
    n = m.shape[0]
    keep_from_input, frontier = {0}, [0]
    while frontier:
        top = frontier.pop()
        for v in np.flatnonzero(m[top]):
            if int(v) not in keep_from_input:
                keep_from_input.add(int(v))
                frontier.append(int(v))
    keep_to_output, frontier = {n - 1}, [n - 1]
    while frontier:
        top = frontier.pop()
        for v in np.flatnonzero(m[:, top]):
            if int(v) not in keep_to_output:
                keep_to_output.add(int(v))
                frontier.append(int(v))
    keep = sorted(keep_from_input & keep_to_output)
    if 0 not in keep or n - 1 not in keep or n < 2:
        return None
    return m[np.ix_(keep, keep)], [ops[i] for i in keep]


def arch_string(arch: NB101Arch) -> str:
    rows = ",".join("".join(str(x) for x in row) for row in arch.matrix)
    return rows + "|" + ",".join(arch.ops)


def _fail(text: Any, problem: str) -> OutOfSpaceError:
    return OutOfSpaceError(f"not an NB101 cell: {shorten(text, 120)}: {problem}")


_JSON_DEPTH = 3  # {"matrix": [[...]]}: an object, the matrix, its rows


def _json_depth(s: str) -> int:
    """The deepest nesting of JSON brackets in ``s`` outside strings (a linear scan, no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in s:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _json_refuse(what: str):
    def hook(value: str):
        raise _JSONValueRefused(f"{what} {shorten(value, 30)}")
    return hook


class _JSONValueRefused(ValueError):
    pass


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _JSONValueRefused(f"the key {shorten(k, 30)} appears twice")
        out[k] = v
    return out


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > 6:
        raise _JSONValueRefused(f"the number {shorten(text, 30)} has more than 6 digits")
    return int(text)


def _parse_json(text: str, s: str) -> NB101Arch:
    if _json_depth(s) > _JSON_DEPTH:
        raise _fail(text, f"JSON nested deeper than {_JSON_DEPTH} levels; expected "
                          '{"matrix": [[0, 1], [0, 0]], "ops": ["input", "output"]}')
    try:
        data = json.loads(s, object_pairs_hook=_json_object, parse_int=_json_int,
                          parse_float=_json_refuse("a non-integer"), parse_constant=_json_refuse("a non-number"))
    except _JSONValueRefused as exc:
        raise _fail(text, f"{exc}; the matrix holds the integers 0 and 1") from None
    except (ValueError, RecursionError) as exc:
        raise _fail(text, f"it is not valid JSON ({shorten(str(exc), 60)})") from None
    if not isinstance(data, dict) or set(data) != {"matrix", "ops"}:
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise _fail(text, f"JSON must be an object with exactly the keys 'matrix' and 'ops', got {shorten(keys)}")
    return NB101Arch(data["matrix"], data["ops"])


def parse_arch_string(text: str) -> NB101Arch:
    """Read the text form, a NASLib flattened key (49 + 7 ints) or JSON; OutOfSpaceError if malformed."""
    s = check_text(text, "an NB101 arch string", _EXAMPLE, MAX_TEXT_CHARS).strip()
    if not s:
        raise _fail(text, f"it is empty; expected 'rows|ops', e.g. {_EXAMPLE}")
    if s.startswith("{"):
        return _parse_json(text, s)
    if s[0] in "([" and "|" not in s:
        return from_naslib_key(s)
    rows_text, sep, ops_text = s.partition("|")
    if not sep:
        raise _fail(text, f"it lacks the '|' between adjacency rows and ops; expected e.g. {_EXAMPLE}")
    rows = [r.strip() for r in rows_text.split(",")]
    ops = [o.strip() for o in ops_text.split(",")]
    if len(rows) > MAX_RAW_VERTICES or len(ops) > MAX_RAW_VERTICES:
        raise _fail(text, f"{len(rows):,} rows and {len(ops):,} ops; at most {MAX_RAW_VERTICES} vertices are read")
    for r in rows:
        if not r or set(r) - {"0", "1"}:
            raise _fail(text, f"adjacency row {shorten(r, 40)} must be a string of 0s and 1s")
    return NB101Arch([[int(c) for c in r] for r in rows], ops)


_NASLIB_INT = re.compile(r"\s*-?[0-9]{1,3}\s*")


def from_naslib_key(key: str | Sequence[int]) -> NB101Arch:
    """NASLib's key: the flattened V x V adjacency then V op ids (0 input, 1 output, 2 maxpool3x3,
    3 conv1x1-bn-relu, 4 conv3x3-bn-relu); NASLib's files use V = 7, i.e. 56 ints."""
    accepted = "a NASLib key is a comma-separated list of V*V + V integers (56 for V = 7)"
    if isinstance(key, str):
        body = check_text(key, "a NASLib key", "'(0, 1, ..., 0, 2, 4, 1)'", 2_000).strip()
        if body[:1] in "([" and body[-1:] == {"(": ")", "[": "]"}.get(body[:1]):
            body = body[1:-1]
        parts = body.split(",")
        if len(parts) > 15 * 15 + 15 or not all(_NASLIB_INT.fullmatch(p) for p in parts):
            raise _fail(key, accepted)
        values = [int(x) for x in parts]
    elif isinstance(key, (list, tuple)) and len(key) <= 15 * 15 + 15 and all(_is_int(x) for x in key):
        values = [int(x) for x in key]
    else:
        raise _fail(key, accepted)
    n = next((v for v in range(2, 16) if v * v + v == len(values)), None)
    if n is None:
        raise _fail(key, f"a NASLib key has V*V + V integers (56 for V = 7), got {len(values)}")
    try:
        ops = [NASLIB_OP_IDS[i] for i in values[n * n:]]
    except KeyError as exc:
        raise _fail(key, f"unknown NASLib op id {exc.args[0]}; accepted ids: {NASLIB_OP_IDS}") from None
    return NB101Arch(np.reshape(values[: n * n], (n, n)), ops)


def to_naslib_key(arch: NB101Arch) -> str:
    """The NASLib key text of ``arch`` (the inverse of ``from_naslib_key``)."""
    ids = {op: i for i, op in NASLIB_OP_IDS.items()}
    values = [x for row in arch.matrix for x in row] + [ids[op] for op in arch.ops]
    return "(" + ", ".join(str(v) for v in values) + ")"


def pad_to(arch: NB101Arch, n: int) -> NB101Arch:
    """Embed a smaller cell in n vertices: extra vertices (conv3x3, unconnected) go before the output."""
    v = arch.num_vertices
    if v >= n:
        return arch
    m = np.zeros((n, n), dtype=np.int8)
    src = np.asarray(arch.matrix, dtype=np.int8)
    index = list(range(v - 1)) + [n - 1]
    m[np.ix_(index, index)] = src
    ops = list(arch.ops[:-1]) + [CONV3X3] * (n - v) + [OUTPUT]
    return NB101Arch(m, ops)


# --- the space --------------------------------------------------------------------------------------
@register("nb101")
class NB101Space(SearchSpace):
    """NAS-Bench-101: cells of at most 7 vertices and 9 edges, 3 ops; 423,624 unique cells.

    ``mutation_rate`` scales NB101's mutation (each of the 21 edges flips with probability rate / 7, each
    of the 5 interior ops is resampled with probability rate / 5), as in the paper's evolution code.
    """

    name = "nb101"
    ops = OPS

    def __init__(self, mutation_rate: float = 1.0) -> None:
        self.mutation_rate = mutation_rate

    def options(self) -> dict[str, Any]:
        return {"mutation_rate": self.mutation_rate}

    def __repr__(self) -> str:
        return f"NB101Space(mutation_rate={self.mutation_rate!r})"

    # --- text --------------------------------------------------------------------------------------
    def to_string(self, arch: Any) -> str:
        return arch_string(self.validate(arch))

    def from_string(self, text: str) -> NB101Arch:
        return self.validate(parse_arch_string(text))

    # --- membership ----------------------------------------------------------------------------------
    def validate(self, arch: Any) -> NB101Arch:
        """The arch as an ``NB101Arch`` (text, a ``(matrix, ops)`` pair, a dict or a nasbench ``ModelSpec``
        are accepted) or an ``OutOfSpaceError`` saying what is wrong."""
        arch = self._coerce(arch)
        m = arch.matrix
        n = len(m)
        if n < 2 or any(len(row) != n for row in m):
            raise _fail(arch_string(arch), f"the adjacency matrix must be square with at least 2 rows, got rows of lengths {[len(r) for r in m]}")
        if len(arch.ops) != n:
            raise _fail(arch_string(arch), f"{len(arch.ops)} ops for a {n}x{n} matrix; give one op per vertex")
        for i, row in enumerate(m):
            for j, x in enumerate(row):
                if x not in (0, 1):
                    raise _fail(arch_string(arch), f"matrix entry [{i}][{j}] is {shorten(x, 30)}; entries must be 0 or 1")
                if x and j <= i:
                    raise _fail(arch_string(arch), f"the matrix is not upper triangular: entry [{i}][{j}] is 1 (edges go from a lower to a higher vertex)")
        if arch.ops[0] != INPUT or arch.ops[-1] != OUTPUT:
            raise _fail(arch_string(arch), f"the first op must be 'input' and the last 'output', got {shorten(arch.ops[0], 30)} and {shorten(arch.ops[-1], 30)}")
        for i, op in enumerate(arch.ops[1:-1], start=1):
            if op not in _HASH_LABEL or op in (INPUT, OUTPUT):
                raise _fail(arch_string(arch), f"unknown op {shorten(op, 30)} at vertex {i}; accepted ops: {', '.join(OPS)}")
        pruned = prune(m, arch.ops)
        if pruned is None:
            raise _fail(arch_string(arch), "there is no path from the input to the output")
        pm, pops = pruned
        if len(pops) > MAX_VERTICES:
            raise _fail(arch_string(arch), f"too many vertices: {len(pops)} on input-output paths, at most {MAX_VERTICES}")
        if int(pm.sum()) > MAX_EDGES:
            raise _fail(arch_string(arch), f"too many edges: {int(pm.sum())} after pruning, at most {MAX_EDGES}")
        return arch

    @staticmethod
    def _coerce(arch: Any) -> NB101Arch:
        if isinstance(arch, NB101Arch):
            return arch
        if isinstance(arch, str):
            return parse_arch_string(arch)
        if isinstance(arch, dict) and set(arch) == {"matrix", "ops"}:
            return NB101Arch(arch["matrix"], arch["ops"])
        if hasattr(arch, "original_matrix") and hasattr(arch, "original_ops"):  # a nasbench ModelSpec
            return NB101Arch(arch.original_matrix, arch.original_ops)
        if isinstance(arch, (tuple, list)) and len(arch) == 2:
            return NB101Arch(arch[0], arch[1])
        raise OutOfSpaceError(
            f"an NB101 arch is an NB101Arch, its text ({_EXAMPLE}), a (matrix, ops) pair or a dict with "
            f"'matrix' and 'ops'; got {type(arch).__name__}: {shorten(arch)}"
        )

    def prune(self, arch: Any) -> NB101Arch:
        """The cell with vertices off every input-output path removed (what is built and hashed)."""
        arch = self.validate(arch)
        pm, pops = prune(arch.matrix, arch.ops)  # type: ignore[misc]
        return NB101Arch(pm, pops)

    def key(self, arch: Any) -> str:
        """The official NB101 hash of the pruned cell (equal for isomorphic cells)."""
        pruned = self.prune(arch)
        return graph_hash(pruned.matrix, [_HASH_LABEL[op] for op in pruned.ops])

    def size(self) -> int:
        return NUM_CELLS

    def enumerate(self) -> Iterator[NB101Arch]:
        """One pruned cell per isomorphism class (423,624), in the order of nasbench's generator."""
        from workbench.spaces._nb101_enumerate import unique_cells

        for matrix, labels in unique_cells():
            yield NB101Arch(matrix, [INPUT] + [OPS[i] for i in labels] + [OUTPUT])

    # --- exploration ---------------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator) -> NB101Arch:
        """Uniform over valid 7-vertex specs: random 0/1 upper triangle and random ops until valid
        (NB101's ``random_spec``)."""
        while True:
            matrix = np.triu(rng.integers(0, 2, size=(MAX_VERTICES, MAX_VERTICES)), 1)
            ops = [INPUT] + [OPS[i] for i in rng.integers(0, len(OPS), size=MAX_VERTICES - 2)] + [OUTPUT]
            arch = NB101Arch(matrix, ops)
            if self.contains(arch):
                return arch

    def mutate(self, arch: Any, rng: np.random.Generator) -> NB101Arch:
        """NB101's ``mutate_spec``: flip each edge with probability rate/7 and resample each interior op
        with probability rate/5, until the cell is valid and not isomorphic to the parent."""
        parent = pad_to(self.validate(arch), MAX_VERTICES)
        parent_key = self.key(parent)
        edge_p = self.mutation_rate / MAX_VERTICES
        op_p = self.mutation_rate / (MAX_VERTICES - 2)
        for _ in range(100_000):
            m = np.array(parent.matrix, dtype=np.int8)
            ops = list(parent.ops)
            for i, j in zip(*np.triu_indices(MAX_VERTICES, 1)):
                if rng.random() < edge_p:
                    m[i, j] = 1 - m[i, j]
            for v in range(1, MAX_VERTICES - 1):
                if rng.random() < op_p:
                    choices = [op for op in OPS if op != ops[v]]
                    ops[v] = choices[int(rng.integers(len(choices)))]
            child = NB101Arch(m, ops)
            if self.contains(child) and self.key(child) != parent_key:
                return child
        raise RuntimeError(f"no valid mutation of {arch_string(parent)} found; mutation_rate={self.mutation_rate}")

    def neighbours(self, arch: Any) -> list[NB101Arch]:
        """Every valid cell one edge flip or one op change away (7-vertex form), one per isomorphism class,
        excluding cells isomorphic to ``arch``."""
        parent = pad_to(self.validate(arch), MAX_VERTICES)
        base = np.array(parent.matrix, dtype=np.int8)
        candidates: list[NB101Arch] = []
        for i, j in zip(*np.triu_indices(MAX_VERTICES, 1)):
            m = base.copy()
            m[i, j] = 1 - m[i, j]
            candidates.append(NB101Arch(m, parent.ops))
        for v in range(1, MAX_VERTICES - 1):
            for op in OPS:
                if op != parent.ops[v]:
                    candidates.append(NB101Arch(base, parent.ops[:v] + (op,) + parent.ops[v + 1:]))
        return self.distinct_members(candidates, exclude=parent)

    # --- decisions: 21 edge bits then 5 interior ops (7-vertex form) -----------------------------------
    def decisions(self) -> list[tuple[str, Sequence[Any]]]:
        edges = [(f"edge {i}->{j}", (0, 1)) for i, j in zip(*np.triu_indices(MAX_VERTICES, 1))]
        return edges + [(f"op {v}", OPS) for v in range(1, MAX_VERTICES - 1)]

    def from_decisions(self, choices: Sequence[int]) -> NB101Arch:
        n_edges = MAX_VERTICES * (MAX_VERTICES - 1) // 2
        choices = as_choices(choices, n_edges + MAX_VERTICES - 2, "NB101 (21 edges, 5 ops)")
        bits = [as_int(c, f"NB101 edge decision {k}", 0, 1) for k, c in enumerate(choices[:n_edges])]
        m = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=np.int8)
        m[np.triu_indices(MAX_VERTICES, 1)] = bits
        ops = ([INPUT] + [OPS[as_int(c, f"NB101 op decision {v}", 0, len(OPS) - 1)] for v, c in enumerate(choices[n_edges:])]
               + [OUTPUT])
        return self.validate(NB101Arch(m, ops))

    def to_decisions(self, arch: Any) -> list[int]:
        a = self.validate(arch)
        a = pad_to(self.prune(a) if a.num_vertices > MAX_VERTICES else a, MAX_VERTICES)
        m = np.asarray(a.matrix)
        return [int(x) for x in m[np.triu_indices(MAX_VERTICES, 1)]] + [OPS.index(op) for op in a.ops[1:-1]]

    # --- views ---------------------------------------------------------------------------------------
    def to_graph(self, arch: Any):
        """The pruned cell: nodes carry ``op`` (input/output/op name), edges ``op="edge"``."""
        import networkx as nx

        pruned = self.prune(arch)
        g = nx.DiGraph(space=self.name, arch=arch_string(pruned), key=self.key(pruned))
        m = np.asarray(pruned.matrix)
        depth = [0] * len(pruned.ops)
        for j in range(len(pruned.ops)):
            preds = np.flatnonzero(m[:, j])
            depth[j] = max((depth[i] + 1 for i in preds), default=0)
        for v, op in enumerate(pruned.ops):
            g.add_node(v, op=op, label=op, layer=depth[v])
        for i, j in zip(*np.nonzero(m)):
            g.add_edge(int(i), int(j), op="edge")
        return g

    def encode(self, arch: Any) -> np.ndarray:
        """The pruned cell padded to 7 vertices: 21 upper-triangle bits, then a 3-way one-hot per interior
        vertex (all zero for padding): 36 floats."""
        pruned = self.prune(arch)
        padded = pad_to(pruned, MAX_VERTICES)
        m = np.asarray(padded.matrix, dtype=np.float32)
        onehot = np.zeros((MAX_VERTICES - 2, len(OPS)), dtype=np.float32)
        for v, op in enumerate(pruned.ops[1:-1]):
            onehot[v, OPS.index(op)] = 1.0
        return np.concatenate([m[np.triu_indices(MAX_VERTICES, 1)], onehot.ravel()])

    def build(self, arch: Any, num_classes: int, in_channels: int = 3, *, channels: int = 128,
              stacks: int = 3, cells_per_stack: int = 3, **options: Any):
        """The NB101 network: a 3x3 conv-bn-relu stem of ``channels`` (128), ``stacks`` (3) stacks of
        ``cells_per_stack`` (3) cells, a 2x2 max-pool and channel doubling between stacks, global average
        pooling and a linear classifier. Small ``channels``/``stacks`` make it quick on a CPU."""
        from workbench.nn.nb101 import NB101Network

        pruned = self.prune(arch)
        return NB101Network(np.asarray(pruned.matrix), list(pruned.ops), num_classes=num_classes,
                            in_channels=in_channels, channels=channels, stacks=stacks,
                            cells_per_stack=cells_per_stack, **options)


__all__ = ["NB101Arch", "NB101Space", "OPS", "graph_hash", "prune", "from_naslib_key", "to_naslib_key",
           "parse_arch_string", "arch_string"]
