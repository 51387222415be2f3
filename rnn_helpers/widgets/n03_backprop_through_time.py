"""Notebook 03's "truncation k" view: which gradient paths truncated BPTT keeps, and what
that costs in accuracy.

One slider, "truncation k" (0 ... T-1, then "full"), and one figure with three panels:

- the unrolled RNN for the loss at the last step: backward links the gradient travels
  are coloured, links truncation cuts are grey and dashed, and the state where the cut
  falls is marked "constant";
- a T x T matrix "loss at step t -> reaches step s" for every loss at once;
- bars of the relative error of the truncated gradient of W_xh, W_hh and b_h against full
  BPTT (log scale; an error of exactly 0 is written "exact", never drawn as log 0).

All gradients are computed once when the view is built (``truncated_gradients`` of the
lesson module); a slider move only updates artists and redraws them over a cached
background (:class:`BlitFigureImage`), well within 100 ms.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import FancyArrowPatch, Patch, Rectangle
from matplotlib.ticker import FuncFormatter, NullLocator

from rnn_helpers.lessons.n03_backprop_through_time import (
    FULL,
    PARAM_KEYS,
    last_loss_links,
    normalise_k,
    path_counts,
    reach_matrix,
    truncated_gradients,
    truncation_errors,
    truncation_example,
)
from rnn_helpers.widgets.base import (
    PALETTE,
    BlitFigureImage,
    Message,
    ViewBox,
    labelled_selection_slider,
)

__all__ = [
    "ChainDiagram",
    "TruncationExplorer",
    "describe_truncation",
    "format_error",
    "matrix_legend_handles",
    "truncation_explorer",
    "truncation_slider",
]

_SUB = str.maketrans("-0123456789", "₋₀₁₂₃₄₅₆₇₈₉")


def sub(name: str, index: int) -> str:
    """'h', 3 -> 'h₃': Unicode subscripts, because mathtext ($h_{3}$) costs ~10x more to draw."""
    return name + str(index).translate(_SUB)


KEPT_COLOUR = PALETTE[3]  # vermillion ("red-orange" in the text): the gradient flows here
CUT_COLOUR = "0.70"  # grey: full BPTT would go here, truncation does not
MATRIX_COLOURS = ["white", "0.82", KEPT_COLOUR]  # FUTURE, CUT, KEPT, as in the lesson module
# Bars: blue, reddish purple, bluish green; no orange, so no bar looks like a kept path.
BAR_COLOURS = {"W_xh": PALETTE[0], "W_hh": PALETTE[4], "b_h": PALETTE[2]}


def matrix_legend_handles() -> list:
    """Legend entries for a reach matrix drawn with MATRIX_COLOURS: kept, cut, future."""
    return [Patch(fc=MATRIX_COLOURS[2], label="kept"),
            Patch(fc=MATRIX_COLOURS[1], label="cut by\ntruncation"),
            Patch(fc=MATRIX_COLOURS[0], ec="0.6", label="future:\nnever")]


def format_error(e: float) -> str:
    """A relative error in words a student reads at a glance: 'exact', '12%', '3.1e-04'."""
    if e == 0.0:
        return "exact"
    if not math.isfinite(e):
        return "diverged"
    if e >= 0.01:
        return f"{100 * e:.0f}%"
    return f"{e:.1e}"


def truncation_slider(T: int, value=2, label: str = "truncation k"):
    """A SelectionSlider over k = 0 ... T-1 and "full" (full BPTT), labelled ``label``."""
    options = [(str(k), k) for k in range(T)] + [(FULL, FULL)]
    if value not in [v for _, v in options]:
        raise ValueError(f"value: expected one of 0 ... {T - 1} or 'full', got {value!r}")
    return labelled_selection_slider(label, options, value)


def describe_truncation(T: int, k, errors: dict) -> tuple[str, str]:
    """(sentence, kind) for the message under the plot; kind is "good" when exact.

    errors: {name: relative error} of the truncated gradient for this k.
    """
    kk = normalise_k(k)
    kept, total = path_counts(T, kk)
    if kk is None:
        return ("k = full: plain BPTT, every loss flows back to the first step — "
                "exactly the full gradient (error 0)."), "good"
    if kk >= T - 1:
        return (f"k = {kk} ≥ T−1 = {T - 1}: every loss still reaches the first step, nothing "
                "is cut — exactly the full gradient (error 0)."), "good"
    reach = "only its own step" if kk == 0 else f"its own step and {kk} before it"
    worst = max(errors, key=errors.get)
    return (f"k = {kk}: each loss flows back through {reach}; {total - kept} of {total} "
            f"loss→step paths are cut. Largest error: {worst} is off by "
            f"{format_error(errors[worst])} of its full gradient."), "info"


class ChainDiagram:
    """The unrolled RNN drawn on ``ax``, with backward links coloured by truncation k.

    States h0 (the initial state, h_{-1}) and h_0 ... h_{T-1} are circles, inputs x_t sit
    below, backward links are arcs above pointing back in time. ``losses="last"`` puts
    one loss on h_{T-1} (what :meth:`set_k` colours); ``losses="all"`` a loss on every
    step (a static picture of full BPTT).

    What :meth:`set_k` changes (the ring around each state, the arcs, the cut marker) is
    listed in ``dynamic``: a view can redraw just those over a cached background.
    """

    def __init__(self, ax, T: int, losses: str = "last"):
        if losses not in ("last", "all"):
            raise ValueError(f'losses: expected "last" or "all", got {losses!r}')
        self.ax, self.T = ax, T
        xs = np.arange(-1, T)  # state j sits at x = j; j = -1 is h0
        self.node_x = xs
        ax.set_xlim(-1.8, T - 0.3)
        ax.set_ylim(-1.45, 1.75)
        ax.axis("off")
        grey = {"arrowstyle": "-|>", "color": "0.55", "lw": 0.8}
        for j in range(-1, T - 1):  # forward links h_j -> h_{j+1}
            ax.annotate("", xy=(j + 0.72, 0), xytext=(j + 0.28, 0), arrowprops=grey)
        for t in range(T):  # inputs
            ax.annotate("", xy=(t, -0.3), xytext=(t, -0.78), arrowprops=grey)
            ax.text(t, -0.98, sub("x", t), ha="center", va="center", fontsize=9)
        ax.text(-1, -0.98, "initial\nstate h0", ha="center", va="center", fontsize=7)
        ax.scatter(xs, np.zeros(T + 1), s=520, zorder=3, facecolors="white", edgecolors="none")
        for j in xs:
            ax.text(j, 0, sub("h", j), ha="center", va="center", fontsize=9, zorder=4)
        # The outline of each state: coloured where the gradient arrives (set_k).
        self.rings = ax.scatter(xs, np.zeros(T + 1), s=520, zorder=5, facecolors="none",
                                edgecolors="black", linewidths=1.0)
        self.links = []
        for j in range(-1, T - 1):  # backward links: from step j+1 into h_j
            arrow = FancyArrowPatch((j + 1 - 0.12, 0.3), (j + 0.12, 0.3),
                                    connectionstyle="arc3,rad=0.45", arrowstyle="-|>",
                                    mutation_scale=11, lw=2.0, color=KEPT_COLOUR, zorder=2,
                                    shrinkA=0, shrinkB=0)  # no shrinking: no costly clipping
            ax.add_patch(arrow)
            self.links.append(arrow)
        for t in [T - 1] if losses == "last" else range(T):
            ax.text(t, 1.42, sub("L", t), ha="center", va="center", fontsize=9,
                    bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": KEPT_COLOUR})
            ax.annotate("", xy=(t, 0.34), xytext=(t, 1.2),
                        arrowprops={"arrowstyle": "-|>", "color": KEPT_COLOUR, "lw": 1.6})
        self.cut_line = ax.plot([0, 0], [-0.55, 1.0], color="black", lw=1.2, ls=":")[0]
        self.cut_text = ax.text(0, -1.32, "", ha="center", va="center", fontsize=8,
                                color="0.25")
        self.dynamic = [*self.links, self.rings, self.cut_line, self.cut_text]
        self.set_k(None)

    def set_k(self, k) -> None:
        """Colour the links and states for truncation k (loss at the last step)."""
        T = self.T
        kk = normalise_k(k)
        for arrow, on in zip(self.links, last_loss_links(T, kk), strict=True):
            arrow.set_color(KEPT_COLOUR if on else CUT_COLOUR)
            arrow.set_linestyle("-" if on else (0, (3, 2)))
            arrow.set_linewidth(2.0 if on else 1.2)
        start = 0 if kk is None else max(0, T - 1 - kk)  # first step the last loss reaches
        colours, widths, styles = [], [], []
        for j in self.node_x:
            reached = j >= start or (j == -1 and start == 0)
            constant = start > 0 and j == start - 1
            colours.append(KEPT_COLOUR if reached else "0.45")
            widths.append(2.6 if reached else 1.0)
            styles.append((0, (2, 1.5)) if constant else "solid")
        self.rings.set_edgecolors(colours)
        self.rings.set_linewidths(widths)
        self.rings.set_linestyles(styles)
        if start > 0:
            self.cut_line.set_xdata([start - 0.5, start - 0.5])
            self.cut_text.set_position((start - 1, -1.32))
            self.cut_text.set_text(f"{sub('h', start - 1)} is a constant")
        self.cut_line.set_visible(start > 0)
        self.cut_text.set_visible(start > 0)


def _plain_log_label(value, _pos) -> str:
    """Tick labels of a log axis as plain text ('1', '0.1', '1e-03'): mathtext is slow."""
    if value >= 0.1:
        return f"{value:g}"
    return f"{value:.0e}"


class TruncationExplorer:
    """Slider "truncation k" over a seeded T-step RNN problem with a loss at every step
    (``truncation_example`` of the lesson module, with ``seed``; notebook 03 passes the
    course seed)."""

    def __init__(self, T: int = 10, k=2, seed: int = 0):
        self.T = T
        self.ks = [*range(T), FULL]
        x, h0, params, dh = truncation_example(T=T, seed=seed)
        self.grads = truncated_gradients(x, h0, params, dh, self.ks)
        self.errors = truncation_errors(self.grads)
        self.slider = truncation_slider(T, k)
        self.figure = BlitFigureImage(figsize=(9.6, 6.0), dpi=80)
        self.message = Message()
        fig = self.figure.fig
        grid = fig.add_gridspec(2, 2, height_ratios=[1.0, 1.3], width_ratios=[1.0, 0.9])
        self.ax_chain = fig.add_subplot(grid[0, :])
        self.ax_matrix = fig.add_subplot(grid[1, 0])
        self.ax_bars = fig.add_subplot(grid[1, 1])

        self.chain = ChainDiagram(self.ax_chain, T, losses="last")
        self.ax_chain.set_title("The loss at the last step: red-orange arcs carry its gradient "
                                "back in time, grey dashed arcs are cut", fontsize=10)
        # The only changing text up here is short: drawing text is the costly part of a redraw.
        self.k_text = self.ax_chain.text(0.0, 0.98, "", transform=self.ax_chain.transAxes,
                                         ha="left", va="top", fontsize=12, fontweight="bold")

        ax = self.ax_matrix
        self.matrix = ax.imshow(reach_matrix(T, k), cmap=ListedColormap(MATRIX_COLOURS),
                                vmin=-0.5, vmax=2.5, interpolation="nearest")
        self.frame = ax.add_patch(Rectangle((-0.5, T - 1.5), T, 1, fill=False, ec="black",
                                            lw=1.5))
        ax.set_xticks(range(T))
        ax.set_yticks(range(T))
        ax.tick_params(labelsize=8)
        ax.set_xlabel("step s that receives gradient")
        ax.set_ylabel("loss at step t")
        ax.set_title("which steps each loss reaches\n(framed row: the loss drawn above)",
                     fontsize=10)
        ax.legend(handles=matrix_legend_handles(), loc="upper left", bbox_to_anchor=(1.02, 1.0),
                  fontsize=8, frameon=False)

        ax = self.ax_bars
        finite = [e for d in self.errors.values() for e in d.values() if 0 < e < math.inf]
        self.floor = 10.0 ** (math.floor(math.log10(min(finite, default=1e-3))) - 1)
        top = max(finite, default=1.0)
        ax.set_yscale("log")
        ax.set_ylim(self.floor, 10.0 ** math.ceil(math.log10(top) + 0.5))
        ax.yaxis.set_major_formatter(FuncFormatter(_plain_log_label))
        ax.yaxis.set_minor_locator(NullLocator())
        positions = np.arange(len(PARAM_KEYS))
        self.bars = ax.bar(positions, np.zeros(len(PARAM_KEYS)), bottom=self.floor, width=0.6,
                           color=[BAR_COLOURS[n] for n in PARAM_KEYS])
        self.bar_labels = [ax.text(p, self.floor, "", ha="center", va="bottom", fontsize=9)
                           for p in positions]
        ax.axhline(1.0, color="0.5", lw=0.8, ls="--")  # an error of 1: as large as the gradient
        ax.set_xticks(positions, list(PARAM_KEYS))
        ax.set_xlim(-0.5, len(PARAM_KEYS) - 0.5)
        ax.set_xlabel("parameter")
        ax.set_ylabel("relative error ‖g_k − g_full‖ / ‖g_full‖")
        ax.set_title("how far the truncated gradient\nis from the full one (log scale)",
                     fontsize=10)
        self.figure.tight()
        # tight() leaves a placeholder layout engine behind, and with any engine set savefig
        # draws the figure twice (once to lay it out): drop it, the margins are fixed now.
        fig.set_layout_engine(None)
        spines = list(self.ax_matrix.spines.values())
        self.figure.set_dynamic([self.k_text, *self.chain.dynamic, self.matrix,
                                 self.frame, *spines, *self.bars, *self.bar_labels])

        self.slider.observe(lambda change: self.update(change["new"]), names="value")
        self.update(k)
        self.widget = ViewBox([self.slider, self.figure.widget, self.message.widget])

    def bar_heights(self, k) -> np.ndarray:
        """Drawn heights of the error bars for k (an error of 0 is drawn as no bar)."""
        return np.array([max(self.errors[k][n], self.floor) - self.floor for n in PARAM_KEYS])

    def k_label(self, k) -> str:
        """The label in the top left corner: 'k = 3', 'k = 9 (= T−1)', 'k = full'."""
        kk = normalise_k(k)
        if kk is None:
            return "k = full"
        return f"k = {kk}" + (" (≥ T−1)" if kk >= self.T - 1 else "")

    def update(self, k) -> None:
        """Redraw everything for truncation k (an int 0 ... T-1 or "full")."""
        kk = normalise_k(k)
        self.chain.set_k(kk)
        self.k_text.set_text(self.k_label(k))
        self.matrix.set_data(reach_matrix(self.T, kk))
        errors = self.errors[k]
        for bar, label, height, name in zip(self.bars, self.bar_labels, self.bar_heights(k),
                                            PARAM_KEYS, strict=True):
            bar.set_height(height)
            label.set_y(self.floor + height)
            label.set_text(format_error(errors[name]))
        text, kind = describe_truncation(self.T, k, errors)
        self.message.set(text, kind)
        self.figure.render()


def truncation_explorer(T: int = 10, k=2, seed: int = 0):
    """Build the "truncation k" explorer and return its widget (display it in a cell)."""
    return TruncationExplorer(T, k, seed).widget
