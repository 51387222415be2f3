"""Notebook 01's pieces: the "time step" view driven headlessly, its lesson module (the
memoryless hidden layer, the demo data) and the parameter counts checked against torch."""

import time

import numpy as np
import pytest
from torch import nn

from rnn_helpers.counting import count_parameters, linear_parameter_count, recurrent_parameter_count
from rnn_helpers.lessons.n01_hidden_state_vs_hidden_layer import (
    demo_params,
    demo_sequence,
    mlp_hidden_layer,
    mlp_param_count,
)
from rnn_helpers.scratch import init_rnn_params, rnn_forward
from rnn_helpers.widgets.n01_hidden_state_vs_hidden_layer import (
    HiddenStateView,
    describe_step,
    hidden_state_explorer,
    hidden_state_steps,
)

# --------------------------------------------------------------------------- anatomy


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu", "sigmoid"])
def test_hidden_layer_is_the_rnn_without_its_recurrent_term(nonlinearity):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3, 2))
    params = init_rnn_params(2, 4, seed=1)
    no_memory = dict(params, W_hh=np.zeros((4, 4)))
    expected, _ = rnn_forward(x, None, no_memory, nonlinearity)
    np.testing.assert_allclose(mlp_hidden_layer(x, params, nonlinearity), expected, rtol=1e-12)


def test_hidden_layer_refuses_bad_shapes_by_name():
    params = init_rnn_params(2, 4)
    with pytest.raises(ValueError, match="x"):
        mlp_hidden_layer(np.zeros((3, 2)), params)
    with pytest.raises(ValueError, match="W_xh"):
        mlp_hidden_layer(np.zeros((3, 1, 5)), params)
    with pytest.raises(ValueError, match="b_h"):
        mlp_hidden_layer(np.zeros((3, 1, 2)), {"W_xh": params["W_xh"]})


def test_demo_data_repeat_an_input_and_remember():
    x = demo_sequence()
    assert x.shape == (12,) and list(np.flatnonzero(x == 1.0)) == [0, 4, 8]
    p = demo_params()
    assert p["W_xh"].shape == (6, 1) and p["W_hh"].shape == (6, 6) and p["b_h"].shape == (6,)
    assert np.isclose(np.max(np.abs(np.linalg.eigvals(p["W_hh"]))), 0.9)
    np.testing.assert_array_equal(demo_params()["W_hh"], p["W_hh"])  # seeded


@pytest.mark.parametrize(("D", "H"), [(1, 20), (3, 5), (7, 1)])
def test_rnn_count_matches_torch_and_ignores_T(D, H):
    rnn = nn.RNN(D, H)
    assert recurrent_parameter_count("rnn", D, H, torch_biases=True) == count_parameters(rnn)
    # torch's two bias vectors are one b_h in the scratch layers: H fewer numbers.
    assert recurrent_parameter_count("rnn", D, H) == count_parameters(rnn) - H
    # No T anywhere: the same weights at every step.
    assert recurrent_parameter_count("rnn", D, H) == H * D + H * H + H


def test_counts_from_the_course():
    assert recurrent_parameter_count("rnn", 1, 20) == 440
    assert recurrent_parameter_count("rnn", 1, 20, torch_biases=True) == 460
    assert linear_parameter_count(20, 1) == 21 == count_parameters(nn.Linear(20, 1))
    layers = [nn.Linear(1, 20)] + [nn.Linear(20, 20) for _ in range(19)]
    assert mlp_param_count(1, 20, 20) == count_parameters(nn.Sequential(*layers)) == 8020


@pytest.mark.parametrize(("fn", "args", "name"), [
    (recurrent_parameter_count, ("rnn", 0, 3), "input_size"),
    (recurrent_parameter_count, ("rnn", 2, 2.5), "hidden_size"),
    (recurrent_parameter_count, ("transformer", 2, 2), "kind"),
    (mlp_param_count, (1, 20, 0), "n_layers"), (linear_parameter_count, (True, 1), "in_features"),
])  # fmt: skip
def test_counts_refuse_bad_sizes_by_name(fn, args, name):
    with pytest.raises(ValueError, match=name):
        fn(*args)


# --------------------------------------------------------------------------- the view


def test_steps_are_the_library_forward_pass():
    x, p = demo_sequence(), demo_params()
    h, m = hidden_state_steps(x, p)
    expected, _ = rnn_forward(x[:, None, None], np.zeros((1, 6)), p)
    np.testing.assert_allclose(h, expected[:, 0], rtol=1e-12)
    # The same input at t = 0, 4, 8: the hidden layer repeats, the state does not.
    np.testing.assert_array_equal(m[0], m[4])
    np.testing.assert_array_equal(m[0], m[8])
    assert np.max(np.abs(h[4] - h[0])) > 0.1 and np.max(np.abs(h[8] - h[4])) > 0.1
    # From h_{-1} = 0 the first state is the hidden layer's output.
    np.testing.assert_allclose(h[0], m[0], rtol=1e-12)
    with pytest.raises(ValueError, match="x"):
        hidden_state_steps(np.zeros((3, 1)), p)


