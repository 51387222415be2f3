"""Tests of rnn_helpers.data: shapes, determinism, the rules of each task, bad arguments."""

import numpy as np
import pytest

from rnn_helpers.data import (
    DISTRACTOR_WORDS,
    FILLER_WORDS,
    NEGATIVE_WORDS,
    POSITIVE_WORDS,
    Vocabulary,
    adding_problem,
    copy_task,
    make_review_corpus,
    noisy_sine,
    pad_sequences,
    sine_dataset,
    sine_windows,
    split_series,
    verdict_label,
)

# ----------------------------------------------------------------------------- noisy sine


def test_noisy_sine_is_a_sine_plus_noise_of_the_stated_size():
    s = noisy_sine(5000, noise=0.1, dt=0.1, seed=3)
    assert s.shape == (5000,) and s.dtype == np.float64
    residual = s - np.sin(np.arange(5000) * 0.1)
    assert abs(residual.std() - 0.1) < 0.005
    assert abs(residual.mean()) < 0.01
    np.testing.assert_allclose(noisy_sine(100, noise=0.0), np.sin(np.arange(100) * 0.1))


def test_noisy_sine_is_deterministic_per_seed():
    np.testing.assert_array_equal(noisy_sine(200, seed=1), noisy_sine(200, seed=1))
    assert not np.allclose(noisy_sine(200, seed=1), noisy_sine(200, seed=2))


def test_sine_windows_cut_consecutive_values_and_the_next_one():
    series = np.arange(20, dtype=float)
    x, y = sine_windows(series, window=5)
    assert x.shape == (5, 15, 1) and y.shape == (15, 1)
    for n in (0, 7, 14):
        np.testing.assert_array_equal(x[:, n, 0], series[n : n + 5])
        assert y[n, 0] == series[n + 5]
    x2, y2 = sine_windows(series, window=5, stride=4)
    assert x2.shape == (5, 4, 1)
    np.testing.assert_array_equal(y2[:, 0], [5, 9, 13, 17])


def test_the_two_course_window_tasks():
    series = noisy_sine(300, seed=0)
    x10, y10 = sine_windows(series, 10)
    x50, y50 = sine_windows(series, 50)
    assert x10.shape == (10, 290, 1) and y10.shape == (290, 1)
    assert x50.shape == (50, 250, 1) and y50.shape == (250, 1)
    assert y50[0, 0] == series[50]  # 50 values -> the 51st


def test_split_by_time_has_no_leakage():
    series = noisy_sine(1000, seed=0)
    train, val = split_series(series, 0.2)
    assert train.shape == (800,) and val.shape == (200,)
    np.testing.assert_array_equal(np.concatenate([train, val]), series)
    x_tr, y_tr, x_va, y_va = sine_dataset(window=50, n_points=1000, val_fraction=0.2, seed=0)
    assert x_tr.shape == (50, 750, 1) and x_va.shape == (50, 150, 1)
    # Every validation input and target comes from the last 200 samples, training ones
    # from the first 800 (noise makes values unique, so membership identifies the part).
    assert np.isin(x_va, series[800:]).all() and np.isin(y_va, series[800:]).all()
    assert np.isin(x_tr, series[:800]).all() and np.isin(y_tr, series[:800]).all()


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: noisy_sine(0), "n_points"),
        (lambda: noisy_sine(10, noise=-1), "noise"),
        (lambda: noisy_sine(10, dt=0), "dt"),
        (lambda: sine_windows(np.zeros(10), 10), "longer than window"),
        (lambda: sine_windows(np.zeros((10, 2)), 3), "1-D"),
        (lambda: sine_windows(np.zeros(10), 0), "window"),
        (lambda: split_series(np.zeros(10), 1.0), "val_fraction"),
        (lambda: sine_dataset(window=50, n_points=200), "validation part"),
    ],
)
def test_sine_bad_arguments_raise_value_errors_naming_them(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----------------------------------------------------------------------------- adding problem


def test_adding_problem_markers_and_target():
    x, y = adding_problem(500, 30, seed=0)
    assert x.shape == (30, 500, 2) and y.shape == (500, 1) and x.dtype == np.float64
    markers = x[..., 1]
    assert set(np.unique(markers)) == {0.0, 1.0}
    assert (markers.sum(axis=0) == 2).all()
    assert (markers[:15].sum(axis=0) == 1).all() and (markers[15:].sum(axis=0) == 1).all()
    assert (x[..., 0] >= 0).all() and (x[..., 0] < 1).all()
    np.testing.assert_allclose(y[:, 0], (x[..., 0] * markers).sum(axis=0))


def test_adding_problem_constant_guess_mse_is_about_one_sixth():
    _, y = adding_problem(20000, 20, seed=1)
    mse = np.mean((y - y.mean()) ** 2)
    assert abs(mse - 1 / 6) < 0.01


def test_adding_problem_odd_and_minimal_lengths():
    x, _ = adding_problem(50, 2, seed=0)
    np.testing.assert_array_equal(x[..., 1], 1.0)  # T=2: both steps are marked
    x, _ = adding_problem(200, 7, seed=0)
    assert (x[:3, :, 1].sum(axis=0) == 1).all() and (x[3:, :, 1].sum(axis=0) == 1).all()


def test_adding_problem_deterministic_per_seed():
    a, ya = adding_problem(10, 12, seed=5)
    b, yb = adding_problem(10, 12, seed=5)
    c, _ = adding_problem(10, 12, seed=6)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"n_samples": 0, "seq_len": 10}, "n_samples"), ({"n_samples": 5, "seq_len": 1}, "seq_len")],
)
def test_adding_problem_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        adding_problem(**kwargs)


