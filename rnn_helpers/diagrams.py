"""Diagrams drawn by code: an unrolled RNN, and an MLP next to an RNN cell.

Every function draws on a matplotlib ``Axes`` you pass in and returns the artists it
made, so a caller can recolour an arrow later (``arrow.set_color(...)``) and re-render
the same figure instead of drawing a new one, which is what a slider needs.

Coordinates: step t of an unrolled RNN is centred at x = t (the initial state h_{-1}
sits at x = -1); inputs are on the row y = 0, states on y = 1, outputs on y = 2.
``UnrolledRNN.centres`` gives every node's centre, to draw extra marks on top.

Notation as everywhere in the course: x_t, h_t, W_xh, W_hh, b_h, steps t = 0 ... T-1,
h_{-1} = h0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from rnn_helpers.style import PALETTE, tint

__all__ = [
    "NODE_COLOURS",
    "UnrolledRNN",
    "draw_mlp",
    "draw_mlp_vs_rnn",
    "draw_rnn_cell",
    "draw_unrolled_rnn",
]



# Fill colours of the three kinds of node: light tints of the Okabe-Ito blue (x), orange (h)
# and bluish green (y), light enough for black text.
NODE_COLOURS = {"x": tint(PALETTE[0]), "h": tint(PALETTE[1]), "y": tint(PALETTE[2])}
EDGE_COLOUR = "0.2"
ROW_Y = {"x": 0.0, "h": 1.0, "y": 2.0}
NODE_W, NODE_H = 0.56, 0.42


@dataclass
class UnrolledRNN:
    """The artists of one :func:`draw_unrolled_rnn` drawing.

    Attributes:
        x_nodes, h_nodes, y_nodes: one box per step (y_nodes is empty without outputs).
        h0_node: the box of the initial state h_{-1}, or None.
        input_arrows: x_t -> h_t, one per step.
        recurrent_arrows: h_{t-1} -> h_t, one per step; entry 0 comes from h_{-1} (None
            when the initial state is not drawn or recurrent=False).
        output_arrows: h_t -> y_t, one per step (empty without outputs).
        labels: the text artists (node names and weight names).
        centres: {"x": [(x, y), ...], "h": [...], "y": [...], "h0": (x, y) or None}.
    """

    x_nodes: list = field(default_factory=list)
    h_nodes: list = field(default_factory=list)
    y_nodes: list = field(default_factory=list)
    h0_node: object = None
    input_arrows: list = field(default_factory=list)
    recurrent_arrows: list = field(default_factory=list)
    output_arrows: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    centres: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- primitives


def _node(ax, centre, text, kind, *, fontsize, width=NODE_W, height=NODE_H, colour=None):
    """A rounded box with a label, centred at ``centre``; returns (box, text)."""
    cx, cy = centre
    box = FancyBboxPatch(
        (cx - width / 2, cy - height / 2), width, height,
        boxstyle="round,pad=0.02,rounding_size=0.08",
        facecolor=colour or NODE_COLOURS[kind], edgecolor=EDGE_COLOUR, linewidth=1.2, zorder=2,
    )  # fmt: skip
    ax.add_patch(box)
    label = ax.text(cx, cy, text, ha="center", va="center", fontsize=fontsize, zorder=3)
    return box, label


def _arrow(ax, start, end, *, colour=EDGE_COLOUR, lw=1.4, style="-|>", connection="arc3"):
    arrow = FancyArrowPatch(
        start, end, arrowstyle=style, mutation_scale=12, color=colour, linewidth=lw,
        connectionstyle=connection, shrinkA=0, shrinkB=0, zorder=1,
    )  # fmt: skip
    ax.add_patch(arrow)
    return arrow


def _labels(given, default, n, name):
    if given is None:
        return [default(i) for i in range(n)]
    given = list(given)
    if len(given) != n:
        raise ValueError(f"{name}: expected {n} labels (one per step), got {len(given)}")
    return [str(s) for s in given]


def _colours(given, n, default, name):
    """One colour per step from None (the default), a single colour or a list of n."""
    if given is None:
        return [default] * n
    if isinstance(given, str) or (isinstance(given, tuple) and len(given) in (3, 4)
                                  and all(isinstance(v, int | float) for v in given)):
        return [given] * n
    given = list(given)
    if len(given) != n:
        raise ValueError(f"{name}: expected one colour or {n} colours, got {len(given)}")
    return given


# --------------------------------------------------------------------------- unrolled RNN


def draw_unrolled_rnn(
    ax,
    T: int,
    *,
    recurrent: bool = True,
    outputs: bool = True,
    initial_state: bool = True,
    weight_labels: bool | None = None,
    x_labels: Sequence[str] | None = None,
    h_labels: Sequence[str] | None = None,
    y_labels: Sequence[str] | None = None,
    recurrent_colours=None,
    h_colours=None,
    fontsize: float | None = None,
    title: str | None = None,
) -> UnrolledRNN:
    """Draw an RNN unrolled over T steps: x_t -> h_t -> y_t, with h_{t-1} -> h_t arrows.

    The same weight names appear on every step's arrows (W_xh up, W_hh across, W_hy up
    to the output): the picture of parameter sharing.

    Args:
        ax: a matplotlib Axes; it is set to equal aspect with its frame turned off.
        T: number of steps, >= 1.
        recurrent: False drops the h_{t-1} -> h_t arrows (and the initial state): the same
            layer applied to every step on its own, i.e. a feed-forward hidden layer.
        outputs: draw the output row y_t (and the W_hy arrows).
        initial_state: draw h_{-1} (= h0) on the left, feeding step 0.
        weight_labels: write W_xh / W_hh / W_hy next to the arrows; None (default) does
            so for T <= 8, where they fit.
        x_labels, h_labels, y_labels: T strings each (mathtext allowed); default
            "$x_{t}$", "$h_{t}$", "$y_{t}$" with t = 0 ... T-1.
        recurrent_colours: None, one colour, or T colours for the h_{t-1} -> h_t arrows
            (e.g. to mark which gradient paths a truncation keeps).
        h_colours: None, one colour, or T fill colours for the state boxes.
        fontsize: of the node labels; default shrinks with T.
        title: optional axes title.

    Returns:
        An :class:`UnrolledRNN` with the artists (boxes, arrows, labels) and node centres.
    """
    if isinstance(T, bool) or not isinstance(T, int) or T < 1:
        raise ValueError(f"T: expected an integer >= 1, got {T!r}")
    if weight_labels is None:
        weight_labels = T <= 8
    fs = fontsize if fontsize is not None else (12 if T <= 6 else 10 if T <= 10 else 8)
    x_text = _labels(x_labels, lambda t: f"$x_{{{t}}}$", T, "x_labels")
    h_text = _labels(h_labels, lambda t: f"$h_{{{t}}}$", T, "h_labels")
    y_text = _labels(y_labels, lambda t: f"$y_{{{t}}}$", T, "y_labels")
    rec_colours = _colours(recurrent_colours, T, PALETTE[3], "recurrent_colours")
    h_fill = _colours(h_colours, T, NODE_COLOURS["h"], "h_colours")
    show_h0 = initial_state and recurrent

    out = UnrolledRNN()
    out.centres = {"x": [], "h": [], "y": [], "h0": None}
    half_h = NODE_H / 2
    wfs = fs - 2  # weight labels a little smaller than node labels

    if show_h0:
        centre = (-1.0, ROW_Y["h"])
        box, text = _node(ax, centre, "$h_{-1}$", "h", fontsize=fs, colour="white")
        out.h0_node = box
        out.labels.append(text)
        out.centres["h0"] = centre

    for t in range(T):
        cx = float(t)
        cx_, ch, cy = (cx, ROW_Y["x"]), (cx, ROW_Y["h"]), (cx, ROW_Y["y"])
        box, text = _node(ax, cx_, x_text[t], "x", fontsize=fs)
        out.x_nodes.append(box)
        out.labels.append(text)
        out.centres["x"].append(cx_)
        box, text = _node(ax, ch, h_text[t], "h", fontsize=fs, colour=h_fill[t])
        out.h_nodes.append(box)
        out.labels.append(text)
        out.centres["h"].append(ch)

        out.input_arrows.append(
            _arrow(ax, (cx, ROW_Y["x"] + half_h), (cx, ROW_Y["h"] - half_h), colour=PALETTE[0])
        )
        if weight_labels:
            out.labels.append(ax.text(cx + 0.06, 0.5, "$W_{xh}$", fontsize=wfs, ha="left",
                                      va="center", color=PALETTE[0]))  # fmt: skip
        if outputs:
            box, text = _node(ax, cy, y_text[t], "y", fontsize=fs)
            out.y_nodes.append(box)
            out.labels.append(text)
            out.centres["y"].append(cy)
            out.output_arrows.append(
                _arrow(ax, (cx, ROW_Y["h"] + half_h), (cx, ROW_Y["y"] - half_h),
                       colour=PALETTE[2])
            )  # fmt: skip
            if weight_labels:
                out.labels.append(ax.text(cx + 0.06, 1.5, "$W_{hy}$", fontsize=wfs, ha="left",
                                          va="center", color=PALETTE[2]))  # fmt: skip

        if recurrent and (t > 0 or show_h0):
            start = (cx - 1.0 + NODE_W / 2, ROW_Y["h"])
            end = (cx - NODE_W / 2, ROW_Y["h"])
            out.recurrent_arrows.append(_arrow(ax, start, end, colour=rec_colours[t], lw=1.8))
            if weight_labels:
                out.labels.append(ax.text(cx - 0.5, ROW_Y["h"] + 0.07, "$W_{hh}$", fontsize=wfs,
                                          ha="center", va="bottom", color=PALETTE[3]))  # fmt: skip
        elif recurrent:
            out.recurrent_arrows.append(None)

    # The margin for h_{-1} stays even when it is not drawn, so that a recurrent and a
    # non-recurrent drawing stacked above each other line up step by step.
    left = -1.5 if initial_state else -0.5
    top = ROW_Y["y"] + 0.4 if outputs else ROW_Y["h"] + 0.4
    ax.set_xlim(left, T - 0.5)
    ax.set_ylim(-0.4, top)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return out


# --------------------------------------------------------------------------- MLP vs RNN


def draw_mlp(
    ax,
    *,
    layers: Sequence[str] = ("$x$", "$h$", "$y$"),
    weight_names: Sequence[str] | None = ("$W_{xh}$", "$W_{hy}$"),
    title: str | None = None,
):
    """A feed-forward network drawn bottom-up: input -> hidden layer(s) -> output.

    Args:
        ax: a matplotlib Axes (equal aspect, frame off afterwards).
        layers: labels from the input (bottom) to the output (top); >= 2 of them.
        weight_names: one label per arrow (len(layers) - 1 of them), or None for none.
        title: optional axes title.

    Returns:
        dict with "nodes" (boxes, bottom-up) and "arrows" (between consecutive nodes).
    """
    layers = list(layers)
    if len(layers) < 2:
        raise ValueError(f"layers: expected at least 2 labels (input and output), got {layers}")
    if weight_names is not None and len(weight_names) != len(layers) - 1:
        raise ValueError(f"weight_names: expected {len(layers) - 1} labels (one per arrow), "
                         f"got {len(weight_names)}")  # fmt: skip
    kinds = ["x"] + ["h"] * (len(layers) - 2) + ["y"]
    nodes, arrows = [], []
    for i, (text, kind) in enumerate(zip(layers, kinds, strict=True)):
        box, _ = _node(ax, (0.0, float(i)), text, kind, fontsize=12)
        nodes.append(box)
        if i > 0:
            colour = PALETTE[0] if i == 1 else PALETTE[2]
            arrows.append(_arrow(ax, (0.0, i - 1 + NODE_H / 2), (0.0, i - NODE_H / 2),
                                 colour=colour))  # fmt: skip
            if weight_names is not None:
                ax.text(-0.08, i - 0.5, weight_names[i - 1], fontsize=10, va="center",
                        ha="right", color=colour)  # fmt: skip
    ax.set_xlim(-1.2, 1.2)
    ax.set_ylim(-0.4, len(layers) - 0.6)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return {"nodes": nodes, "arrows": arrows}


def draw_rnn_cell(ax, *, title: str | None = None):
    """The folded RNN: x_t -> h_t -> y_t with a loop W_hh from h_t back into itself.

    The loop means "h_t is fed back in at the next step"; :func:`draw_unrolled_rnn`
    draws the same network with that loop unrolled over time.

    Returns:
        dict with "nodes" (x_t, h_t, y_t boxes), "arrows" (input, output) and "loop".
    """
    nodes, arrows = [], []
    for i, (text, kind) in enumerate([("$x_t$", "x"), ("$h_t$", "h"), ("$y_t$", "y")]):
        box, _ = _node(ax, (0.0, float(i)), text, kind, fontsize=12)
        nodes.append(box)
    arrows.append(_arrow(ax, (0.0, NODE_H / 2), (0.0, 1 - NODE_H / 2), colour=PALETTE[0]))
    arrows.append(_arrow(ax, (0.0, 1 + NODE_H / 2), (0.0, 2 - NODE_H / 2), colour=PALETTE[2]))
    ax.text(-0.08, 0.5, "$W_{xh}$", fontsize=10, va="center", ha="right", color=PALETTE[0])
    ax.text(-0.08, 1.5, "$W_{hy}$", fontsize=10, va="center", ha="right", color=PALETTE[2])
    # The loop leaves h_t on the right, goes round and comes back into h_t: one step later.
    loop = _arrow(ax, (NODE_W / 2, 1.1), (NODE_W / 2, 0.9), colour=PALETTE[3], lw=1.8,
                  connection="arc,angleA=0,angleB=0,armA=28,armB=28,rad=8")  # fmt: skip
    ax.text(NODE_W / 2 + 0.5, 1.0, "$W_{hh}$\n(next step)", fontsize=10, va="center",
            ha="left", color=PALETTE[3])  # fmt: skip
    ax.set_xlim(-1.0, 2.2)
    ax.set_ylim(-0.4, 2.4)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return {"nodes": nodes, "arrows": arrows, "loop": loop}


def draw_mlp_vs_rnn(fig, T: int = 4, mlp_layers: Sequence[str] = ("$x$", "$m$", "$y$")):
    """The comparison figure of notebook 01, drawn on ``fig`` in three panels:

    1. an MLP: x -> hidden layer m -> y, no memory;
    2. the RNN cell: the same, plus a loop W_hh that feeds h_t into the next step;
    3. the loop unrolled over T steps (:func:`draw_unrolled_rnn`).

    The panels' widths are chosen so that all three are drawn at the same scale.

    Args:
        fig: a matplotlib Figure (about 11 x 3.4 inches suits T = 4).
        T: steps of the unrolled drawing, >= 1.
        mlp_layers: the MLP's node labels, bottom-up (notebook 01 calls its hidden layer
            m, to tell it apart from the RNN's state h).

    Returns:
        (axes, (mlp, cell, unrolled)): the three Axes and what each drawing returned.
    """
    # Data widths of the panels: MLP 2.4, cell 3.2, unrolled T + 1 (h_{-1} included).
    axes = fig.subplots(1, 3, width_ratios=[2.4, 3.2, T + 1.0])
    mlp = draw_mlp(axes[0], layers=mlp_layers, title="MLP: a hidden layer")
    cell = draw_rnn_cell(axes[1], title="RNN: a hidden state")
    unrolled = draw_unrolled_rnn(axes[2], T, title=f"the same RNN unrolled over T = {T} steps")
    return axes, (mlp, cell, unrolled)
