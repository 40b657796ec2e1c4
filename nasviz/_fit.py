"""Keep live figures sized to their output area.

A plotly ``FigureWidget`` sizes itself once, when it is first drawn, and again only on a window ``resize``
event. Drawn inside a notebook output that is still being laid out, it falls back to plotly's default width
of 700 px, wider than a half-width box at 1280 px with the file browser open, and is clipped. ``FitWidget()``
is an invisible widget that watches its output area (and the notebook around it) and sends the page a
``resize`` event whenever their size changes, and a few times after it appears, so every figure re-measures
its box; once a second it also checks that each figure is as wide as its box (a figure drawn while hidden
is not). Each dashboard carries one.
"""
from __future__ import annotations

import anywidget

_ESM = r"""
export default {
  render({ el }) {
    el.style.display = 'none';
    el.classList.add('workbench-fit');
    let timer = 0;
    const nudge = () => { clearTimeout(timer); timer = setTimeout(() => window.dispatchEvent(new Event('resize')), 80); };
    const observer = new ResizeObserver(nudge);
    let area = null, tries = 0;
    const attach = () => {
      area = el.closest('.jp-OutputArea-output') || el.closest('.output_area') || el.parentElement;
      if (!area && tries++ < 50) { setTimeout(attach, 100); return; }
      if (area) observer.observe(area);
      const notebook = el.closest('.jp-Notebook') || el.closest('.jp-WindowedPanel-outer');
      if (notebook) observer.observe(notebook);
    };
    attach();
    // a figure drawn while its box was hidden or still being laid out keeps a wrong width: check each second
    const check = () => {
      if (!area) return;
      for (const plot of area.querySelectorAll('.js-plotly-plot')) {
        const svg = plot.querySelector('.main-svg');
        const width = plot.clientWidth;
        if (svg && width > 0 && Math.abs(svg.getBoundingClientRect().width - width) > 2) { nudge(); return; }
      }
    };
    const interval = setInterval(check, 1000);
    for (const ms of [200, 800, 2000]) setTimeout(nudge, ms);
    return () => { observer.disconnect(); clearTimeout(timer); clearInterval(interval); };
  }
};
"""


class FitWidget(anywidget.AnyWidget):
    """An invisible widget that makes the figures of its page follow their output areas' size."""

    _esm = _ESM
