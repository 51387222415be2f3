"""Notebook 09's "temperature" view, driven headlessly: the slider's extremes give a plot and
a plain message, the same temperature gives the same text after the slider moved away,
and a bad prompt is refused by name."""

import numpy as np
import pytest

from rnn_helpers.lessons.n09_language_models import init_char_rnn, load_text, unigram_probs
from rnn_helpers.widgets.n09_language_models import (
    T_MAX,
    T_MIN,
    TemperatureView,
    describe_temperature,
    shown_text,
    temperature_view,
)


@pytest.fixture(scope="module")
def model():
    split = load_text()
    params = init_char_rnn(96, 16, seed=0, unigram=unigram_probs(split.train, 96))
    return params, split.vocab


def test_slider_extremes_give_a_plot_and_a_message(model):
    view = TemperatureView(*model, prompt="The ")
    assert view.slider.description == "temperature"
    assert view.slider.base ** view.slider.min == pytest.approx(T_MIN)
    assert view.slider.base ** view.slider.max == pytest.approx(T_MAX)
    pictures = {}
    for t in (T_MIN, T_MAX):
        before = view.figure.renders
        view.slider.value = t
        assert view.figure.renders == before + 1
        pictures[t] = bytes(view.figure.widget.value)
        assert pictures[t][:4] == b"\x89PNG"
        assert view.message.text.startswith(f"temperature {t:.2f}")
    assert pictures[T_MIN] != pictures[T_MAX]
    # At the cold end one character takes (almost) everything; at the hot end none does.
    view.slider.value = T_MIN
    assert view.last["top"] > 0.99 and view.last["choices"] < 1.1
    assert "greedy" in view.message.text
    view.slider.value = T_MAX
    assert view.last["top"] < 0.5 and view.last["choices"] > 20
    assert "noise" in view.message.text


def test_moving_back_gives_the_same_text_and_picture(model):
    view = TemperatureView(*model, prompt="The ", temperature=0.7, seed=3)
    first_text, first_png = view.last["text"], bytes(view.figure.widget.value)
    view.slider.value = 2.0
    assert view.last["text"] != first_text
    view.slider.value = 0.7
    assert view.last["text"] == first_text
    assert bytes(view.figure.widget.value) == first_png


def test_bars_follow_softmax_with_temperature(model):
    view = TemperatureView(*model)
    frame = view.frame(0.5)
    assert np.isclose(frame["probs"].sum(), 1.0)
    z = view.logits / 0.5
    e = np.exp(z - z.max())
    assert np.allclose(frame["probs"], e / e.sum())
    assert np.array_equal(frame["shown"], frame["probs"][view.order])


def test_bad_prompt_is_refused_by_name(model):
    with pytest.raises(ValueError, match="prompt: characters not in the vocabulary: 'é'"):
        TemperatureView(*model, prompt="é")
    with pytest.raises(ValueError, match="prompt: expected at least one character"):
        temperature_view(*model, prompt="")


def test_messages_name_the_direction_of_randomness():
    assert "less random" in describe_temperature(0.5, 0.8, 2.0, 96)
    assert "more random" in describe_temperature(1.5, 0.2, 20.0, 96)
    assert "own probabilities" in describe_temperature(1.0, 0.3, 10.0, 96)


def test_shown_text_keeps_newlines_and_cuts():
    assert shown_text("ab", "c\nde") == "abc↵\nde"
    long = shown_text("", "x" * 1000, width=10, lines=3)
    assert long.count("\n") == 2 and long.endswith("…") and "↵" not in long
    assert [len(line) for line in long.splitlines()] == [10, 10, 10]


def test_the_displayed_view_carries_a_picture_of_its_first_state(model):
    box = temperature_view(*model)
    bundle = box._repr_mimebundle_()
    assert "image/png" in bundle and '"temperature"' in bundle["text/plain"]
