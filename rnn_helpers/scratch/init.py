"""Parameters for the scratch layers: random ones drawn like torch draws them, and copies
with chosen gate biases or constant gates.

torch initialises every RNN/LSTM/GRU weight and bias, and nn.Linear's, from
uniform(-1/sqrt(H_in), 1/sqrt(H_in)) with H_in the hidden size (for the cells) or the
input size of the linear layer. The numbers differ from torch's (another generator);
the distribution is the same for each array. (torch's LSTM adds two such bias vectors,
b_ih + b_hh; the scratch LSTM keeps one vector ``b`` drawn from the same uniform, so its
bias is not distributed like torch's sum.)

:data:`GATES` is the library's one list of cell kinds and their weight blocks;
:func:`set_gate_bias` and :func:`force_gates` change the bias (and weights) of one block.
"""

import math

import numpy as np

from rnn_helpers.validate import check_choice, check_int, check_real

# The weight blocks of each kind of layer, in torch's order: the plain RNN has one, the LSTM
# the gates i, f, g, o, the GRU r, z, n. The library's one list of cell kinds
# (rnn_helpers.counting counts parameters from it).
GATES = {"rnn": ("h",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}
BIAS_NAMES = {"rnn": ("b_h",), "lstm": ("b",), "gru": ("b_xh", "b_hh")}

# sigmoid(+-40) is exactly 1.0 and 0.0 with the library's sigmoid (see scratch.activations):
# the bias that makes a gate exactly open or closed.
SATURATING_BIAS = 40.0


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
    kind = check_choice("kind", kind, tuple(GATES))
    n_gates, bias_names = len(GATES[kind]), BIAS_NAMES[kind]
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


def gate_rows(kind, gate, hidden_size):
    """The rows of block ``gate`` in the stacked weights and biases of a ``kind`` layer with
    ``hidden_size`` H: ``gate_rows("lstm", "f", H)`` is slice(H, 2H)."""
    kind = check_choice("kind", kind, tuple(GATES))
    k = GATES[kind].index(check_choice("gate", gate, GATES[kind]))
    H = check_int("hidden_size", hidden_size)
    return slice(k * H, (k + 1) * H)


def _gated_copy(params, kind):
    """(H, a float64 copy of params) after checking that params are a ``kind`` layer's."""
    kind = check_choice("kind", kind, ("lstm", "gru"))
    W_hh = np.asarray(params["W_hh"])
    n = len(GATES[kind])
    if W_hh.ndim != 2 or W_hh.shape[0] != n * W_hh.shape[1]:
        raise ValueError(f"params['W_hh']: expected shape ({n}H, H) for a {kind}, "
                         f"got shape {W_hh.shape}")
    return W_hh.shape[1], {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}


def set_gate_bias(params, kind, gate, value):
    """A copy of LSTM or GRU params whose gate ``gate`` has the total bias ``value``.

    The rule, the same for every gate and kind (and for the torch models in
    ``rnn_helpers.models``): the gate's pre-activation gets the bias ``value`` in all its
    units. The LSTM keeps one bias vector, whose block is set. The GRU keeps two, b_xh and
    b_hh, which r and z only ever add: b_xh's block gets ``value`` and b_hh's block 0. With
    small inputs and states the gate then sits near sigmoid(value): a forget bias of 1 gives
    f ≈ 0.73 and 2 gives f ≈ 0.88 (Gers et al. 2000; Jozefowicz et al. 2015 recommend 1).

    Inputs:
    - params: scratch parameters of ``kind`` (see :func:`init_rnn_params`); not modified
    - kind: "lstm" or "gru"
    - gate: "i", "f", "g" or "o" (LSTM); "r" or "z" (GRU: the candidate's b_hn sits inside
      the reset gate's product, so "n" has no single total bias)
    - value: the bias, a finite number

    Returns a new dict of float64 arrays.
    """
    H, new = _gated_copy(params, kind)
    allowed = GATES[kind] if kind == "lstm" else ("r", "z")
    rows = gate_rows(kind, check_choice("gate", gate, allowed), H)
    value = check_real("value", value)
    if kind == "lstm":
        new["b"][rows] = value
    else:
        new["b_xh"][rows] = value
        new["b_hh"][rows] = 0.0
    return new


def force_gates(params, kind, **gates):
    """A copy of LSTM or GRU params in which the named gates no longer depend on x or h.

    ``force_gates(p, "lstm", f=1.0, i=0.0)`` zeroes the input and recurrent weights of the
    f and i blocks and sets their bias (by :func:`set_gate_bias`'s rule) so that the gate
    is the value asked for: sigmoid(bias) = value, and 0 and 1 become biases of -40 and
    +40, where the library's sigmoid is exactly 0.0 and 1.0 in float64. The LSTM's
    candidate "g" is a tanh (values in [-1, 1]; -1 and 1 become -40 and +40).

    Gates: "i", "f", "g", "o" for the LSTM; "r", "z" for the GRU; values in [0, 1].
    Returns a new dict of float64 arrays; ``params`` is not modified.
    """
    H, new = _gated_copy(params, kind)
    allowed = GATES[kind] if kind == "lstm" else ("r", "z")
    for name, value in gates.items():
        check_choice("gate", name, allowed)
        value = check_real(name, value)
        lo = -1.0 if name == "g" else 0.0  # g is a tanh, the gates are sigmoids
        if not lo <= value <= 1.0:
            raise ValueError(f"{name}: expected a value in [{lo:g}, 1], got {value}")
        if value == 1.0:
            bias = SATURATING_BIAS
        elif value == lo:
            bias = -SATURATING_BIAS
        elif name == "g":
            bias = math.atanh(value)
        else:
            bias = math.log(value / (1.0 - value))
        rows = gate_rows(kind, name, H)
        new["W_xh"][rows] = 0.0
        new["W_hh"][rows] = 0.0
        new = set_gate_bias(new, kind, name, bias)
    return new
