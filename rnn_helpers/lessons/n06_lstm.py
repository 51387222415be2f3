"""What notebook 06 (LSTM) computes besides the shared cells module.

- :func:`hard_sigmoid`, :data:`GATE_FUNCTIONS`: the sigmoid, its cheap piecewise-linear
  version and tanh, side by side as candidate gate functions.
- :func:`rnn_jacobian_norms`: the plain RNN's one-step Jacobians ∂h_t/∂h_{t-1} =
  diag(1 - h_t²) W_hh, their spectral norms against the bound ||W_hh||₂ and the spectral
  radius ρ(W_hh).
- :func:`factor_per_step`: the fitted decay of a gradient norm per step back.
- :func:`cell_state_paths`: ||∂L/∂C_t|| in total and along the direct path C_{t} → C_{t+1}
  alone (scaled by the forget gates only).
- :func:`without_recurrent_weights`: the control run, an LSTM whose gates and candidate
  no longer read h_{t-1}.

Everything is float64 NumPy built on the scratch LSTM and RNN steps.
"""

from __future__ import annotations

import numpy as np

from rnn_helpers.scratch import lstm_step, lstm_step_backward, rnn_forward, sigmoid

__all__ = [
    "hard_sigmoid",
    "GATE_FUNCTIONS",
    "rnn_jacobian_norms",
    "factor_per_step",
    "cell_state_paths",
    "without_recurrent_weights",
]


def hard_sigmoid(a):
    """Piecewise-linear sigmoid, as torch's ``hardsigmoid``: clip(a/6 + 1/2, 0, 1).

    It needs one multiply-add and a clip instead of an exponential, and it is exactly 0
    for a <= -3 and exactly 1 for a >= 3, where its slope is 0 (a gate stuck there gets no
    gradient). Keras 2 used the slope 0.2 instead: clip(0.2 a + 0.5, 0, 1).
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
    state, as :func:`rnn_helpers.cells.gradient_over_distance`). Its gradient at C_{T-1}
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
    of the per-sequence vector norms):
    - "distance": 0 ... T-1
    - "total": ||∂L/∂C_t||
    - "direct": ||direct_t||
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
    total_norm, direct_norm = np.empty(T), np.empty(T)
    for t in range(T - 1, -1, -1):
        o, tanh_c = caches[t]["o"], caches[t]["tanh_c"]
        total_norm[T - 1 - t] = np.linalg.norm(dc + dh * o * (1.0 - tanh_c**2), axis=1).mean()
        direct_norm[T - 1 - t] = np.linalg.norm(direct, axis=1).mean()
        grads = lstm_step_backward(dh, dc, caches[t])
        dh, dc = grads["h_prev"], grads["c_prev"]
        direct = direct * caches[t]["f"]
    return {"distance": np.arange(T), "total": total_norm, "direct": direct_norm}


def without_recurrent_weights(params: dict) -> dict:
    """A copy of LSTM params with W_hh = 0: the gates i, f, o and the candidate g read
    x_t only, never h_{t-1}. Then the only way from C_{t-1} to the loss is the direct
    path along the cell state, so its gradient is scaled by the forget gates alone."""
    W_hh = np.asarray(params["W_hh"])
    if W_hh.ndim != 2 or W_hh.shape[0] != 4 * W_hh.shape[1]:
        raise ValueError(f"params['W_hh']: expected shape (4H, H), got shape {W_hh.shape}")
    new = {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}
    new["W_hh"][:] = 0.0
    return new
