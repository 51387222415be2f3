"""Notebook 08's statistical headline claims, run on seeds 0-4 with the notebook's settings.

Each claim is asserted in the robust form the notebook states it in: it must hold in at
least 4 of the 5 seeds (measured while writing it: all of seeds 0-9 met every claim here).
"""

import numpy as np
import pytest
import torch

from rnn_helpers.counting import KINDS
from rnn_helpers.data import noisy_sine, sine_dataset, sine_windows, split_series
from rnn_helpers.lessons.n08_rnns_in_practice import (
    accuracy,
    closed_loop_errors,
    decay_per_step,
    make_model,
    median_by_distance,
    review_corpora,
    review_tensors,
    seed_spread,
    train_classifier,
    train_forecaster,
    verdict_gradients,
)
from rnn_helpers.models import ReviewClassifier, SineForecaster

SEEDS = range(5)
EPOCHS = 8  # as in the notebook


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def spread():
    torch.set_num_threads(1)
    return seed_spread(SEEDS, epochs=EPOCHS, progress=False)


def count(rows, claim):
    return sum(bool(claim(row.accuracy)) for row in rows)


def test_bag_of_words_and_gated_cells_beat_the_plain_rnn_on_far_verdicts(spread):
    """08's table, first row: BoW, LSTM and GRU find the verdict; the plain RNN does not."""
    def claim(a):
        v = a["verdict"]
        return min(v["bow"], v["lstm"], v["gru"]) > 0.9 and v["rnn"] < 0.7

    assert count(spread, claim) >= 4, [row.accuracy["verdict"] for row in spread]


def test_only_the_gated_cells_read_a_change_of_mind(spread):
    """08's table, second row: the order decides; the bag of words falls to chance."""
    def claim(a):
        c = a["change"]
        return min(c["lstm"], c["gru"]) > 0.9 and c["bow"] < 0.6 and c["rnn"] < 0.7

    assert count(spread, claim) >= 4, [row.accuracy["change"] for row in spread]


def test_plain_rnn_trained_on_short_reviews_reads_the_long_ones():
    """08: the plain RNN can carry a verdict 30 steps; it cannot learn it from that far."""
    ok = 0
    for seed in SEEDS:
        train, test = review_corpora(seed)
        short_train, short_test = review_corpora(seed, min_len=4, max_len=8)
        model = ReviewClassifier(len(train.vocab), "rnn", seed=seed)
        short = train_classifier(model, review_tensors(*short_train.batch()),
                                 review_tensors(*short_test.batch()), epochs=EPOCHS, seed=seed,
                                 progress=False)  # fmt: skip
        ok += short.final_accuracy > 0.9 and accuracy(model, review_tensors(*test.batch())) > 0.9
    assert ok >= 4


def test_closed_loop_error_grows_and_the_wave_flattens():
    """08, section 1: averaged over starting windows, the closed loop drifts and flattens."""
    clean_val = split_series(noisy_sine(1000, noise=0.0))[1]
    _, y_clean = sine_windows(clean_val, 10)
    ok, details = 0, []
    for seed in SEEDS:
        x_train, y_train, x_val, y_val = sine_dataset(10, noise=0.1, seed=seed)
        model = SineForecaster(20, seed=seed)
        history = train_forecaster(model, x_train, y_train, x_val, y_val, epochs=20, lr=0.05,
                                   batch_size=32, seed=seed, progress=False)  # fmt: skip
        errors, swing = closed_loop_errors(model, x_val, y_clean[:, 0], horizon=60, every=10)
        mean_error = errors.mean(axis=0)
        early, late = mean_error[:5].mean(), mean_error[30:].mean()
        floor = float(np.mean((y_val[:, 0] - y_clean[:, 0]) ** 2))
        details.append((round(early, 3), round(late, 3), round(swing.mean(), 2),
                        round(history.val_loss[-1] - floor, 4)))  # fmt: skip
        ok += (late > 2.5 * early and swing.mean() < 0.9
               and floor < history.val_loss[-1] < floor + 0.015)  # fmt: skip
    assert ok >= 4, details


def test_fresh_plain_rnn_gradient_shrinks_geometrically_and_much_faster():
    """08, section 3: at the start of training the gradient reaching the verdict word falls
    on a roughly straight line (log scale) with the distance, much more steeply for the plain
    RNN than for the gated cells. Asserted in every seed, as the notebook does for its own
    (measured on seeds 0-9: RNN slope -0.26 to -0.35 per step, at least 4.8 times the LSTM's
    and the GRU's; the RNN's medians within 0.26 decades of the fitted line)."""
    details = []
    for seed in SEEDS:
        train_corpus, _ = review_corpora(seed)
        train = review_tensors(*train_corpus.batch())
        distance = (train.lengths - 1 - torch.as_tensor(train_corpus.key_positions)).numpy()
        slope, off_line = {}, {}
        for kind in KINDS:
            grads = verdict_gradients(make_model(kind, len(train_corpus.vocab), seed=seed),
                                      train.ids, train.lengths, train.labels,
                                      train_corpus.key_positions, chunk=None)  # fmt: skip
            slope[kind] = decay_per_step(grads, distance)
            d, medians = median_by_distance(grads, distance)
            line = np.polyval(np.polyfit(d, np.log10(medians), 1), d)
            off_line[kind] = float(np.abs(np.log10(medians) - line).max())
        details.append((seed, slope, off_line["rnn"]))
        assert slope["rnn"] < -0.2 and off_line["rnn"] < 0.5, details
        assert slope["rnn"] < 3 * min(slope["lstm"], slope["gru"]) < 0, details
