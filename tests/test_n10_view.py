"""Notebook 10's "output step" view, driven headlessly: every slider position (both ends
included) gives a picture and a plain sentence; the figure is made once and updated."""

import io

import numpy as np
import pytest
from PIL import Image

from rnn_helpers.data.reversal import ALPHABET
from rnn_helpers.lessons.n10_seq2seq_and_attention import (
    AttentionExample,
    attention_example,
    make_seq2seq,
)
from rnn_helpers.widgets.n10_seq2seq_and_attention import (
    AttentionStepView,
    describe_step,
    step_summary,
)


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


@pytest.fixture(scope="module")
def clean_example():
    """A hand-made anti-diagonal with one wrong letter at step 2."""
    source = "reversal"
    L = len(source)
    weights = np.full((L, L), 0.02)
    weights[np.arange(L), L - 1 - np.arange(L)] = 1.0
    weights[2] = np.roll(weights[2], 1)  # step 2 looks one position too far right
    weights /= weights.sum(axis=1, keepdims=True)
    written = list(source[::-1])
    written[2] = "x"
    return AttentionExample(source, source[::-1], "".join(written), weights)


def test_slider_and_layout(clean_example):
    view = AttentionStepView(clean_example, step=3)
    assert view.slider.description == "output step"
    assert (view.slider.min, view.slider.max, view.slider.value) == (0, 7, 3)
    assert view.widget.children == (view.slider, view.figure.widget, view.message.widget)
    heat, _colourbar, bars = view.figure.fig.axes
    assert [t.get_text() for t in heat.get_xticklabels()][0] == "r\n0"
    assert [t.get_text() for t in heat.get_yticklabels()][2] == "2  x"
    assert heat.get_title().startswith("Attention weights while reversing 'reversal'")
    assert bars.get_title(loc="left").startswith("the framed row again")


def test_slider_extremes_and_every_step_redraw_in_place(clean_example):
    view = AttentionStepView(clean_example, step=0)
    fig = view.figure.fig
    renders = view.figure.renders
    pictures = {}
    for t in [7, 0, 4, 2]:
        view.slider.value = t
        assert view.t == t
        assert view.frame.get_y() == pytest.approx(t - 0.5)  # the framed row
        heights = [float(path.vertices[:, 1].max()) for path in view.bars.get_paths()]
        np.testing.assert_allclose(heights, clean_example.weights[t])
        assert view.should_marker.get_xdata()[0] == 7 - t
        assert view.message.text == describe_step(clean_example, t)
        pictures[t] = _pixels(view.figure.widget.value)
    assert view.figure.fig is fig and view.figure.renders == renders + 4  # one figure, updated
    assert np.abs(pictures[7] - pictures[0]).sum() > 0
    assert "✓" in view.message.widget.value or "⚠" in view.message.widget.value


def test_sentences_say_right_wrong_and_where(clean_example):
    right = describe_step(clean_example, 0)
    assert right == ("output step 0: the decoder wrote 'l' (right), looking at input position 7 "
                     "('l') with 88% of its attention: exactly the letter a reversal copies here.")
    wrong = describe_step(clean_example, 2)
    assert "wrote 'x' (wrong: it should be 's')" in wrong
    assert "a reversal copies position 5 ('s'), which gets 2%" in wrong
    s = step_summary(clean_example, 2)
    assert (s["focus"], s["should"], s["right"]) == (6, 5, False)
    with pytest.raises(ValueError, match=r"^t: expected an output step in 0..7, got 8"):
        step_summary(clean_example, 8)


def test_a_real_model_at_both_ends_and_bad_examples():
    model = make_seq2seq("attention", len(ALPHABET) + 2, seed=0)  # untrained: diffuse weights
    example = attention_example(model, "abcdefghijkl", ALPHABET)
    view = AttentionStepView(example, step=11)
    for t in (0, 11):
        view.slider.value = t
        assert view.message.text.startswith(f"output step {t}: the decoder wrote")
    with pytest.raises(ValueError, match=r"^example.source: expected a string of at least 2"):
        AttentionStepView(AttentionExample("a", "a", "a", np.ones((1, 1))))
    with pytest.raises(ValueError, match=r"^example.weights: expected shape \(L, L\) = \(3, 3\)"):
        AttentionStepView(AttentionExample("abc", "cba", "cba", np.ones((3, 2)) / 2))
