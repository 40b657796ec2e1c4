"""A live dashboard for a run: status, progress, Start / Pause / Resume / Stop, the incumbent's graph, the
search history and, for differentiable strategies, the architecture weights.

How it stays out of the search's way (see DESIGN.md, "Threads and widgets"):

- the run's worker thread only calls ``_enqueue`` (an O(1) ``deque.append``) for each event; it never
  touches a widget;
- one render loop, in its own thread, wakes every ``interval_s`` seconds (0.5 by default), takes every queued event and
  applies them together inside ``fig.batch_update()`` / ``widget.hold_sync()``, so a search that finishes
  thousands of trials a second costs a few redraws a second, not one per trial;
- the loop backs off by itself: after a redraw that took ``t`` seconds it sleeps at least ``t * backoff``
  (default 10), so drawing never takes more than about a tenth of the time, however heavy the figures or busy the
  machine (a redraw waits for the GIL too, so a busy search makes it slower and the dashboard quieter);
- button callbacks (run by the kernel's main thread) only call ``run.start()``/``pause()``/``resume()``/
  ``stop()``, or build and start a new run through ``make_run``; they never wait.
"""
from __future__ import annotations

import html
import threading
import time
from collections import deque
from typing import Any, Callable

from workbench.runs.events import FINAL_STATUSES, EpochFinished, IncumbentChanged, TrialFinished, TrialStarted

from nasviz._alphas import (KIND_TITLES, _alpha_history_title, _alpha_history_traces, _color_range, _deviation, _get_alpha_history,
                            _get_alphas_info, _get_alphas_plot)
from nasviz._architecture import _architecture_layout, _architecture_traces, _get_architecture_info
from nasviz._history import TRACE_NAMES, HistoryAccumulator, _get_history_plot
from nasviz._style import integer_ticks, style, template, widget_config

FINAL = FINAL_STATUSES
_ACTIVE = ("running", "stopping")
#: what the status line says before the first run: a click on Start waits while the kernel runs other cells
IDLE_HINT = ("<b>no run yet</b>: press Start. (Start answers once the kernel is idle: during Run All, the click "
             "waits until the cells below have run; JupyterLab's kernel indicator, top right, shows when.)")
_EPOCH_OBJECTIVES = ("val_acc", "valid_acc", "val_accuracy", "accuracy", "train_acc")