def test_sentences_name_the_step_and_the_repeat():
    x, p = demo_sequence(), demo_params()
    h, m = hidden_state_steps(x, p)
    assert "h_0 equals the memoryless hidden layer" in describe_step(0, x, h, m)
    assert "the same input as at t = 0" in describe_step(4, x, h, m)
    assert "(the last step)" in describe_step(11, np.append(x[:-1], 7.0), h, m)
    assert "x_0 ... x_5 (6 inputs)" in describe_step(5, x, h, m)
    with pytest.raises(ValueError, match="t"):
        describe_step(12, x, h, m)


def test_slider_label_range_and_layout():
    view = HiddenStateView()
    assert view.slider.description == "time step"
    assert (view.slider.min, view.slider.max, view.slider.value) == (0, 11, 0)
    children = view.widget.children
    assert children == (view.slider, view.figure.widget, view.message.widget)
    assert hidden_state_explorer().children[0].description == "time step"


def test_every_step_redraws_in_place_with_the_right_data():
    view = HiddenStateView()
    n_axes = len(view.figure.fig.axes)
    renders = view.figure.renders
    pictures = {view.figure.widget.value}
    values = [1, 4, 11, 0, 7]  # both ends included, 0 after a move so it redraws
    for t in values:
        view.slider.value = t
        frame = view.frame(t)
        seen = np.asarray(view.seen.get_ydata(), dtype=float)
        np.testing.assert_array_equal(np.isnan(seen), np.arange(12) > t)
        np.testing.assert_array_equal(seen[: t + 1], view.x[: t + 1])
        drawn = view.image.get_array()
        assert drawn.mask[:, t + 1 :].all() and not drawn.mask[:, : t + 1].any()
        np.testing.assert_allclose(drawn[:, : t + 1], view.h[: t + 1].T)
        np.testing.assert_allclose([r.get_width() for r in view.h_bars], frame["h_t"])
        np.testing.assert_allclose([r.get_width() for r in view.m_bars], frame["m_t"])
        assert view.x_band.get_x() == t - 0.5 == view.h_band.get_x()
        assert view.title.get_text().startswith(f"step t = {t} ")
        assert view.message.text.startswith(f"t = {t}")
        pictures.add(view.figure.widget.value)
    assert view.figure.renders == renders + len(values)
    assert len(pictures) == len(values)  # t = 0 twice: the start picture and the last-but-one
    assert len(view.figure.fig.axes) == n_axes, "the figure is updated, not stacked"
    assert all(ax.get_title() for ax in (view.ax_x, view.ax_h, view.ax_b)), "every panel titled"


def test_blitted_picture_equals_a_full_redraw():
    """The fast render (background + changed artists) shows what a full draw shows."""
    view = HiddenStateView()
    view.slider.value = 6
    fast = np.asarray(view.figure.canvas.buffer_rgba()).copy()
    for artist in view.figure.dynamic:
        artist.set_animated(False)
    view.figure.canvas.draw()
    full = np.asarray(view.figure.canvas.buffer_rgba())
    # Only where a tick mark meets the frame may a pixel differ, by a shade.
    diff = np.abs(fast.astype(int) - full.astype(int)).max(axis=-1)
    assert diff.max() <= 32 and np.count_nonzero(diff) <= 20, (diff.max(), np.count_nonzero(diff))


def test_update_is_fast():
    view = HiddenStateView()
    times = []
    for t in [*range(1, 12), *range(10, -1, -1)]:
        start = time.perf_counter()
        view.slider.value = t
        times.append(time.perf_counter() - start)
    # Budget 100 ms on a quiet machine; allow for a busy test machine.
    assert np.median(times) < 0.25, f"median update {1000 * np.median(times):.0f} ms"


def test_relu_and_a_custom_sequence_work_too():
    x = np.array([0.0, 2.0, 2.0, -1.0])
    view = HiddenStateView(t=3, x=x, params=init_rnn_params(1, 3, seed=2))
    assert view.slider.max == 3 and view.h.shape == (4, 3)
    view.slider.value = 0
    assert view.message.text.startswith("t = 0")
    h, _ = hidden_state_steps(x, init_rnn_params(1, 3, seed=2), "relu")
    assert (h >= 0).all()
