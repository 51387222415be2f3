"""Backpropagation through time, full and truncated: the computations behind notebook 03.

Truncation as ``rnn_helpers.scratch.rnn_backward`` defines it: with truncation k the loss
arriving at step t flows back through steps t, t-1, ..., t-k and no further; h_{t-k-1} is
a constant (where t-k-1 < 0 the gradient reaches h0). k = 0 keeps only the step itself;
k >= T-1 is full BPTT.

Here k is an int >= 0, or ``None`` / ``"full"`` for full BPTT. Nothing here draws: the
pure functions answer "which paths does truncation k keep?" and "how far is the
truncated gradient from the full one?", and :mod:`rnn_helpers.widgets.truncation` shows
the answers.

This per-step window (k+1 steps: the loss's own and k back) is the definition to reason
about, not a way to save resources. Computed in one sweep after the forward pass, as
``rnn_backward`` does, it keeps all T states, and with a loss at every step the sweep carries
k+1 gradients at once (about k times full BPTT's work). An online version (Williams and
Peng's BPTT(h), 1990) can keep only the last k+2 states (the window and the state before it),
but it still does about k times the work. Practice on long sequences cuts the sequence into
chunks instead (the state carried, its gradient cut: torch's ``h.detach()``), which needs
memory for one chunk only; see
:func:`rnn_helpers.lessons.n03_backprop_through_time.chunked_bptt`.
"""

from __future__ import annotations

import numbers

import numpy as np

from rnn_helpers.scratch import init_rnn_params, rnn_backward, rnn_forward

__all__ = [
    "FULL",
    "PARAM_KEYS",
    "CUT",
    "FUTURE",
    "KEPT",
    "normalise_k",
    "reach_matrix",
    "path_counts",
    "last_loss_links",
    "relative_error",
    "truncation_example",
    "truncated_gradients",
    "truncation_errors",
]

FULL = "full"
PARAM_KEYS = ("W_xh", "W_hh", "b_h")

# Entries of reach_matrix: what happens between the loss at step t and step s.
FUTURE = 0  # s > t: a loss never flows forward in time, with or without truncation
CUT = 1  # full BPTT would reach step s, truncation k does not
KEPT = 2  # the loss at step t reaches step s under truncation k


def _check_T(T) -> int:
    if isinstance(T, bool) or not isinstance(T, numbers.Integral) or T < 1:
        raise ValueError(f"T: expected an integer >= 1 (the number of time steps), got {T!r}")
    return int(T)


def normalise_k(k):
    """Return k as an int >= 0, or None for full BPTT (given as None or "full")."""
    if k is None or (isinstance(k, str) and k == FULL):
        return None
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise ValueError(f'k: expected an integer >= 0, None or "full", got {k!r}')
    if k < 0:
        raise ValueError(f'k: expected an integer >= 0, None or "full", got {k}')
    return int(k)


def reach_matrix(T: int, k) -> np.ndarray:
    """Which step each loss reaches under truncation k.

    Inputs:
    - T: number of time steps
    - k: truncation, an int >= 0, or None / "full"

    Returns an int array R of shape (T, T): R[t, s] is KEPT (2) if the loss at step t
    flows back into step s (t-k <= s <= t), CUT (1) if only full BPTT would reach it
    (s < t-k), FUTURE (0) if s > t.
    """
    T = _check_T(T)
    k = normalise_k(k)
    t = np.arange(T)[:, None]
    s = np.arange(T)[None, :]
    R = np.full((T, T), FUTURE, dtype=np.int64)
    R[s <= t] = CUT
    window = (s <= t) if k is None else ((s <= t) & (s >= t - k))
    R[window] = KEPT
    return R


def path_counts(T: int, k) -> tuple[int, int]:
    """(kept, total): loss-to-step paths kept by truncation k, out of the T(T+1)/2 of full BPTT.

    The loss at step t reaches min(t, k) + 1 steps, so kept = sum over t of min(t, k) + 1.
    """
    R = reach_matrix(T, k)
    return int(np.sum(R == KEPT)), int(np.sum(R != FUTURE))


