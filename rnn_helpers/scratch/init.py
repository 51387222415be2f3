"""Random initial parameters shaped for the scratch layers, drawn like torch draws them.

torch initialises every RNN/LSTM/GRU weight and bias, and nn.Linear's, from
uniform(-1/sqrt(H_in), 1/sqrt(H_in)) with H_in the hidden size (for the cells) or the
input size of the linear layer. The numbers differ from torch's (another generator);
the distribution is the same.
"""

import numpy as np

from rnn_helpers.validate import check_int

# kind -> (number of gates, bias names)
_KINDS = {
    "rnn": (1, ("b_h",)),
    "lstm": (4, ("b",)),
    "gru": (3, ("b_xh", "b_hh")),
}


def init_rnn_params(input_size, hidden_size, seed=0, kind="rnn"):
    """Random parameters for rnn_forward, lstm_forward or gru_forward.

    Inputs:
    - input_size: D, features per time step
    - hidden_size: H
    - seed: seed of NumPy's default_rng, so the same call gives the same numbers
    - kind: "rnn" (W_xh (H, D), W_hh (H, H), b_h (H,)),
      "lstm" (W_xh (4H, D), W_hh (4H, H), b (4H,), gate order i, f, g, o) or
      "gru" (W_xh (3H, D), W_hh (3H, H), b_xh (3H,), b_hh (3H,), gate order r, z, n)

    Returns a dict of float64 arrays.
    """
    D = check_int("input_size", input_size)
    H = check_int("hidden_size", hidden_size)
    if kind not in _KINDS:
        raise ValueError(f"kind: expected one of {', '.join(map(repr, _KINDS))}, got {kind!r}")
    n_gates, bias_names = _KINDS[kind]
    rng = np.random.default_rng(seed)
    bound = 1.0 / np.sqrt(H)
    params = {
        "W_xh": rng.uniform(-bound, bound, size=(n_gates * H, D)),
        "W_hh": rng.uniform(-bound, bound, size=(n_gates * H, H)),
    }
    for name in bias_names:
        params[name] = rng.uniform(-bound, bound, size=n_gates * H)
    return params


def init_linear_params(hidden_size, output_size, seed=0):
    """Random parameters for linear_forward: W_hy (O, H) and b_y (O,), float64."""
    H = check_int("hidden_size", hidden_size)
    O = check_int("output_size", output_size)
    rng = np.random.default_rng(seed)
    bound = 1.0 / np.sqrt(H)
    return {
        "W_hy": rng.uniform(-bound, bound, size=(O, H)),
        "b_y": rng.uniform(-bound, bound, size=O),
    }
