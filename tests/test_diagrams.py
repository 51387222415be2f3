"""The code-drawn diagrams: right number of nodes and arrows, arrows join the right nodes,
bad arguments refused with their name."""

import io

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from rnn_helpers.diagrams import (
    NODE_COLOURS,
    UnrolledRNN,
    draw_mlp,
    draw_mlp_vs_rnn,
    draw_rnn_cell,
    draw_unrolled_rnn,
    tint,
)
from rnn_helpers.widgets.base import PALETTE


def _ax():
    return Figure(figsize=(8, 3)).subplots()


def _render(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


@pytest.mark.parametrize("T", [1, 3, 12])
def test_unrolled_rnn_has_one_node_and_arrow_of_each_kind_per_step(T):
    ax = _ax()
    d = draw_unrolled_rnn(ax, T)
    assert isinstance(d, UnrolledRNN)
    assert len(d.x_nodes) == len(d.h_nodes) == len(d.y_nodes) == T
    assert len(d.input_arrows) == len(d.output_arrows) == len(d.recurrent_arrows) == T
    assert d.h0_node is not None and d.centres["h0"] == (-1.0, 1.0)
    assert all(a is not None for a in d.recurrent_arrows)
    assert [c[0] for c in d.centres["h"]] == list(range(T))
    # The state labels are h_0 ... h_{T-1}, plus h_{-1} for the initial state.
    labels = _texts(ax)
    assert "$h_{-1}$" in labels
    assert [f"$h_{{{t}}}$" in labels for t in range(T)] == [True] * T


def test_recurrent_arrows_join_consecutive_states():
    d = draw_unrolled_rnn(_ax(), 4)
    for t, arrow in enumerate(d.recurrent_arrows):
        (x0, y0), (x1, y1) = arrow._posA_posB  # the two ends as drawn
        assert y0 == y1 == 1.0, "recurrent arrows run along the state row"
        assert x0 < x1 and np.isclose(x1, t - 0.28) and np.isclose(x0, t - 1 + 0.28)


def test_shared_weights_are_named_once_per_step():
    ax = _ax()
    draw_unrolled_rnn(ax, 5)
    labels = _texts(ax)
    assert labels.count("$W_{xh}$") == labels.count("$W_{hh}$") == labels.count("$W_{hy}$") == 5


def test_weight_labels_default_off_for_long_sequences_and_can_be_forced():
    ax = _ax()
    draw_unrolled_rnn(ax, 20)
    assert "$W_{hh}$" not in _texts(ax)
    ax = _ax()
    draw_unrolled_rnn(ax, 20, weight_labels=True)
    assert _texts(ax).count("$W_{hh}$") == 20


def test_without_recurrence_it_is_a_hidden_layer_per_step():
    ax = _ax()
    d = draw_unrolled_rnn(ax, 4, recurrent=False)
    assert d.recurrent_arrows == [] and d.h0_node is None
    assert "$W_{hh}$" not in _texts(ax)
    # Aligned with the recurrent drawing: same x-range.
    ax2 = _ax()
    draw_unrolled_rnn(ax2, 4)
    assert ax.get_xlim() == ax2.get_xlim()


def test_options_outputs_initial_state_labels_and_colours():
    d = draw_unrolled_rnn(_ax(), 3, outputs=False, initial_state=False,
                          x_labels=["a", "b", "c"], recurrent_colours=["red", "blue", "green"])
    assert d.y_nodes == [] and d.output_arrows == []
    assert d.recurrent_arrows[0] is None  # no h_{-1}: step 0 has no incoming state arrow
    assert d.recurrent_arrows[1].get_edgecolor() != d.recurrent_arrows[2].get_edgecolor()
    assert [t.get_text() for t in d.labels[:1]] == ["a"]


def test_arrows_can_be_recoloured_and_the_figure_rendered_again():
    fig = Figure(figsize=(6, 2.5))
    d = draw_unrolled_rnn(fig.subplots(), 5)
    before = _render(fig)
    d.recurrent_arrows[2].set_color("0.85")
    assert _render(fig) != before


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"T": 0}, "T"), ({"T": 2.0}, "T"), ({"T": True}, "T"),
    ({"T": 3, "x_labels": ["a"]}, "x_labels"),
    ({"T": 3, "recurrent_colours": ["red", "blue"]}, "recurrent_colours"),
])  # fmt: skip
def test_bad_arguments_are_refused_with_their_name(kwargs, name):
    with pytest.raises(ValueError, match=name):
        draw_unrolled_rnn(_ax(), **kwargs)


def test_mlp_cell_and_comparison_figure():
    ax = _ax()
    mlp = draw_mlp(ax, layers=["x", "h1", "h2", "y"], weight_names=None)
    assert len(mlp["nodes"]) == 4 and len(mlp["arrows"]) == 3
    with pytest.raises(ValueError, match="weight_names"):
        draw_mlp(_ax(), layers=["x", "h1", "h2", "y"])
    cell = draw_rnn_cell(_ax())
    assert len(cell["nodes"]) == 3 and cell["loop"] is not None

    fig = Figure(figsize=(11, 3.4))
    axes, (mlp, cell, unrolled) = draw_mlp_vs_rnn(fig, T=4)
    assert len(fig.axes) == 3 and len(unrolled.h_nodes) == 4
    assert all(not a.axison for a in axes)
    assert len(_render(fig)) > 1000
    # The MLP's hidden layer is m (notebook 01's name), not the RNN's state h.
    assert "$m$" in _texts(axes[0])
    assert "$h$" not in _texts(axes[0])


def test_node_colours_are_light_tints_of_the_palette():
    assert tint("#000000", 0.2) == "#cccccc" and tint("#FFFFFF") == "#ffffff"
    assert tint(PALETTE[3], 1.0) == PALETTE[3].lower() and tint(PALETTE[3], 0.0) == "#ffffff"
    for kind, base in zip("xhy", PALETTE[:3], strict=True):
        fill, pure = np.array(to_rgb(NODE_COLOURS[kind])), np.array(to_rgb(base))
        np.testing.assert_allclose(fill, 0.2 * pure + 0.8, atol=1 / 255)  # 20% colour, 80% white
        assert fill.min() > 0.75  # light enough for black text
    with pytest.raises(ValueError, match="amount"):
        tint("red", 1.5)
