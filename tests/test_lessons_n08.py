"""Notebook 08's lesson module: its experiments and measurements (the seed-spread claims
themselves are in test_seed_spread_08.py)."""

import numpy as np
import pytest
import torch
from torch import nn

from rnn_helpers.data import NEGATIVE_WORDS, POSITIVE_WORDS, sine_dataset
from rnn_helpers.lessons.n08_rnns_in_practice import (
    MODEL_KINDS,
    BagOfWordsClassifier,
    accuracy,
    change_of_mind_corpora,
    chunked_states,
    closed_loop_errors,
    corpus_pair,
    decay_per_step,
    make_change_of_mind_corpus,
    make_model,
    median_by_distance,
    review_corpora,
    review_tensors,
    tiny_padded_corpus,
    train_classifier,
    verdict_gradients,
)
from rnn_helpers.models import ReviewClassifier, SineForecaster


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# --------------------------------------------------------------------------- seeds


@pytest.mark.parametrize("build", [
    lambda: SineForecaster(seed=3),
    lambda: ReviewClassifier(20, "lstm", seed=3),
    lambda: BagOfWordsClassifier(20, seed=3),
])  # fmt: skip
def test_building_a_model_leaves_the_global_generator_alone(build):
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    build()
    torch.testing.assert_close(torch.rand(3), expected)


def test_models_depend_on_their_seed_only():
    a, b, c = (make_model("gru", 30, seed=s) for s in (4, 4, 5))
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)
    assert not all(torch.equal(p, r) for p, r in zip(a.parameters(), c.parameters(), strict=True))
    torch.manual_seed(0)  # the old way, seeding the global generator, gives the same weights
    reference = nn.RNN(1, 20)
    torch.testing.assert_close(SineForecaster(20, seed=0).rnn.weight_hh_l0, reference.weight_hh_l0)


# --------------------------------------------------------------------------- bag of words


def test_bag_of_words_ignores_order_padding_and_repeats():
    model = BagOfWordsClassifier(10, seed=0).eval()
    ids = torch.tensor([[3, 5, 4], [4, 5, 3], [5, 0, 3], [5, 0, 5]])  # (T, B) = (4, 3)
    bag = model.bag(ids)
    expected = torch.zeros(3, 10)
    expected[0, [3, 4, 5]] = 1
    expected[1, [5]] = 1
    expected[2, [3, 4, 5]] = 1
    torch.testing.assert_close(bag, expected)
    with torch.no_grad():
        logits = model(ids, torch.tensor([4, 2, 4]))
    torch.testing.assert_close(logits[0], logits[2])  # same words, other order and repeats
    assert logits.shape == (3, 2)
    with pytest.raises(ValueError, match=r"ids must be \(T, B\)"):
        model.bag(torch.zeros(3, dtype=torch.int64))
    with pytest.raises(ValueError, match="vocab_size"):
        BagOfWordsClassifier(1)


def test_make_model_kinds_and_accuracy_without_readout():
    train, test, vocab_size = corpus_pair("verdict", 0)
    names = [make_model(k, vocab_size).name for k in MODEL_KINDS]
    assert names == ["BoW", "RNN", "LSTM", "GRU"]
    with pytest.raises(ValueError, match="kind"):
        make_model("cnn", vocab_size)
    model = make_model("bow", vocab_size)
    assert 0.0 <= accuracy(model, test) <= 1.0
    result = train_classifier(model, train, test, epochs=1, progress=False)
    assert result.name == "BoW" and len(result.test_accuracy) == 2


# --------------------------------------------------------------------------- a change of mind


def polarity(word):
    return 1 if word in POSITIVE_WORDS else 0 if word in NEGATIVE_WORDS else None


@pytest.mark.parametrize("seed", [0, 7])
def test_change_of_mind_reviews_hold_both_verdicts_and_the_later_one_decides(seed):
    corpus = make_change_of_mind_corpus(300, 12, 30, seed=seed, min_distance=7)
    assert abs(corpus.labels.mean() - 0.5) < 0.01
    for tokens, label, key in zip(corpus.tokens, corpus.labels, corpus.key_positions,
                                  strict=True):  # fmt: skip
        verdicts = [(i, polarity(w)) for i, w in enumerate(tokens) if polarity(w) is not None]
        # one positive and one negative word in every review: which words occur says
        # nothing about the label, only their order does
        assert len(verdicts) == 2 and {p for _, p in verdicts} == {0, 1}
        assert verdicts[0][0] < 3 and verdicts[1][0] == key  # the later one is the key
        assert verdicts[1][1] == label
        assert len(tokens) - 1 - key >= 7


def test_change_of_mind_corpora_are_seeded_and_checked():
    a, b = change_of_mind_corpora(3, n_train=20, n_test=10)
    again = change_of_mind_corpora(3, n_train=20, n_test=10)[0]
    assert a.tokens == again.tokens and a.tokens != b.tokens[:10] and len(b) == 10
    with pytest.raises(ValueError, match="min_len"):
        make_change_of_mind_corpus(10, 8, 20, min_distance=7)
    with pytest.raises(ValueError, match="which"):
        corpus_pair("imdb", 0)


# --------------------------------------------------------------------------- small helpers


