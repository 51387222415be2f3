"""Views of gated cells: the LSTM's gates over one run (06) and the GRU's update gate (07).

- :class:`LSTMGateViewer`, slider "time step": a trained LSTM reads one adding-problem
  sequence; heatmaps of the input, forget and output gates (hidden units x time) with a
  cursor at step t, the cell state of the units that store the marked numbers, and bars
  of their gates and cell state at step t. Everything is computed once; moving the
  slider only moves the cursor and the bars.
- :class:`UpdateGateMemoryView`, slider "update gate bias": how much of its initial
  state a GRU still holds after t steps, measured on a scratch GRU run and predicted by
  z^t with z = sigmoid(b_z).
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.colors import LinearSegmentedColormap

from rnn_helpers.cells import (
    gru_survival,
    half_life,
    lstm_gate_trace,
    measured_half_life,
    memory_units,
)
from rnn_helpers.scratch import init_rnn_params
from rnn_helpers.seed import SEED
from rnn_helpers.widgets.base import PALETTE, BlitFigureImage, Message, ViewBox, labelled_slider

__all__ = [
    "LSTMGateViewer",
    "lstm_gate_viewer",
    "describe_gates_at",
    "UpdateGateMemoryView",
    "update_gate_view",
    "describe_survival",
]

# Gate openness 0 ... 1 from white to the palette's blue: light = closed, dark = open.
GATE_CMAP = LinearSegmentedColormap.from_list("gate", ["#ffffff", PALETTE[0]])
MARK_COLOUR = PALETTE[1]  # orange: the two marked steps
CURSOR_COLOUR = PALETTE[7]  # black: the current step
UNIT_COLOUR = PALETTE[3]  # vermillion: the memory units (told apart by line style)
UNIT_STYLES = ["-", "--", ":", "-."]
GATE_COLOURS = {"i": PALETTE[0], "f": PALETTE[2], "o": PALETTE[4]}


# --------------------------------------------------------------------------- LSTM (06)


def unit_order(trace: dict, memory: np.ndarray) -> np.ndarray:
    """Rows of the heatmaps: the memory units first, then the others by mean forget gate."""
    memory = [int(u) for u in memory]
    rest = [u for u in np.argsort(-trace["f"].mean(axis=0), kind="stable") if u not in memory]
    return np.array(memory + [int(u) for u in rest])


def describe_gates_at(trace: dict, t: int, x, marks, memory, prediction=None) -> str:
    """A sentence on what the memory units do at step t: write, hold, or hand over."""
    marks = [int(m) for m in marks]
    memory = [int(u) for u in memory]
    T = trace["c"].shape[0]
    i = float(trace["i"][t, memory].mean())
    f = float(trace["f"][t, memory].mean())
    c = trace["c"][:, memory]
    prev = c[t - 1] if t > 0 else np.zeros(len(memory))
    dc = float(np.abs(c[t] - prev).mean())
    gates = f"i = {i:.2f}, f = {f:.2f}"
    if t in marks:
        which = "first" if t == marks[0] else "second"
        text = (f"step {t}: the {which} marked number ({x[t, 0]:.3f}) arrives — {gates}: "
                f"the memory units' cell state jumps by {dc:.2f} on average.")
    elif t < marks[0]:
        text = (f"step {t}: nothing marked yet ({gates}); the memory units' cell state "
                f"moves by {dc:.3f}.")
    else:
        text = (f"step {t}: an unmarked number ({gates}); the memory units' cell state moves "
                f"by only {dc:.3f}: what was written at the marks is held.")
    if t == T - 1 and prediction is not None:
        text += (" Last step: h = o·tanh(C) goes to the linear head, which answers "
                 f"{prediction:.3f}.")
    return text


class LSTMGateViewer:
    """Slider "time step" over one LSTM run on an adding-problem input.

    Args:
        params: scratch LSTM parameters (e.g. ``params_from_torch(model.rnn)``).
        x: one input sequence (T, 2) or (T, 1, 2): values and markers.
        target: the true sum (shown in the title), or None.
        prediction: the model's answer (shown in the title), or None.
        k: how many memory units to draw as lines and bars.
        t: the starting step (default: the first marked step).
    """

    def __init__(self, params: dict, x, target: float | None = None,
                 prediction: float | None = None, k: int = 4, t: int | None = None):
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
        self.memory = memory_units(self.trace, self.marks, k)
        self.order = unit_order(self.trace, self.memory)
        self.target, self.prediction = target, prediction
        H = self.trace["c"].shape[1]
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
        self.message.set(describe_gates_at(self.trace, t, self.x, self.marks, mem, self.prediction),
                         "good" if t in self.marks else "info")
        self.figure.render()


def lstm_gate_viewer(params: dict, x, **kwargs):
    """Build the "time step" gate viewer and return its widget (display it in a cell)."""
    return LSTMGateViewer(params, x, **kwargs).widget


# --------------------------------------------------------------------------- GRU (07)


def describe_survival(result: dict) -> str:
    """'b_z = 2.00, z ≈ 0.88: half of the memory survives 5.4 steps (z^t predicts 5.5).'"""
    z = float(result["predicted"][0])
    b_z = math.log(z / (1.0 - z)) if 0.0 < z < 1.0 else (math.inf if z >= 1.0 else -math.inf)
    steps = len(result["kept"])
    predicted = half_life(z)
    measured = measured_half_life(result["kept"])
    head = f"update gate bias {b_z:.2f}, z = sigmoid(b_z) ≈ {z:.3f}"
    if math.isfinite(measured):
        n = max(measured, 0.0)
        return (f"{head}: half of the memory survives {n:.1f} steps "
                f"(the prediction z^t says {predicted:.1f}).")
    left = float(result["kept"][-1])
    return (f"{head}: half of the memory survives {predicted:.0f} steps by z^t — longer than "
            f"the {steps} steps run here, after which {left:.0%} is still there.")


class UpdateGateMemoryView:
    """Slider "update gate bias": the fraction of its initial state a GRU keeps after t steps.

    Args:
        b_z: starting value of the update gate's bias.
        steps: how many steps the GRU runs.
        hidden_size, seed: the scratch GRU (``init_rnn_params(1, H, seed, "gru")``) and the
            N(0, 1) inputs it reads (see :func:`rnn_helpers.cells.gru_survival`); seed None
            means the course seed ``rnn_helpers.SEED``.
    """

    B_MIN, B_MAX = -3.0, 6.0

    def __init__(self, b_z: float = 2.0, steps: int = 80, hidden_size: int = 8,
                 seed: int | None = None):
        self.steps = steps
        self.seed = SEED if seed is None else int(seed)
        self.params = init_rnn_params(1, hidden_size, seed=seed, kind="gru")
        self.slider = labelled_slider("update gate bias", self.B_MIN, self.B_MAX, 0.25, b_z)
        self.figure = BlitFigureImage(figsize=(9.0, 3.4))
        self.message = Message()
        fig = self.figure.fig
        ax_z, ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 2.4]})
        b = np.linspace(self.B_MIN - 0.5, self.B_MAX + 0.5, 200)
        ax_z.plot(b, 1 / (1 + np.exp(-b)), color=PALETTE[7], lw=1.2)
        (self.z_dot,) = ax_z.plot([b_z], [0.5], "o", color=PALETTE[3], ms=8)
        ax_z.set_xlabel("update gate bias b_z")
        ax_z.set_ylabel("z = sigmoid(b_z)\n(share of h kept per step)")
        ax_z.set_ylim(0, 1.02)
        ax_z.set_title("the gate", fontsize=10)
        t = np.arange(0, steps + 1)  # t = 0: no step read yet, all of the initial state is there
        ax.axhline(0.5, color="0.6", lw=0.8, ls="--")
        ax.text(steps, 0.51, "half", color="0.4", ha="right", va="bottom", fontsize=9)
        (self.kept_line,) = ax.plot(t, np.zeros(steps + 1), color=PALETTE[0], lw=2,
                                    label="measured: scratch GRU run")
        (self.pred_line,) = ax.plot(t, np.zeros(steps + 1), color=PALETTE[1], lw=1.6, ls="--",
                                    label="predicted: z^t")
        self.half_marker = ax.axvline(1, color=PALETTE[3], lw=1.2, ls=":",
                                      label="half survives (measured)")
        ax.set_xlim(0, steps)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("steps read, t (t = 0: the initial state h0 = $h_{-1}$)")
        ax.set_ylabel("fraction of h0 still in the state\n(after t steps: in $h_{t-1}$)")
        ax.legend(loc="upper right", fontsize=8, bbox_to_anchor=(1.0, 0.93))
        ax.set_title("how much of the initial state h0 is left after t steps", fontsize=10)
        self.ax = ax
        self.figure.tight()
        self.figure.set_dynamic([self.z_dot, self.kept_line, self.pred_line, self.half_marker])
        self.result: dict = {}
        self.slider.observe(lambda change: self.update(change["new"]), names="value")
        self.update(b_z)
        self.widget = ViewBox([self.slider, self.figure.widget, self.message.widget])

    def update(self, b_z: float) -> None:
        """Re-run the GRU with update-gate bias ``b_z`` and redraw."""
        result = gru_survival(self.params, b_z, self.steps, seed=self.seed)
        self.result = result
        z = float(result["predicted"][0])
        self.z_dot.set_data([b_z], [z])
        self.kept_line.set_ydata(np.concatenate([[1.0], result["kept"]]))
        self.pred_line.set_ydata(np.concatenate([[1.0], result["predicted"]]))
        measured = measured_half_life(result["kept"])
        self.half_marker.set_xdata([measured, measured] if math.isfinite(measured) else [-1, -1])
        self.message.set(describe_survival(result))
        self.figure.render()


def update_gate_view(**kwargs):
    """Build the "update gate bias" view and return its widget (display it in a cell)."""
    return UpdateGateMemoryView(**kwargs).widget
