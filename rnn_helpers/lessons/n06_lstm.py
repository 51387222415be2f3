"""What notebook 06 (LSTM) computes.

- :func:`hard_sigmoid`, :data:`GATE_FUNCTIONS`: the sigmoid, its cheap piecewise-linear
  version and tanh, side by side as candidate gate functions.
- :func:`gradient_over_distance`: ||dL/dh_t|| (and ||dL/dC_t|| for the LSTM) for a loss on
  the last hidden state, against the distance T-1-t: the plain RNN's gradient fades
  geometrically; an LSTM with a positive forget bias keeps far more of it.
- :func:`rnn_jacobian_norms`: the plain RNN's one-step Jacobians ∂h_t/∂h_{t-1} =
  diag(1 - h_t²) W_hh, their spectral norms against the bound ||W_hh||₂ and the spectral
  radius ρ(W_hh).
- :func:`factor_per_step`: the fitted decay of a gradient norm per step back.
- :func:`cell_state_paths`: ||∂L/∂C_t|| in total and along the direct path C_{t} → C_{t+1}
  alone (scaled by the forget gates only).
- :func:`without_recurrent_weights`: the control run, an LSTM whose gates and candidate
  no longer read h_{t-1}.
- :func:`lstm_gate_trace`: the gates i, f, g, o and the states C, h of one LSTM run (what
  the "time step" viewer draws).
- :func:`memory_units`: which hidden units of a trained LSTM keep the adding problem's
  numbers, measured over many validation sequences.

Everything is float64 NumPy built on the scratch LSTM and RNN steps.
"""

from __future__ import annotations

import numpy as np

from rnn_helpers.scratch import (
    lstm_step,
    lstm_step_backward,
    rnn_forward,
    rnn_step,
    rnn_step_backward,
    sigmoid,
)
from rnn_helpers.validate import check_choice, check_int

__all__ = [
    "hard_sigmoid",
    "GATE_FUNCTIONS",
    "gradient_over_distance",
    "rnn_jacobian_norms",
    "factor_per_step",
    "cell_state_paths",
    "without_recurrent_weights",
    "lstm_gate_trace",
    "memory_units",
]


def hard_sigmoid(a):
    """Piecewise-linear sigmoid, as torch's ``hardsigmoid``: clip(a/6 + 1/2, 0, 1).

    It needs one multiply-add and a clip instead of an exponential, and it is exactly 0
    for a <= -3 and exactly 1 for a >= 3, where its slope is 0 (a gate stuck there gets no
    gradient). Keras before TensorFlow 2.0 gave its LSTM a hard sigmoid of slope 0.2 by
    default, clip(0.2 a + 0.5, 0, 1); tf.keras in TensorFlow 2 defaults to the sigmoid.
    """
    return np.clip(np.asarray(a, dtype=np.float64) / 6.0 + 0.5, 0.0, 1.0)


def _library_sigmoid(a):
    a = np.array(a, dtype=np.float64)  # a copy: the scratch sigmoid works in place on it
    return sigmoid(a.reshape(-1), out=a.reshape(-1)).reshape(a.shape)


# Candidate gate functions: name -> function of the pre-activation a (a number or an array).
GATE_FUNCTIONS = {
    "sigmoid": _library_sigmoid,
    "hard sigmoid": hard_sigmoid,
    "tanh": lambda a: np.tanh(np.asarray(a, dtype=np.float64)),
}