class Dashboard:
    """``Dashboard(run)`` shows and controls one run; ``Dashboard(make_run=panel.make_run, controls=panel)``
    builds a new run from a control panel each time Start is pressed. Display it as a cell's last value.

    ``interval_s`` caps the redraw rate (default twice a second); ``x`` is the history's x axis
    (``"evaluations"`` or ``"sim_seconds"``).
    """

    def __init__(self, run: Any = None, *, make_run: Callable[[], Any] | None = None, controls: Any = None,
                 interval_s: float = 0.5, x: str = "evaluations", backoff: float = 10.0) -> None:
        import ipywidgets as widgets
        import plotly.graph_objects as go

        if interval_s <= 0:
            raise ValueError(f"interval_s must be positive, got {interval_s!r}")
        if run is None and make_run is None:
            raise ValueError("a Dashboard needs a run, or make_run (a function that builds one) for its Start button")
        self.interval_s = float(interval_s)
        self.backoff = float(backoff)
        self._sleep_s = self.interval_s
        self.x_axis = x
        self.run: Any = None
        self._make_run = make_run
        self._queue: deque = deque()
        self._generation = 0
        self._render_lock = threading.RLock()
        self._render_thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._history = HistoryAccumulator(x)
        self._arch_text: str | None = None
        self._message = ""
        self._clock_s = 0.0  # the run's wall seconds, not counting pauses (as the dashboard saw it)
        self._clock_at: float | None = None
        self._since_s = 0.0  # the clock when the last trial or epoch finished
        self._in_flight: dict[str, int] = {}  # worker -> evaluations out (runs on several workers)
        self._last_status: Any = None
        #: how many redraws and events the render loop did (for tests and the overhead benchmark)
        self.renders = 0
        self.events_applied = 0
        #: CPU seconds the render loop spent drawing (what the dashboard costs the kernel)
        self.render_cpu_s = 0.0
        #: ids of the threads that changed widgets: the render loop's, and the caller's for attach()
        self.drawing_threads: set[int] = set()

        self.status = widgets.HTML(value="<b>no run</b>")
        self.status.add_class("workbench-status")  # for tests and styling: the run's status line
        self.progress = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, description="budget",
                                              layout=widgets.Layout(width="320px"))
        self.start_button = widgets.Button(description="Start", icon="play", button_style="success")
        self.pause_button = widgets.Button(description="Pause", icon="pause")
        self.resume_button = widgets.Button(description="Resume", icon="play")
        self.stop_button = widgets.Button(description="Stop", icon="stop", button_style="danger")
        self.start_button.on_click(self._on_start)
        self.pause_button.on_click(lambda _: self.run is not None and self.run.pause())
        self.resume_button.on_click(lambda _: self.run is not None and self.run.resume())
        self.stop_button.on_click(lambda _: self.run is not None and self.run.stop())
        self.architecture = go.FigureWidget(layout=dict(_architecture_layout_empty()))
        self.history = go.FigureWidget(_get_history_plot(self._history.info()))
        for fig in (self.architecture, self.history):
            fig._config = widget_config()
        # made on the first architecture weights: each FigureWidget carries plotly.js to the browser
        self.alphas: Any = None
        self.alpha_lines: Any = None
        self._alphas_shape: tuple | None = None
        self._alpha_records: list = []
        self.edge_choice = widgets.Dropdown(description="edge", options=[], layout=widgets.Layout(width="260px"),
                                            style={"description_width": "40px"})
        self.edge_choice.observe(self._on_edge, names="value")
        self._edge_chosen = False
        self.alphas_box = widgets.Box([], layout=_flex_row(display="none"))
        buttons = widgets.HBox([self.start_button, self.pause_button, self.resume_button, self.stop_button,
                                self.progress], layout=widgets.Layout(flex_flow="row wrap"))
        parts = [getattr(controls, "widget", controls)] if controls is not None else []
        parts += [buttons, self.status,
                  widgets.Box([_figure_box(self.architecture), _figure_box(self.history)], layout=_flex_row()),
                  self.alphas_box]
        from nasviz._fit import FitWidget

        self.widget = widgets.VBox(parts + [FitWidget()])
        if run is not None:
            self.attach(run)
        else:
            self._draw_controls(None)
            self.status.value = IDLE_HINT

    # --- display ---------------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # --- runs ------------------------------------------------------------------------------------
    def attach(self, run: Any) -> None:
        """Show ``run`` (new or already running); the previous run, if any, is no longer followed."""
        with self._render_lock:
            self._generation += 1
            if self._unsubscribe is not None:
                self._unsubscribe()
            self._queue.clear()
            self.run = run
            self._history = HistoryAccumulator(self.x_axis)
            self._arch_text = None
            self._message = ""
            self._clock_s = self._since_s = float(run.progress().wall_seconds)
            self._clock_at, self._last_status = time.monotonic(), run.status
            self._alpha_records = []
            self._in_flight = {}
            self._edge_chosen = False
            self._unsubscribe = run.subscribe(self._enqueue)
            self._history.extend(run.trials)  # a resumed run shows what it did before
            self.drawing_threads.add(threading.get_ident())
            with self.architecture.batch_update():  # nothing of the previous run survives: graph, title, labels
                self.architecture.data = []
                self.architecture.layout.title.text = _architecture_layout_empty()["title"]["text"]
            with self.history.batch_update():
                self.history.data[2].name = TRACE_NAMES[2]
                self.history.layout.xaxis.update(_history_x_axis(run, self.x_axis))
            self.alphas_box.layout.display = "none"
            if getattr(run, "kind", "") == "oneshot":
                # sent to the browser now, not at the first epoch, and shown at once: a figure first drawn
                # while hidden keeps plotly's default width
                self._make_alpha_figures()
                self.alphas_box.layout.display = "flex"
            for record in run.epochs:
                if record.alphas:
                    self._alpha_records.append(record)
            if self._alpha_records:
                self._draw_alphas(self._alpha_records[-1])
            self._draw_history()
            if run.best is not None:
                self._draw_architecture(run.best.arch, _incumbent_title(run.best))
            self._draw_controls(run)
            generation = self._generation
        self._render_thread = threading.Thread(target=self._loop, args=(generation,), daemon=True,
                                               name=f"nasviz-dashboard-{getattr(run, 'id', '')}")
        self._render_thread.start()

    def close(self) -> None:
        """Stop following the run (the run itself goes on)."""
        with self._render_lock:
            self._generation += 1
            if self._unsubscribe is not None:
                self._unsubscribe()
                self._unsubscribe = None

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the render loop has drawn the run's end; True if it has (for scripts and tests)."""
        thread = self._render_thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    # --- button callbacks (main thread): only call the run's methods or start a new run ------------
    def _on_start(self, _button=None) -> None:
        try:
            if self.run is not None and self.run.status == "created":
                self.run.start()
            elif self.run is None or self.run.status in FINAL:
                run = self._make_run() if self._make_run is not None else new_run_like(self.run)
                self.attach(run)
                run.start()
            self._message = ""
            with self._render_lock:
                self._tick()
                self._draw_controls(self.run)  # the click shows at once, not at the next redraw
        except Exception as exc:  # e.g. an estimator that does not fit the chosen space
            self._message = f"could not start: {type(exc).__name__}: {exc}"
            self._draw_controls(self.run)

    # --- worker thread: queue only -----------------------------------------------------------------
    def _enqueue(self, event: Any) -> None:
        self._queue.append(event)

    # --- the render loop -----------------------------------------------------------------------------
    def _loop(self, generation: int) -> None:
        while True:
            time.sleep(self._sleep_s)
            with self._render_lock:
                if generation != self._generation:
                    return
                done = self.run.status in FINAL
                cpu, wall = time.thread_time(), time.perf_counter()
                self._render()
                self.render_cpu_s += time.thread_time() - cpu
                # back off after a slow redraw, but never sleep more than 2 s (a one-off cost such as the first
                # import of networkx must not freeze the dashboard)
                self._sleep_s = min(max(2.0, self.interval_s),
                                    max(self.interval_s, (time.perf_counter() - wall) * self.backoff))
                if done and not self._queue:
                    return

    def _render(self) -> None:
        events = []
        while self._queue:
            events.append(self._queue.popleft())
        self.drawing_threads.add(threading.get_ident())
        self.renders += 1
        self.events_applied += len(events)
        incumbent = arch = alphas = None  # the latest of each in this batch of events
        new_points = False
        self._tick()
        for event in events:
            if isinstance(event, TrialStarted):
                self._in_flight[event.worker] = self._in_flight.get(event.worker, 0) + 1
                if event.previous_worker in self._in_flight:  # sent again: its first worker died
                    self._in_flight[event.previous_worker] -= 1
                    if self._in_flight[event.previous_worker] <= 0:
                        del self._in_flight[event.previous_worker]
            elif isinstance(event, TrialFinished):
                self._history.add(event.trial)
                new_points = True
                self._since_s = self._clock_s
                worker = event.trial.worker
                if worker in self._in_flight:
                    self._in_flight[worker] -= 1
                    if self._in_flight[worker] <= 0:
                        del self._in_flight[worker]
            elif isinstance(event, IncumbentChanged):
                incumbent = event.trial
            elif isinstance(event, EpochFinished):
                row = _epoch_row(event)
                if row is not None:
                    self._history.add(row)
                    new_points = True
                self._since_s = self._clock_s
                if event.arch:
                    arch = (event.arch, f"derived after epoch {event.epoch + 1}")
                if event.alphas:
                    alphas = event
                    self._alpha_records.append(event)
        if new_points:
            self._draw_history()
        if incumbent is not None:
            self._draw_architecture(incumbent.arch, _incumbent_title(incumbent))
        elif arch is not None:
            self._draw_architecture(*arch)
        if alphas is not None:
            self._draw_alphas(alphas)
        self._draw_controls(self.run)

    # --- drawing (render loop, or the caller of attach) ----------------------------------------------
    def _draw_history(self) -> None:
        import numpy as np

        h = self._history
        test_x = [x for x, t in zip(h.x, h.test_of_best) if t is not None]
        test_y = [t for t in h.test_of_best if t is not None]
        with self.history.batch_update():
            trials, best, test = self.history.data
            trials.x, trials.y = np.asarray(h.x), np.asarray(h.objective)
            best.x, best.y = np.asarray(h.x), np.asarray(h.best)
            test.x, test.y = np.asarray(test_x), np.asarray(test_y)
            wanted = f"{TRACE_NAMES[2]} ({h.test_metric})" if h.test_metric else TRACE_NAMES[2]
            if test.name != wanted:
                test.name = wanted
            x_title = "epochs" if getattr(self.run, "kind", "") == "oneshot" else \
                ("evaluations" if self.x_axis == "evaluations" else "simulated training seconds")
            if self.history.layout.xaxis.title.text != x_title:
                self.history.layout.xaxis.title.text = x_title
            y_title = "validation accuracy (%)" if h.best and _unit_of_best(self.run, h) else "validation objective"
            if self.history.layout.yaxis.title.text != y_title:
                self.history.layout.yaxis.title.text = y_title
            if h.x and self.history.layout.xaxis.range is not None and h.x[-1] > self.history.layout.xaxis.range[1]:
                self.history.layout.xaxis.update(autorange=True, range=None)  # a restored run beyond its budget

    def _draw_architecture(self, arch_text: str, title: str) -> None:
        if self.run is None:
            return
        if arch_text == self._arch_text:
            self.architecture.layout.title.text = title
            return
        first = self._arch_text is None
        self._arch_text = arch_text
        space = self.run.space
        info = _get_architecture_info(space, space.from_string(arch_text), title=title)
        traces = _architecture_traces(info)
        fig = self.architecture
        by_name = {t.name: t for t in fig.data}
        missing = [t for t in traces if t["name"] not in by_name]
        if missing:
            fig.add_traces(missing)
            by_name = {t.name: t for t in fig.data}
        wanted = {t["name"] for t in traces}
        with fig.batch_update():
            for spec in traces:  # only what changes between archs: coordinates, labels, their colours
                trace = by_name[spec["name"]]
                trace.x, trace.y = spec["x"], spec["y"]
                trace.showlegend = spec["showlegend"]
                if spec["name"] == "ops":
                    trace.text, trace.hovertext = spec["text"], spec["hovertext"]
                    trace.marker.color, trace.marker.angle = spec["marker"]["color"], spec["marker"]["angle"]
                    trace.textfont.color = spec["textfont"]["color"]
                elif spec["name"] == "nodes":
                    trace.text, trace.hovertext = spec["text"], spec["hovertext"]
                    trace.textposition = spec["textposition"]
                    trace.marker.line.color = spec["marker"]["line"]["color"]
            for name, trace in by_name.items():
                if name not in wanted:  # an op the new incumbent does not use
                    trace.x, trace.y, trace.showlegend = [], [], False
            if first:  # the layout (template, axes, size) once; afterwards only what differs
                fig.layout.update(_architecture_layout(info))
            else:
                layout = _architecture_layout(info)
                fig.layout.title.text = title
                fig.layout.height = layout["height"]
                fig.layout.annotations = layout["annotations"]

    def _draw_alphas(self, event: Any) -> None:
        info = _get_alphas_info(event.alphas, ops=event.ops or None, edges=event.edges or None)
        kind = event.distribution.kind if getattr(event, "distribution", None) is not None else "alphas"
        title = f"{KIND_TITLES[kind]} after epoch {event.epoch + 1}: deviation from uniform"
        shape = tuple((c.name, len(c.edges), len(c.ops)) for c in info.cells)
        if shape != self._alphas_shape:
            fresh = _get_alphas_plot(info, title=title)
            self._make_alpha_figures()
            with self.alphas.batch_update():
                self.alphas.data = []
            self.alphas.add_traces(fresh.data)
            self.alphas.layout = fresh.layout
            self._alphas_shape = shape
            first = info.cells[0]
            options = [(f"{first.name} {e}" if first.name else e, i) for i, e in enumerate(first.edges)]
            self.edge_choice.unobserve(self._on_edge, names="value")
            try:
                self.edge_choice.options = options
                self.edge_choice.value = self._default_edge(info)
            finally:
                self.edge_choice.observe(self._on_edge, names="value")
            self._edge_chosen = False
        else:
            m = _color_range(info)
            with self.alphas.batch_update():
                for i, cell in enumerate(info.cells):
                    self.alphas.data[2 * i].z = _deviation(cell)
                    self.alphas.data[2 * i].customdata = cell.weights
                    self.alphas.data[2 * i + 1].x = [cell.ops[j] for j in cell.argmax]
                self.alphas.layout.coloraxis.update(cmin=-m, cmax=m)
                self.alphas.layout.title.text = title
            if not self._edge_chosen:
                self._set_edge(self._default_edge(info))
        self._draw_alpha_lines()
        self.alphas_box.layout.display = "flex"

    def _make_alpha_figures(self) -> None:
        """The heatmap and the edge-over-epochs figures (empty until the first architecture weights)."""
        if self.alphas is not None:
            return
        import plotly.graph_objects as go

        self.alphas = go.FigureWidget()
        style(self.alphas, meta="workbench-alphas", height=300)
        self.alphas.update_layout(title=dict(text="architecture weights: shown after the first epoch"),
                                  xaxis=dict(visible=False), yaxis=dict(visible=False))
        self.alphas._config = widget_config()
        self.alpha_lines = go.FigureWidget()
        self.alpha_lines._config = widget_config()
        style(self.alpha_lines, meta="workbench-alpha-history", height=300)
        self.alpha_lines.update_layout(xaxis_title="epoch", yaxis_title="weight (softmax)")
        lines = _vbox([self.edge_choice, self.alpha_lines])
        self.alphas_box.children = (_figure_box(self.alphas, basis="460px"), _figure_box(lines))

    @staticmethod
    def _default_edge(info) -> int:
        """The edge whose weights moved most (until the user picks one)."""
        cell = info.cells[0]
        spreads = [max(row) - min(row) for row in cell.weights]
        return int(max(range(len(spreads)), key=spreads.__getitem__))

    def _set_edge(self, index: int) -> None:
        if self.edge_choice.value != index:
            self.edge_choice.unobserve(self._on_edge, names="value")
            try:
                self.edge_choice.value = index
            finally:
                self.edge_choice.observe(self._on_edge, names="value")

    def _on_edge(self, _change=None) -> None:  # the user picked an edge (main thread)
        self._edge_chosen = True
        with self._render_lock:
            self._draw_alpha_lines()

    def _draw_alpha_lines(self) -> None:
        if self.alpha_lines is None or not self._alpha_records or self.edge_choice.value is None:
            return
        cell = next(iter(self._alpha_records[-1].alphas), None) if isinstance(self._alpha_records[-1].alphas, dict) \
            else None
        h = _get_alpha_history(self._alpha_records, edge=int(self.edge_choice.value), cell=cell)
        traces = _alpha_history_traces(h)
        fig = self.alpha_lines
        with fig.batch_update():
            if len(fig.data) != len(traces) or [t.name for t in fig.data] != [t["name"] for t in traces]:
                fig.data = []
                fig.add_traces(traces)
            else:
                for trace, spec in zip(fig.data, traces):
                    trace.x, trace.y = spec["x"], spec["y"]
            fig.layout.title.text = _alpha_history_title(h)
            fig.layout.xaxis.update(range=[0.5, max(h.epochs[-1], _budget_epochs(self.run)) + 0.5],
                                    **integer_ticks(max(h.epochs[-1], _budget_epochs(self.run)), 1))
            fig.layout.shapes = [dict(type="line", xref="paper", x0=0, x1=1, y0=1 / len(h.ops), y1=1 / len(h.ops),
                                      line=dict(color="#888", dash="dot", width=1))]

    def _tick(self) -> None:
        """Advance the dashboard's clock while the run runs (a paused run's clock stands still)."""
        now = time.monotonic()
        status = self.run.status if self.run is not None else None
        # a run that ended since the last tick was running until then
        if self._clock_at is not None and (status in _ACTIVE or self._last_status in _ACTIVE):
            self._clock_s += now - self._clock_at
        self._clock_at, self._last_status = now, status

    def _draw_controls(self, run: Any) -> None:
        status = run.status if run is not None else "no run"
        can_new = run is None or status in FINAL
        with self.status.hold_sync(), self.progress.hold_sync():
            self.start_button.disabled = not (status == "created" or can_new)
            self.start_button.description = "Start again" if run is not None and status in FINAL else "Start"
            self.pause_button.disabled = status != "running"
            self.resume_button.disabled = status != "paused"
            self.stop_button.disabled = status not in ("running", "paused")
            self.progress.value = float(run.fraction_done()) if run is not None else 0.0
            self.status.value = self._status_html(run)

    def _status_html(self, run: Any) -> str:
        if run is None:
            text = IDLE_HINT
        else:
            h = self._history
            oneshot = getattr(run, "kind", "") == "oneshot"
            unit = "epochs" if oneshot else "evaluations"
            count = len(h.x) + h.failed
            best = f" · best {h.best[-1]:.2f}{_unit_of_best(run, h)}" if h.best else ""
            failed = f" ({h.failed} failed)" if h.failed else ""
            if run.status == "created":
                text = IDLE_HINT.replace("no run yet", "created", 1)
            else:
                text = f"<b>{html.escape(run.status)}</b> · {count} {unit}{failed}{best} · {self._clock_s:.1f} s"
            if self._in_flight and run.status in ("running", "paused", "stopping"):
                per_worker = ", ".join(f"{html.escape(w)}: {n}" for w, n in sorted(self._in_flight.items()))
                text += f" · in flight {sum(self._in_flight.values())} ({per_worker})"
            elif run.status in ("running", "stopping") and self._clock_s - self._since_s >= 1.0:
                what = f"epoch {count + 1}" if oneshot else f"trial {count}"
                text += f" · {what} running for {self._clock_s - self._since_s:.0f} s"
            elif run.status == "paused":
                text += " · paused (the clock stands still)"
            text += f" · run {html.escape(str(getattr(run, 'id', '')))}"
            error = getattr(run, "error", None)
            if run.status == "failed" and error is not None:
                text += f"<br><span style='color:#c00'>{html.escape(f'{type(error).__name__}: {error}')}</span>"
            if run.status in FINAL:
                text += "<br><i>Start again runs a new search with the same settings.</i>"
        if self._message:
            text += f"<br><span style='color:#c00'>{html.escape(self._message)}</span>"
        return text


