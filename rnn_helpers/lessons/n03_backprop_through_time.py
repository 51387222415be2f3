"""Notebook 03: backpropagation through time, full and truncated.

Truncation as ``rnn_helpers.scratch.rnn_backward`` defines it: with truncation k the loss
arriving at step t flows back through steps t, t-1, ..., t-k and no further; h_{t-k-1} is
a constant (where t-k-1 < 0 the gradient reaches h0). k = 0 keeps only the step itself;
k >= T-1 is full BPTT. Here k is an int >= 0, or ``None`` / ``"full"`` for full BPTT.

The first part answers "which paths does truncation k keep?" and "how far is the
truncated gradient from the full one?" (the "truncation k" view of
:mod:`rnn_helpers.widgets.n03_backprop_through_time` shows the answers). The second part
computes what the notebook shows beyond the scratch layers: BPTT through an output layer on
a three-step scalar example, truncated BPTT as it is used in practice (chunks, the state
carried and the graph cut every k steps), what each truncation costs, and the training
comparison over several seeds.


Two truncations, both "truncated BPTT" in the literature, are compared here:

- **per-step window** (``rnn_backward(dh, cache, truncate=k)``, the slider of notebook 03):
  with truncation k the loss at *every* step t flows back k steps (fewer near the start), a
  window of k+1 steps. Computed in one sweep after the forward pass, as ``rnn_backward``
  does, it keeps all T states and, with a loss at every step, carries k+1 gradients at once:
  O(T k) work. An online version (Williams and Peng's BPTT(h), 1990) backpropagates each
  loss as it arrives and can keep only the last k+2 states (the window and the state before
  it: O(k) memory), but it still does O(T k) work.
- **chunked** (:func:`chunked_bptt`, torch's ``h = h.detach()`` between chunks): the
  sequence is cut into chunks of k steps; each chunk runs forward from the state the last
  one ended in (its value carried, its gradient cut), backpropagates through its own k
  steps only, and is then forgotten. Memory O(k), work O(T). The loss at step t flows back
  to the start of its chunk: t mod k steps, between 0 and k-1. If the weights are updated
  only after the whole sequence (as :func:`chunked_bptt` does, summing the chunks'
  gradients), the states are those of one full forward pass; training usually updates after
  every chunk, and later chunks then run with the updated weights.

Shapes as in :mod:`rnn_helpers.scratch`: x (T, B, D), states (B, H), dh (T, B, H).
Seeds are explicit parameters (default 0); the notebook passes values derived from the
course seed ``rnn_helpers.SEED``.
"""

from __future__ import annotations

import math
import numbers
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from rnn_helpers.data import sine_dataset
from rnn_helpers.regressor import init_model, train
from rnn_helpers.scratch import (
    init_rnn_params,
    linear_backward,
    linear_forward,
    rnn_backward,
    rnn_forward,
)
from rnn_helpers.validate import check_int

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
    "SCALAR_EXAMPLE",
    "BPTTCost",
    "bptt_costs",
    "chunk_length",
    "chunked_bptt",
    "chunked_reach_matrix",
    "scalar_example_by_code",
    "training_spread",
]


# ------------------------------------------------------------- which paths truncation keeps

FULL = "full"
PARAM_KEYS = ("W_xh", "W_hh", "b_h")

# Entries of reach_matrix: what happens between the loss at step t and step s.
FUTURE = 0  # s > t: a loss never flows forward in time, with or without truncation
CUT = 1  # full BPTT would reach step s, truncation k does not
KEPT = 2  # the loss at step t reaches step s under truncation k


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
    T = check_int("T", T)
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
    T = check_int("T", T)
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
    T = check_int("T", T)
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


# --------------------------------------------------------------- beyond the scratch layers


