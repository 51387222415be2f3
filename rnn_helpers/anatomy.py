"""The anatomy of a plain RNN: hidden layer vs hidden state, and parameter counts.

Pure NumPy helpers for notebooks 01 and 02 (no widgets here):

- :func:`mlp_hidden_layer`: a feed-forward hidden layer applied to each step on its own,
  act(x_t W_xh^T + b_h): the RNN step with the recurrent term h_{t-1} W_hh^T left out;
- :func:`demo_sequence`, :func:`demo_params`: the tiny sequence and weights notebook 01
  and its "time step" slider use;
- parameter counts: :func:`rnn_param_count` (ours, with one bias b_h, or torch's, with
  b_ih and b_hh), :func:`mlp_param_count`, :func:`linear_param_count`,
  :func:`torch_param_count`.

Shapes as in :mod:`rnn_helpers.scratch`: x is (T, B, D), states (B, H), sequences of
states (T, B, H); params W_xh (H, D), W_hh (H, H), b_h (H,).
"""

from __future__ import annotations

import numbers

import numpy as np

from rnn_helpers.scratch.activations import get_nonlinearity

__all__ = [
    "demo_params",
    "demo_sequence",
    "linear_param_count",
    "mlp_hidden_layer",
    "mlp_param_count",
    "rnn_param_count",
    "torch_param_count",
]


def _size(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


# --------------------------------------------------------------------------- hidden layer


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


# --------------------------------------------------------------------------- demo data


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
    H = _size("hidden_size", hidden_size)
    if not (isinstance(spectral_radius, numbers.Real) and 0 <= spectral_radius < np.inf):
        raise ValueError(f"spectral_radius: expected a number >= 0, got {spectral_radius!r}")
    rng = np.random.default_rng(seed)
    W_xh = rng.standard_normal((H, 1))
    W_hh = rng.standard_normal((H, H))
    W_hh *= spectral_radius / np.max(np.abs(np.linalg.eigvals(W_hh)))
    b_h = 0.1 * rng.standard_normal(H)
    return {"W_xh": W_xh, "W_hh": W_hh, "b_h": b_h}


# --------------------------------------------------------------------------- counts


def rnn_param_count(input_size: int, hidden_size: int, *, torch_biases: bool = False) -> int:
    """Parameters of one plain RNN layer: H·D (W_xh) + H·H (W_hh) + H (b_h).

    The count does not involve T: the same W_xh, W_hh, b_h serve every step. The same
    unrolled network with its own weights at every step would have T times as many.

    Args:
        input_size: D.
        hidden_size: H.
        torch_biases: True counts as ``torch.nn.RNN`` does, with two bias vectors b_ih and
            b_hh (H more); they are only ever added, so the scratch layers keep their sum.
    """
    D = _size("input_size", input_size)
    H = _size("hidden_size", hidden_size)
    return H * D + H * H + H * (2 if torch_biases else 1)


def linear_param_count(in_features: int, out_features: int) -> int:
    """Parameters of a dense layer y = h W^T + b: out·in + out (as ``torch.nn.Linear``)."""
    n_in = _size("in_features", in_features)
    n_out = _size("out_features", out_features)
    return n_out * n_in + n_out


def mlp_param_count(input_size: int, width: int, n_layers: int) -> int:
    """Parameters of ``n_layers`` stacked hidden layers of ``width`` units on ``input_size``
    inputs, each a dense layer with its own weights and bias (no output layer):

        (width·input_size + width) + (n_layers - 1)·(width·width + width)

    Next to an RNN unrolled over n_layers steps this is not like for like: the MLP reads one
    input (at the bottom), the RNN one at every step.
    """
    D = _size("input_size", input_size)
    H = _size("width", width)
    L = _size("n_layers", n_layers)
    return linear_param_count(D, H) + (L - 1) * linear_param_count(H, H)


def torch_param_count(module) -> int:
    """How many numbers a torch module trains: the sum of ``p.numel()`` over its parameters."""
    return int(sum(p.numel() for p in module.parameters()))
