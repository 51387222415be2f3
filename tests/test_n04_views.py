"""Notebook 04's views driven headlessly: "spectral radius" and "clip threshold" (+ "clipping")."""

import math

import numpy as np
import pytest

import rnn_helpers.widgets.n04_vanishing_and_exploding_gradients as gw
from rnn_helpers.lessons.n04_vanishing_and_exploding_gradients import zero_guess_mse

# --------------------------------------------------------------------------- spectral radius


def test_spectral_radius_slider_is_labelled_and_spans_half_to_one_and_a_half():
    view = gw.SpectralRadiusView()
    assert view.slider.description == "spectral radius"
    assert (view.slider.min, view.slider.max) == (0.5, 1.5)
    assert view.slider.continuous_update  # analytic: redraws while dragging


def test_every_radius_redraws_the_computed_curves_in_place():
    view = gw.SpectralRadiusView()
    renders, pictures = view.figure.renders, {view.figure.widget.value}
    values = [view.slider.min, 0.8, 1.0, 1.25, view.slider.max]
    for r in values:
        view.slider.value = r
        linear, tanh = gw.spectral_radius_curves(r)
        lo, hi = gw.Y_RANGE[0] / 10, gw.Y_RANGE[1] * 10
        np.testing.assert_allclose(view.linear_line.get_ydata(), np.clip(linear, lo, hi))
        np.testing.assert_allclose(view.tanh_line.get_ydata(), np.clip(tanh, lo, hi))
        assert f"spectral radius {r:.2f}" in view.message.text
        assert f"{r:.2f}" in view.ax.get_title()
        pictures.add(view.figure.widget.value)
    assert view.figure.renders == renders + len(values)
    assert len(pictures) == len(values) + 1
    assert len(view.figure.fig.axes) == 1


@pytest.mark.parametrize(("radius", "word"), [(0.5, "vanishes"), (1.0, "neither"),
                                              (1.5, "explodes")])
def test_message_names_the_regime(radius, word):
    view = gw.SpectralRadiusView(radius)
    assert word in view.message.text


def test_linear_curve_is_exactly_r_to_the_d_times_the_radius_one_curve():
    one, _ = gw.spectral_radius_curves(1.0)
    lin, _ = gw.spectral_radius_curves(0.7)
    np.testing.assert_allclose(lin, one * 0.7 ** np.arange(one.size))


def test_bad_radius_is_refused():
    with pytest.raises(ValueError, match="radius"):
        gw.spectral_radius_curves(0.0)


# --------------------------------------------------------------------------- clipping


@pytest.fixture
def counted_runs(monkeypatch):
    """Count the training runs the view starts (cache cleared for the test)."""
    calls = []
    real = gw.exploding_run

    def counting(clip, **kwargs):
        calls.append(clip)
        return real(clip, **kwargs)

    monkeypatch.setattr(gw, "exploding_run", counting)
    monkeypatch.setattr(gw, "_RUNS", {})
    return calls


def test_clip_widgets_are_labelled_and_train_on_release(counted_runs):
    view = gw.ClipView(progress=False)
    assert view.slider.description == "clip threshold"
    assert view.toggle.description == "clipping"
    assert list(view.toggle.options) == ["norm", "value"]
    assert view.slider.continuous_update is False
    values = [v for _, v in gw.CLIP_THRESHOLDS]
    assert values[0] <= 1e-4 and math.isinf(values[-1])  # a tiny end and a "no clipping" end


def test_geometry_value_clipping_turns_norm_clipping_keeps_direction():
    for c in (0.1, 0.5, 2.0):
        _, angle_norm = gw.clip_geometry(c, "norm")
        clipped, angle_value = gw.clip_geometry(c, "value")
        assert angle_norm == pytest.approx(0.0, abs=1e-6)
        assert angle_value > 5.0
        assert np.abs(clipped).max() <= c
    assert gw.clip_geometry(math.inf, "value")[1] == 0.0


