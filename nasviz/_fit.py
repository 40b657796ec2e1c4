"""Keep live figures sized to their output area.

A plotly ``FigureWidget`` sizes itself once, when it is first drawn, and again only on a window ``resize``
event. Drawn inside a notebook output that is still being laid out, it falls back to plotly's default width
of 700 px, wider than a half-width box at 1280 px with the file browser open, and is clipped. ``FitWidget()``
is an invisible widget that watches its output area (and the notebook around it) and sends the page a
``resize`` event whenever their size changes, and a few times after it appears, so every figure re-measures
its box. Each dashboard carries one.
"""
from __future__ import annotations

import anywidget

_ESM = r"""
export default {
  render({ el }) {
    el.style.display = 'none';
    let timer = 0;
    const nudge = () => { clearTimeout(timer); timer = setTimeout(() => window.dispatchEvent(new Event('resize')), 80); };
    const observer = new ResizeObserver(nudge);
    let tries = 0;
    const attach = () => {
      const area = el.closest('.jp-OutputArea-output') || el.closest('.output_area') || el.parentElement;
      if (!area && tries++ < 50) { setTimeout(attach, 100); return; }
      if (area) observer.observe(area);
      const notebook = el.closest('.jp-Notebook') || el.closest('.jp-WindowedPanel-outer');
      if (notebook) observer.observe(notebook);
    };
    attach();
    for (const ms of [200, 800, 2000]) setTimeout(nudge, ms);
    return () => { observer.disconnect(); clearTimeout(timer); };
  }
};
"""


class FitWidget(anywidget.AnyWidget):
    """An invisible widget that makes the figures of its page follow their output areas' size."""

    _esm = _ESM
