"""Print notebook 08's headline experiments over several seeds, with the notebook's settings.

    python benchmarks/seed_spread_08.py            # seeds 0-9 (about a minute on 2 cores)
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

from rnn_helpers.data import noisy_sine, sine_dataset, sine_windows, split_series  # noqa: E402
from rnn_helpers.lessons.n08_rnns_in_practice import (  # noqa: E402
    MODEL_KINDS,
    MODEL_NAMES,
    closed_loop_errors,
    seed_spread,
)
from rnn_helpers.practice import SineForecaster, train_forecaster  # noqa: E402

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


def sine_table(seeds) -> None:
    clean_val = split_series(noisy_sine(1000, noise=0.0))[1]
    _, y_clean = sine_windows(clean_val, 10)
    print("| seed | val MSE | noise in val targets | repeat last | vs clean | closed loop "
          "steps 0-4 | steps 30-59 | swing ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for seed in seeds:
        x_train, y_train, x_val, y_val = sine_dataset(10, noise=0.1, seed=seed)
        model = SineForecaster(20, seed=seed)
        history = train_forecaster(model, x_train, y_train, x_val, y_val, epochs=20, lr=0.05,
                                   batch_size=32, seed=seed, progress=False)  # fmt: skip
        with torch.no_grad():
            one = model(torch.as_tensor(x_val, dtype=torch.float32)).double().numpy()[:, 0]
        errors, swing = closed_loop_errors(model, x_val, y_clean[:, 0])
        mean_error = errors.mean(axis=0)
        print(f"| {seed} | {history.val_loss[-1]:.3f} "
              f"| {np.mean((y_val[:, 0] - y_clean[:, 0]) ** 2):.3f} "
              f"| {np.mean((x_val[-1, :, 0] - y_val[:, 0]) ** 2):.3f} "
              f"| {np.mean((one - y_clean[:, 0]) ** 2):.3f} | {mean_error[:5].mean():.3f} "
              f"| {mean_error[30:].mean():.3f} | {swing.mean():.2f} |")  # fmt: skip


if __name__ == "__main__":
    torch.set_num_threads(1)
    chosen = [int(a) for a in sys.argv[1:]] or list(range(10))
    classifier_table(chosen)
    print()
    sine_table(chosen)
