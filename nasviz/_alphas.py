"""Architecture weights of a differentiable search (DARTS and kin): ``plot_alphas(alphas) -> go.Figure``.

``alphas`` is one edges x ops matrix, or a mapping from cell type to such a matrix (DARTS: ``{"normal":
..., "reduce": ...}``), each row the softmaxed weights of one edge over the candidate ops. Each cell is a
heatmap; the op each edge would keep (the row's argmax) is marked.
"""
from __future__ import annotations

from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np


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


def _get_alphas_plot(info: AlphasInfo, title: str = "architecture weights (softmax per edge)"):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    n = len(info.cells)
    fig = make_subplots(rows=1, cols=n, subplot_titles=[c.name for c in info.cells] if n > 1 else None,
                        horizontal_spacing=0.12)
    for col, cell in enumerate(info.cells, start=1):
        fig.add_trace(go.Heatmap(z=cell.weights, x=cell.ops, y=cell.edges, coloraxis="coloraxis", name=cell.name or "alphas",
                                 hovertemplate="%{y}<br>%{x}: %{z:.3f}<extra></extra>"), row=1, col=col)
        fig.add_trace(go.Scatter(x=[cell.ops[j] for j in cell.argmax], y=cell.edges, mode="markers", name="argmax",
                                 showlegend=col == 1, marker=dict(symbol="x", size=10, color="white",
                                                                  line=dict(width=1, color="black"))),
                      row=1, col=col)
        fig.update_yaxes(autorange="reversed", row=1, col=col)
    fig.update_layout(title=dict(text=title, font=dict(size=12)), template="plotly_white",
                      height=max(260, 40 + 22 * max(len(c.edges) for c in info.cells)),
                      margin=dict(l=10, r=10, t=50, b=10), coloraxis=dict(colorscale="Viridis", cmin=0, cmax=1),
                      legend=dict(orientation="h", y=-0.2), meta="workbench-alphas")
    return fig


def plot_alphas(alphas: Any, *, ops: Sequence[str] | None = None,
                edges: Sequence[str] | Mapping[str, Sequence[str]] | None = None, logits: bool = False,
                title: str = "architecture weights (softmax per edge)"):
    """Edges x ops heatmap(s) of architecture weights, with each edge's argmax op marked."""
    return _get_alphas_plot(_get_alphas_info(alphas, ops, edges, logits), title)
