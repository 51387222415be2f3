"""Notebook 10's claims over seeds 0-4, with the notebook's own settings (lessons.n10 SETUP):
attention beats the plain encoder-decoder at long lengths in every seed, the plain one falls
with the length, and with teacher forcing the plain model loses the letters it read first
while the attention model keeps them. Also: a plain model with more parameters than the
attention model still falls the same way, so the extra weights are not the explanation.

About 15 s of training on a quiet 2-core machine."""

import numpy as np
import pytest

from rnn_helpers.counting import count_parameters
from rnn_helpers.lessons import n10_seq2seq_and_attention as n10

SEEDS = range(5)


@pytest.fixture(scope="module")
def runs():
    return {seed: {kind: n10.train_model(kind, seed, progress=False) for kind in n10.KINDS}
            for seed in SEEDS}


def test_attention_beats_the_plain_encoder_decoder_at_long_lengths(runs):
    for seed, pair in runs.items():
        p, a = pair["plain"].accuracy, pair["attention"].accuracy
        assert not (pair["plain"].history.diverged or pair["attention"].history.diverged)
        assert a.at(10, 12) > p.at(10, 12) + 0.25, seed           # the notebook's claim
        assert a.at(10, 12) > 0.6 and a.at(4, 6) > 0.9, seed      # attention stays high
        assert a.at(10, 12, "exact") > p.at(10, 12, "exact") + 0.2, seed


def test_the_plain_model_falls_with_the_length_and_loses_what_it_read_first(runs):
    for seed, pair in runs.items():
        p, a = pair["plain"].accuracy, pair["attention"].accuracy
        assert p.at(4, 6) > p.at(10, 12) + 0.2, seed
        assert p.at(10, 12, "exact") < 0.05, seed
        assert np.all(np.diff(p.per_letter) < 0.02), seed       # (nearly) every length worse
        assert p.by_step_forced[:2].mean() > p.by_step_forced[6:].mean() + 0.3, seed
        assert p.by_step_forced[6:].mean() < 0.5 < 0.8 < a.by_step_forced[6:].mean(), seed
        assert a.by_step_forced[6:].mean() > a.by_step[6:].mean() + 0.1, seed  # greedy compounds


def test_the_anti_diagonal_is_found_in_every_seed(runs):
    for seed, pair in runs.items():
        task = n10.reversal_task(seed)
        share, mass = n10.diagonal_share(pair["attention"].model, task.val, task.alphabet)
        assert share > 0.6 and mass > 0.5, (seed, share, mass)


def test_more_parameters_do_not_save_the_plain_model():
    for seed in range(3):
        task = n10.reversal_task(seed)
        bigger = n10.train_model("plain", seed, progress=False, hidden_size=96)
        attention = n10.make_seq2seq("attention", task.vocab_size, seed)
        assert count_parameters(bigger.model) > 1.4 * count_parameters(attention)
        acc = bigger.accuracy
        assert acc.at(10, 12) < 0.4 and acc.by_step_forced[6:].mean() < 0.5, seed


def test_with_teacher_forcing_the_weights_follow_the_anti_diagonal_more_closely(runs):
    """The notebook measures the share both ways: teacher-forced > greedy in every seed."""
    for seed, pair in runs.items():
        task = n10.reversal_task(seed)
        model = pair["attention"].model
        share, mass = n10.diagonal_share(model, task.val, task.alphabet, forced=True)
        share_g, mass_g = n10.diagonal_share(model, task.val, task.alphabet)
        assert share > 0.85 and mass > 0.75, (seed, share, mass)
        assert share > share_g > 0.6 and mass_g > 0.5, (seed, share, share_g)
