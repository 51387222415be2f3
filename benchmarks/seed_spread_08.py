"""Print notebook 08's headline experiments over several seeds, with the notebook's settings.

    python benchmarks/seed_spread_08.py            # seeds 0-9 (a few minutes on 2 cores)
    python benchmarks/seed_spread_08.py 0 1 2      # chosen seeds

The tables are what 08's robust asserts and tests/test_seed_spread_08.py were written from.
Figures are measured on this machine, now; nothing here is a test.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnn_helpers.counting import KINDS  # noqa: E402
from rnn_helpers.data import noisy_sine, sine_dataset, sine_windows, split_series  # noqa: E402
from rnn_helpers.lessons.n08_rnns_in_practice import (  # noqa: E402
    MODEL_KINDS,
    MODEL_NAMES,
    closed_loop_errors,
    decay_per_step,
    make_model,
    median_by_distance,
    predict,
    review_corpora,
    review_tensors,
    seed_spread,
    train_classifier,
    train_forecaster,
    verdict_gradients,
)
from rnn_helpers.models import SineForecaster  # noqa: E402

EPOCHS = 8  # the notebook's classifier budget


def classifier_table(seeds) -> None:
    rows = seed_spread(seeds, epochs=EPOCHS, progress=False)
    names = " / ".join(MODEL_NAMES[k] for k in MODEL_KINDS)
    print(f"| seed | verdict: {names} | change of mind: {names} |")
    print("|---:|---|---|")
    for row in rows:
        cells = [" ".join(f"{100 * row.accuracy[c][k]:5.1f}" for k in MODEL_KINDS)
                 for c in ("verdict", "change")]  # fmt: skip
        print(f"| {row.seed} | {cells[0]} | {cells[1]} |")


def gradient_table(seeds) -> None:
    """Fresh models: how the gradient at the verdict word falls with the distance."""
    print("| seed | slope (log10 per step) RNN / LSTM / GRU | RNN medians off the line "
          "(decades) | RNN slope / gated slope (min) | median RNN / smaller gated median |")
    print("|---:|---|---:|---:|---:|")
    for seed in seeds:
        train_corpus, _ = review_corpora(seed)
        train = review_tensors(*train_corpus.batch())
        distance = (train.lengths - 1 - torch.as_tensor(train_corpus.key_positions)).numpy()
        slope, median = {}, {}
        for kind in KINDS:
            grads = verdict_gradients(make_model(kind, len(train_corpus.vocab), seed=seed),
                                      train.ids, train.lengths, train.labels,
                                      train_corpus.key_positions, chunk=None)  # fmt: skip
            slope[kind], median[kind] = decay_per_step(grads, distance), np.median(grads)
            if kind == "rnn":
                d, m = median_by_distance(grads, distance)
                off = np.abs(np.log10(m) - np.polyval(np.polyfit(d, np.log10(m), 1), d)).max()
        gated = min(slope["lstm"], slope["gru"])
        print(f"| {seed} | {' / '.join(f'{slope[k]:+.3f}' for k in KINDS)} | {off:.2f} "
              f"| {slope['rnn'] / gated:.1f} "
              f"| {median['rnn'] / min(median['lstm'], median['gru']):.1e} |")  # fmt: skip


def padded_readout_table(seeds) -> None:
    """The trained GRU read at the padded end: how far the scores move, and flips."""
    print("| seed | scores move by up to | flips of 400 | smallest margin (last real state) |")
    print("|---:|---:|---:|---:|")
    for seed in seeds:
        train_corpus, test_corpus = review_corpora(seed)
        train, test = review_tensors(*train_corpus.batch()), review_tensors(*test_corpus.batch())
        gru = make_model("gru", len(train_corpus.vocab), seed=seed)
        train_classifier(gru, train, test, epochs=EPOCHS, lr=0.02, batch_size=64, seed=seed,
                         progress=False)  # fmt: skip
        with torch.no_grad():
            right = gru.eval()(test.ids, test.lengths)
            wrong = gru(test.ids, test.lengths, readout="padded")
        margin_right, margin_wrong = right[:, 1] - right[:, 0], wrong[:, 1] - wrong[:, 0]
        flips = int((right.argmax(1) != wrong.argmax(1)).sum())
        print(f"| {seed} | {(margin_wrong - margin_right).abs().max():.2f} | {flips} "
              f"| {margin_right.abs().min():.2f} |")


def sine_table(seeds) -> None:
    clean_val = split_series(noisy_sine(1000, noise=0.0))[1]
    _, y_clean = sine_windows(clean_val, 10)
    print("| seed | val MSE | noise in val targets | repeat last | vs clean | vs clean / val "
          "| closed loop steps 0-4 | steps 30-59 | swing ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for seed in seeds:
        x_train, y_train, x_val, y_val = sine_dataset(10, noise=0.1, seed=seed)
        model = SineForecaster(20, seed=seed)
        history = train_forecaster(model, x_train, y_train, x_val, y_val, epochs=20, lr=0.05,
                                   batch_size=32, seed=seed, progress=False)  # fmt: skip
        one = predict(model, x_val)
        mse_clean = np.mean((one - y_clean[:, 0]) ** 2)
        errors, swing = closed_loop_errors(model, x_val, y_clean[:, 0])
        mean_error = errors.mean(axis=0)
        print(f"| {seed} | {history.val_loss[-1]:.3f} "
              f"| {np.mean((y_val[:, 0] - y_clean[:, 0]) ** 2):.3f} "
              f"| {np.mean((x_val[-1, :, 0] - y_val[:, 0]) ** 2):.3f} "
              f"| {mse_clean:.3f} | {mse_clean / history.val_loss[-1]:.2f} "
              f"| {mean_error[:5].mean():.3f} "
              f"| {mean_error[30:].mean():.3f} | {swing.mean():.2f} |")  # fmt: skip


if __name__ == "__main__":
    torch.set_num_threads(1)
    chosen = [int(a) for a in sys.argv[1:]] or list(range(10))
    classifier_table(chosen)
    print()
    gradient_table(chosen)
    print()
    padded_readout_table(chosen)
    print()
    sine_table(chosen)
