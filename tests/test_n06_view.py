"""Notebook 06's view, the "time step" gate viewer, driven headlessly."""

import io

import numpy as np
import pytest
from PIL import Image

from rnn_helpers import scratch
from rnn_helpers.data import adding_problem
from rnn_helpers.lessons.n06_lstm import lstm_gate_trace
from rnn_helpers.widgets.base import BlitFigureImage
from rnn_helpers.widgets.n06_lstm import LSTMGateViewer, describe_gates_at, unit_order

T = 24
MEMORY = (3, 0, 5, 1)  # four memory units, M1 first (chosen by the caller)


@pytest.fixture(scope="module")
def sequence():
    x, y = adding_problem(1, T, seed=3)
    return x[:, 0], float(y[0, 0])


@pytest.fixture(scope="module")
def lstm_params():
    return scratch.init_rnn_params(2, 6, seed=0, kind="lstm")


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def test_gate_viewer_slider_and_layout(sequence, lstm_params):
    x, y = sequence
    view = LSTMGateViewer(lstm_params, x, MEMORY, target=y, prediction=0.9)
    assert view.slider.description == "time step"
    assert (view.slider.min, view.slider.max, view.slider.value) == (0, T - 1, view.marks[0])
    assert view.marks == [int(m) for m in np.flatnonzero(x[:, 1])]
    assert len(view.figure.fig.axes) == 8  # input, 3 heatmaps, cell lines, colourbar, 2 bar panels
    assert view.widget.children == (view.slider, view.figure.widget, view.message.widget)
    for ax in view.figure.fig.axes:  # every panel says what it shows
        assert ax.get_title() or ax.get_title(loc="left"), ax
    c_bars_ax = view.c_bars[0].axes
    assert c_bars_ax.get_title() == "cell state of M1–M4 at step t"
    assert c_bars_ax.get_xlabel() == "memory unit"


def test_gate_viewer_updates_artists_from_the_trace(sequence, lstm_params):
    x, y = sequence
    view = LSTMGateViewer(lstm_params, x, MEMORY, target=y, prediction=0.9)
    trace = lstm_gate_trace(lstm_params, x)
    memory = list(MEMORY)
    np.testing.assert_array_equal(view.memory, memory)
    renders = view.figure.renders
    n_axes = len(view.figure.fig.axes)
    pictures = {view.figure.widget.value}
    values = [t for t in dict.fromkeys([0, view.marks[1], T // 2, view.marks[0], T - 1])
              if t != view.slider.value]
    for t in values:
        view.slider.value = t
        for cursor in view.cursors:
            assert list(cursor.get_xdata()) == [t, t]
        for gate, bars in view.gate_bars.items():
            np.testing.assert_allclose([b.get_height() for b in bars], trace[gate][t, memory])
        np.testing.assert_allclose([b.get_height() for b in view.c_bars], trace["c"][t, memory])
        np.testing.assert_allclose(view.c_dots.get_offsets()[:, 1], trace["c"][t, memory])
        assert view.message.text.startswith(f"step {t}:")
        pictures.add(view.figure.widget.value)
    assert view.figure.renders == renders + len(values)
    assert len(pictures) == len(values) + 1
    assert len(view.figure.fig.axes) == n_axes, "the figure is updated, not stacked"
    assert "answers 0.900" in view.message.text  # the last step names the model's answer


def test_heatmap_rows_put_the_memory_units_first(sequence, lstm_params):
    x, _ = sequence
    view = LSTMGateViewer(lstm_params, x, [4, 1, 2])
    order = unit_order(view.trace, view.memory)
    assert list(order[:3]) == [4, 1, 2] and sorted(order) == list(range(6))
    image = view.axes_heat[1].images[0]
    np.testing.assert_allclose(image.get_array(), view.trace["f"][:, order].T)


def test_gate_messages_name_write_hold_and_nothing_yet():
    trace = {k: np.full((10, 3), 0.5) for k in "ifgo"}
    trace["c"] = np.zeros((10, 3))
    trace["c"][3:, 1] = 1.0
    trace["c"][7:, 1] = 1.5
    trace["c"][:, 0] = np.arange(10.0)  # another unit, moving all the time
    trace["i"][3, 1] = 0.9
    x = np.zeros((10, 2))
    x[[3, 7], 0] = [0.25, 0.75]
    assert "nothing marked yet" in describe_gates_at(trace, 1, x, [3, 7], 1)
    first = describe_gates_at(trace, 3, x, [3, 7], 1)
    assert "first marked number (0.250)" in first and "input gate i = 0.90" in first
    assert "changes by +1.000" in first
    assert "second marked number (0.750)" in describe_gates_at(trace, 7, x, [3, 7], 1)
    held = describe_gates_at(trace, 5, x, [3, 7], 1)
    assert "is held" in held and "changes by +0.000" in held
    moving = describe_gates_at(trace, 5, x, [3, 7], 0)  # unit 0 moves as much as at the marks
    assert "is held" not in moving and "changes by +1.000" in moving
    assert "answers 1.230" in describe_gates_at(trace, 9, x, [3, 7], 1, prediction=1.23)


def test_gate_viewer_refuses_inputs_that_are_not_one_adding_sequence(lstm_params):
    with pytest.raises(ValueError, match="two marked steps"):
        LSTMGateViewer(lstm_params, np.zeros((T, 2)), MEMORY)
    with pytest.raises(ValueError, match=r"\(T, 2\)"):
        LSTMGateViewer(lstm_params, np.zeros((T, 3)), MEMORY)


@pytest.mark.parametrize("memory", [[], [0, 0], [6], [-1], [0, 1, 2, 3, 4]])
def test_gate_viewer_refuses_bad_memory_units(sequence, lstm_params, memory):
    with pytest.raises(ValueError, match="memory"):
        LSTMGateViewer(lstm_params, sequence[0], memory)


def test_blit_render_matches_a_full_redraw():
    image = BlitFigureImage(figsize=(3, 2), dpi=50)
    ax = image.fig.subplots()
    ax.plot([0, 1], [0, 1])
    cursor = ax.axvline(0.2, color="red")
    image.set_dynamic([cursor])
    first = image.render()
    cursor.set_xdata([0.7, 0.7])
    blit = _pixels(image.render())
    assert image.renders == 2
    assert not np.array_equal(_pixels(first), blit)
    # the same state drawn from scratch, the ordinary way
    cursor.set_animated(False)
    buffer = io.BytesIO()
    image.fig.savefig(buffer, format="png")
    full = _pixels(buffer.getvalue())
    assert full.shape == blit.shape
    # identical but for the odd pixel where the moving line meets a spine (drawn over it)
    assert np.count_nonzero(np.abs(full - blit).max(axis=2) > 2) <= 3
