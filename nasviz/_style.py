"""One plot style for every nasviz figure: the ``workbench`` plotly template (white background, one font,
titles on the left, legends above the plot so they never sit under a neighbouring figure) and sizing to the
container (``autosize``, no fixed width), so figures fit a notebook's output area at any window width.

>>> fig = nasviz.style(go.Figure(...))          # a notebook's own figure in the workbench style
"""
from __future__ import annotations

import math
from typing import Any

TEMPLATE_NAME = "workbench"
FONT = dict(family="Open Sans, Helvetica, Arial, sans-serif", size=12, color="#2a3f5f")
_template: Any = None


def template():
    """The ``workbench`` plotly template (registered in ``plotly.io.templates`` on first use)."""
    global _template
    if _template is None:
        import plotly.graph_objects as go
        import plotly.io as pio

        base = pio.templates["plotly_white"]
        t = go.layout.Template(base)
        t.layout.update(font=FONT, title=dict(font=dict(size=13), x=0.01, xanchor="left", y=0.98, yanchor="top"),
                        paper_bgcolor="white", plot_bgcolor="white", autosize=True,
                        margin=dict(l=55, r=15, t=64, b=45),
                        legend=dict(orientation="h", x=0, xanchor="left", y=1.0, yanchor="bottom",
                                    bgcolor="rgba(255,255,255,0.6)", font=dict(size=11)),
                        hoverlabel=dict(font=dict(family=FONT["family"])))
        t.layout.xaxis.update(automargin=True, title=dict(standoff=6))
        t.layout.yaxis.update(automargin=True, title=dict(standoff=6))
        pio.templates[TEMPLATE_NAME] = t
        _template = t
    return _template


def style(fig, *, meta: str | None = None, height: int | None = None):
    """Apply the workbench template to ``fig`` and let it size to its container (no fixed width)."""
    fig.update_layout(template=template(), autosize=True, width=None)
    if height is not None:
        fig.update_layout(height=int(height))
    if meta is not None:
        fig.update_layout(meta=meta)
    return fig


def integer_ticks(last: float, first: float = 0.0, max_ticks: int = 10) -> dict[str, Any]:
    """Axis settings that put ticks on whole numbers only (epochs, evaluations), at most ``max_ticks``."""
    span = max(1.0, float(last) - float(first))
    step = max(1, math.ceil(span / max_ticks))
    if step > 1:  # 1, 2, 5, 10, 20, 50 ... steps read better than 3 or 7
        magnitude = 10 ** int(math.floor(math.log10(step)))
        step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= step)
    return dict(tickmode="linear", tick0=0 if step > 1 else first, dtick=step, tickformat="d")


def widget_config() -> dict[str, Any]:
    """plotly.js options of a live FigureWidget: follow the width of the window and the output area."""
    return {"responsive": True, "displaylogo": False}