# ----------------------------------------------------------------------------- copy task


def test_copy_task_layout():
    n_symbols, seq_len, delay = 5, 4, 6
    x, y = copy_task(50, n_symbols, seq_len, delay, seed=0)
    T = 2 * seq_len + delay
    assert x.shape == (T, 50, n_symbols + 2) and y.shape == (T, 50) and y.dtype == np.int64
    np.testing.assert_array_equal(x.sum(axis=-1), 1.0)  # one-hot
    inputs = x.argmax(axis=-1)
    blank, go = n_symbols, n_symbols + 1
    assert (inputs[:seq_len] < n_symbols).all()
    assert (inputs[seq_len + delay - 1] == go).all()
    assert (inputs[seq_len : seq_len + delay - 1] == blank).all()
    assert (inputs[seq_len + delay :] == blank).all()
    assert (y[: seq_len + delay] == blank).all()
    np.testing.assert_array_equal(y[-seq_len:], inputs[:seq_len])
    other, _ = copy_task(50, n_symbols, seq_len, delay, seed=1)
    assert not np.array_equal(x, other)
    np.testing.assert_array_equal(x, copy_task(50, n_symbols, seq_len, delay, seed=0)[0])


def test_copy_task_bad_arguments():
    with pytest.raises(ValueError, match="delay"):
        copy_task(5, 4, 3, 0)
    with pytest.raises(ValueError, match="n_symbols"):
        copy_task(5, 0, 3, 2)


# ----------------------------------------------------------------------------- review corpus


def test_review_corpus_shapes_balance_and_determinism():
    c = make_review_corpus(101, min_len=10, max_len=15, seed=0)
    assert len(c) == 101 and c.labels.shape == (101,) and c.labels.dtype == np.int64
    assert c.labels.sum() == 50  # exactly balanced: n // 2 positive
    assert all(10 <= len(t) <= 15 for t in c.tokens)
    same = make_review_corpus(101, min_len=10, max_len=15, seed=0)
    other = make_review_corpus(101, min_len=10, max_len=15, seed=1)
    assert same.tokens == c.tokens and (same.labels == c.labels).all()
    assert other.tokens != c.tokens
    assert c.texts[0] == " ".join(c.tokens[0])
    assert all(t in c.vocab for toks in c.tokens for t in toks)  # nothing would encode as <unk>


def test_review_label_is_the_single_verdict_word_near_the_start():
    c = make_review_corpus(300, min_len=12, max_len=20, seed=2, key_window=3, distractor_rate=0.3)
    verdicts = set(POSITIVE_WORDS) | set(NEGATIVE_WORDS)
    for toks, label, pos in zip(c.tokens, c.labels, c.key_positions, strict=True):
        assert pos < 3
        assert [i for i, t in enumerate(toks) if t in verdicts] == [pos]
        assert (toks[pos] in POSITIVE_WORDS) == (label == 1)
        assert verdict_label(toks) == label
        assert all(t in FILLER_WORDS or t in DISTRACTOR_WORDS for t in toks[3:])
        assert all(t in FILLER_WORDS for i, t in enumerate(toks[:3]) if i != pos)