def last_loss_links(T: int, k) -> np.ndarray:
    """Which backward links the loss at the last step t = T-1 travels under truncation k.

    Link j (j = -1 ... T-2) carries the gradient from step j+1 back into h_j (j = -1 is
    the initial state h0). The loss at T-1 reaches steps T-1-k ... T-1, so link j is kept
    when step j+1 is in that window and h_j is not the constant h_{T-2-k}: for j >= 0 that
    means j >= T-1-k; h0 (j = -1) is reached only when the window starts at step 0.

    Returns a bool array of length T: entry j+1 says whether link j is kept.
    """
    T = _check_T(T)
    k = normalise_k(k)
    start = 0 if k is None else max(0, T - 1 - k)  # first step the last loss reaches
    j = np.arange(-1, T - 1)
    return (j + 1 >= start) & ((j >= start) | ((j == -1) & (start == 0)))


def relative_error(approx, exact) -> float:
    """How far ``approx`` is from ``exact``: ||approx - exact|| / ||exact|| (Frobenius norms).

    0.0 when they are equal (also when both are zero); inf when exact is zero but approx
    is not, or when either holds NaN/inf. Unlike ``gradcheck.rel_error`` (a max entry
    difference, for "do two computations agree to rounding?"), this measures the size of
    a real difference: 0.25 means the truncated gradient misses a quarter of the full one.
    """
    a = np.asarray(approx, dtype=np.float64)
    b = np.asarray(exact, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"approx: expected the shape of exact, {b.shape}, got {a.shape}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return float("inf")
    diff = float(np.linalg.norm(a - b))
    if diff == 0.0:
        return 0.0
    scale = float(np.linalg.norm(b))
    return diff / scale if scale > 0 else float("inf")


def truncation_example(T: int = 10, B: int = 4, D: int = 3, H: int = 8, radius: float = 0.9,
                       seed: int = 0):
    """A small seeded RNN problem with a loss at every step, for studying truncation.

    The loss is L = sum over t of sum(dh[t] * h_t): a random linear readout of every
    hidden state, so dL/dh_t arriving directly at step t is exactly dh[t].

    Inputs:
    - T, B, D, H: sequence length, batch, input size, hidden size
    - radius: W_hh is rescaled to this spectral radius (how slowly gradients fade back
      in time: 0.9 lets a loss reach a few steps back before it is small)
    - seed: everything is drawn from it (notebook 03 passes the course seed)

    Returns (x (T, B, D), h0 (B, H), params {W_xh, W_hh, b_h}, dh (T, B, H)).
    """
    T = _check_T(T)
    rng = np.random.default_rng(seed)
    params = init_rnn_params(D, H, seed=seed)
    params["W_xh"] = rng.standard_normal((H, D)) / np.sqrt(D)
    W = rng.standard_normal((H, H))
    params["W_hh"] = W * (radius / np.max(np.abs(np.linalg.eigvals(W))))
    x = rng.standard_normal((T, B, D))
    h0 = 0.5 * rng.standard_normal((B, H))
    dh = rng.standard_normal((T, B, H))
    return x, h0, params, dh


def truncated_gradients(x, h0, params, dh, ks) -> dict:
    """Run the forward pass once and rnn_backward once per truncation in ``ks``.

    Returns a dict k -> gradient dict of rnn_backward (keys W_xh, W_hh, b_h, x, h0), with
    the keys of ``ks`` as given (ints, None or "full").
    """
    _, cache = rnn_forward(x, h0, params)
    return {k: rnn_backward(dh, cache, truncate=normalise_k(k)) for k in ks}


def truncation_errors(grads_by_k: dict, full_key=FULL, keys=PARAM_KEYS) -> dict:
    """Relative error of each truncated gradient against the full one, per parameter.

    Inputs:
    - grads_by_k: dict k -> gradient dict, e.g. from truncated_gradients, holding full_key
    - full_key: the entry holding full BPTT's gradients
    - keys: which parameters to compare

    Returns a dict k -> {name: relative_error(grads_by_k[k][name], full[name])}.
    """
    if full_key not in grads_by_k:
        raise ValueError(f"grads_by_k: expected an entry {full_key!r} with the full gradients")
    full = grads_by_k[full_key]
    return {k: {n: relative_error(g[n], full[n]) for n in keys} for k, g in grads_by_k.items()}
