"""Draw any space's architecture graph: ``plot_architecture(space, arch) -> go.Figure``.

The space's ``to_graph(arch)`` gives a networkx DAG whose edges (and nodes) carry ``op`` labels. Nodes are
placed in layers from left to right (a node's ``layer`` attribute where the space gives one, else its
topological generation); edges that skip layers are drawn as arcs, alternately above and below, so the
six edges of an NB201 cell or the fourteen of a DARTS cell do not hide each other. Each op has one colour
and one legend entry. As in Optuna's plots, ``_get_architecture_info`` returns the plain data and
``_get_architecture_plot`` turns it into a figure; tests check the data.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

from nasviz._colors import EMPTY_OPS, op_color

_CURVE_POINTS = 21


class NodeInfo(NamedTuple):
    id: Any
    label: str
    op: str | None
    layer: int
    x: float
    y: float


class EdgeInfo(NamedTuple):
    source: Any
    target: Any
    op: str | None
    path_x: tuple[float, ...]  # the drawn line, source to target
    path_y: tuple[float, ...]
    label_x: float  # where the op's name is written
    label_y: float
    angle: float  # direction at the label, degrees clockwise from "up" (plotly's marker.angle)


class PanelInfo(NamedTuple):
    name: str  # e.g. DARTS's "normal" / "reduce" cell; "" when the graph is one piece
    y: float  # the vertical centre of the panel


class ArchitectureInfo(NamedTuple):
    title: str
    nodes: list[NodeInfo]
    edges: list[EdgeInfo]
    ops: list[str]  # edge ops in legend order (first appearance)
    panels: list[PanelInfo]


# edges that only wire things together: drawn thin, without a text label
STRUCTURAL_OPS = frozenset({"concat", "chain", "output", "input"})
_PANEL_GAP = 1.5
_TITLE_CHARS = 110


def _panels(graph) -> list[tuple[str, list]]:
    """Groups of nodes drawn one above the other: by the nodes' ``cell`` attribute (DARTS's normal and
    reduce cells) where every node has one, else by connected piece."""
    import networkx as nx

    cells = nx.get_node_attributes(graph, "cell")
    if cells and len(cells) == graph.number_of_nodes():
        groups: dict[str, list] = {}
        for node in graph.nodes:
            groups.setdefault(str(cells[node]), []).append(node)
        return list(groups.items())
    pieces = [sorted(c, key=str) for c in nx.weakly_connected_components(graph)]
    if len(pieces) <= 1:
        return [("", list(graph.nodes))]
    pieces.sort(key=lambda c: str(c[0]))
    return [(f"part {i + 1}", c) for i, c in enumerate(pieces)]


def _layers(graph) -> dict[Any, int]:
    import networkx as nx

    given = nx.get_node_attributes(graph, "layer")
    if len(given) == graph.number_of_nodes():
        return {n: int(v) for n, v in given.items()}
    if not nx.is_directed_acyclic_graph(graph):
        raise ValueError("plot_architecture draws directed acyclic graphs; this graph has a cycle")
    return {n: depth for depth, generation in enumerate(nx.topological_generations(graph)) for n in generation}


def _bezier(p0, c, p1, t: float) -> tuple[float, float]:
    a, b, d = (1 - t) ** 2, 2 * (1 - t) * t, t**2
    return a * p0[0] + b * c[0] + d * p1[0], a * p0[1] + b * c[1] + d * p1[1]


def _get_architecture_info(space: Any, arch: Any, title: str | None = None) -> ArchitectureInfo:
    """Node positions, edge paths and labels for ``space.to_graph(arch)``, as plain data."""
    graph = space.to_graph(arch)
    pos: dict[Any, tuple[float, float]] = {}
    layer_of: dict[Any, int] = {}
    panels = []
    top = 0.0
    panel_of: dict[Any, int] = {}
    for index, (name, members) in enumerate(_panels(graph)):
        panel_of.update((node, index) for node in members)
        sub = graph.subgraph(members)
        layers = _layers(sub)
        layer_of.update(layers)
        by_layer: dict[int, list] = {}
        for node in members:
            by_layer.setdefault(layers[node], []).append(node)
        height = max(len(m) for m in by_layer.values())
        local: dict[Any, float] = {}
        for layer in sorted(by_layer):
            # order a layer by the mean height of its inputs (fewer crossings), then by name
            def barycentre(node):
                ys = [local[u] for u in sub.predecessors(node) if u in local]
                return (-sum(ys) / len(ys) if ys else 0.0, str(node))

            row = sorted(by_layer[layer], key=barycentre) if layer else sorted(by_layer[layer], key=str)
            for i, node in enumerate(row):
                local[node] = (len(row) - 1) / 2 - i
        centre = top - (height - 1) / 2
        for node, y in local.items():
            pos[node] = (float(layers[node]), centre + y)
        panels.append(PanelInfo(name, centre))
        top -= height + _PANEL_GAP
    nodes = []
    for node, data in graph.nodes(data=True):
        label = str(data.get("label", node))
        nodes.append(NodeInfo(node, label, data.get("op"), layer_of[node], *pos[node]))
    nodes.sort(key=lambda n: (panel_of[n.id], n.layer, -n.y))

    # long edges become arcs; alternate their side so parallel arcs do not overlap
    def span(edge) -> int:
        return abs(layer_of[edge[1]] - layer_of[edge[0]])

    ordered = sorted(graph.edges(data=True), key=lambda e: (span(e), layer_of[e[0]], str(e[0]), str(e[1])))
    edges, ops, side = [], [], 1.0
    for u, v, data in ordered:
        p0, p1 = pos[u], pos[v]
        dx, dy = p1[0] - p0[0], p1[1] - p0[1]
        length = math.hypot(dx, dy) or 1.0
        bend = 0.0
        if span((u, v)) > 1 or (dx == 0 and dy != 0):
            bend, side = (0.45 if dy == 0 else 0.25) * max(span((u, v)), 1) * side, -side
        control = ((p0[0] + p1[0]) / 2 - bend * dy / length, (p0[1] + p1[1]) / 2 + bend * dx / length)
        points = [_bezier(p0, control, p1, i / (_CURVE_POINTS - 1)) for i in range(_CURVE_POINTS)]
        # labels past the middle, so the edges fanning out of one node do not stack their labels
        t = 0.5 if dy == 0 else 0.6
        mx, my = _bezier(p0, control, p1, t)
        tx = 2 * (1 - t) * (control[0] - p0[0]) + 2 * t * (p1[0] - control[0])
        ty = 2 * (1 - t) * (control[1] - p0[1]) + 2 * t * (p1[1] - control[1])
        angle = 90.0 - math.degrees(math.atan2(ty, tx))
        op = data.get("op")
        if op is not None and op not in ops:
            ops.append(op)
        edges.append(EdgeInfo(u, v, op, tuple(p[0] for p in points), tuple(p[1] for p in points), mx, my, angle))
    if title is None:
        title = f"{getattr(space, 'name', '')} {graph.graph.get('arch') or ''}".strip()
    if len(title) > _TITLE_CHARS:
        title = title[:_TITLE_CHARS - 1] + "…"
    return ArchitectureInfo(title, nodes, edges, ops, panels)


def _architecture_traces(info: ArchitectureInfo) -> list[dict[str, Any]]:
    """The figure's traces as plain dicts, each with a unique ``name``: one line trace per op, then
    ``ops`` (edge labels with direction arrows) and ``nodes``. The live dashboard updates them in place."""
    traces: list[dict[str, Any]] = []
    groups = [(op, [e for e in info.edges if e.op == op]) for op in info.ops]
    plain = [e for e in info.edges if e.op is None]
    if plain:
        groups.append((None, plain))
    for op, members in groups:
        xs: list = []
        ys: list = []
        for e in members:
            xs += [*e.path_x, None]
            ys += [*e.path_y, None]
        faint = op in EMPTY_OPS or op in STRUCTURAL_OPS
        traces.append(dict(type="scatter", x=xs, y=ys, mode="lines", name=op if op is not None else "edge",
                           legendgroup=op, showlegend=op is not None, hoverinfo="skip",
                           line=dict(color="#999999" if op in STRUCTURAL_OPS else op_color(op),
                                     width=1.5 if faint else 3, dash="dot" if op in EMPTY_OPS else "solid")))
    labelled = [e for e in info.edges if e.op is not None and e.op not in STRUCTURAL_OPS]
    colors = [op_color(e.op) for e in labelled]
    traces.append(dict(
        type="scatter", x=[e.label_x for e in labelled], y=[e.label_y for e in labelled], mode="markers+text",
        name="ops", showlegend=False, text=[e.op for e in labelled], textposition="top center",
        textfont=dict(size=11, color=colors), marker=dict(symbol="arrow", size=11, angle=[e.angle for e in labelled],
                                                          color=colors),
        hovertext=[f"{e.source} → {e.target}: {e.op}" for e in labelled], hoverinfo="text"))
    traces.append(dict(
        type="scatter", x=[n.x for n in info.nodes], y=[n.y for n in info.nodes], mode="markers+text", name="nodes",
        showlegend=False, text=[n.label for n in info.nodes],
        textposition=["middle center" if len(n.label) <= 3 else "bottom center" for n in info.nodes],
        marker=dict(size=30, color="white", line=dict(width=2, color=[_node_color(n.op) for n in info.nodes])),
        hovertext=[f"{n.label}: {n.op}" if n.op else n.label for n in info.nodes], hoverinfo="text"))
    return traces


def _architecture_layout(info: ArchitectureInfo) -> dict[str, Any]:
    named = [p for p in info.panels if p.name]
    annotations = [dict(x=0, xref="paper", xanchor="left", y=p.y + 0.9, yref="y", text=f"<b>{p.name}</b>",
                        showarrow=False, font=dict(size=12)) for p in named]
    span = max(n.y for n in info.nodes) - min(n.y for n in info.nodes) if info.nodes else 0.0
    from nasviz._style import template

    return dict(title=dict(text=info.title), template=template(), autosize=True,
                height=int(min(900, max(340, 100 + 70 * span))), margin=dict(l=10, r=10, t=92, b=10),
                legend=dict(title=dict(text="op"), font=dict(size=10)), annotations=annotations,
                xaxis=dict(visible=False), yaxis=dict(visible=False), meta="workbench-architecture")


def _get_architecture_plot(info: ArchitectureInfo):
    import plotly.graph_objects as go

    return go.Figure(data=_architecture_traces(info), layout=_architecture_layout(info))


def _node_color(op: str | None) -> str:
    return "#444444" if op in (None, "input", "output", "sum", "concat") else op_color(op)


def plot_architecture(space: Any, arch: Any, *, title: str | None = None):
    """The architecture graph of ``arch`` in ``space`` (any space with ``to_graph``) as a plotly figure."""
    return _get_architecture_plot(_get_architecture_info(space, arch, title))
