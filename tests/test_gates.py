"""The gate views of notebooks 06 ("time step") and 07 ("update gate bias"), driven headlessly."""

import io

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from rnn_helpers import scratch
from rnn_helpers.cells import gru_survival, lstm_gate_trace, memory_units
from rnn_helpers.data import adding_problem
from rnn_helpers.widgets.base import BlitFigureImage
from rnn_helpers.widgets.gates import (
    LSTMGateViewer,
    UpdateGateMemoryView,
    describe_gates_at,
    describe_survival,
    unit_order,
)

T = 24


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
    view = LSTMGateViewer(lstm_params, x, target=y, prediction=0.9)
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
    view = LSTMGateViewer(lstm_params, x, target=y, prediction=0.9)
    trace = lstm_gate_trace(lstm_params, x)
    memory = memory_units(trace, view.marks, 4)
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
    view = LSTMGateViewer(lstm_params, x, k=3)
    order = unit_order(view.trace, view.memory)
    assert list(order[:3]) == list(view.memory) and sorted(order) == list(range(6))
    image = view.axes_heat[1].images[0]
    np.testing.assert_allclose(image.get_array(), view.trace["f"][:, order].T)


def test_gate_messages_name_write_hold_and_nothing_yet():
    trace = {k: np.full((10, 3), 0.5) for k in "ifgo"}
    trace["c"] = np.zeros((10, 3))
    trace["c"][3:] = 1.0
    trace["c"][7:] = 1.5
    x = np.zeros((10, 2))
    x[[3, 7], 0] = [0.25, 0.75]
    memory = [0, 1]
    assert "nothing marked yet" in describe_gates_at(trace, 1, x, [3, 7], memory)
    assert "first marked number (0.250)" in describe_gates_at(trace, 3, x, [3, 7], memory)
    assert "jumps by 1.00" in describe_gates_at(trace, 3, x, [3, 7], memory)
    assert "second marked number (0.750)" in describe_gates_at(trace, 7, x, [3, 7], memory)
    held = describe_gates_at(trace, 5, x, [3, 7], memory)
    assert "is held" in held and "moves by only 0.000" in held
    assert "answers 1.230" in describe_gates_at(trace, 9, x, [3, 7], memory, prediction=1.23)


def test_gate_viewer_refuses_inputs_that_are_not_one_adding_sequence(lstm_params):
    with pytest.raises(ValueError, match="two marked steps"):
        LSTMGateViewer(lstm_params, np.zeros((T, 2)))
    with pytest.raises(ValueError, match=r"\(T, 2\)"):
        LSTMGateViewer(lstm_params, np.zeros((T, 3)))


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


def test_update_gate_view_slider_and_curves():
    view = UpdateGateMemoryView(b_z=2.0, steps=40)
    assert view.slider.description == "update gate bias"
    assert (view.slider.min, view.slider.max) == (-3.0, 6.0)
    renders = view.figure.renders
    pictures = set()
    values = [view.slider.min, 0.0, 2.5, view.slider.max]
    for b_z in values:
        view.slider.value = b_z
        run = gru_survival(view.params, b_z, 40, seed=0)
        np.testing.assert_allclose(view.kept_line.get_ydata(), np.r_[1.0, run["kept"]])
        z = 1 / (1 + np.exp(-b_z))
        np.testing.assert_allclose(view.pred_line.get_ydata(), z ** np.arange(41))
        np.testing.assert_allclose(view.z_dot.get_ydata(), [z])
        assert "half of the memory survives" in view.message.text
        assert f"update gate bias {b_z:.2f}" in view.message.text
        pictures.add(view.figure.widget.value)
    assert view.figure.renders == renders + len(values)
    assert len(pictures) == len(values)
    assert len(view.figure.fig.axes) == 2, "the figure is updated, not stacked"
    assert "longer than the 40 steps" in view.message.text  # b_z = 6: half-life ~280 steps
    # the initial state is h0 = h_{-1}; h_0 is the state after step 0 and must not be named
    labels = [view.ax.get_xlabel(), view.ax.get_ylabel(), view.ax.get_title()]
    assert not any("h_0" in label for label in labels)
    assert "h_{-1}" in view.ax.get_xlabel()


def test_survival_message_uses_the_measured_half_life():
    kept = 0.8 ** np.arange(1, 31)
    result = {"kept": kept, "predicted": 0.8 ** np.arange(1, 31)}
    text = describe_survival(result)
    assert "half of the memory survives 3.1 steps" in text and "says 3.1" in text
    assert "update gate bias 1.39" in text


def test_views_draw_on_their_own_figures():
    view = UpdateGateMemoryView(steps=10)
    assert isinstance(view.figure.fig, Figure)
    assert bytes(view.figure.widget.value).startswith(b"\x89PNG")
