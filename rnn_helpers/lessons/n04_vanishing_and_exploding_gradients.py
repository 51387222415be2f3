"""What notebook 04 computes beyond the concept modules: a tanh RNN whose gradient explodes
although ρ(W_hh) = 0, the Jacobians along the exploding sine run, how far the adding
problem's loss reaches back, the clipping experiment over several seeds, and the first
gradient of that experiment (to compare value and norm clipping on a real gradient).

Every function takes its seeds explicitly; the notebook passes ``rnn_helpers.SEED``-derived
values (``SEED``, ``SEED + 1``, …), the tests pass 0 … 4.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from rnn_helpers.dynamics import (
    EXPLODING,
    exploding_run,
    exploding_setup,
    gradient_norm_vs_distance,
    jacobian_product_norms,
    spectral_radius,
    zero_guess_mse,
)
from rnn_helpers.long_range import adding_data, input_gradient_norms
from rnn_helpers.scratch import rnn_forward
from rnn_helpers.train import shuffled_batches
from rnn_helpers.training import History, init_model, loss_and_grads

__all__ = [
    "radius_zero_example",
    "sine_run_jacobians",
    "SATURATED",
    "relative_input_gradients",
    "reach_at_init",
    "LEARNED_MSE",
    "ClipSpreadRow",
    "clipping_spread",
    "exploding_first_gradient",
]


def _check_count(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name}: expected an integer >= 1, got {value!r}")
    return int(value)


# ---------------------------------------------------------------- radius 0, yet exploding


def radius_zero_example(scale: float = 2.0, slope: float = 0.25, steps: int = 30) -> dict:
    """A tanh RNN with ρ(W_hh) = 0 whose gradient grows geometrically.

    W_hh = scale·[[1, 1], [−1, −1]] is nilpotent (W_hh² = 0, both eigenvalues 0), so a linear
    RNN forgets everything after two steps. The bias is chosen so that the state
    h* = (0, tanh(a₂)) with tanh'(a₂) = ``slope`` is a fixed point of the tanh RNN with zero
    input: h* = tanh(h* W_hhᵀ + b_h). At that state every step Jacobian is
    J = diag(1, slope)·W_hh, whose eigenvalues are 0 and scale·(1 − slope): with the defaults
    ρ(J) = 1.5 > 1 although ρ(W_hh) = 0 and tanh' ≤ 1. (The fixed point is unstable, since
    ρ(J) > 1, but rounding errors of 1e-16 grow only to ~1e-11 in 30 steps.)

    Args:
        scale: the size of W_hh's entries (‖W_hh‖ = 2·scale).
        slope: tanh' of the second unit at the fixed point, in (0, 1).
        steps: T, the number of steps run from h*.

    Returns:
        dict with "W_hh" (2, 2), "b_h" (2,), "h_star" (2,), "act_grads" (T, 2) measured along
        the run, "radius_W" and "radius_J" (ρ(W_hh), ρ(diag(1, slope) W_hh)), "linear" and
        "tanh" (T + 1,): ‖∂h_{T-1}/∂h_{T-1-d}‖ of the linear RNN (‖W_hh^d‖) and of this run.
    """
    if not (isinstance(slope, numbers.Real) and 0.0 < slope < 1.0):
        raise ValueError(f"slope: expected a number in (0, 1), got {slope!r}")
    if not (isinstance(scale, numbers.Real) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale: expected a finite number > 0, got {scale!r}")
    _check_count("steps", steps)
    W = scale * np.array([[1.0, 1.0], [-1.0, -1.0]])
    a2 = np.arctanh(np.sqrt(1.0 - slope))          # tanh'(a2) = 1 − tanh²(a2) = slope
    h_star = np.array([0.0, np.tanh(a2)])
    b = np.array([0.0, a2]) - W @ h_star           # a = W_hh h* + b_h = (0, a2)
    params = {"W_xh": np.zeros((2, 1)), "W_hh": W, "b_h": b}
    h, _ = rnn_forward(np.zeros((steps, 1, 1)), h_star[None, :], params)
    act_grads = 1.0 - h[:, 0, :] ** 2
    J = np.diag([1.0, slope]) @ W
    return {"W_hh": W, "b_h": b, "h_star": h_star, "act_grads": act_grads,
            "radius_W": spectral_radius(W), "radius_J": spectral_radius(J),
            "linear": jacobian_product_norms(np.ones((steps, 2)), W),
            "tanh": jacobian_product_norms(act_grads, W)}


# ---------------------------------------------------------------- the sine run's Jacobians

SATURATED = 0.1  # a unit with tanh'(a) < 0.1 (|h| > 0.95) passes back less than a tenth


def sine_run_jacobians(seed: int = 0, n_windows: int = 32, strong_input: float = 1.0) -> dict:
    """Step Jacobians along :func:`rnn_helpers.dynamics.exploding_run`'s first batch, at its
    initial weights (spectral radius 1.5), next to the same W_hh driven by a strong input.

    Args:
        seed: the exploding set-up's seed (data, weights).
        n_windows: how many training windows to run.
        strong_input: input_scale of the comparison (as the "spectral radius" view's tanh curve).

    Returns:
        dict with
        "act_grads" (T, n_windows, H): tanh'(a_t) along the sine windows;
        "saturated": the share of (step, window, unit) with tanh' < :data:`SATURATED`;
        "norms" (n_windows, T + 1): ‖∂h_{T-1}/∂h_{T-1-d}‖ for each window;
        "median" (T + 1,): their median over the windows;
        "strong" (T + 1,): the same W_hh on a strong random input (gradient_norm_vs_distance);
        "strong_saturated": the share of saturated units on that strong input.
    """
    params, (x_train, _, _, _) = exploding_setup(seed=seed)
    if _check_count("n_windows", n_windows) > x_train.shape[1]:
        raise ValueError(f"n_windows: expected at most {x_train.shape[1]} (the training windows), "
                         f"got {n_windows}")
    x = x_train[:, :n_windows]
    rnn = {k: params[k] for k in ("W_xh", "W_hh", "b_h")}
    h, _ = rnn_forward(x, None, rnn)
    act_grads = 1.0 - h**2
    norms = np.array([jacobian_product_norms(act_grads[:, b], params["W_hh"])
                      for b in range(x.shape[1])])
    T, H = x.shape[0], params["W_hh"].shape[0]
    # The strong-input trajectory, rebuilt as gradient_norm_vs_distance draws it.
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((T, 1, 1))
    strong_params = {"W_xh": strong_input * rng.standard_normal((H, 1)),
                     "W_hh": params["W_hh"], "b_h": np.zeros(H)}
    hs, _ = rnn_forward(xs, np.zeros((1, H)), strong_params)
    return {"act_grads": act_grads, "saturated": float(np.mean(act_grads < SATURATED)),
            "norms": norms, "median": np.median(norms, axis=0),
            "strong": gradient_norm_vs_distance(params["W_hh"], "tanh", T,
                                                input_scale=strong_input, seed=seed),
            "strong_saturated": float(np.mean(1.0 - hs**2 < SATURATED))}


# --------------------------------------------------------------------------- adding problem: reach


def relative_input_gradients(params: dict, seq_len: int, seed: int = 0,
                             n_sequences: int = 200) -> np.ndarray:
    """‖∂L/∂x_t‖ / ‖∂L/∂x_{T-1}‖ for t = 0 … T−1 on ``n_sequences`` validation sequences of
    the adding problem (:func:`rnn_helpers.long_range.input_gradient_norms`): how much of the
    loss's gradient reaches each input, relative to the last one.

    Returns:
        (seq_len,) ratios; index t is input x_t (distance T − 1 − t from the loss).
    """
    _check_count("n_sequences", n_sequences)
    x, y = adding_data(seq_len, n_train=1, n_val=n_sequences, seed=seed)[2:]
    g = input_gradient_norms(params, x, y)
    return g / g[-1]


def reach_at_init(seeds, seq_len: int = 60, hidden_size: int = 32) -> np.ndarray:
    """:func:`relative_input_gradients` of freshly initialised models, one row per seed.

    Returns:
        (len(seeds), seq_len): row i for ``init_model(2, H, 1, seed=seeds[i])`` on the
        validation data of the same seed.
    """
    return np.array([relative_input_gradients(init_model(2, hidden_size, 1, seed=s), seq_len, s)
                     for s in seeds])


# --------------------------------------------------------------------------- clipping over seeds

LEARNED_MSE = 0.1  # a sine run below this validation MSE has learned (zero guess ≈ 0.53)


@dataclass
class ClipSpreadRow:
    """One seed of :func:`clipping_spread`: the exploding run without and with clipping."""

    seed: int
    unclipped: History
    clipped: History
    zero_guess: float

    @property
    def unclipped_failed(self) -> bool:
        """Diverged, or ended worse than always predicting 0."""
        h = self.unclipped
        return h.diverged or h.val_loss[-1] > self.zero_guess

    @property
    def rescued(self) -> bool:
        """The clipped run did not diverge and ends better than always predicting 0."""
        h = self.clipped
        return not h.diverged and h.val_loss[-1] < self.zero_guess

    @property
    def learned(self) -> bool:
        """The clipped run ends below :data:`LEARNED_MSE`."""
        return self.rescued and self.clipped.val_loss[-1] < LEARNED_MSE


def clipping_spread(seeds, clip: tuple = ("norm", 1.0)) -> list[ClipSpreadRow]:
    """:func:`rnn_helpers.dynamics.exploding_run` without clipping and with ``clip``, for each
    seed (data, initial weights and batch order all from that seed; spectral radius 1.5).

    Returns:
        one :class:`ClipSpreadRow` per seed, in order.
    """
    rows = []
    for s in seeds:
        rows.append(ClipSpreadRow(int(s), exploding_run(None, seed=s)[1],
                                  exploding_run(clip, seed=s)[1], zero_guess_mse(seed=s)))
    return rows


def exploding_first_gradient(seed: int = 0) -> dict:
    """The gradient of :func:`rnn_helpers.dynamics.exploding_run`'s first training step.

    The first mini-batch in the run's order (``shuffled_batches`` from ``seed``, as
    ``rnn_helpers.training.train`` draws it) at the initial weights (spectral radius 1.5),
    before any clipping: its global norm is the run's ``history.grad_norm[0]``.

    Returns:
        dict of gradients with the model's keys and shapes (W_xh (32, 1), W_hh (32, 32),
        b_h (32,), W_hy (1, 32), b_y (1,): 1121 entries).
    """
    params, (x_train, y_train, _, _) = exploding_setup(seed=seed)
    n = x_train.shape[1]
    batch = next(shuffled_batches(n, min(EXPLODING["batch_size"], n), seed))
    return loss_and_grads(params, x_train[:, batch], y_train[batch])[1]
