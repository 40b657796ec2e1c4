"""Architecture weights of a differentiable search (DARTS and kin): ``plot_alphas(alphas) -> go.Figure``.

``alphas`` is one edges x ops matrix, or a mapping from cell type to such a matrix (DARTS: ``{"normal":
..., "reduce": ...}``), each row the softmaxed weights of one edge over the candidate ops. Each cell is a
heatmap coloured by each weight's deviation from uniform (absolute weights on hover); the op each edge would
keep (the row's argmax) is marked. ``plot_alpha_history(run.epochs, edge=...)`` draws one edge's weights over
epochs.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, NamedTuple, Sequence

import numpy as np


_MIN_RANGE = 0.02  # the colour scale spans at least ±0.02 around the uniform weight


class CellAlphas(NamedTuple):
    name: str
    weights: list[list[float]]  # edges x ops, rows sum to 1
    edges: list[str]
    ops: list[str]
    argmax: list[int]  # per edge, the index of its strongest op


class AlphasInfo(NamedTuple):
    cells: list[CellAlphas]


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


#: what a one-shot strategy's distribution shows, per ``ArchDistribution.kind`` (figure titles)
KIND_TITLES = {"alphas": "architecture weights (softmax)", "probabilities": "probability of each option",
               "counts": "times each choice was trained"}


def _get_alphas_info(alphas: Any, ops: Sequence[str] | None = None,
                     edges: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
                     logits: bool = False) -> AlphasInfo:
    """Weights, labels and argmax per cell, as plain data. ``logits=True`` applies a softmax per edge first."""
    cells = dict(alphas) if isinstance(alphas, Mapping) else {"": alphas}
    if not cells:
        raise ValueError("alphas is empty; expected an edges x ops matrix or {cell: matrix}")
    out = []
    for name, matrix in cells.items():
        try:
            z = np.asarray(matrix, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"alphas of cell {name!r} are not a numeric matrix: {matrix!r}") from None
        if z.ndim != 2 or z.size == 0:
            raise ValueError(f"alphas of cell {name!r} must be a 2-D edges x ops matrix, got shape {z.shape}")
        if logits:
            z = _softmax(z)
        op_names = [str(o) for o in ops] if ops is not None and len(ops) else [f"op {j}" for j in range(z.shape[1])]
        if len(op_names) != z.shape[1]:
            raise ValueError(f"alphas of cell {name!r} have {z.shape[1]} ops per edge, but {len(op_names)} op names "
                             f"were given: {op_names}")
        cell_edges = edges.get(name) if isinstance(edges, Mapping) else edges
        edge_names = [str(e) for e in cell_edges] if cell_edges is not None and len(cell_edges) \
            else [f"edge {i}" for i in range(z.shape[0])]
        if len(edge_names) != z.shape[0]:
            raise ValueError(f"alphas of cell {name!r} have {z.shape[0]} edges, but {len(edge_names)} edge names "
                             f"were given: {edge_names}")
        if len(set(edge_names)) != len(edge_names):  # a heatmap merges equal category labels
            edge_names = [f"{i}: {e}" for i, e in enumerate(edge_names)]
        strongest = np.where(np.isnan(z), -np.inf, z).argmax(axis=1)  # NaN: a choice the row does not offer
        out.append(CellAlphas(str(name), z.tolist(), edge_names, op_names, [int(i) for i in strongest]))
    return AlphasInfo(out)


def _color_range(info: AlphasInfo) -> float:
    """Half-width of the symmetric colour range: the largest deviation from uniform, at least ``_MIN_RANGE``
    (so near-uniform weights look near-white instead of amplified noise)."""
    dev = max((abs(w - 1.0 / len(row)) for c in info.cells for row in c.weights for w in row), default=0.0)
    return max(_MIN_RANGE, float(dev))


def _deviation(cell: CellAlphas) -> list[list[float]]:
    return [[w - 1.0 / len(row) for w in row] for row in cell.weights]


def _get_alphas_plot(info: AlphasInfo, title: str = "architecture weights: deviation from uniform"):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from nasviz._style import style

    n = len(info.cells)
    fig = make_subplots(rows=1, cols=n, subplot_titles=[c.name for c in info.cells] if n > 1 else None,
                        horizontal_spacing=0.14)
    for col, cell in enumerate(info.cells, start=1):
        uniform = 1.0 / len(cell.ops)
        fig.add_trace(go.Heatmap(z=_deviation(cell), customdata=cell.weights, x=cell.ops, y=cell.edges,
                                 coloraxis="coloraxis", name=cell.name or "alphas", xgap=1, ygap=1,
                                 hovertemplate=f"%{{y}}<br>%{{x}}: weight %{{customdata:.3f}}"
                                               f" (uniform {uniform:.3f}, %{{z:+.3f}})<extra></extra>"),
                      row=1, col=col)
        fig.add_trace(go.Scatter(x=[cell.ops[j] for j in cell.argmax], y=cell.edges, mode="markers", name="kept op (argmax)",
                                 showlegend=col == 1, hoverinfo="skip",
                                 marker=dict(symbol="x-thin", size=11, color="black", line=dict(width=2, color="black"))),
                      row=1, col=col)
        fig.update_yaxes(autorange="reversed", row=1, col=col)
        fig.update_xaxes(tickangle=-30, row=1, col=col)
    m = _color_range(info)
    style(fig, meta="workbench-alphas", height=max(280, 120 + 24 * max(len(c.edges) for c in info.cells)))
    fig.update_layout(title=dict(text=title),
                      coloraxis=dict(colorscale="RdBu_r", cmin=-m, cmax=m, cmid=0.0,
                                     colorbar=dict(title=dict(text="weight −<br>uniform", side="top"),
                                                   thickness=12, len=0.9, tickformat="+.2f")))
    return fig


def plot_alphas(alphas: Any, *, ops: Sequence[str] | None = None,
                edges: Sequence[str] | Mapping[str, Sequence[str]] | None = None, logits: bool = False,
                title: str = "architecture weights: deviation from uniform"):
    """Edges x ops heatmap(s) of architecture weights, each edge's argmax op marked.

    The colour is each weight minus the uniform weight (1 / number of ops), on a symmetric scale that spans the
    largest deviation (at least ±0.02), so early, small changes show; hovering a cell gives its absolute weight.
    """
    return _get_alphas_plot(_get_alphas_info(alphas, ops, edges, logits), title)


class AlphaHistory(NamedTuple):
    cell: str
    edge: str
    ops: list[str]
    epochs: list[int]  # 1-based epoch numbers
    weights: list[list[float]]  # epochs x ops


def _record_fields(record: Any) -> tuple[int, Any, Any, Any]:
    if isinstance(record, Mapping):
        return int(record["epoch"]), record.get("alphas"), record.get("ops"), record.get("edges")
    return int(record.epoch), getattr(record, "alphas", None), getattr(record, "ops", None), getattr(record, "edges", None)


def _get_alpha_history(records: Iterable[Any], edge: int | str = 0, cell: str | None = None,
                       ops: Sequence[str] | None = None, edges: Sequence[str] | None = None) -> AlphaHistory:
    """The weights of one edge over epochs, from epoch records (``run.epochs`` or their dicts)."""
    epochs: list[int] = []
    weights: list[list[float]] = []
    label = op_names = None
    cell_name = cell
    for record in records:
        epoch, alphas, rec_ops, rec_edges = _record_fields(record)
        if not alphas:
            continue
        info = _get_alphas_info(alphas, ops or rec_ops or None, edges or rec_edges or None)
        names = [c.name for c in info.cells]
        if cell_name is None:
            cell_name = names[0]
        if cell_name not in names:
            raise ValueError(f"no cell {cell_name!r} in the alphas; cells: {', '.join(map(repr, names))}")
        c = info.cells[names.index(cell_name)]
        if isinstance(edge, str):
            matches = [i for i, e in enumerate(c.edges) if e == edge or e.endswith(f": {edge}")]
            if not matches:
                raise ValueError(f"no edge {edge!r} in cell {cell_name!r}; edges: {', '.join(c.edges)}")
            index = matches[0]
        else:
            index = int(edge)
            if not 0 <= index < len(c.edges):
                raise ValueError(f"edge index {edge!r} out of range: cell {cell_name!r} has {len(c.edges)} edges")
        label, op_names = c.edges[index], c.ops
        epochs.append(epoch + 1)
        weights.append(list(c.weights[index]))
    if label is None:
        raise ValueError("no epoch record carries architecture weights (alphas)")
    return AlphaHistory(cell_name or "", label, list(op_names), epochs, weights)


def _alpha_history_traces(h: AlphaHistory) -> list[dict[str, Any]]:
    from nasviz._colors import op_color

    return [dict(type="scatter", x=h.epochs, y=[w[j] for w in h.weights], mode="lines+markers", name=op,
                 line=dict(color=op_color(op), width=2), marker=dict(size=5),
                 hovertemplate=f"{op}<br>epoch %{{x}}: %{{y:.3f}}<extra></extra>") for j, op in enumerate(h.ops)]


def _alpha_history_title(h: AlphaHistory) -> str:
    where = f"{h.cell} cell, " if h.cell else ""
    return f"weights of edge {h.edge} ({where}uniform {1 / len(h.ops):.2f}) over epochs"


def plot_alpha_history(records: Iterable[Any], *, edge: int | str = 0, cell: str | None = None,
                       ops: Sequence[str] | None = None, edges: Sequence[str] | None = None):
    """One edge's softmaxed weights, one line per op, over the epochs of a differentiable search.
    ``records`` are ``run.epochs`` (or their dicts); ``edge`` is an index or a label such as ``"0->1"``."""
    import plotly.graph_objects as go

    from nasviz._style import integer_ticks, style

    h = _get_alpha_history(records, edge, cell, ops, edges)
    fig = go.Figure([go.Scatter(**{k: v for k, v in t.items() if k != "type"}) for t in _alpha_history_traces(h)])
    fig.add_hline(y=1 / len(h.ops), line=dict(color="#888", dash="dot", width=1))
    style(fig, meta="workbench-alpha-history", height=300)
    fig.update_layout(title=dict(text=_alpha_history_title(h)), xaxis_title="epoch", yaxis_title="weight (softmax)",
                      xaxis=integer_ticks(max(h.epochs), 1))
    return fig