@pytest.mark.parametrize("seed", range(10))
def test_tiny_padded_corpus_has_different_lengths(seed):
    corpus = tiny_padded_corpus(seed)
    lengths = [len(t) for t in corpus.tokens]
    assert len(lengths) == len(set(lengths)) == 3 and all(4 <= n <= 9 for n in lengths)
    with pytest.raises(ValueError, match="n must be"):
        tiny_padded_corpus(seed, n=9)


def test_closed_loop_errors_shapes_and_values():
    x_train, y_train, x_val, y_val = sine_dataset(10, noise=0.0, seed=0)

    class RepeatLast(nn.Module):
        def forward(self, x):
            return x[-1]

    errors, swing = closed_loop_errors(RepeatLast(), x_val, y_val[:, 0], horizon=30, every=40)
    starts = list(range(0, y_val.shape[0] - 30 + 1, 40))
    assert errors.shape == (len(starts), 30) and swing.shape == (len(starts),)
    np.testing.assert_allclose(swing, 0.0)  # repeating a value forever is a flat line
    for row, s in zip(errors, starts, strict=True):
        np.testing.assert_allclose(row, np.abs(x_val[-1, s, 0] - y_val[s : s + 30, 0]),
                                   rtol=1e-6, atol=1e-6)  # fmt: skip
    with pytest.raises(ValueError, match="horizon"):
        closed_loop_errors(RepeatLast(), x_val, y_val[:, 0], horizon=0)
    with pytest.raises(ValueError, match="y_clean"):
        closed_loop_errors(RepeatLast(), x_val, y_val[:5, 0])


# --------------------------------------------------------------------------- chunked truncation


@pytest.mark.parametrize("layer", [nn.RNN, nn.LSTM, nn.GRU])
def test_chunked_states_keep_the_values_and_cut_the_gradient(layer):
    torch.manual_seed(0)
    rnn = layer(3, 4).double()
    x = torch.randn(11, 2, 3, dtype=torch.float64, requires_grad=True)
    w = torch.randn(2, 4, dtype=torch.float64)
    full = chunked_states(rnn, x, None)
    torch.testing.assert_close(full, rnn(x)[0], rtol=0, atol=0)
    (grad_full,) = torch.autograd.grad((full[-1] * w).sum(), x)
    for chunk in (1, 4, 5, 11, 20):
        h = chunked_states(rnn, x, chunk)
        torch.testing.assert_close(h, full, rtol=0, atol=1e-15)  # the same forward values
        (grad,) = torch.autograd.grad((h[-1] * w).sum(), x)
        start = (10 // chunk) * chunk  # the chunk holding the last step
        assert torch.all(grad[:start] == 0)  # nothing crosses a chunk boundary
        torch.testing.assert_close(grad[start:], grad_full[start:], rtol=1e-12, atol=0)
    with pytest.raises(ValueError, match="chunk"):
        chunked_states(rnn, x, 0)


def test_verdict_gradient_is_cut_by_chunks_shorter_than_the_distance():
    train_corpus, _ = review_corpora(1, n_train=60)
    data = review_tensors(*train_corpus.batch())
    for kind in ("lstm", "gru"):
        model = ReviewClassifier(len(train_corpus.vocab), kind, seed=1)
        args = (model, data.ids, data.lengths, data.labels, train_corpus.key_positions)
        full = verdict_gradients(*args, chunk=None)
        assert full.shape == (60,) and np.all(full > 0)
        np.testing.assert_array_equal(verdict_gradients(*args, chunk=8), 0.0)
        assert all(p.grad is None for p in model.parameters())  # the model is left clean
    with pytest.raises(ValueError, match="key_positions"):
        verdict_gradients(model, data.ids, data.lengths, data.labels, [0, 1], chunk=None)
    with pytest.raises(ValueError, match="key_positions"):
        verdict_gradients(model, data.ids, data.lengths, data.labels, data.lengths.numpy(), None)


# --------------------------------------------------------------------------- decay with distance


def test_decay_per_step_reads_the_factor_of_a_geometric_decay():
    rng = np.random.default_rng(0)
    distance = rng.integers(7, 30, size=200)
    values = 3.0 * 0.5**distance
    assert decay_per_step(values, distance) == pytest.approx(np.log10(0.5), rel=1e-9)
    noisy = values * 10 ** rng.uniform(-0.3, 0.3, size=200)  # scatter around the line
    assert decay_per_step(noisy, distance) == pytest.approx(np.log10(0.5), abs=0.02)
    assert decay_per_step(np.ones(200), distance) == pytest.approx(0.0, abs=1e-12)


def test_median_by_distance_groups_and_takes_medians():
    d, m = median_by_distance([1.0, 3.0, 2.0, 10.0, 5.0], [4, 4, 4, 2, 9])
    assert d.tolist() == [2, 4, 9] and m.tolist() == [10.0, 2.0, 5.0]


def test_decay_functions_reject_bad_input():
    with pytest.raises(ValueError, match="distance"):
        decay_per_step([1.0, 2.0], [1, 2, 3])
    with pytest.raises(ValueError, match="positive"):
        decay_per_step([1.0, 0.0], [1, 2])  # a zero has no logarithm
    with pytest.raises(ValueError, match="two different"):
        decay_per_step([1.0, 2.0], [3, 3])
    with pytest.raises(ValueError, match="positive"):
        median_by_distance([1.0, np.nan], [1, 2])
