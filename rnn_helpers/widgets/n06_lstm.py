"""Notebook 06's view: the "time step" slider over one run of a trained LSTM.

:class:`LSTMGateViewer`: the LSTM reads one adding-problem sequence; heatmaps of the input,
forget and output gates (hidden units x time) with a cursor at step t, the cell state of
the memory units over time, and bars of their gates and cell state at step t. The memory
units are chosen outside the view, over many validation sequences
(:func:`rnn_helpers.lessons.n06_lstm.memory_units`: the units whose last cell state tracks
the answer best); the run itself is :func:`rnn_helpers.lessons.n06_lstm.lstm_gate_trace`.
Everything is computed once; moving the slider only moves the cursor and the bars.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LinearSegmentedColormap

from rnn_helpers.lessons.n06_lstm import lstm_gate_trace
from rnn_helpers.widgets.base import PALETTE, BlitFigureImage, Message, ViewBox, labelled_slider

__all__ = ["LSTMGateViewer", "lstm_gate_viewer", "describe_gates_at", "unit_order"]

# Gate openness 0 ... 1 from white to the palette's blue: light = closed, dark = open.
GATE_CMAP = LinearSegmentedColormap.from_list("gate", ["#ffffff", PALETTE[0]])
MARK_COLOUR = PALETTE[1]  # orange: the two marked steps
CURSOR_COLOUR = PALETTE[7]  # black: the current step
UNIT_COLOUR = PALETTE[3]  # vermillion: the memory units (told apart by line style)
UNIT_STYLES = ["-", "--", ":", "-."]
GATE_COLOURS = {"i": PALETTE[0], "f": PALETTE[2], "o": PALETTE[4]}


def unit_order(trace: dict, memory) -> np.ndarray:
    """Rows of the heatmaps: the memory units first, then the others by mean forget gate."""
    memory = [int(u) for u in memory]
    rest = [u for u in np.argsort(-trace["f"].mean(axis=0), kind="stable") if u not in memory]
    return np.array(memory + [int(u) for u in rest])


def describe_gates_at(trace: dict, t: int, x, marks, unit: int, prediction=None) -> str:
    """A sentence on what the first memory unit (M1, hidden unit ``unit``) does at step t."""
    marks = [int(m) for m in marks]
    unit = int(unit)
    T = trace["c"].shape[0]
    c = trace["c"][:, unit]
    change = float(c[t] - (c[t - 1] if t > 0 else 0.0))
    jumps = [abs(float(c[m] - (c[m - 1] if m > 0 else 0.0))) for m in marks]
    i, f = trace["i"][t, unit], trace["f"][t, unit]
    gates = f"M1's input gate i = {i:.2f}, forget gate f = {f:.2f}"
    if t in marks:
        which = "first" if t == marks[0] else "second"
        text = (f"step {t}: the {which} marked number ({x[t, 0]:.3f}) arrives — {gates}: "
                f"M1's cell state changes by {change:+.3f}.")
    elif t < marks[0]:
        text = (f"step {t}: nothing marked yet — {gates}; M1's cell state changes by "
                f"{change:+.3f}.")
    else:
        held = abs(change) < 0.1 * max(jumps)
        text = (f"step {t}: an unmarked number — {gates}; M1's cell state changes by "
                f"{change:+.3f}" + (", a tenth of its jumps at the marks or less: what was "
                                    "written is held." if held else "."))
    if t == T - 1 and prediction is not None:
        text += (" Last step: h = o·tanh(C) goes to the linear head, which answers "
                 f"{prediction:.3f}.")
    return text


class LSTMGateViewer:
    """Slider "time step" over one LSTM run on an adding-problem input.

    Args:
        params: scratch LSTM parameters (e.g. ``params_from_torch(model.rnn)``).
        x: one input sequence (T, 2) or (T, 1, 2): values and markers.
        memory: the memory units to draw as lines and bars, M1 first (e.g.
            ``memory_units(params, x_val)["units"]``); up to four.
        target: the true sum (shown in the title), or None.
        prediction: the model's answer (shown in the title), or None.
        t: the starting step (default: the first marked step).
    """

    def __init__(self, params: dict, x, memory, target: float | None = None,
                 prediction: float | None = None, t: int | None = None):
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 3:
            x = x[:, 0]
        if x.ndim != 2 or x.shape[1] != 2:
            raise ValueError(f"x: expected one adding-problem sequence (T, 2), got {x.shape}")
        self.x = x
        self.T = T = x.shape[0]
        self.marks = [int(m) for m in np.flatnonzero(x[:, 1] > 0.5)]
        if len(self.marks) != 2:
            raise ValueError(f"x: expected exactly two marked steps, got {len(self.marks)}")
        self.trace = lstm_gate_trace(params, x)
        H = self.trace["c"].shape[1]
        self.memory = np.array([int(u) for u in memory])
        if not 1 <= len(self.memory) <= len(UNIT_STYLES) or np.any(self.memory < 0) \
                or np.any(self.memory >= H) or len(set(self.memory)) != len(self.memory):
            raise ValueError(f"memory: expected 1 to {len(UNIT_STYLES)} different hidden units "
                             f"in 0 .. {H - 1}, got {list(self.memory)}")
        self.order = unit_order(self.trace, self.memory)
        self.target, self.prediction = target, prediction
        k = len(self.memory)
        t = self.marks[0] if t is None else int(t)
        self.slider = labelled_slider("time step", 0, T - 1, 1, t, integer=True)
        self.figure = BlitFigureImage(figsize=(9.6, 7.2))
        self.message = Message()
        fig = self.figure.fig
        grid = fig.add_gridspec(5, 2, width_ratios=[3.3, 1], height_ratios=[0.7, 1, 1, 1, 1.25],
                                hspace=0.5, wspace=0.22, left=0.075, right=0.98, top=0.9,
                                bottom=0.075)
        steps = np.arange(T)
        labels = [f"M{j + 1}" for j in range(k)]
        # Input strip: the values, the marked ones in orange.
        ax_in = fig.add_subplot(grid[0, 0])
        ax_in.bar(steps, x[:, 0], width=0.8,
                  color=[MARK_COLOUR if s in self.marks else "0.7" for s in range(T)])
        ax_in.set_ylim(0, 1.05)
        ax_in.set_ylabel("x_t value")
        ax_in.set_title("input values x_t (the two marked ones in orange)", fontsize=9,
                        loc="left")
        self.axes_heat = []
        for row, (gate, name) in enumerate([("i", "input gate i"), ("f", "forget gate f"),
                                            ("o", "output gate o")], start=1):
            ax = fig.add_subplot(grid[row, 0], sharex=ax_in)
            image = ax.imshow(self.trace[gate][:, self.order].T, aspect="auto", cmap=GATE_CMAP,
                              vmin=0, vmax=1, interpolation="nearest",
                              extent=(-0.5, T - 0.5, H - 0.5, -0.5))
            ax.axhline(k - 0.5, color=PALETTE[7], lw=0.8, ls=":")
            ax.set_yticks([(k - 1) / 2, (k + H - 1) / 2], [f"M1–M{k}", "others"], fontsize=8)
            ax.set_ylabel("unit", fontsize=9)
            ax.set_title(f"{name} of each hidden unit over time", fontsize=9, loc="left")
            for m in self.marks:
                ax.plot([m], [-0.5], marker="v", color=MARK_COLOUR, ms=7, clip_on=False)
            self.axes_heat.append(ax)
        for ax in [ax_in, *self.axes_heat]:
            ax.tick_params(labelbottom=False)
        ax_in.set_xlim(-0.5, T - 0.5)
        cax = fig.add_subplot(grid[0, 1].subgridspec(3, 1, height_ratios=[1.3, 0.7, 1.6])[1])
        fig.colorbar(image, cax=cax, orientation="horizontal")
        cax.set_title("gate value: 0 closed … 1 open", fontsize=9)
        cax.tick_params(labelsize=8)
        # Cell state of the memory units over time.
        ax_c = fig.add_subplot(grid[4, 0], sharex=ax_in)
        for j, u in enumerate(self.memory):
            ax_c.plot(steps, self.trace["c"][:, u], color=UNIT_COLOUR, lw=1.6,
                      ls=UNIT_STYLES[j % len(UNIT_STYLES)], label=labels[j])
        for m in self.marks:
            ax_c.axvline(m, color=MARK_COLOUR, lw=1.0, ls="--")
        self.c_dots = ax_c.scatter(np.full(k, t), self.trace["c"][t, self.memory], s=30,
                                   color=UNIT_COLOUR, zorder=3, edgecolor="black", linewidth=0.5)
        ax_c.set_xlabel("time step t")
        ax_c.set_ylabel("cell state C_t")
        ax_c.set_title(f"cell state of the memory units M1–M{k}", fontsize=9, loc="left")
        ax_c.legend(loc="upper left", fontsize=8, ncol=k, frameon=False)
        self.cursors = [ax.axvline(t, color=CURSOR_COLOUR, lw=1.6)
                        for ax in [ax_in, *self.axes_heat, ax_c]]
        # Right column: the memory units at step t.
        right = grid[1:, 1].subgridspec(2, 1, height_ratios=[3.6, 1.25], hspace=0.32)
        ax_g = fig.add_subplot(right[0])
        width = 0.26
        pos = np.arange(k)
        self.gate_bars = {}
        for j, gate in enumerate("ifo"):
            self.gate_bars[gate] = ax_g.bar(pos + (j - 1) * width, self.trace[gate][t, self.memory],
                                            width, color=GATE_COLOURS[gate], label=gate)
        ax_g.set_ylim(0, 1.12)
        ax_g.set_xticks(pos, labels)
        ax_g.set_ylabel("gate value at step t")
        ax_g.set_title(f"gates of M1–M{k} at step t", fontsize=9)
        ax_g.legend(loc="upper center", ncol=3, fontsize=8, frameon=False, handlelength=1.0,
                    columnspacing=0.8)
        ax_cb = fig.add_subplot(right[1])
        self.c_bars = ax_cb.bar(pos, self.trace["c"][t, self.memory], color=UNIT_COLOUR)
        c_max = float(np.abs(self.trace["c"][:, self.memory]).max()) * 1.1 + 1e-9
        ax_cb.set_ylim(-c_max, c_max)
        ax_cb.axhline(0, color="0.3", lw=0.6)
        ax_cb.set_xticks(pos, labels)
        ax_cb.set_xlabel("memory unit")
        ax_cb.set_ylabel("C_t")
        ax_cb.set_title(f"cell state of M1–M{k} at step t", fontsize=9)
        fig.suptitle(self._title(), fontsize=11)
        moving = [*self.cursors, self.c_dots, *self.c_bars]
        for bars in self.gate_bars.values():
            moving.extend(bars)
        self.figure.set_dynamic(moving)
        self.slider.observe(lambda change: self.update(change["new"]), names="value")
        self.update(t)
        self.widget = ViewBox([self.slider, self.figure.widget, self.message.widget])

    def _title(self) -> str:
        text = f"An LSTM reads one adding-problem sequence of T = {self.T} steps"
        if self.target is not None and self.prediction is not None:
            text += f": target {self.target:.3f}, the LSTM answers {self.prediction:.3f}"
        return text

    def update(self, t: int) -> None:
        """Move the cursors and the bars to step t."""
        t = int(min(max(t, 0), self.T - 1))
        self.t = t
        for cursor in self.cursors:
            cursor.set_xdata([t, t])
        mem = self.memory
        for gate, bars in self.gate_bars.items():
            for bar, value in zip(bars, self.trace[gate][t, mem], strict=True):
                bar.set_height(value)
        for bar, value in zip(self.c_bars, self.trace["c"][t, mem], strict=True):
            bar.set_height(value)
        self.c_dots.set_offsets(np.column_stack([np.full(len(mem), t), self.trace["c"][t, mem]]))
        self.message.set(describe_gates_at(self.trace, t, self.x, self.marks, mem[0],
                                           self.prediction),
                         "good" if t in self.marks else "info")
        self.figure.render()


def lstm_gate_viewer(params: dict, x, memory, **kwargs):
    """Build the "time step" gate viewer and return its widget (display it in a cell)."""
    return LSTMGateViewer(params, x, memory, **kwargs).widget
