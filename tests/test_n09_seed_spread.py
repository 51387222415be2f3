"""Notebook 09's claims over course seeds, with the notebook's own settings.

- the bidirectional GRU solves the word-end task and the unidirectional one stays at
  guessing level, and only the bidirectional one's early scores depend on the future
  (seeds 0-9, cheap);
- the untrained char-RNN is nearly the unigram model on the validation text; the scratch
  char-RNN and the stacked LSTM beat the bigram model by the notebook's margins, the LSTM
  beats the RNN, the validation curve stays below the training curve, greedy writing ends
  in a loop (possibly of one character) and the temperature trades real words for variety
  (seeds 1-4, ~6 s each; seed 0 is the notebook under nbval).

Measured over seeds 0-9 (python benchmarks/seed_spread_09.py, Python 3.11): untrained RNN
24.97-25.61 (unigram 25.37), RNN 6.15-6.30, LSTM after 240 updates 5.37-5.49, RNN - LSTM
0.68-0.90, bigram 10.10; greedy periods 1-26; unidirectional accuracy 49.6-51.2 %,
bidirectional 100 %.
"""

import numpy as np
import pytest

from rnn_helpers.lessons.n09_language_models import (
    baseline_perplexities,
    char_lstm,
    char_rnn_perplexity,
    char_rnn_step,
    future_influence,
    init_char_rnn,
    known_words,
    load_text,
    repeat_period,
    sample_texts,
    sampling_measures,
    train_char_lstm,
    train_char_rnn,
    train_tagger,
    unigram_probs,
    write,
)
from rnn_helpers.sampling import greedy


@pytest.mark.parametrize("seed", range(10))
def test_only_the_bidirectional_tagger_solves_word_ends(seed):
    uni, bi = train_tagger(False, seed), train_tagger(True, seed)
    assert uni.accuracy < 0.56
    assert bi.accuracy > 0.97
    assert future_influence(uni.model, seed=seed + 7) == 0
    assert future_influence(bi.model, seed=seed + 7) > 0.01


@pytest.fixture(scope="module")
def text():
    split = load_text()
    return split, baseline_perplexities(split), known_words(split)


@pytest.mark.parametrize("seed", range(1, 5))  # seed 0: the notebook itself (nbval)
def test_recurrent_models_beat_the_bigram_model(seed, text):
    split, baselines, words = text
    V = len(split.vocab)
    untrained = init_char_rnn(V, 64, seed, unigram_probs(split.train, V))
    assert abs(char_rnn_perplexity(untrained, split.val) - baselines["unigram"]) < 1.5
    params, history = train_char_rnn(split, hidden_size=64, steps=400, chunk=25, batch=32,
                                     lr=1e-2, seed=seed, progress=False)
    rnn = history.val["perplexity"][-1]
    assert abs(history.val["perplexity"][0] - baselines["unigram"]) < 1.5
    assert rnn < 0.7 * baselines["bigram"]
    window = 20  # the notebook's running mean of the training loss
    smooth = np.exp(np.convolve(history.train_loss, np.ones(window) / window, "valid"))
    smooth_at = dict(zip(history.train_step[window - 1:], smooth, strict=True))
    assert all(val < smooth_at[step] for step, val in zip(history.val_step,
               history.val["perplexity"], strict=True) if step in smooth_at)

    model = char_lstm(V, embed_size=32, hidden_size=64, layers=2, seed=seed,
                      unigram=unigram_probs(split.train, V))
    run = train_char_lstm(model, split, steps=240, chunk=32, batch=16, lr=1e-2,
                          sample_every=80, seed=seed, progress=False)
    lstm = run.history.val["perplexity"][-1]
    assert lstm < 0.6 * baselines["bigram"] and lstm < rnn - 0.4

    # The notebook's sampling section, on this seed's RNN.
    tail = write(char_rnn_step(params), np.zeros((1, 64)), split.vocab, "The ", 300, greedy)[-100:]
    assert repeat_period(tail) is not None  # greedy ends in a loop
    measures = [sampling_measures(sample_texts(params, split.vocab, "The ", t, 20, 300, seed=seed),
                                  words) for t in (0.25, 0.5, 1.0, 2.0)]
    variety, real = np.array(measures).T
    assert np.all(np.diff(variety) > 0) and np.all(np.diff(real) < 0)