def test_extremes_give_a_plot_and_a_sentence_never_an_error(counted_runs):
    view = gw.ClipView(progress=False)
    renders = view.figure.renders
    view.slider.value = math.inf
    assert "diverged at step" in view.message.text
    assert len(view.run_end.get_xdata()) == 1  # the ✕ where it diverged
    view.slider.value = 1e-4
    assert "barely learned" in view.message.text
    view.toggle.value = "value"
    view.slider.value = 100.0
    assert "learned nothing useful" in view.message.text
    view.slider.value = 0.1
    assert "learned: validation MSE" in view.message.text
    assert "26.6°" in view.ax_g.get_title()
    np.testing.assert_allclose(view.arrow.xy, gw.clip_geometry(0.1, "value")[0])
    assert view.figure.renders == renders + 5  # four slider moves and one toggle
    assert len(view.figure.fig.axes) == 2


def test_runs_are_cached_per_mode_and_threshold(counted_runs):
    view = gw.ClipView(progress=False)  # trains "off" (the reference) and norm 1
    assert len(counted_runs) == 2
    view.slider.value = 0.1
    view.slider.value = 1.0
    view.slider.value = 0.1
    assert len(counted_runs) == 3
    view.toggle.value = "value"  # value 0.1 is a new run
    assert len(counted_runs) == 4
    assert counted_runs[-1] == ("value", 0.1)


def test_describe_run_sentences():
    from rnn_helpers.train import History

    baseline = zero_guess_mse()
    assert 0.4 < baseline < 0.7
    h = gw.clipped_run("norm", math.inf)
    assert gw.describe_run(h, baseline).startswith(f"diverged at step {h.diverged_at_step}")

    def ending_at(val):
        return gw.describe_run(History(val={"loss": [1.0, val]}, steps=200), 0.5)

    assert ending_at(0.6).startswith("ran 200 steps but learned nothing useful")
    assert ending_at(0.3).startswith("barely learned")
    assert ending_at(0.2).startswith("partly learned: validation MSE 0.2 ")   # above 0.1
    assert ending_at(0.05).startswith("learned: validation MSE 0.05 ")


# --------------------------------------------------------------------------- seeds, weak input


def test_weak_input_curve_is_drawn_and_named():
    view = gw.SpectralRadiusView(1.5)
    _, weak = gw.spectral_radius_curves(1.5, input_scale=gw.WEAK_INPUT)
    lo, hi = gw.Y_RANGE[0] / 10, gw.Y_RANGE[1] * 10
    np.testing.assert_allclose(view.weak_line.get_ydata(), np.clip(weak, lo, hi))
    assert "weak input" in view.message.text and "saturate" in view.message.text
    with pytest.raises(ValueError, match="input_scale"):
        gw.spectral_radius_curves(1.0, input_scale=-1.0)


def test_views_follow_the_seed():
    lin0, tanh0 = gw.spectral_radius_curves(1.2, seed=0)
    lin1, tanh1 = gw.spectral_radius_curves(1.2, seed=1)
    assert not np.allclose(lin0, lin1) and not np.allclose(tanh0, tanh1)
    view = gw.SpectralRadiusView(1.2, seed=1)
    np.testing.assert_allclose(view.tanh_line.get_ydata(),
                               np.clip(tanh1, gw.Y_RANGE[0] / 10, gw.Y_RANGE[1] * 10))


def test_clip_runs_are_cached_per_seed(counted_runs):
    gw.clipped_run("norm", 1.0, seed=0)
    gw.clipped_run("norm", 1.0, seed=1)
    gw.clipped_run("norm", 1.0, seed=1)
    assert len(counted_runs) == 2
    view = gw.ClipView(progress=False, seed=1)  # "off" for seed 1 is new, norm 1 is cached
    assert len(counted_runs) == 3
    run = gw.clipped_run("norm", 1.0, seed=1)
    assert f"validation MSE {run.val_loss[-1]:.3g}" in view.message.text
