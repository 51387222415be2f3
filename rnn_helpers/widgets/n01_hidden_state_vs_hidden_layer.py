"""Notebook 01's "time step" view: the hidden state h_t evolving as a sequence is read.

Left: the inputs x_0 ... x_t seen so far (the future greyed out) above a heatmap of the
states h_0 ... h_t (one row per unit, the future blank). Right: the state h_t next to
what a memoryless hidden layer, act(x_t W_xh^T + b_h), gives at the same step.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np

from rnn_helpers.lessons.n01_hidden_state_vs_hidden_layer import (
    demo_params,
    demo_sequence,
    describe_step,
    hidden_state_steps,
)
from rnn_helpers.widgets.base import PALETTE, BlitFigureImage, Message, ViewBox, labelled_slider

__all__ = ["HiddenStateView", "hidden_state_explorer"]

FUTURE_GREY = "0.82"


def data_layers(ax) -> list:
    """The artists of ``ax`` that a blitted render redraws, in the order a full draw uses:
    its images, lines and patches sorted by zorder (ties in the order they were added),
    then the frame (spines) on top."""
    kinds = (mpl.image.AxesImage, mpl.lines.Line2D, mpl.patches.Patch)
    data = [a for a in ax.get_children() if isinstance(a, kinds) and a is not ax.patch
            and a not in ax.spines.values()]  # fmt: skip
    return sorted(data, key=lambda a: a.get_zorder()) + list(ax.spines.values())


class HiddenStateView:
    """Slider "time step" (0 ... T-1): inputs so far, the states so far, and h_t vs the
    memoryless hidden layer at step t."""

    def __init__(self, t: int = 0, x=None, params=None, nonlinearity: str = "tanh"):
        self.x = demo_sequence() if x is None else np.asarray(x, dtype=np.float64)
        self.params = demo_params() if params is None else params
        self.h, self.m = hidden_state_steps(self.x, self.params, nonlinearity)
        T, H = self.h.shape
        self.T, self.H = T, H
        self.slider = labelled_slider("time step", 0, T - 1, 1, t, integer=True)
        self.figure = BlitFigureImage(figsize=(9.6, 4.2))
        self.message = Message()
        fig = self.figure.fig
        grid = fig.add_gridspec(2, 2, width_ratios=[2.3, 1.0], height_ratios=[1.0, 1.5])
        ax_x = fig.add_subplot(grid[0, 0])
        ax_h = fig.add_subplot(grid[1, 0], sharex=ax_x)
        ax_b = fig.add_subplot(grid[:, 1])
        steps = np.arange(T)

        # Inputs: the whole sequence in light grey (the future), the seen part on top.
        span = max(1.0, float(np.max(np.abs(self.x))))
        ax_x.axhline(0.0, color="0.6", lw=0.8)
        ax_x.plot(steps, self.x, "o", color=FUTURE_GREY, ms=6, zorder=1)
        (self.seen,) = ax_x.plot(steps, self.x, "o-", color=PALETTE[0], ms=6, zorder=2)
        self.x_band = ax_x.axvspan(-0.5, 0.5, color=PALETTE[1], alpha=0.25, lw=0)
        ax_x.set_ylim(-1.3 * span, 1.3 * span)
        ax_x.set_ylabel("input x_t")
        ax_x.set_title("inputs seen so far (grey: not read yet)", fontsize=10)
        ax_x.tick_params(labelbottom=False)

        # States: one row per unit, columns are steps; steps not reached yet are blank.
        cmap = mpl.colormaps["PuOr_r"].with_extremes(bad="white")
        self.image = ax_h.imshow(np.ma.masked_all((H, T)), cmap=cmap, vmin=-1, vmax=1,
                                 aspect="auto", interpolation="nearest",
                                 extent=(-0.5, T - 0.5, H - 0.5, -0.5))  # fmt: skip
        self.h_band = ax_h.axvspan(-0.5, 0.5, fill=False, ec="black", lw=2.0)
        ax_h.set_xlim(-0.5, T - 0.5)
        ax_h.set_xticks(steps)
        ax_h.set_yticks(range(H))
        ax_h.set_xlabel("time step t")
        ax_h.set_ylabel("unit of h_t")
        ax_h.set_title("hidden state h_t of every step so far", fontsize=10)
        # The colour bar sits in an inset, so the inputs and the states line up step by step.
        bar = fig.colorbar(self.image, cax=ax_h.inset_axes((1.015, 0.0, 0.025, 1.0)))
        bar.set_label("value of the unit")

        # h_t next to the memoryless layer at the same step: same unit order as the heatmap.
        units = np.arange(H)
        self.h_bars = ax_b.barh(units - 0.2, np.zeros(H), height=0.4, color=PALETTE[0],
                                label="RNN state h_t (remembers)")  # fmt: skip
        self.m_bars = ax_b.barh(units + 0.2, np.zeros(H), height=0.4, color=PALETTE[1],
                                label="hidden layer m_t (no memory)")  # fmt: skip
        ax_b.axvline(0.0, color="0.5", lw=0.8)
        ax_b.set_xlim(-1.05, 1.05)
        ax_b.set_ylim(H - 0.5, -0.5)
        ax_b.set_yticks(range(H))
        ax_b.set_xlabel("value (tanh: between -1 and 1)")
        ax_b.set_ylabel("unit")
        ax_b.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), fontsize=8, frameon=False)
        ax_b.set_title("state vs hidden layer at step t", fontsize=10, pad=34)  # above the legend
        self.ax_x, self.ax_h, self.ax_b = ax_x, ax_h, ax_b
        self.title = fig.suptitle("step t = 00 of 0 ... 00: x_00 = -0.00", fontsize=11)
        self.figure.tight()  # once, with a placeholder title of the right size
        # Everything inside the three data axes is redrawn (in zorder), the rest is background.
        self.figure.set_dynamic([*data_layers(ax_x), *data_layers(ax_h), *data_layers(ax_b),
                                 self.title])  # fmt: skip
        self.slider.observe(lambda change: self.update(change["new"]), names="value")
        self.update(t)
        self.widget = ViewBox([self.slider, self.figure.widget, self.message.widget])

    def frame(self, t: int) -> dict:
        """The data drawn at step t (pure; the tests compare the artists with it)."""
        seen = np.full(self.T, np.nan)
        seen[: t + 1] = self.x[: t + 1]
        states = np.ma.masked_all((self.H, self.T))
        states[:, : t + 1] = self.h[: t + 1].T
        return {"seen": seen, "states": states, "h_t": self.h[t], "m_t": self.m[t]}

    def update(self, t: int) -> None:
        """Redraw everything for step t."""
        t = int(t)
        f = self.frame(t)
        self.seen.set_ydata(f["seen"])
        self.image.set_data(f["states"])
        for band in (self.x_band, self.h_band):
            band.set_x(t - 0.5)
        for rect, value in zip(self.h_bars, f["h_t"], strict=True):
            rect.set_width(value)
        for rect, value in zip(self.m_bars, f["m_t"], strict=True):
            rect.set_width(value)
        self.title.set_text(f"step t = {t} of 0 ... {self.T - 1}: x_{t} = {self.x[t]:.2f}")
        self.message.set(describe_step(t, self.x, self.h, self.m))
        self.figure.alt = (f"Inputs x_0 to x_{t}, a heatmap of the states h_0 to h_{t}, and bars "
                           f"of h_{t} next to the memoryless hidden layer.")  # fmt: skip
        self.figure.render()


def hidden_state_explorer(t: int = 0, x=None, params=None):
    """Build the "time step" view and return its widget (display it in a cell).

    x defaults to ``demo_sequence()`` and params to ``demo_params()`` (seed 0); notebook 01
    passes the weights it drew from the course seed."""
    return HiddenStateView(t, x, params).widget
