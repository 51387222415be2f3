"""Computations behind notebooks 06 (LSTM) and 07 (GRU): why gated cells remember longer.

Everything here is built from the scratch step functions (``rnn_step``, ``lstm_step``,
``gru_step`` and their backward passes), float64, time-major, so what a plot shows is
exactly what the taught code computes.

- :func:`gradient_over_distance`: ||dL/dh_t|| (and ||dL/dc_t|| for the LSTM) for a loss
  on the last hidden state, against the distance T-1-t: the plain RNN's gradient fades
  geometrically; an LSTM with a positive forget bias keeps far more of it. (Along the
  cell state alone the gradient is scaled only by the forget gates; how much of the total
  takes that direct path is measured by ``lessons.n06_lstm.cell_state_paths``.)
- :func:`set_forget_bias`, :func:`force_gates`: LSTM parameters with chosen gate biases.
- :func:`lstm_gate_trace`: the gates i, f, g, o and the states c, h of one LSTM run.
- :func:`memory_units`: the hidden units whose cell state stores the marked numbers.
- :func:`gru_survival`, :func:`half_life`: how much of its initial state h0 (h_{-1}) a
  GRU still holds after t steps for a given update-gate bias, measured, against the
  prediction z^t.
- :func:`recurrent_parameter_count`: parameters of an RNN / LSTM / GRU layer (as torch).
"""

from __future__ import annotations

import math

import numpy as np

from rnn_helpers.scratch import (
    gru_step,
    lstm_step,
    lstm_step_backward,
    rnn_step,
    rnn_step_backward,
    sigmoid,
)
from rnn_helpers.seed import SEED
from rnn_helpers.validate import check_choice, check_int, check_real

__all__ = [
    "N_GATES",
    "recurrent_parameter_count",
    "gradient_over_distance",
    "set_forget_bias",
    "force_gates",
    "lstm_gate_trace",
    "memory_units",
    "gru_survival",
    "half_life",
    "measured_half_life",
    "set_update_bias",
    "force_gru_gates",
]

# Weight blocks per layer: the RNN has one, the LSTM four (i, f, g, o), the GRU three (r, z, n).
N_GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def _check_kind(kind) -> str:
    return check_choice("kind", kind, tuple(N_GATES))


def recurrent_parameter_count(kind: str, input_size: int, hidden_size: int) -> int:
    """Trainable numbers in one torch recurrent layer (two bias vectors, as torch keeps them).

    Each gate (or the RNN's single block) has an input matrix (H, D), a recurrent matrix
    (H, H) and two biases (H,): H*D + H*H + 2H numbers. The RNN has 1 such block, the GRU
    3 (r, z, n), the LSTM 4 (i, f, g, o).
    """
    g = N_GATES[_check_kind(kind)]
    D = check_int("input_size", input_size)
    H = check_int("hidden_size", hidden_size)
    return g * (H * D + H * H + 2 * H)


# --------------------------------------------------------------------------- gradient flow


def gradient_over_distance(kind: str, params: dict, x, nonlinearity: str = "tanh") -> dict:
    """How strongly the last hidden state's loss reaches back to each earlier step.

    The loss is L = sum_b sum_j h_{T-1}[b, j] / B (every unit of the last state, averaged
    over the batch). Its gradient is carried back one step at a time with the scratch
    step backward functions, and its size is recorded at every step.

    Inputs:
    - kind: "rnn" or "lstm"
    - params: scratch parameters of that kind (rnn: W_xh, W_hh, b_h; lstm: W_xh, W_hh, b)
    - x: inputs (T, B, D); the run starts from zero states
    - nonlinearity: the RNN's activation

    Returns a dict of arrays of shape (T,), index = distance d = T-1-t:
    - "distance": 0 ... T-1
    - "dh": the mean over the batch of ||dL/dh_t|| (the vector of one sequence)
    - "dc" (LSTM only): the mean over the batch of ||dL/dc_t||
    """
    _check_kind(kind)
    if kind == "gru":
        raise ValueError("kind: gradient_over_distance supports 'rnn' and 'lstm', got 'gru'")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(f"x: expected shape (T, B, D), got shape {x.shape}")
    T, B, _ = x.shape
    H = params["W_hh"].shape[1]
    h = np.zeros((B, H))
    c = np.zeros((B, H))
    caches = []
    for t in range(T):
        if kind == "rnn":
            h, cache = rnn_step(x[t], h, params, nonlinearity)
        else:
            h, c, cache = lstm_step(x[t], h, c, params)
        caches.append(cache)

    dh = np.full((B, H), 1.0 / B)  # dL/dh_{T-1}
    dc = np.zeros((B, H))  # dL/dc_{T-1} beyond the path through h_{T-1}: none
    norm_h = np.empty(T)
    norm_c = np.empty(T)
    for t in range(T - 1, -1, -1):
        norm_h[T - 1 - t] = np.linalg.norm(dh, axis=1).mean()
        if kind == "rnn":
            dh = rnn_step_backward(dh, caches[t])["h_prev"]
        else:
            # The total gradient at c_t: the part arriving from c_{t+1} plus the part
            # through h_t = o * tanh(c_t). lstm_step_backward combines both.
            o, tanh_c = caches[t]["o"], caches[t]["tanh_c"]
            norm_c[T - 1 - t] = np.linalg.norm(dc + dh * o * (1.0 - tanh_c**2), axis=1).mean()
            grads = lstm_step_backward(dh, dc, caches[t])
            dh, dc = grads["h_prev"], grads["c_prev"]
    out = {"distance": np.arange(T), "dh": norm_h}
    if kind == "lstm":
        out["dc"] = norm_c
    return out