def chunk_length(k, name: str = "k") -> int:
    """Return k as an int >= 1 (the number of steps per chunk), or raise a ValueError that
    names the argument (``name``)."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"{name}: expected the chunk length, an integer >= 1, got {k!r}")
    return int(k)


# --------------------------------------------------------------------------- output layer


# Notebook 03's worked example: one unit (D = H = O = 1), three steps, h_{-1} = 0,
# y_hat_t = w_y h_t + c at every step, L = sum_t (y_hat_t - y_t)^2 / 2.
SCALAR_EXAMPLE = {
    "x": (1.0, 0.0, 0.0),
    "y": (1.0, 0.0, 0.0),
    "w_x": 1.0,
    "w_h": 0.5,
    "b": 0.0,
    "w_y": 2.0,
    "c": 0.0,
}


def scalar_example_by_code(example: dict = SCALAR_EXAMPLE) -> dict:
    """The scalar example run through the library's layers: rnn_forward, linear_forward,
    then linear_backward and rnn_backward.

    The head is applied at every step, so the loss sends dy_hat_t = y_hat_t - y_t into
    the head, and the head sends dh_t = dy_hat_t W_hy into the state: that is the ``dh``
    rnn_backward takes. dW_hy = sum_t dy_hat_t^T h_t.

    Returns a dict of per-step lists (h, y_hat, dy_hat, dh_direct, dh_total, delta; one
    float per step) and the gradients dW_xh, dW_hh, db_h, dW_hy, db_y (floats).
    """
    x = np.array(example["x"], dtype=np.float64).reshape(-1, 1, 1)  # (T, B=1, D=1)
    y = np.array(example["y"], dtype=np.float64).reshape(-1, 1, 1)  # (T, B=1, O=1)
    if x.shape != y.shape:
        raise ValueError(f"example: x and y need one value per step, got {x.shape} and {y.shape}")
    params = {"W_xh": np.array([[example["w_x"]]]), "W_hh": np.array([[example["w_h"]]]),
              "b_h": np.array([example["b"]])}  # fmt: skip
    W_hy, b_y = np.array([[example["w_y"]]]), np.array([example["c"]])
    h, rnn_cache = rnn_forward(x, np.zeros((1, 1)), params)
    y_hat, head_cache = linear_forward(h, {"W_hy": W_hy, "b_y": b_y})
    dy_hat = y_hat - y  # d/dy_hat of (y_hat - y)^2 / 2
    head = linear_backward(dy_hat, head_cache)
    grads = rnn_backward(head["h"], rnn_cache)
    # Per step: dL/dh_t in total and delta_t = dL/da_t, from the same sweep as rnn_backward.
    T = x.shape[0]
    dh_total, delta = np.empty(T), np.empty(T)
    carried = 0.0
    for t in reversed(range(T)):
        dh_total[t] = head["h"][t, 0, 0] + carried
        delta[t] = dh_total[t] * (1.0 - h[t, 0, 0] ** 2)
        carried = delta[t] * example["w_h"]
    return {
        "h": h[:, 0, 0].tolist(),
        "y_hat": y_hat[:, 0, 0].tolist(),
        "dy_hat": dy_hat[:, 0, 0].tolist(),
        "dh_direct": head["h"][:, 0, 0].tolist(),
        "dh_total": dh_total.tolist(),
        "delta": delta.tolist(),
        "dW_xh": float(grads["W_xh"][0, 0]),
        "dW_hh": float(grads["W_hh"][0, 0]),
        "db_h": float(grads["b_h"][0]),
        "dW_hy": float(head["W_hy"][0, 0]),
        "db_y": float(head["b_y"][0]),
    }


# --------------------------------------------------------------------------- chunked TBPTT


def chunked_bptt(x, h0, params, dh, k, nonlinearity: str = "tanh"):
    """Truncated BPTT as practice does it: chunks of k steps, the state carried between
    chunks as a value, the gradient cut at every chunk boundary.

    For each chunk c = steps s ... s+k-1 (the last chunk may be shorter):
    1. run rnn_forward over the chunk from the carried state (h0 for the first chunk);
    2. run rnn_backward over the chunk alone with dh[s : s+k] and add its parameter
       gradients to the totals; the carried state is a constant, so nothing flows back
       into an earlier chunk (torch: ``h = h.detach()``);
    3. keep only the chunk's last state and forget the rest.
    The weights are not updated between chunks here (the chunks' gradients are summed), so
    the states are exactly those of one full forward pass; only the gradient differs. (A
    training loop that updates after every chunk runs later chunks with the new weights.)

    Inputs:
    - x: inputs, shape (T, B, D)
    - h0: initial state h_{-1}, shape (B, H) (None: zeros)
    - params: W_xh (H, D), W_hh (H, H), b_h (H,)
    - dh: dL/dh_t arriving directly at each step, shape (T, B, H)
    - k: chunk length, an int >= 1 (k >= T: one chunk, full BPTT)
    - nonlinearity: "tanh", "relu" or "sigmoid"

    Returns a tuple of:
    - grads: W_xh (H, D), W_hh (H, H), b_h (H,), and h0 (B, H), which only the first
      chunk reaches
    - h_last: the state after the last step, shape (B, H) (where the next chunk would start)
    """
    k = chunk_length(k)
    x = np.asarray(x, dtype=np.float64)
    dh = np.asarray(dh, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(f"x: expected shape (T, B, D), got {x.shape}")
    if dh.ndim != 3 or dh.shape[:2] != x.shape[:2]:
        raise ValueError(f"dh: expected shape (T, B, H) = ({x.shape[0]}, {x.shape[1]}, H), "
                         f"got {dh.shape}")  # fmt: skip
    T = x.shape[0]
    grads = {name: np.zeros_like(np.asarray(params[name], dtype=np.float64))
             for name in PARAM_KEYS}  # fmt: skip
    h = h0
    for start in range(0, T, k):
        states, cache = rnn_forward(x[start:start + k], h, params, nonlinearity)
        g = rnn_backward(dh[start:start + k], cache)
        for name in PARAM_KEYS:
            grads[name] += g[name]
        if start == 0:
            grads["h0"] = g["h0"]  # only the first chunk starts from the live h0
        h = states[-1]  # carried on as a value: the next chunk cannot send gradient into it
    return grads, h


def chunked_reach_matrix(T: int, k) -> np.ndarray:
    """Which step each loss reaches under chunked truncation with chunks of k steps.

    Returns an int array R of shape (T, T), with the constants above:
    R[t, s] is KEPT if s is in t's chunk and s <= t, CUT if s is in an earlier chunk,
    FUTURE if s > t. Compare :func:`reach_matrix` for the per-step window.
    """
    T = check_int("T", T)
    k = chunk_length(k)
    t = np.arange(T)[:, None]
    s = np.arange(T)[None, :]
    R = np.full((T, T), FUTURE, dtype=np.int64)
    R[s <= t] = CUT
    R[(s <= t) & (s // k == t // k)] = KEPT
    return R


@dataclass
class BPTTCost:
    """What one gradient computation cost: forward + backward over the whole sequence.

    Attributes:
        seconds: the fastest of the timed repeats (wall clock).
        peak_mb: the largest amount of memory it allocated at once (tracemalloc), in MB.
        states_kept: how many states h_t (each B x H numbers) are held for the backward
            pass at once: T for the whole forward pass, k for one chunk.
        backward_madds: multiply-adds of the backward recurrence through W_hh, counted
            (not measured) at B H^2 per gradient moved one step back (a (B, H) @ (H, H)
            product): T B H^2 for full BPTT and for chunks, T (steps - 1) B H^2 for the
            per-step window with truncation steps - 1, whose sweep moves steps - 1
            gradients of different ages back at every step.
    """

    seconds: float
    peak_mb: float
    states_kept: int
    backward_madds: int


def bptt_costs(T: int = 1000, B: int = 16, D: int = 1, H: int = 32, steps: int = 25,
               repeats: int = 3, seed: int = 0) -> dict:
    """Measure time and peak memory of full BPTT, the per-step window and chunked
    truncation on one long sequence with a loss at every step (a random readout, as in
    notebook 03); count their backward multiply-adds.

    ``steps`` is the longest reach of a loss, counting its own step: the per-step window has
    truncation ``steps - 1`` (the loss at t >= steps - 1 reaches t - steps + 1 ... t, its own
    step and steps - 1 back), and the chunks are ``steps`` long, so the last loss of a chunk
    gets the same ``steps`` steps and the others fewer. The per-step window is computed in
    one sweep after the forward pass (``rnn_backward(truncate=steps - 1)``).

    Returns a dict "full" / "per-step window" / "chunked" -> :class:`BPTTCost`.
    """
    steps = chunk_length(steps, "steps")
    if not (isinstance(repeats, numbers.Integral) and repeats >= 1):
        raise ValueError(f"repeats: expected an integer >= 1, got {repeats!r}")
    rng = np.random.default_rng(seed)
    params = init_rnn_params(D, H, seed=seed)
    x = rng.standard_normal((T, B, D))
    dh = rng.standard_normal((T, B, H))
    h0 = np.zeros((B, H))

    def full():
        _, cache = rnn_forward(x, h0, params)
        return rnn_backward(dh, cache)

    def per_step():
        _, cache = rnn_forward(x, h0, params)
        return rnn_backward(dh, cache, truncate=steps - 1)

    def chunked():
        return chunked_bptt(x, h0, params, dh, steps)

    per_move = B * H * H  # multiply-adds of one gradient moved one step back through W_hh
    runs = {  # the function, the states it holds at once, its counted backward work
        "full": (full, T, T * per_move),
        "per-step window": (per_step, T, T * (steps - 1) * per_move),
        "chunked": (chunked, min(steps, T), T * per_move),
    }
    costs = {}
    for name, (fn, kept, madds) in runs.items():
        already = tracemalloc.is_tracing()  # e.g. under a memory profiler: leave it running
        if already:
            tracemalloc.reset_peak()
        else:
            tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            fn()
            peak = tracemalloc.get_traced_memory()[1] - before
        finally:
            if not already:
                tracemalloc.stop()
        seconds = math.inf
        for _ in range(repeats):
            tic = time.perf_counter()
            fn()
            seconds = min(seconds, time.perf_counter() - tic)
        costs[name] = BPTTCost(seconds, peak / 1e6, kept, madds)
    return costs


# --------------------------------------------------------------------------- training spread


def training_spread(seeds, ks=(1, 5, "full"), hidden_size: int = 32, epochs: int = 20,
                    progress: bool = True) -> dict:
    """Notebook 03's training comparison, once per seed: the noisy sine (50 values -> the
    51st) with ``sine_dataset(50, seed=s)``, the scratch RNN + head from
    ``init_model(1, hidden_size, seed=s)`` (the same start for every k), Adam lr 1e-3,
    batches of 32, gradient entries clipped to [-10, 10], shuffling from s.

    Inputs:
    - seeds: the seeds to run, e.g. range(SEED + 1, SEED + 3)
    - ks: truncations to compare: ints, and None or "full" for full BPTT
    - progress: one progress bar over all the runs

    Returns a dict seed -> {k: final validation RMSE (inf if the run diverged), with the
    keys of ``ks`` as given, and "noise": the RMSE of the noise-free sine on the same
    validation targets, the floor no model can beat on average}.
    """
    seeds = list(seeds)
    bar = tqdm(total=len(seeds) * len(ks), desc="seeds x truncations", disable=not progress)
    out = {}
    for seed in seeds:
        x_train, y_train, x_val, y_val = sine_dataset(window=50, seed=seed)
        clean = sine_dataset(window=50, seed=seed, noise=0.0)[3]
        row = {"noise": float(np.sqrt(np.mean((clean - y_val) ** 2)))}
        for k in ks:
            start = init_model(input_size=1, hidden_size=hidden_size, seed=seed)
            _, history = train(start, x_train, y_train, truncate=normalise_k(k), epochs=epochs,
                               batch_size=32, lr=1e-3, clip=("value", 10.0), x_val=x_val,
                               y_val=y_val, seed=seed, progress=False)  # fmt: skip
            row[k] = math.inf if history.diverged else history.val_rmse[-1]
            bar.update(1)
        out[seed] = row
    bar.close()
    return out
