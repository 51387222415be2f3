"""The adding problem with a plain RNN: a long-range task it learns at T = 10 and not at T = 60.

Notebook 04 trains the scratch RNN (:mod:`rnn_helpers.training`, NumPy) on
:func:`rnn_helpers.data.adding_problem` at a short and a long sequence length (hidden size
32, Adam lr 1e-2, batch 128, gradient norm clipped at 1, 400 steps, the same seed at both
lengths) and shows the two learning curves.
It then measures how much of the loss's gradient reaches each input step, ‖∂L/∂x_t‖, which
explains why.

The scratch model is the same maths as ``nn.RNN`` + ``nn.Linear`` in float64 and, on this
machine, faster than torch for these small shapes.
"""

from __future__ import annotations

import numpy as np

from rnn_helpers.data import adding_problem
from rnn_helpers.scratch import linear_backward, linear_forward, rnn_backward, rnn_forward
from rnn_helpers.training import init_model, train

__all__ = ["CONSTANT_GUESS_MSE", "ADDING", "adding_data", "train_adding", "input_gradient_norms"]

# Always answering 1.0 (the mean of u1 + u2) scores Var(u1 + u2) = 2/12.
CONSTANT_GUESS_MSE = 2.0 / 12.0

ADDING = {"hidden_size": 32, "lr": 1e-2, "batch_size": 128, "clip": 1.0, "steps": 400,
          "n_train": 2560, "n_val": 1000, "seed": 0}


def adding_data(seq_len: int, n_train: int = ADDING["n_train"], n_val: int = ADDING["n_val"],
                seed: int = 0):
    """Training and validation sets of the adding problem: (x_train, y_train, x_val, y_val).

    x is (T, N, 2) (value, marker), y is (N, 1). The two sets use different seeds.
    """
    x_train, y_train = adding_problem(n_train, seq_len, seed=seed)
    x_val, y_val = adding_problem(n_val, seq_len, seed=seed + 10_000)
    return x_train, y_train, x_val, y_val


def train_adding(seq_len: int, *, progress: bool = True, **overrides):
    """Train the plain tanh RNN + linear head on the adding problem of length ``seq_len``.

    Settings (:data:`ADDING`, change any with keyword arguments): hidden size 32, Adam with
    lr 1e-2, batches of 128 from 2560 training sequences, gradient norm clipped at 1,
    400 steps (20 epochs; the validation MSE is measured after each one). ``seed`` (default
    0; notebook 04 passes the course seed) fixes the data, the initial weights and the batch
    order.

    Returns:
        (params, history): ``history.val_loss`` / ``history.val_step`` are the learning curve.
    """
    unknown = set(overrides) - set(ADDING)
    if unknown:
        raise ValueError(f"unknown setting(s) {sorted(unknown)}; expected some of {list(ADDING)}")
    cfg = {**ADDING, **overrides}
    x_train, y_train, x_val, y_val = adding_data(seq_len, cfg["n_train"], cfg["n_val"],
                                                 seed=cfg["seed"])
    params = init_model(2, cfg["hidden_size"], 1, seed=cfg["seed"])
    return train(params, x_train, y_train, steps=cfg["steps"], batch_size=cfg["batch_size"],
                 lr=cfg["lr"], optimizer="adam", clip=("norm", cfg["clip"]),
                 x_val=x_val, y_val=y_val, seed=cfg["seed"], progress=progress)


def input_gradient_norms(params: dict, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """‖∂L/∂x_t‖ for t = 0 … T−1, averaged over the sequences, L the MSE at the last step.

    The loss sits at the last step only, so the gradient reaching input x_t has been
    through T − 1 − t step Jacobians on its way back: this is the distance plot of the
    spectral-radius section, measured on a trained model.

    Args:
        params: a model from :func:`train_adding` (W_xh, W_hh, b_h, W_hy, b_y).
        x: (T, N, D) inputs; y: (N, 1) targets.

    Returns:
        (T,) mean over the N sequences of the norm of ∂L_n/∂x_t (L_n one sequence's loss).
    """
    x = np.asarray(x, dtype=np.float64)
    rnn = {k: params[k] for k in ("W_xh", "W_hh", "b_h")}
    h, cache = rnn_forward(x, None, rnn)
    y_hat, head_cache = linear_forward(h[-1], params["W_hy"], params["b_y"])
    # Per-sequence losses (y_hat - y)^2, summed: each sequence's gradient stays its own.
    head = linear_backward(2.0 * (y_hat - y), head_cache)
    dh = np.zeros_like(h)
    dh[-1] = head["h"]
    dx = rnn_backward(dh, cache)["x"]
    return np.linalg.norm(dx, axis=2).mean(axis=1)
