"""Notebook 01: an MLP's hidden *layer* vs an RNN's hidden *state*, on one tiny sequence.

- :func:`mlp_hidden_layer`: a feed-forward hidden layer applied to each step on its own,
  act(x_t W_xh^T + b_h): the RNN step with the recurrent term h_{t-1} W_hh^T left out;
- :func:`demo_sequence`, :func:`demo_params`: the tiny sequence and weights of the notebook
  and its "time step" slider;
- :func:`hidden_state_steps`, :func:`describe_step`: what the slider shows at each step;
- :func:`mlp_param_count`: the parameters of a stack of dense layers, to set beside an RNN's.

Shapes as in :mod:`rnn_helpers.scratch`: x is (T, B, D), states (B, H), sequences of
states (T, B, H); params W_xh (H, D), W_hh (H, H), b_h (H,).
"""

from __future__ import annotations

import numbers

import numpy as np

from rnn_helpers.counting import linear_parameter_count
from rnn_helpers.scratch import rnn_forward
from rnn_helpers.scratch.activations import get_nonlinearity
from rnn_helpers.validate import check_int

__all__ = [
    "demo_params",
    "demo_sequence",
    "describe_step",
    "hidden_state_steps",
    "mlp_hidden_layer",
    "mlp_param_count",
]


def mlp_hidden_layer(x, params, nonlinearity: str = "tanh") -> np.ndarray:
    """A feed-forward hidden layer applied to every time step independently.

        m_t = act(x_t W_xh^T + b_h)        (no h_{t-1}: nothing is carried over)

    It is what rnn_forward computes with W_hh = 0, and what an MLP's first hidden layer
    computes if you feed it one step at a time.

    Inputs:
    - x: inputs, shape (T, B, D)
    - params: dict with W_xh (H, D) and b_h (H,) (W_hh, if present, is ignored)
    - nonlinearity: "tanh", "relu" or "sigmoid"

    Returns:
    - m: the hidden layer's output at each step, shape (T, B, H)
    """
    act, _ = get_nonlinearity(nonlinearity)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(f"x: expected shape (T, B, D), got {x.shape}")
    for key in ("W_xh", "b_h"):
        if key not in params:
            raise ValueError(f"params: expected a key {key!r}, got keys {sorted(params)}")
    W_xh = np.asarray(params["W_xh"], dtype=np.float64)
    b_h = np.asarray(params["b_h"], dtype=np.float64)
    if W_xh.ndim != 2 or W_xh.shape[1] != x.shape[2]:
        raise ValueError(f"params['W_xh']: expected shape (H, D) with D = {x.shape[2]}, "
                         f"got {W_xh.shape}")  # fmt: skip
    if b_h.shape != (W_xh.shape[0],):
        raise ValueError(f"params['b_h']: expected shape ({W_xh.shape[0]},), got {b_h.shape}")
    return act(x @ W_xh.T + b_h)


def demo_sequence() -> np.ndarray:
    """The tiny input sequence of notebook 01: T = 12 numbers, shape (12,).

    The value 1.0 arrives at t = 0, 4 and 8, with different inputs in between, so a
    memoryless layer gives the same output at those three steps and an RNN does not.
    """
    return np.array([1.0, 0.0, 0.0, -0.5, 1.0, 0.5, 0.5, 0.0, 1.0, -1.0, 0.0, 0.0])