def new_run_like(run: Any):
    """A new, unstarted run with the settings ``run`` recorded (space, strategy, estimator, budget, seed, store)."""
    from workbench.runs import Run

    cfg = run.config
    kwargs: dict[str, Any] = dict(space=dict(cfg["space"]), budget=cfg["budget"], seed=cfg["seed"], store=run.store,
                                  name=getattr(run, "name", None))
    if "strategy" in cfg:
        kwargs["strategy"] = dict(cfg["strategy"])
    else:
        kwargs["searcher"], kwargs["estimator"] = dict(cfg["searcher"]), dict(cfg["estimator"])
    return Run(**kwargs)


def _vbox(children):
    import ipywidgets as widgets

    return widgets.VBox(children, layout=widgets.Layout(width="100%"))


def _flex_row(**extra):
    """A row of boxes that wraps when the output area is narrow (figures stack instead of being clipped)."""
    import ipywidgets as widgets

    return widgets.Layout(display=extra.pop("display", "flex"), flex_flow="row wrap", width="100%",
                          align_items="flex-start", **extra)


def _figure_box(child, basis: str = "380px"):
    import ipywidgets as widgets

    # a column: the figure inside is stretched to the box's width (in a row it would keep its drawn width)
    return widgets.VBox([child], layout=widgets.Layout(flex=f"1 1 {basis}", min_width="0", width="auto",
                                                       overflow="hidden", align_items="stretch"))


