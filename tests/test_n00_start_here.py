"""The "memory a" teaser of notebook 00, driven headlessly, and the shared widget parts."""

import numpy as np
import pytest

from rnn_helpers.lessons.n00_start_here import describe_memory, impulse_response
from rnn_helpers.widgets.base import labelled_slider
from rnn_helpers.widgets.n00_start_here import MemoryExplorer


def test_impulse_response_is_powers_of_a():
    for a in (0.0, 0.5, 1.0, 1.3):
        np.testing.assert_allclose(impulse_response(a, 12), a ** np.arange(12))


@pytest.mark.parametrize(("a", "words"), [(0.0, "no memory"), (0.7, "fades"), (1.0, "persists"),
                                          (1.5, "blows up")])
def test_message_names_the_regime(a, words):
    assert words in describe_memory(a)


def test_slider_is_labelled_and_spans_0_to_1_5():
    view = MemoryExplorer()
    assert view.slider.description == "memory a"
    assert (view.slider.min, view.slider.max) == (0.0, 1.5)


def test_every_slider_value_redraws_in_place_with_a_sentence():
    view = MemoryExplorer()
    pictures = {view.figure.widget.value}
    renders = view.figure.renders
    for a in (view.slider.min, 0.5, 1.0, view.slider.max):
        view.slider.value = a
        np.testing.assert_allclose(view.line.get_ydata(), a ** np.arange(view.T))
        assert view.message.text.startswith(f"a = {a:.2f}")
        pictures.add(view.figure.widget.value)
    assert view.figure.renders == renders + 4
    assert len(pictures) == 5, "each value must produce a different picture"
    assert len(view.figure.fig.axes) == 1, "the figure is updated, not stacked"


@pytest.mark.parametrize("T", [0, -3, 2.5, True])
def test_bad_lengths_are_refused_with_the_argument_name(T):
    with pytest.raises(ValueError, match="^T: expected an integer"):
        impulse_response(0.5, T)


def test_labelled_slider_refuses_a_value_outside_its_range():
    with pytest.raises(ValueError, match="outside"):
        labelled_slider("memory a", 0.0, 1.5, 0.1, 2.0)
    with pytest.raises(ValueError, match="min < max"):
        labelled_slider("memory a", 1.0, 1.0, 0.1, 1.0)


def test_memory_step_checker_accepts_the_solution_and_rejects_mistakes(capsys):
    from rnn_helpers.checks import check_memory_step
    from rnn_helpers.lessons.n00_start_here import memory_step

    assert check_memory_step(memory_step)
    assert "✓" in capsys.readouterr().out
    assert not check_memory_step(lambda h_prev, x_t, a: a * x_t + h_prev)
    assert "multiplies the old state" in capsys.readouterr().out
    assert not check_memory_step(lambda h_prev, x_t, a: None)
    assert "returned None" in capsys.readouterr().out
    assert not check_memory_step(lambda h_prev, x_t, a: 1 / 0)
    assert "ZeroDivisionError" in capsys.readouterr().out


def _pixels(png: bytes):
    import io

    import PIL.Image

    return np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


def test_blitted_render_matches_a_full_redraw():
    from rnn_helpers.widgets.base import BlitFigureImage, FigureImage

    def build(cls):
        figure = cls(figsize=(4, 3), dpi=60)
        ax = figure.fig.subplots()
        ax.plot([0, 1], [0, 1], color="0.5")
        ax.set(xlim=(0, 1), ylim=(0, 1), title="static", xlabel="x", ylabel="y")
        (moving,) = ax.plot([0, 1], [1, 0], color="#D55E00")
        return figure, moving

    blitted, moving = build(BlitFigureImage)
    blitted.set_dynamic([moving])
    blitted.render()
    moving.set_ydata([0.2, 0.9])
    fast = _pixels(blitted.render())
    full, other = build(FigureImage)
    other.set_ydata([0.2, 0.9])
    slow = _pixels(full.render())
    assert fast.shape == slow.shape
    assert (np.abs(fast - slow).max(axis=-1) > 8).sum() <= 20  # antialiasing at most
    moving.set_ydata([0.9, 0.2])
    assert (np.abs(_pixels(blitted.render()) - fast).max(axis=-1) > 8).sum() > 50


def test_a_view_not_yet_run_says_what_appears_when_it_runs():
    bundle = MemoryExplorer().widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert '"memory a"' in bundle["text/plain"] and "run this cell" in bundle["text/plain"]