def test_flipping_the_verdict_word_flips_the_label():
    c = make_review_corpus(50, seed=4)
    for toks, label, pos in zip(c.tokens, c.labels, c.key_positions, strict=True):
        flipped = list(toks)
        flipped[pos] = NEGATIVE_WORDS[0] if label == 1 else POSITIVE_WORDS[0]
        assert verdict_label(flipped) == 1 - label
    with pytest.raises(ValueError, match="no verdict"):
        verdict_label(["the", "movie"])


def _bow_accuracy(corpus_train, corpus_test, window):
    """Least-squares linear classifier on bag-of-words counts of a token window."""

    def features(c):
        f = np.zeros((len(c), len(c.vocab)))
        for n, toks in enumerate(c.tokens):
            for i in c.vocab.encode(toks[window]):
                f[n, i] += 1
        return np.hstack([f, np.ones((len(c), 1))])

    w, *_ = np.linalg.lstsq(features(corpus_train), 2.0 * corpus_train.labels - 1, rcond=None)
    pred = features(corpus_test) @ w > 0
    return np.mean(pred == (corpus_test.labels == 1))


def test_only_the_far_word_carries_the_label():
    train = make_review_corpus(2000, min_len=20, max_len=30, seed=0, distractor_rate=0.2)
    test = make_review_corpus(2000, min_len=20, max_len=30, seed=1, distractor_rate=0.2)
    # The last 15 tokens never include the verdict: a bag of words over them is at chance.
    assert 0.45 < _bow_accuracy(train, test, slice(-15, None)) < 0.55
    # The same classifier on the first 3 tokens is perfect: the test can tell the difference.
    assert _bow_accuracy(train, test, slice(0, 3)) > 0.99


def test_vocabulary_specials_encode_decode():
    v = Vocabulary(["a", "b"])
    assert len(v) == 4 and v.itos[:2] == ["<pad>", "<unk>"] and v.stoi["a"] == 2
    np.testing.assert_array_equal(v.encode(["b", "zzz", "a"]), [3, 1, 2])
    assert v.decode([3, 1, 2, 0, 0]) == ["b", "<unk>", "a"]
    assert v.decode([2, 0], skip_pad=False) == ["a", "<pad>"]
    with pytest.raises(ValueError, match="unique"):
        Vocabulary(["a", "a"])
    with pytest.raises(ValueError, match="special"):
        Vocabulary(["<pad>"])
    with pytest.raises(ValueError, match="split"):
        v.encode("a b")
    with pytest.raises(ValueError, match="ids"):
        v.decode([9])


def test_padding_and_lengths():
    ids, lengths = pad_sequences([[5, 6, 7], [8], [9, 10]])
    assert ids.shape == (3, 3) and ids.dtype == np.int64
    np.testing.assert_array_equal(lengths, [3, 1, 2])
    np.testing.assert_array_equal(ids, [[5, 8, 9], [6, 0, 10], [7, 0, 0]])
    ids_bf, _ = pad_sequences([[5, 6, 7], [8], [9, 10]], batch_first=True)
    np.testing.assert_array_equal(ids_bf, ids.T)
    with pytest.raises(ValueError, match="length >= 1"):
        pad_sequences([[1], []])


def test_corpus_batch_round_trips():
    c = make_review_corpus(20, min_len=5, max_len=12, seed=3)
    ids, lengths, labels = c.batch([4, 0, 7])
    assert ids.shape == (max(len(c.tokens[i]) for i in (4, 0, 7)), 3)
    for col, i in enumerate((4, 0, 7)):
        assert lengths[col] == len(c.tokens[i]) and labels[col] == c.labels[i]
        assert c.vocab.decode(ids[:, col]) == c.tokens[i]
        assert (ids[lengths[col] :, col] == 0).all()
    ids_all, lengths_all, _ = c.batch(batch_first=True)
    assert ids_all.shape == (20, lengths_all.max())
    with pytest.raises(ValueError, match="indices"):
        c.batch([20])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"min_len": 3, "key_window": 3}, "min_len"),
        ({"min_len": 10, "max_len": 9}, "max_len"),
        ({"distractor_rate": 1.5}, "distractor_rate"),
        ({"n_reviews": 0}, "n_reviews"),
    ],
)
def test_review_corpus_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_review_corpus(**kwargs)