# --------------------------------------------------------------------------- LSTM gates


_LSTM_GATES = {"i": 0, "f": 1, "g": 2, "o": 3}


def _lstm_H(params: dict) -> int:
    W_hh = np.asarray(params["W_hh"])
    if W_hh.ndim != 2 or W_hh.shape[0] != 4 * W_hh.shape[1]:
        raise ValueError(f"params['W_hh']: expected shape (4H, H), got shape {W_hh.shape}")
    return W_hh.shape[1]


def set_forget_bias(params: dict, value: float) -> dict:
    """A copy of LSTM params whose forget-gate bias (the f block of b) is ``value``.

    A positive forget bias starts the forget gate near sigmoid(value) (0.73 for 1, 0.88
    for 2) instead of about 0.5, so the cell state is kept by default (Gers et al. 2000;
    Jozefowicz et al. 2015 recommend 1).
    """
    value = check_real("value", value)
    H = _lstm_H(params)
    new = {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}
    new["b"][H : 2 * H] = value
    return new


def force_gates(params: dict, **gates: float) -> dict:
    """A copy of LSTM params in which the named gates no longer depend on x or h.

    ``force_gates(p, f=1.0, i=0.0)`` zeroes the input and recurrent weights of the f and
    i blocks and sets their bias so that sigmoid(bias) is the value asked for: 0 and 1
    become biases of -40 and +40: the library's sigmoid, (1 + tanh(a/2)) / 2, gives
    exactly 1.0 and 0.0 there in float64.
    Gates: "i", "f", "o" (values in [0, 1]); "g" is a tanh, values in [-1, 1].
    """
    H = _lstm_H(params)
    new = {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}
    for name, value in gates.items():
        if name not in _LSTM_GATES:
            raise ValueError(f"gate {name!r}: expected one of i, f, g, o")
        value = check_real(name, value)
        lo, hi = (-1.0, 1.0) if name == "g" else (0.0, 1.0)
        if not lo <= value <= hi:
            raise ValueError(f"{name}: expected a value in [{lo:g}, {hi:g}], got {value}")
        rows = slice(_LSTM_GATES[name] * H, (_LSTM_GATES[name] + 1) * H)
        if name == "g":
            bias = 40.0 * np.sign(value) if abs(value) == 1.0 else np.arctanh(value)
        elif value in (0.0, 1.0):
            bias = 40.0 if value == 1.0 else -40.0
        else:
            bias = np.log(value / (1.0 - value))
        new["W_xh"][rows] = 0.0
        new["W_hh"][rows] = 0.0
        new["b"][rows] = bias
    return new


