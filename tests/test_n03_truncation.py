"""Truncated BPTT (notebook 03's lesson module) and its "truncation k" view, headless."""

import io
import math
import warnings

import numpy as np
import PIL.Image
import pytest
from matplotlib.colors import to_rgba

from rnn_helpers.lessons.n03_backprop_through_time import (
    CUT,
    FULL,
    FUTURE,
    KEPT,
    PARAM_KEYS,
    last_loss_links,
    normalise_k,
    path_counts,
    reach_matrix,
    relative_error,
    truncated_gradients,
    truncation_errors,
    truncation_example,
)
from rnn_helpers.scratch import rnn_backward, rnn_forward
from rnn_helpers.widgets.base import PALETTE
from rnn_helpers.widgets.n03_backprop_through_time import (
    BAR_COLOURS,
    KEPT_COLOUR,
    MATRIX_COLOURS,
    TruncationExplorer,
    describe_truncation,
    format_error,
    matrix_legend_handles,
    sub,
    truncation_slider,
)

# ----------------------------------------------------------------------------- pure parts


def test_reach_matrix_small_case_by_hand():
    expected = np.array([[KEPT, FUTURE, FUTURE, FUTURE],
                         [KEPT, KEPT, FUTURE, FUTURE],
                         [CUT, KEPT, KEPT, FUTURE],
                         [CUT, CUT, KEPT, KEPT]])
    np.testing.assert_array_equal(reach_matrix(4, 1), expected)


@pytest.mark.parametrize("T", [1, 2, 7])
def test_reach_matrix_ends_k0_diagonal_and_full_lower_triangle(T):
    np.testing.assert_array_equal(reach_matrix(T, 0) == KEPT, np.eye(T, dtype=bool))
    full = reach_matrix(T, None)
    np.testing.assert_array_equal(full == KEPT, np.tril(np.ones((T, T), dtype=bool)))
    for k in (T - 1, T, T + 3, FULL):
        np.testing.assert_array_equal(reach_matrix(T, k), full)


@pytest.mark.parametrize(("T", "k"), [(10, 0), (10, 3), (10, 9), (5, 2), (1, 0)])
def test_path_counts_follow_min_t_k_plus_one(T, k):
    kept, total = path_counts(T, k)
    assert kept == sum(min(t, k) + 1 for t in range(T))
    assert total == T * (T + 1) // 2


def test_last_loss_links():
    # Link j carries the gradient from step j+1 into h_j; j = -1 is h0.
    np.testing.assert_array_equal(last_loss_links(5, 0), [False] * 5)
    np.testing.assert_array_equal(last_loss_links(5, 1), [False, False, False, False, True])
    np.testing.assert_array_equal(last_loss_links(5, 3), [False, False, True, True, True])
    np.testing.assert_array_equal(last_loss_links(5, 4), [True] * 5)  # reaches h0
    np.testing.assert_array_equal(last_loss_links(5, FULL), [True] * 5)
    # The links kept are exactly the k steps of the window below the loss's own step.
    for k in range(6):
        assert last_loss_links(5, k).sum() == min(k, 4) + (k >= 4)


@pytest.mark.parametrize("k", [None, FULL, 0, 3, np.int64(2)])
def test_normalise_k_accepts(k):
    out = normalise_k(k)
    assert out is None if k in (None, FULL) else out == int(k)


@pytest.mark.parametrize("k", [-1, 1.5, True, "all", [2]])
def test_normalise_k_refuses_with_the_argument_name(k):
    with pytest.raises(ValueError, match="k: expected"):
        normalise_k(k)


@pytest.mark.parametrize("T", [0, -2, 2.0, True])
def test_reach_matrix_refuses_bad_T(T):
    with pytest.raises(ValueError, match="T: expected"):
        reach_matrix(T, 1)