def _budget_epochs(run: Any) -> int:
    return int(getattr(getattr(run, "budget", None), "epochs", None) or 0)


def _history_x_axis(run: Any, x_axis: str) -> dict:
    """The history's x range: the whole budget from the start (so every evaluation is in view), else automatic."""
    budget = getattr(run, "budget", None)
    if getattr(run, "kind", "") == "oneshot" and getattr(budget, "epochs", None):
        return dict(autorange=False, range=[0.5, budget.epochs + 0.5], **integer_ticks(budget.epochs, 1))
    if x_axis == "evaluations" and getattr(budget, "evaluations", None):
        return dict(autorange=False, range=[0, budget.evaluations * 1.02 + 0.5], **integer_ticks(budget.evaluations))
    return dict(autorange=True, range=None, tickmode="auto", dtick=None, tick0=None)


def _unit_of_best(run: Any, h: HistoryAccumulator) -> str:
    """" %" when the best objective is one of the incumbent's accuracy metrics (they are in percent)."""
    value = h.best[-1]
    return " %" if any("acc" in k and isinstance(v, (int, float)) and v == value and v > 1.0
                       for k, v in h.best_metrics.items()) else ""


def _architecture_layout_empty() -> dict:
    return dict(template=template(), autosize=True, height=360, margin=dict(l=10, r=10, t=92, b=10),
                title=dict(text="incumbent: none yet"), xaxis=dict(visible=False),
                yaxis=dict(visible=False), meta="workbench-architecture")


def _incumbent_title(trial: Any) -> str:
    return f"incumbent: trial {trial.number}, objective {trial.objective:.2f}"


def _epoch_row(event: Any) -> dict | None:
    """An epoch of a one-shot run as a history row (x = epoch number, y = its validation accuracy)."""
    metrics = dict(event.metrics or {})
    key = next((k for k in _EPOCH_OBJECTIVES if isinstance(metrics.get(k), (int, float))), None)
    if key is None:
        return None
    return {"number": int(event.epoch), "arch": event.arch, "objective": float(metrics[key]), "metrics": metrics,
            "sim_time_s": 0.0}
