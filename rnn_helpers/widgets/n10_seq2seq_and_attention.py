"""Notebook 10's view: the "output step" slider over an attention heatmap.

One validation string goes through the trained attention model (computed once by
:func:`rnn_helpers.lessons.n10_seq2seq_and_attention.attention_example`). The heatmap shows
every output step's attention weights over the input letters (rows: the letters written,
columns: the letters read); the slider picks an output step, whose row is framed and drawn
again below as bars, with the input letter it *should* copy marked. For a reversal the
weights form the anti-diagonal. Moving the slider only moves the frame and redraws the
bars (blitted), so an update costs a few tens of milliseconds.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.patches import Rectangle

from rnn_helpers.lessons.n10_seq2seq_and_attention import AttentionExample
from rnn_helpers.widgets.base import PALETTE, BlitFigureImage, Message, ViewBox, labelled_slider

__all__ = [
    "AttentionStepView",
    "attention_step_view",
    "describe_step",
    "step_summary",
    "KIND_STYLE",
    "draw_length_accuracy",
]

# Weight 0 ... 1 from white to the palette's blue: dark = much attention.
WEIGHT_CMAP = LinearSegmentedColormap.from_list("attention", ["#ffffff", PALETTE[0]])
FRAME_COLOUR = PALETTE[7]  # black: the chosen output step
TARGET_COLOUR = PALETTE[1]  # orange: the input letter that step should copy
WRONG_COLOUR = PALETTE[3]  # red-orange: a letter written wrong
# The two models in every plot: (colour, marker, label).
KIND_STYLE = {"plain": (PALETTE[3], "o", "plain encoder–decoder"),
              "attention": (PALETTE[0], "s", "with attention")}


def draw_length_accuracy(axes, runs: dict, chance: float | None = None) -> None:
    """Accuracy against input length (left) and, for the longest strings, against output
    step (right).

    Args:
        axes: two matplotlib axes.
        runs: {kind: [RunResult, ...]}: per kind, the mean over its runs, with the range
            over them shaded when there are several. Left: letters right (solid) and
            whole strings right (dashed), decoding greedily. Right: letters right at each
            output step with teacher forcing (solid) and greedily (dashed).
        chance: the accuracy of a random letter (drawn dotted), or None.
    """
    ax_len, ax_step = axes
    for kind, results in runs.items():
        colour, marker, label = KIND_STYLE[kind]
        n = len(results)
        name = label if n == 1 else f"{label} (mean of {n} seeds)"
        lengths = results[0].accuracy.lengths
        steps = np.arange(len(results[0].accuracy.by_step))
        for ax, x, field, style in (
            (ax_len, lengths, "per_letter", "-"),
            (ax_len, lengths, "exact", "--"),
            (ax_step, steps, "by_step_forced", "-"),
            (ax_step, steps, "by_step", "--"),
        ):
            values = 100 * np.array([getattr(r.accuracy, field) for r in results])
            solid = style == "-"
            ax.plot(x, values.mean(axis=0), ls=style, marker=marker if solid else None, ms=4,
                    lw=2 if solid else 1.3, color=colour, label=name if solid else None)
            if n > 1 and solid:
                ax.fill_between(x, values.min(axis=0), values.max(axis=0), color=colour,
                                alpha=0.2, lw=0)
    longest = int(runs[next(iter(runs))][0].accuracy.lengths[-1])
    for ax in axes:
        if chance is not None:
            ax.axhline(100 * chance, color="0.5", ls=":", lw=1, label="a random letter")
        ax.set_ylim(0, 102)
        ax.legend(fontsize=8, loc="lower left")
    ax_len.set_xlabel("input length (letters)")
    ax_len.set_ylabel("validation accuracy (%)")
    ax_len.set_title("Greedy: letters right (solid), whole strings right (dashed)",
                     fontsize=10)
    ax_step.set_xlabel(f"output step t (writes the letter read at position {longest - 1} − t)")
    ax_step.set_ylabel("letters right (%)")
    ax_step.set_title(f"Length {longest}: teacher forcing (solid), greedy (dashed)",
                      fontsize=10)


def step_summary(example: AttentionExample, t: int) -> dict:
    """What output step t did: the letter written and wanted, where it looked most.

    Returns a dict: step, written, wanted, right (bool), focus (input position with the
    largest weight), focus_weight, should (the input position a reversal copies at step t,
    L - 1 - t), weight_on_should.
    """
    L = len(example.source)
    if not 0 <= t < L:
        raise ValueError(f"t: expected an output step in 0..{L - 1}, got {t}")
    row = example.weights[t]
    focus = int(np.argmax(row))
    should = L - 1 - t
    return {"step": t, "written": example.written[t], "wanted": example.target[t],
            "right": example.written[t] == example.target[t], "focus": focus,
            "focus_weight": float(row[focus]), "should": should,
            "weight_on_should": float(row[should])}


def describe_step(example: AttentionExample, t: int) -> str:
    """A sentence on output step t: what was written and where the decoder looked."""
    s = step_summary(example, t)
    verdict = "right" if s["right"] else f"wrong: it should be '{s['wanted']}'"
    where = (f"input position {s['focus']} ('{example.source[s['focus']]}') with "
             f"{100 * s['focus_weight']:.0f}% of its attention")
    if s["focus"] == s["should"]:
        place = "exactly the letter a reversal copies here"
    else:
        place = (f"a reversal copies position {s['should']} "
                 f"('{example.source[s['should']]}'), which gets "
                 f"{100 * s['weight_on_should']:.0f}%")
    return (f"output step {t}: the decoder wrote '{s['written']}' ({verdict}), looking at "
            f"{where}: {place}.")


class AttentionStepView:
    """Slider "output step" over the attention heatmap of one decoded string.

    Args:
        example: an :class:`AttentionExample` (source, target, written, weights (L, L)).
        step: the output step shown first.
    """

    def __init__(self, example: AttentionExample, step: int = 0):
        weights = np.asarray(example.weights, dtype=float)
        L = len(example.source)
        if L < 2:
            raise ValueError(f"example.source: expected a string of at least 2 letters (the "
                             f"slider needs two output steps), got {example.source!r}")
        if weights.shape != (L, L):
            raise ValueError(f"example.weights: expected shape (L, L) = ({L}, {L}) for the "
                             f"string {example.source!r}, got {weights.shape}")
        self.example, self.L = example, L
        step = int(min(max(step, 0), L - 1))
        self.slider = labelled_slider("output step", 0, L - 1, 1, step, integer=True)
        self.figure = BlitFigureImage(figsize=(7.0, 6.6))
        self.message = Message()
        fig = self.figure.fig
        grid = fig.add_gridspec(2, 2, height_ratios=[3.2, 1], width_ratios=[40, 1],
                                hspace=0.42, wspace=0.05, left=0.13, right=0.9, top=0.9,
                                bottom=0.09)
        ax = fig.add_subplot(grid[0, 0])
        image = ax.imshow(weights, cmap=WEIGHT_CMAP, vmin=0, vmax=1, interpolation="nearest",
                          aspect="auto")
        positions = np.arange(L)
        ax.set_xticks(positions, [f"{ch}\n{i}" for i, ch in enumerate(example.source)])
        ax.set_yticks(positions, [f"{t}  {ch}" for t, ch in enumerate(example.written)])
        for t, label in enumerate(ax.get_yticklabels()):
            if example.written[t] != example.target[t]:
                label.set_color(WRONG_COLOUR)
        ax.set_xlabel("input letter read, and its position")
        ax.set_ylabel("output step and the letter written")
        ax.set_title(f"Attention weights while reversing '{example.source}' "
                     f"→ wrote '{example.written}'", fontsize=10)
        cax = fig.add_subplot(grid[0, 1])
        fig.colorbar(image, cax=cax)
        cax.set_ylabel("attention weight", fontsize=9)
        # The chosen row: a frame (moved by update) and the letter written, at its right.
        self.frame = Rectangle((-0.5, step - 0.5), L, 1, fill=False, edgecolor=FRAME_COLOUR,
                               linewidth=2.2)
        ax.add_patch(self.frame)
        self.ax_heat = ax

        ax_b = fig.add_subplot(grid[1, 0])
        # All bars in one artist (a PolyCollection): one draw per update instead of L.
        self.bars = PolyCollection(self._bar_outlines(weights[step]), facecolors=PALETTE[0],
                                   edgecolors="none")
        ax_b.add_collection(self.bars)
        ax_b.set_xlim(-0.5, L - 0.5)
        ax_b.set_ylim(0, 1.08)
        ax_b.set_xticks(positions, list(example.source))
        ax_b.set_xlabel("input letter read")
        ax_b.set_ylabel("weight")
        self.should_marker = ax_b.plot([L - 1 - step], [1.0], marker="v", ms=9, ls="none",
                                       color=TARGET_COLOUR)[0]
        ax_b.set_title("the framed row again: its weights over the input letters "
                       "(orange ▼: the letter a reversal copies)", fontsize=9, loc="left")
        self.ax_bars = ax_b
        self.figure.set_dynamic([self.frame, self.bars, self.should_marker])
        self.slider.observe(lambda change: self.update(change["new"]), names="value")
        self.update(step)
        self.widget = ViewBox([self.slider, self.figure.widget, self.message.widget])

    @staticmethod
    def _bar_outlines(row) -> list[np.ndarray]:
        """One rectangle (4 corners) per input position, 0.8 wide, as tall as its weight."""
        return [np.array([[i - 0.4, 0.0], [i - 0.4, w], [i + 0.4, w], [i + 0.4, 0.0]])
                for i, w in enumerate(np.asarray(row, dtype=float))]

    def update(self, t: int) -> None:
        """Frame output step t, redraw its weights as bars, and say what happened."""
        t = int(min(max(t, 0), self.L - 1))
        self.t = t
        s = step_summary(self.example, t)
        self.frame.set_y(t - 0.5)
        self.bars.set_verts(self._bar_outlines(self.example.weights[t]))
        self.should_marker.set_xdata([s["should"]])
        self.message.set(describe_step(self.example, t), "good" if s["right"] else "warn")
        self.figure.render()


def attention_step_view(example: AttentionExample, step: int = 0):
    """Build the "output step" view and return its widget (display it in a cell)."""
    return AttentionStepView(example, step).widget