def test_relative_error():
    a = np.array([3.0, 4.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(2), np.zeros(2)) == 0.0
    assert relative_error(np.array([3.0, 0.0]), a) == pytest.approx(4.0 / 5.0)
    assert relative_error(a, np.zeros(2)) == math.inf
    assert relative_error(np.array([np.nan, 1.0]), a) == math.inf
    with pytest.raises(ValueError, match="approx"):
        relative_error(np.zeros(3), a)


def _truncated_by_definition(x, h0, params, dh, k):
    """The definition itself: for every t, rerun steps t-k..t from the *true* h_{t-k-1}
    (h0 where the window starts at 0), send dh[t] into h_t only, add up full BPTT."""
    h, _ = rnn_forward(x, h0, params)
    T = x.shape[0]
    total = {n: 0.0 for n in PARAM_KEYS}
    for t in range(T):
        start = max(0, t - k)
        h_before = h0 if start == 0 else h[start - 1]
        _, cache = rnn_forward(x[start:t + 1], h_before, params)
        window_dh = np.zeros((t + 1 - start,) + dh.shape[1:])
        window_dh[-1] = dh[t]
        g = rnn_backward(window_dh, cache)
        for n in PARAM_KEYS:
            total[n] = total[n] + g[n]
        # The window has as many steps as the loss at t reaches in reach_matrix.
        assert t + 1 - start == np.sum(reach_matrix(T, k)[t] == KEPT)
    return total


@pytest.mark.parametrize("k", [0, 1, 4, 8])
def test_truncated_gradients_follow_the_definition(k):
    x, h0, params, dh = truncation_example(T=9, B=2, D=3, H=4, seed=3)
    got = truncated_gradients(x, h0, params, dh, [k])[k]
    expected = _truncated_by_definition(x, h0, params, dh, k)
    for n in PARAM_KEYS:
        np.testing.assert_allclose(got[n], expected[n], rtol=1e-10, atol=1e-12)


def test_truncation_errors_zero_only_when_nothing_is_cut():
    T = 10
    x, h0, params, dh = truncation_example(T=T)
    grads = truncated_gradients(x, h0, params, dh, [*range(T + 2), FULL])
    errors = truncation_errors(grads)
    for k in (T - 1, T, T + 1, FULL):
        assert errors[k] == {n: 0.0 for n in PARAM_KEYS}
    for k in range(T - 1):
        assert all(errors[k][n] > 0 for n in PARAM_KEYS)
    # Keeping more of the paths brings every parameter's gradient closer on this example.
    for n in PARAM_KEYS:
        assert errors[0][n] > errors[4][n] > errors[8][n] > 0
    direct = relative_error(grads[3]["W_hh"], grads[FULL]["W_hh"])
    assert errors[3]["W_hh"] == direct
    with pytest.raises(ValueError, match="full"):
        truncation_errors({0: grads[0]})


def test_truncation_example_is_seeded_and_has_the_asked_radius():
    a = truncation_example(T=6, radius=0.7, seed=5)
    b = truncation_example(T=6, radius=0.7, seed=5)
    for u, v in zip(a, b, strict=True):
        if isinstance(u, dict):
            for n in u:
                np.testing.assert_array_equal(u[n], v[n])
        else:
            np.testing.assert_array_equal(u, v)
    radius = np.max(np.abs(np.linalg.eigvals(a[2]["W_hh"])))
    assert radius == pytest.approx(0.7)
    assert a[0].shape == (6, 4, 3) and a[3].shape == (6, 4, 8)


@pytest.mark.parametrize(("e", "text"), [(0.0, "exact"), (0.537, "54%"), (0.01, "1%"),
                                         (0.0031, "3.1e-03"), (math.inf, "diverged")])
def test_format_error(e, text):
    assert format_error(e) == text


def test_describe_truncation_sentences():
    errors = {"W_xh": 0.2, "W_hh": 0.5, "b_h": 0.1}
    text, kind = describe_truncation(10, 0, errors)
    assert "only its own step" in text and "45 of 55" in text and "W_hh is off by 50%" in text
    assert kind == "info"
    text, kind = describe_truncation(10, 3, errors)
    assert "its own step and 3 before it" in text and "21 of 55" in text
    zeros = dict.fromkeys(errors, 0.0)
    for k in (9, FULL):
        text, kind = describe_truncation(10, k, zeros)
        assert "exactly the full gradient" in text and kind == "good"


def test_sub_writes_unicode_subscripts():
    assert sub("h", 3) == "h₃" and sub("h", -1) == "h₋₁" and sub("x", 10) == "x₁₀"


# ----------------------------------------------------------------------------- the view


def test_slider_is_labelled_and_offers_0_to_T_minus_1_then_full():
    slider = truncation_slider(10)
    assert slider.description == "truncation k"
    assert [value for _, value in slider.options] == [*range(10), FULL]
    assert list(slider._options_labels) == [*map(str, range(10)), "full"]
    with pytest.raises(ValueError, match="value"):
        truncation_slider(10, value=10)


def _png(view):
    return np.asarray(PIL.Image.open(io.BytesIO(view.figure.widget.value)).convert("RGB"))


def test_every_slider_value_redraws_in_place_with_matching_artists():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no log(0), no layout warnings
        view = TruncationExplorer(T=10, k=2)
        T = view.T
        renders = view.figure.renders
        pictures = {view.figure.widget.value}
        values = [0, *range(1, T), FULL, 0]
        for k in values:
            view.slider.value = k
            np.testing.assert_array_equal(view.matrix.get_array(), reach_matrix(T, k))
            kept = last_loss_links(T, k)
            for arrow, on in zip(view.chain.links, kept, strict=True):
                assert (arrow.get_edgecolor() == to_rgba(KEPT_COLOUR)) == bool(on)
                assert (arrow.get_linestyle() == "-") == bool(on)
            heights = [bar.get_height() for bar in view.bars]
            np.testing.assert_allclose(heights, view.bar_heights(k))
            labels = [t.get_text() for t in view.bar_labels]
            assert labels == [format_error(view.errors[k][n]) for n in PARAM_KEYS]
            assert view.message.text == describe_truncation(T, k, view.errors[k])[0]
            assert view.message.text.startswith(f"k = {k}")
            assert view.k_text.get_text().startswith(f"k = {k}")
            pictures.add(view.figure.widget.value)
        assert view.figure.renders == renders + len(values)
        assert len(pictures) == T + 1, "each of the T + 1 positions draws its own picture"
        assert len(view.figure.fig.axes) == 3, "the figure is updated, not stacked"


def test_full_and_k_T_minus_1_show_an_exact_gradient_without_bars():
    view = TruncationExplorer(T=10, k=FULL)
    assert view.k_text.get_text() == "k = full"
    for k in (FULL, 9):
        view.slider.value = k
        assert [t.get_text() for t in view.bar_labels] == ["exact"] * 3
        assert all(bar.get_height() == 0.0 for bar in view.bars)
        assert "exactly the full gradient" in view.message.text
        assert 'color:#009E73' in view.message.widget.value  # the "good" colour
    assert view.k_text.get_text() == "k = 9 (≥ T−1)"
    assert not view.chain.cut_line.get_visible()
    view.slider.value = 0
    assert view.chain.cut_line.get_visible()
    assert view.chain.cut_text.get_text() == "h₈ is a constant"
    assert all(bar.get_height() > 0 for bar in view.bars)


def test_blitted_picture_equals_a_full_redraw():
    """Redrawing only the changing artists leaves no stale pixels behind."""
    view = TruncationExplorer(T=10, k=0)
    view.slider.value = FULL  # bars vanish, the matrix fills, every link turns on
    blitted = _png(view)
    for artist in view.figure.dynamic:
        artist.set_animated(False)
    buffer = io.BytesIO()
    view.figure.fig.savefig(buffer, format="png")
    full = np.asarray(PIL.Image.open(buffer).convert("RGB"))
    assert blitted.shape == full.shape
    differ = np.any(np.abs(blitted.astype(int) - full.astype(int)) > 60, axis=2)
    # Only anti-aliased edges where a dynamic artist meets a static one may differ.
    assert differ.mean() < 0.002, f"{differ.mean():.2%} of the pixels differ"


def test_matrix_colours_keep_the_kept_colour_of_the_chain():
    assert MATRIX_COLOURS[KEPT] == KEPT_COLOUR


def test_matrix_legend_names_each_colour_of_the_matrix():
    """The legend under notebook 03's side-by-side matrices: each entry has the colour the
    matrix draws for its value (kept, cut, future)."""
    from matplotlib.colors import to_rgba

    entries = {h.get_label().split("\n")[0].split(":")[0]: to_rgba(h.get_facecolor())
               for h in matrix_legend_handles()}  # fmt: skip
    assert entries == {"kept": to_rgba(MATRIX_COLOURS[KEPT]),
                       "cut by": to_rgba(MATRIX_COLOURS[CUT]),
                       "future": to_rgba(MATRIX_COLOURS[FUTURE])}  # fmt: skip


def test_colour_words_match_the_colours_drawn():
    """Kept paths are vermillion, called "red-orange"; no bar shares an orange with them."""
    assert KEPT_COLOUR == PALETTE[3]
    assert not {PALETTE[1], PALETTE[3]} & set(BAR_COLOURS.values())
    view = TruncationExplorer(T=4, k=1)
    title = view.ax_chain.get_title()
    assert "red-orange arcs" in title and " orange" not in title.replace("red-orange", "")