def demo_params(hidden_size: int = 6, seed: int = 0, spectral_radius: float = 0.9) -> dict:
    """Weights of a 1-input RNN that visibly remembers: for notebook 01's pictures.

    W_xh ~ N(0, 1) so one input moves every unit; W_hh is a random matrix rescaled so that
    its largest |eigenvalue| is ``spectral_radius`` (0.9: an input's trace fades over
    about ten steps); b_h ~ N(0, 0.1^2).

    Args:
        hidden_size: H.
        seed: everything is drawn from it (notebook 01 passes the course seed
            ``rnn_helpers.SEED``; the default 0 is the committed notebook's). How much the
            state at a repeated input differs depends on the seed; that it differs does not.
        spectral_radius: the largest |eigenvalue| of W_hh.

    Returns:
        dict with W_xh (H, 1), W_hh (H, H), b_h (H,), float64.
    """
    H = check_int("hidden_size", hidden_size)
    if not (isinstance(spectral_radius, numbers.Real) and 0 <= spectral_radius < np.inf):
        raise ValueError(f"spectral_radius: expected a number >= 0, got {spectral_radius!r}")
    rng = np.random.default_rng(seed)
    W_xh = rng.standard_normal((H, 1))
    W_hh = rng.standard_normal((H, H))
    W_hh *= spectral_radius / np.max(np.abs(np.linalg.eigvals(W_hh)))
    b_h = 0.1 * rng.standard_normal(H)
    return {"W_xh": W_xh, "W_hh": W_hh, "b_h": b_h}


def mlp_param_count(input_size: int, width: int, n_layers: int) -> int:
    """Parameters of ``n_layers`` stacked hidden layers of ``width`` units on ``input_size``
    inputs, each a dense layer with its own weights and bias (no output layer):

        (width·input_size + width) + (n_layers - 1)·(width·width + width)

    Next to an RNN unrolled over n_layers steps this is not like for like: the MLP reads one
    input (at the bottom), the RNN one at every step.
    """
    D = check_int("input_size", input_size)
    H = check_int("width", width)
    L = check_int("n_layers", n_layers)
    return linear_parameter_count(D, H) + (L - 1) * linear_parameter_count(H, H)


def hidden_state_steps(x, params, nonlinearity: str = "tanh") -> tuple[np.ndarray, np.ndarray]:
    """States of an RNN and of a memoryless hidden layer on one 1-input sequence.

    Inputs:
    - x: the sequence, shape (T,) (one number per step, D = 1)
    - params: W_xh (H, 1), W_hh (H, H), b_h (H,)
    - nonlinearity: "tanh", "relu" or "sigmoid"

    Returns:
    - h: RNN states h_0 ... h_{T-1} from h_{-1} = 0, shape (T, H)
    - m: the hidden layer act(x_t W_xh^T + b_h) at each step, shape (T, H)
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"x: expected a 1-D sequence of shape (T,), got shape {x.shape}")
    seq = x[:, None, None]  # (T, B=1, D=1)
    h, _ = rnn_forward(seq, None, params, nonlinearity)
    m = mlp_hidden_layer(seq, params, nonlinearity)
    return h[:, 0, :], m[:, 0, :]


def _same_earlier(x, t: int) -> int | None:
    """The latest step s < t with x_s == x_t, or None."""
    earlier = np.flatnonzero(x[:t] == x[t])
    return int(earlier[-1]) if earlier.size else None


def describe_step(t: int, x, h, m) -> str:
    """A plain sentence about step t: what the RNN has seen and how h_t differs from the
    memoryless hidden layer m_t (x, h, m as from :func:`hidden_state_steps`)."""
    x = np.asarray(x)
    T = x.shape[0]
    if not 0 <= t < T:
        raise ValueError(f"t: expected a step in 0 ... {T - 1}, got {t}")
    if t == 0:
        return (f"t = 0: the first input x_0 = {x[0]:.2f}. The state starts from h_(-1) = 0, "
                "so h_0 equals the memoryless hidden layer: nothing to remember yet.")  # fmt: skip
    s = _same_earlier(x, t)
    if s is not None:
        diff = float(np.max(np.abs(h[t] - h[s])))
        return (f"t = {t}: x_{t} = {x[t]:.2f}, the same input as at t = {s}. The hidden layer "
                f"repeats its step-{s} output exactly; the state h_{t} differs from h_{s} by up "
                f"to {diff:.2f} per unit, because it also carries x_0 ... x_{t - 1}.")  # fmt: skip
    last = " (the last step)" if t == T - 1 else ""
    return (f"t = {t}{last}: the RNN has read x_0 ... x_{t} ({t + 1} inputs) and h_{t} sums "
            f"them up; the hidden layer sees only x_{t} = {x[t]:.2f}.")  # fmt: skip
