"""Notebook 07's view, the "update gate bias" slider, driven headlessly."""

import numpy as np
from matplotlib.figure import Figure

from rnn_helpers.lessons.n07_gru import gru_survival
from rnn_helpers.widgets.n07_gru import UpdateGateMemoryView, describe_survival


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