def _sequence(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(f"x: expected shape (T, B, D), got shape {x.shape}")
    return x


def _lstm_hidden_size(params: dict) -> int:
    W_hh = np.asarray(params["W_hh"])
    if W_hh.ndim != 2 or W_hh.shape[0] != 4 * W_hh.shape[1]:
        raise ValueError(f"params['W_hh']: expected shape (4H, H), got shape {W_hh.shape}")
    return W_hh.shape[1]


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
    kind = check_choice("kind", kind, ("rnn", "lstm"))
    x = _sequence(x)
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


def rnn_jacobian_norms(params: dict, x) -> dict:
    """How much one step back can stretch a plain tanh RNN's gradient, step by step.

    The Jacobian of h_t = tanh(x_t W_xh^T + h_{t-1} W_hh^T + b_h) with respect to h_{t-1}
    is J_t = diag(1 - h_t²) W_hh for each sequence. Since tanh' <= 1 (gamma = 1),
    ||J_t||₂ <= ||W_hh||₂: the bound of Pascanu et al. (2013). It promises vanishing only
    when ||W_hh||₂ < 1; the spectral radius ρ(W_hh) instead describes long products of
    the *linear* case (h small, tanh' ≈ 1).

    Inputs:
    - params: scratch RNN parameters W_xh (H, D), W_hh (H, H), b_h (H,)
    - x: inputs (T, B, D); the run starts from h_{-1} = 0

    Returns a dict:
    - "norms": ||J_t||₂ for every step and sequence, (T, B)
    - "bound": ||W_hh||₂, a float
    - "radius": ρ(W_hh), the largest |eigenvalue|, a float
    - "slope": the mean tanh'(.) = 1 - h_t² over all steps, units and sequences
    """
    x = _sequence(x)
    W_hh = np.asarray(params["W_hh"], dtype=np.float64)
    h, _ = rnn_forward(x, np.zeros((x.shape[1], W_hh.shape[0])), params)
    slope = 1.0 - h**2  # (T, B, H)
    jacobians = slope[..., None] * W_hh  # row j of W_hh scaled by tanh' of unit j
    norms = np.linalg.svd(jacobians, compute_uv=False)[..., 0]
    return {
        "norms": norms,
        "bound": float(np.linalg.norm(W_hh, 2)),
        "radius": float(np.max(np.abs(np.linalg.eigvals(W_hh)))),
        "slope": float(slope.mean()),
    }


def factor_per_step(norms, start: int = 10, stop: int = 90) -> float:
    """The factor by which a gradient norm shrinks per step, fitted over distances
    start ... stop: exp(slope of log(norms) against the distance)."""
    norms = np.asarray(norms, dtype=np.float64)
    if norms.ndim != 1 or not 0 <= start < stop < norms.size:
        raise ValueError(f"norms: expected a 1-D array longer than stop={stop} with "
                         f"0 <= start < stop, got shape {norms.shape} and start={start}")
    d = np.arange(start, stop + 1)
    return float(np.exp(np.polyfit(d, np.log(norms[start : stop + 1]), 1)[0]))


def cell_state_paths(params: dict, x, dh_last=None) -> dict:
    """||∂L/∂C_t|| in total, and the part that travels along the cell state alone.

    The loss is L = sum_b <dh_last, h_{T-1}[b]> / B (by default every unit of the last
    state, as :func:`gradient_over_distance`). Its gradient at C_{T-1}
    reaches C_t by every path. The *direct path* stays on the cell state the whole way:
    C_t → C_{t+1} → ... → C_{T-1}, scaled at each step by the forget gate alone,

        direct_t = ∂L/∂C_{T-1} ⊙ f_{t+1} ⊙ ... ⊙ f_{T-1}.

    Every other path leaves the cell state at some step s through h_s = o ⊙ tanh(C_s)
    and comes back through the gates and the candidate of step s + 1, which read h_s
    through W_hh. The total is what backpropagation computes (lstm_step_backward).

    Inputs:
    - params: scratch LSTM parameters W_xh (4H, D), W_hh (4H, H), b (4H,)
    - x: inputs (T, B, D); the run starts from zero states
    - dh_last: the gradient arriving at each h_{T-1}[b], (H,); None means ones (1/B each
      after the batch mean)

    Returns a dict of (T,) arrays indexed by the distance d = T-1-t (means over the batch
    of per-sequence values):
    - "distance": 0 ... T-1
    - "total": ||∂L/∂C_t||
    - "direct": ||direct_t||
    - "direct_share": <direct_t, total_t> / ||total_t||², the direct path's share of the
      total. The paths add as vectors (total = direct + the rest) and can partly cancel, so
      the ratio of the norms is no share; this projection is: the direct path's share and
      the rest's add up to 1 (each can be negative or above 1 when they cancel).
    """
    x = _sequence(x)
    T, B, _ = x.shape
    H = np.asarray(params["W_hh"]).shape[1]
    seed = np.ones(H) if dh_last is None else np.asarray(dh_last, dtype=np.float64)
    if seed.shape != (H,):
        raise ValueError(f"dh_last: expected shape ({H},), got shape {seed.shape}")
    h, c = np.zeros((B, H)), np.zeros((B, H))
    caches = []
    for t in range(T):
        h, c, cache = lstm_step(x[t], h, c, params)
        caches.append(cache)
    dh = np.broadcast_to(seed / B, (B, H)).copy()
    last = caches[-1]
    direct = dh * last["o"] * (1.0 - last["tanh_c"] ** 2)  # ∂L/∂C_{T-1}: through h_{T-1}
    dc = np.zeros((B, H))
    total_norm, direct_norm, share = np.empty(T), np.empty(T), np.empty(T)
    for t in range(T - 1, -1, -1):
        o, tanh_c = caches[t]["o"], caches[t]["tanh_c"]
        total = dc + dh * o * (1.0 - tanh_c**2)  # ∂L/∂C_t, every path
        total_sq = np.sum(total**2, axis=1)
        total_norm[T - 1 - t] = np.sqrt(total_sq).mean()
        direct_norm[T - 1 - t] = np.linalg.norm(direct, axis=1).mean()
        share[T - 1 - t] = (np.sum(direct * total, axis=1) / total_sq).mean()
        grads = lstm_step_backward(dh, dc, caches[t])
        dh, dc = grads["h_prev"], grads["c_prev"]
        direct = direct * caches[t]["f"]
    return {"distance": np.arange(T), "total": total_norm, "direct": direct_norm,
            "direct_share": share}


def without_recurrent_weights(params: dict) -> dict:
    """A copy of LSTM params with W_hh = 0: the gates i, f, o and the candidate g read
    x_t only, never h_{t-1}. Then the only way from C_{t-1} to the loss is the direct
    path along the cell state, so its gradient is scaled by the forget gates alone."""
    _lstm_hidden_size(params)
    new = {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}
    new["W_hh"][:] = 0.0
    return new


# --------------------------------------------------------------------------- inside a trained LSTM


def lstm_gate_trace(params: dict, x) -> dict:
    """Run an LSTM over one sequence and keep every gate and state.

    Inputs:
    - params: scratch LSTM parameters (W_xh (4H, D), W_hh (4H, H), b (4H,))
    - x: one sequence, (T, D) or (T, 1, D); the run starts from zero states

    Returns a dict of (T, H) arrays: "i", "f", "g", "o" (the gates at each step), "c"
    (cell states C_0 ... C_{T-1}) and "h" (hidden states).
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 3 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 2:
        raise ValueError(f"x: expected one sequence of shape (T, D) or (T, 1, D), got {x.shape}")
    run = _run_with_gates(params, x[:, None, :])
    return {k: v[:, 0] for k, v in run.items()}


def _run_with_gates(params: dict, x: np.ndarray) -> dict:
    """The scratch LSTM over x (T, B, D) from zero states: every gate and state, (T, B, H)."""
    H = _lstm_hidden_size(params)
    T, B, _ = x.shape
    out = {k: np.empty((T, B, H)) for k in ("i", "f", "g", "o", "c", "h")}
    h, c = np.zeros((B, H)), np.zeros((B, H))
    for t in range(T):
        h, c, cache = lstm_step(x[t], h, c, params)
        for k in ("i", "f", "g", "o"):
            out[k][t] = cache[k]
        out["c"][t], out["h"][t] = c, h
    return out


def _correlation(values: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Pearson correlation of each column of values (N, H) with target (N,) over the rows."""
    v = values - values.mean(axis=0)
    y = target - target.mean()
    scale = np.sqrt(np.sum(v**2, axis=0) * np.sum(y**2))
    return np.sum(v * y[:, None], axis=0) / np.maximum(scale, 1e-300)


def memory_units(params: dict, x, k: int = 3) -> dict:
    """Which hidden units of an LSTM keep the adding problem's numbers, over many sequences.

    The LSTM reads N adding-problem sequences (values x[..., 0], markers x[..., 1]; marks at
    steps m1 < m2 with values u1, u2). For every hidden unit j it measures, across the
    sequences:

    - "answer_corr": the correlation of its last cell state C_{T-1}[j] with the target
      u1 + u2. A unit whose |correlation| is near 1 carries the answer to the end.
    - "first_corr": the correlation of C_{m2-1}[j], the cell state just before the second
      mark, with u1: is the first number held between the marks?
    - "forget_product": the median over sequences of f_{m1+1} ⋯ f_{m2-1}, the share of
      C_{m1} (the state just written) that the forget gates let through to step m2 - 1
      along the cell state.
    - "write_ratio": mean |C_t - C_{t-1}| at the two marks over its mean at the other
      steps after the first mark (> 1: the unit is written at the marks).
    - "input_at_marks", "input_elsewhere": its mean input gate at the marks and at the
      other steps after the first mark.

    The units are ranked by |answer_corr| alone, so the other measures check them
    independently (they are not the rule that chose them).

    Inputs:
    - params: scratch LSTM parameters (e.g. ``params_from_torch(model.rnn)``)
    - x: adding-problem inputs (T, N, 2), N >= 3, exactly two marks per sequence
    - k: how many units to return

    Returns a dict with the per-unit arrays above, each (H,), and "units": the indices of
    the ``k`` units with the largest |answer_corr|, best first (an int array).
    """
    x = _sequence(x)
    k = check_int("k", k)
    T, N, D = x.shape
    if D != 2 or N < 3:
        raise ValueError(f"x: expected adding-problem inputs (T, N >= 3, 2), got shape {x.shape}")
    marked = x[:, :, 1] > 0.5
    if not np.all(marked.sum(axis=0) == 2):
        raise ValueError("x: expected exactly two marked steps in every sequence")
    m1 = np.argmax(marked, axis=0)  # the first marked step of each sequence, (N,)
    m2 = T - 1 - np.argmax(marked[::-1], axis=0)  # the last one
    seqs = np.arange(N)
    u1, u2 = x[m1, seqs, 0], x[m2, seqs, 0]
    run = _run_with_gates(params, x)
    c, f, i = run["c"], run["f"], run["i"]
    answer_corr = _correlation(c[-1], u1 + u2)
    first_corr = _correlation(c[m2 - 1, seqs], u1)
    # f_{m1+1} ... f_{m2-1} as a difference of cumulative log sums (empty product: 1)
    log_f = np.cumsum(np.log(np.maximum(f, 1e-300)), axis=0)
    forget_product = np.median(np.exp(log_f[m2 - 1, seqs] - log_f[m1, seqs]), axis=0)
    steps = np.arange(T)[:, None]
    at_marks = (steps == m1) | (steps == m2)  # (T, N)
    elsewhere = (steps > m1) & ~at_marks
    moves = np.abs(np.diff(c, axis=0, prepend=0.0))
    write_ratio = moves[at_marks].mean(axis=0) / np.maximum(moves[elsewhere].mean(axis=0), 1e-300)
    units = np.argsort(-np.abs(answer_corr), kind="stable")[: min(k, c.shape[2])]
    return {"units": units, "answer_corr": answer_corr, "first_corr": first_corr,
            "forget_product": forget_product, "write_ratio": write_ratio,
            "input_at_marks": i[at_marks].mean(axis=0),
            "input_elsewhere": i[elsewhere].mean(axis=0)}
