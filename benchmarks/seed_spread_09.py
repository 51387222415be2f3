"""Print notebook 09's claims over several seeds, with the notebook's settings.

    python benchmarks/seed_spread_09.py              # seeds 0-9 (a few minutes on 2 cores)
    python benchmarks/seed_spread_09.py 0 1 2        # chosen seeds
    python benchmarks/seed_spread_09.py --lstm-steps 300 0 1

One row per seed: the untrained char-RNN's validation perplexity, the trained RNN's and the
stacked LSTM's, their difference, whether the validation curve stays below the training
curve, greedy writing's repeat period, the temperature trade-off, and the slider's far left
(T = 0.05: the top and top-two probabilities after "The "). The notebook's asserts, the
seed-range comments and tests/test_n09_seed_spread.py were written from this table.
Figures are measured on this machine, now; nothing here is a test.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnn_helpers.lessons.n09_language_models import (  # noqa: E402
    baseline_perplexities,
    char_lstm,
    char_rnn_perplexity,
    char_rnn_step,
    init_char_rnn,
    known_words,
    load_text,
    next_char_probs,
    repeat_period,
    sample_texts,
    sampling_measures,
    train_char_lstm,
    train_char_rnn,
    unigram_probs,
    write,
)
from rnn_helpers.sampling import greedy  # noqa: E402

WINDOW = 20  # the notebook's running mean of the training loss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("seeds", nargs="*", type=int, default=list(range(10)))
    parser.add_argument("--lstm-steps", type=int, default=240)
    args = parser.parse_args()
    torch.set_num_threads(1)  # as the notebook
    split = load_text()
    V = len(split.vocab)
    baselines, words = baseline_perplexities(split), known_words(split)
    unigram = unigram_probs(split.train, V)
    print(f"bigram {baselines['bigram']:.2f}, unigram {baselines['unigram']:.2f}; "
          f"LSTM updates {args.lstm_steps}")
    print("| seed | untrained RNN | RNN | LSTM | RNN - LSTM | LSTM s | val < train | greedy period "
          "| variety up, real down | T=0.05 top, top 2 |")
    print("|---:|---:|---:|---:|---:|---:|:---:|---|:---:|---|")
    for seed in args.seeds:
        untrained = char_rnn_perplexity(init_char_rnn(V, 64, seed, unigram), split.val)
        params, history = train_char_rnn(split, hidden_size=64, steps=400, chunk=25, batch=32,
                                         lr=1e-2, seed=seed, progress=False)
        rnn = history.val["perplexity"][-1]
        smooth = np.exp(np.convolve(history.train_loss, np.ones(WINDOW) / WINDOW, "valid"))
        steps = np.array(history.train_step)[WINDOW - 1:]
        below = all(v < smooth[steps == s][0] for s, v in zip(history.val_step,
                                                               history.val["perplexity"],
                                                               strict=True) if s in steps)
        model = char_lstm(V, embed_size=32, hidden_size=64, layers=2, seed=seed, unigram=unigram)
        start = time.perf_counter()
        run = train_char_lstm(model, split, steps=args.lstm_steps, chunk=32, batch=16, lr=1e-2,
                              sample_every=args.lstm_steps // 3, seed=seed, progress=False)
        seconds = time.perf_counter() - start
        lstm = run.history.val["perplexity"][-1]
        tail = write(char_rnn_step(params), np.zeros((1, 64)), split.vocab, "The ", 300,
                     greedy)[-100:]
        period = repeat_period(tail)
        shown = "none" if period is None else f"{period}: {tail[-period:]!r}"
        measures = [sampling_measures(sample_texts(params, split.vocab, "The ", t, 20, 300,
                                                   seed=seed), words)
                    for t in (0.25, 0.5, 1.0, 2.0)]
        variety, real = np.array(measures).T
        trade = bool(np.all(np.diff(variety) > 0) and np.all(np.diff(real) < 0))
        cold = np.sort(next_char_probs(params, split.vocab, "The ", 0.05))[::-1]
        print(f"| {seed} | {untrained:.2f} | {rnn:.2f} | {lstm:.2f} | {rnn - lstm:.3f} | "
              f"{seconds:.1f} | {below} | {shown} | {trade} | {cold[0]:.2f}, "
              f"{cold[:2].sum():.2f} |", flush=True)


if __name__ == "__main__":
    main()