def lstm_gate_trace(params: dict, x) -> dict:
    """Run an LSTM over one sequence and keep every gate and state.

    Inputs:
    - params: scratch LSTM parameters (W_xh (4H, D), W_hh (4H, H), b (4H,))
    - x: one sequence, (T, D) or (T, 1, D); the run starts from zero states

    Returns a dict of (T, H) arrays: "i", "f", "g", "o" (the gates at each step), "c"
    (cell states c_0 ... c_{T-1}) and "h" (hidden states).
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 3 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 2:
        raise ValueError(f"x: expected one sequence of shape (T, D) or (T, 1, D), got {x.shape}")
    H = _lstm_H(params)
    T = x.shape[0]
    out = {k: np.empty((T, H)) for k in ("i", "f", "g", "o", "c", "h")}
    h = np.zeros((1, H))
    c = np.zeros((1, H))
    for t in range(T):
        h, c, cache = lstm_step(x[t : t + 1], h, c, params)
        for k in ("i", "f", "g", "o"):
            out[k][t] = cache[k][0]
        out["c"][t] = c[0]
        out["h"][t] = h[0]
    return out


def memory_units(trace: dict, marks, k: int = 4) -> np.ndarray:
    """The ``k`` hidden units that store the marked inputs, most active first.

    A unit counts as storing a marked value when its cell state jumps at the marked
    step and is still there at the end: the score is the sum over the marks m of
    |c_m - c_{m-1}| (the write), times how much of the cell state moved at the marks
    rather than between them. Units whose cell state drifts all the time score low.

    Inputs:
    - trace: from :func:`lstm_gate_trace`
    - marks: the marked time steps (e.g. the two of the adding problem)
    - k: how many units to return

    Returns the indices of the top ``k`` units, an int array.
    """
    c = trace["c"]
    T, H = c.shape
    k = check_int("k", k)
    marks = [int(m) for m in marks]
    if any(not 0 <= m < T for m in marks):
        raise ValueError(f"marks: expected steps in 0 .. {T - 1}, got {marks}")
    prev = np.vstack([np.zeros((1, H)), c[:-1]])
    jumps = np.abs(c - prev)  # how much each unit's cell state moved at each step
    at_marks = jumps[marks].sum(axis=0)
    total = jumps.sum(axis=0) + 1e-12
    score = at_marks * (at_marks / total)
    return np.argsort(-score, kind="stable")[: min(k, H)]


# --------------------------------------------------------------------------- GRU memory


def set_update_bias(params: dict, b_z: float) -> dict:
    """A copy of GRU params whose update gate's total bias b_iz + b_hz is ``b_z``.

    The whole bias goes into b_xh's z block and b_hh's z block is set to 0, so with
    small inputs and states z ≈ sigmoid(b_z).
    """
    b_z = check_real("b_z", b_z)
    W_hh = np.asarray(params["W_hh"])
    if W_hh.ndim != 2 or W_hh.shape[0] != 3 * W_hh.shape[1]:
        raise ValueError(f"params['W_hh']: expected shape (3H, H), got shape {W_hh.shape}")
    H = W_hh.shape[1]
    new = {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}
    new["b_xh"][H : 2 * H] = b_z
    new["b_hh"][H : 2 * H] = 0.0
    return new


def force_gru_gates(params: dict, **gates: float) -> dict:
    """A copy of GRU params in which the reset gate r and/or update gate z are constants.

    ``force_gru_gates(p, z=1.0)`` zeroes the weights of the z block and puts the bias
    that gives sigmoid(bias) = 1.0 (40, all in b_xh; b_hh's z block is set to 0). Values
    must lie in [0, 1]; 0 and 1 become biases of -40 and +40.
    """
    W_hh = np.asarray(params["W_hh"])
    if W_hh.ndim != 2 or W_hh.shape[0] != 3 * W_hh.shape[1]:
        raise ValueError(f"params['W_hh']: expected shape (3H, H), got shape {W_hh.shape}")
    H = W_hh.shape[1]
    new = {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}
    for name, value in gates.items():
        if name not in ("r", "z"):
            raise ValueError(f"gate {name!r}: expected 'r' or 'z'")
        value = check_real(name, value)
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name}: expected a value in [0, 1], got {value}")
        if value in (0.0, 1.0):
            bias = 40.0 if value == 1.0 else -40.0
        else:
            bias = math.log(value / (1.0 - value))
        rows = slice(0, H) if name == "r" else slice(H, 2 * H)
        new["W_xh"][rows] = 0.0
        new["W_hh"][rows] = 0.0
        new["b_xh"][rows] = bias
        new["b_hh"][rows] = 0.0
    return new


def half_life(z: float) -> float:
    """Steps t after which z**t = 1/2: ln(1/2) / ln(z). inf for z >= 1, 0 for z <= 0."""
    z = check_real("z", z)
    if z >= 1.0:
        return math.inf
    if z <= 0.0:
        return 0.0
    return math.log(0.5) / math.log(z)


def measured_half_life(kept) -> float:
    """Steps after which a measured survival curve first drops to 1/2.

    ``kept[t-1]`` is the fraction left after t steps (as :func:`gru_survival` returns),
    and the curve starts from 1 at t = 0. Between two steps the crossing is interpolated
    on a log scale (exact for a curve z^t). Returns inf if the curve never reaches 1/2.
    """
    kept = np.asarray(kept, dtype=np.float64)
    if kept.ndim != 1 or kept.size == 0:
        raise ValueError(f"kept: expected a 1-D array of at least one value, got {kept.shape}")
    curve = np.concatenate([[1.0], kept])
    below = np.flatnonzero(curve <= 0.5)
    if below.size == 0:
        return math.inf
    t = int(below[0])  # curve[t] <= 1/2 < curve[t-1]
    lo, hi = max(curve[t], 1e-300), curve[t - 1]
    return (t - 1) + math.log(hi / 0.5) / math.log(hi / lo)


def gru_survival(params: dict, b_z: float, steps: int = 60, *, x=None, seed: int | None = None,
                 spread: float = 0.5) -> dict:
    """How much of its initial state h0 (h_{-1}) a GRU still holds after t steps.

    Two runs of the scratch GRU read the same inputs and differ only in their initial
    state (h0 = +spread·s and -spread·s for random signs s, one pair per batch entry). Whatever
    difference is left at step t is what the network still "remembers" of h0:

        kept(t) = ||h_t^a - h_t^b|| / ||h0^a - h0^b||     (mean over the batch)

    For an update gate that stays near z = sigmoid(b_z), h' = (1-z) n + z h predicts
    kept(t) ≈ z^t: each step keeps a fraction z of the old state. The candidate n adds
    whatever it copies of the old state through W_hn, so kept(t) can exceed z^t a little.

    Inputs:
    - params: scratch GRU parameters (their update-gate bias is replaced by b_z)
    - b_z: the update gate's bias
    - steps: T, the number of steps to run
    - x: inputs (T, B, D); None draws N(0, 1) inputs with B = 8 from ``seed``
    - seed: seed of the inputs (when x is None) and the signs s; None means the course
      seed ``rnn_helpers.SEED``
    - spread: size of each entry of the initial states

    Returns a dict:
    - "t": 1 ... T (steps after h0; kept[t-1] belongs to h_{t-1} in the course's indexing,
      the state after t steps)
    - "kept": measured fraction after t steps, (T,)
    - "predicted": z**t with z = sigmoid(b_z), (T,)
    - "z": the measured update gate averaged over both runs, all steps and units
    """
    b_z = check_real("b_z", b_z)
    steps = check_int("steps", steps)
    seed = SEED if seed is None else check_int("seed", seed, minimum=0)
    p = set_update_bias(params, b_z)
    D = p["W_xh"].shape[1]
    H = p["W_hh"].shape[1]
    rng = np.random.default_rng(seed)
    if x is None:
        x = rng.standard_normal((steps, 8, D))
    else:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 3 or x.shape[0] != steps or x.shape[2] != D:
            raise ValueError(f"x: expected shape ({steps}, B, {D}), got shape {x.shape}")
    B = x.shape[1]
    signs = np.where(rng.random((B, H)) < 0.5, -1.0, 1.0)
    # Both runs in one batch: the first B rows start at +spread·s, the last B at -spread·s.
    h0 = np.concatenate([spread * signs, -spread * signs])
    xx = np.concatenate([x, x], axis=1)
    h = h0
    kept = np.empty(steps)
    z_sum = 0.0
    start = np.linalg.norm(h0[:B] - h0[B:], axis=1)
    for t in range(steps):
        h, cache = gru_step(xx[t], h, p)
        z_sum += float(cache["z"].mean())
        kept[t] = (np.linalg.norm(h[:B] - h[B:], axis=1) / start).mean()
    z_measured = z_sum / steps
    t = np.arange(1, steps + 1)
    return {"t": t, "kept": kept, "predicted": float(sigmoid(np.array([b_z]))[0]) ** t,
            "z": z_measured}
