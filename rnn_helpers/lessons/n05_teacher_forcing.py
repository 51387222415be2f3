"""Notebook 05: teacher forcing, free running and a mix of the two for a next-value RNN.

The model reads a series one value at a time and predicts the next one:

    a_t   = u_t W_xh^T + h_{t-1} W_hh^T + b_h,   h_t = tanh(a_t),   h_{-1} = 0
    ŷ_t   = h_t W_hy^T + b_y                       (a guess of s_{t+1})
    loss  = 1/(T B) Σ_{t, b} (ŷ_t^(b) − s_{t+1}^(b))²   (b: the sequence in the batch)

What the model reads at step t, u_t, is the choice this module is about:

- **teacher forcing**: always the true value, u_t = s_t;
- **free running**: its own previous guess, u_t = ŷ_{t-1} (after a few true "warm-up" values);
- **a mix** with a fixed teacher forcing ratio r: the true value with probability r, else
  its own guess, drawn independently per step and sequence.

The mix is the coin flip of scheduled sampling (Bengio et al., 2015) without the schedule,
and with another gradient: Bengio et al. lower r during training from 1 towards 0, and
feed back a *sampled* token without backpropagating through that choice; here every model
keeps one r, and the fed-back guess is a number the gradient flows through (for tokens,
making the fed-back choice differentiable is the subject of Goyal et al., 2017,
"Differentiable scheduled sampling for credit assignment").

At prediction time ("closed loop") the truth is unknown, so the model always reads its own
guesses: a teacher-forced model then sees inputs it never saw in training (exposure bias).

Gradients flow *through* the fed-back guesses (u_t = ŷ_{t-1} depends on the weights, and
on h_{t-1}), so free-running training optimises a close relative of the closed-loop error it
is judged on: the same kind of forecast (``warmup`` true values, then its own guesses), but
scored against noisy targets on training stretches, and mixed with the one-step guesses of
the warm-up. :func:`sequence_loss_and_grads` is checked against finite differences and
torch autograd in tests/test_teacher_forcing.py.

Under teacher forcing this model still needs backpropagation through time: h_t depends on
the weights through h_{t-1} (W_hh), whatever the input reads. Only a model whose sole
recurrence runs through its output (W_hh = 0 here) falls apart into independent steps
under teacher forcing; :func:`stepwise_grads` below shows both.

Seeds: ``seed`` (default 0 in :data:`SETUP`) draws the data's noise, the initial weights,
the batches and the coin flips. The notebook passes the course seed ``rnn_helpers.SEED``.
Training with a teacher forcing ratio of 1 or 0.5 is reproducible to rounding: moving one
initial weight by one float64 step (or by 1e-12) moves the trained weights by less than
1e-10, relative. Low ratios are not (:data:`CHAOTIC_UP_TO`): the same change gives a
different model. Measured with one float64 step (:func:`nudged_run`):
r = 0 moved the trained weights by more than 0.04 on every seed 0-19, r = 0.1 and 0.2 by
more than 0.01 on every seed 0-4, r = 0.25 by more than 1e-4 on 13 of seeds 0-19 (mean
closed-loop RMSE changed by up to 0.09), r = 0.3 by up to 2e-4 (above 1e-6 on 2 of 20),
r = 0.35, 0.4, 0.45 by less than 2e-9 (seeds 0-19, 0-9, 0-9); 0.75 behaved like 0.5. So a
result trained at a low ratio depends on how every sum is rounded (another processor's
BLAS kernels, another numpy).

Shapes are time-major as everywhere in the course: inputs and targets (T, B, 1), states
(B, H). Parameters are the dict of :func:`rnn_helpers.regressor.init_model`
(W_xh (H, 1), W_hh (H, H), b_h (H,), W_hy (1, H), b_y (1,)).

Beyond the model and its training, this module measures which results survive another seed
or another machine, how far a mistake moves a forecast, and when teacher forcing makes
backpropagation through time unnecessary.

- :func:`nudged_run`: train again from the same initial weights with one weight moved to
  the next float64 (the smallest possible change, the size of a rounding difference between
  two numpy versions or processors). Teacher forcing and the mixed ratio 0.5 come back with
  the same model; free running (and low ratios, see :data:`CHAOTIC_UP_TO`)
  comes back with another one. This is why a free-running result must not be quoted to two
  decimals, and why its closed-loop error differed between machines.
- :func:`seed_spread`: the teacher forcing ratios compared over several seeds (closed-loop
  and one-step error, reaction to a mistake, share of clipped updates, final training loss).
- :func:`mistake_effect`: how far a closed-loop forecast moves after a mistake in its input;
  :func:`best_forecast`, the best possible forecast of the course's sine, is the yardstick.
- :func:`stepwise_grads`: the gradient with every step's inputs (the value read and h_{t-1})
  treated as constants, i.e. with no backward through time. For a model whose only
  recurrence runs through its output (W_hh = 0), trained with teacher forcing, it *is* the
  gradient; for notebook 05's model (h_{t-1} -> h_t through W_hh) it is not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from rnn_helpers.data import noisy_sine, sine_windows, split_series
from rnn_helpers.regressor import init_model
from rnn_helpers.train import History, random_batches, train_numpy

__all__ = [
    "SETUP",
    "SineTask",
    "sine_task",
    "next_value_sequences",
    "feedback_mask",
    "rollout",
    "rollout_backward",
    "sequence_loss_and_grads",
    "train_next_value",
    "teacher_forced_predict",
    "closed_loop_predict",
    "closed_loop_errors",
    "one_step_error",
    "RatioResult",
    "ratio_result",
    "RATIOS",
    "CHAOTIC_UP_TO",
    "PUSH",
    "SPREAD_RATIOS",
    "NudgeResult",
    "nudged_run",
    "SeedSpread",
    "seed_spread",
    "mistake_effect",
    "best_forecast",
    "step_to_step_correlation",
    "stepwise_grads",
    "output_feedback_only",
    "relative_difference",
    "full_grads",
]


KEYS = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")

# The set-up of notebook 05 (every entry can be overridden by keyword).
SETUP = {
    "length": 40,        # T: steps per training sequence
    "warmup": 10,        # the first steps always read the truth (the model needs a start)
    "hidden_size": 32,
    "steps": 300,        # Adam updates
    "batch_size": 32,
    "lr": 1e-2,
    "clip": 1.0,         # gradient norm clipping
    "seed": 0,           # noise, initial weights, batches, coin flips (notebook: SEED)
    "n_points": 1200,    # noisy sine: 0.1 time units per sample, noise std 0.1
    "noise": 0.1,
    "val_fraction": 0.25,
}  # fmt: skip


# --------------------------------------------------------------------------- data


def next_value_sequences(series, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Every window of ``length + 1`` values as (inputs s_0 … s_{T-1}, targets s_1 … s_T).

    Returns:
        x, y: float64 arrays (T, N, 1), y[t] = the value after x[t].
    """
    x, y_last = sine_windows(series, length)
    full = np.concatenate([x, y_last[None]], axis=0)  # (T + 1, N, 1)
    return full[:-1], full[1:]


@dataclass
class SineTask:
    """The noisy sine split by time, cut into next-value sequences.

    Attributes:
        x_train, y_train: (T, N, 1) training inputs and next values.
        val: the validation part of the noisy series (what a model may read).
        val_clean: the same stretch without noise (what it should predict).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    val: np.ndarray
    val_clean: np.ndarray


def sine_task(**overrides) -> SineTask:
    """The data of :data:`SETUP`: a noisy sine of ``n_points`` values, the last quarter
    kept for validation."""
    cfg = _config(overrides)
    series = noisy_sine(cfg["n_points"], noise=cfg["noise"], seed=cfg["seed"])
    clean = noisy_sine(cfg["n_points"], noise=0.0)
    train, val = split_series(series, cfg["val_fraction"])
    x, y = next_value_sequences(train, cfg["length"])
    return SineTask(x, y, val, clean[len(train):])


def _config(overrides: dict) -> dict:
    unknown = set(overrides) - set(SETUP)
    if unknown:
        raise ValueError(f"unknown setting(s) {sorted(unknown)}; expected some of {list(SETUP)}")
    return {**SETUP, **overrides}


def feedback_mask(length: int, batch: int, ratio: float, warmup: int, rng) -> np.ndarray:
    """Where the model reads its own guess: (T, B, 1) booleans, True = own guess.

    The first ``warmup`` steps (at least 1: there is no guess before step 0) read the truth;
    after them each (step, sequence) reads the truth with probability ``ratio``.
    """
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f"ratio: expected a teacher forcing ratio in [0, 1], got {ratio!r}")
    if warmup < 1:
        raise ValueError(f"warmup: expected an integer >= 1, got {warmup!r}")
    own = rng.random((length, batch, 1)) >= ratio
    own[:warmup] = False
    return own


# --------------------------------------------------------------------------- the model


def rollout(params: dict, x: np.ndarray, feed_own: np.ndarray) -> tuple[np.ndarray, dict]:
    """Run the model over x, reading its own previous guess wherever ``feed_own`` is True.

    Args:
        params: W_xh (H, 1), W_hh (H, H), b_h (H,), W_hy (1, H), b_y (1,).
        x: true inputs (T, B, 1).
        feed_own: (T, B, 1) booleans (see :func:`feedback_mask`); feed_own[0] must be False.

    Returns:
        y_hat: the guesses ŷ_0 … ŷ_{T-1}, (T, B, 1); cache for :func:`rollout_backward`.
    """
    x = np.asarray(x, dtype=np.float64)
    feed_own = np.asarray(feed_own, dtype=bool)
    if x.ndim != 3 or x.shape[2] != 1:
        raise ValueError(f"x: expected shape (T, B, 1), got {x.shape}")
    if feed_own.shape != x.shape:
        raise ValueError(f"feed_own: expected shape {x.shape} like x, got {feed_own.shape}")
    if feed_own[0].any():
        raise ValueError("feed_own[0] must be False: there is no guess before the first step")
    W_xh, W_hh, b_h, W_hy, b_y = (params[k] for k in KEYS)
    T, B, _ = x.shape
    H = W_hh.shape[0]
    h = np.zeros((T + 1, B, H))  # h[t + 1] is h_t; h[0] is h_{-1} = 0
    u = np.empty_like(x)
    y_hat = np.empty((T, B, 1))
    W_xh_row, W_hh_T, W_hy_T = W_xh[:, 0], W_hh.T, W_hy.T
    for t in range(T):
        u[t] = np.where(feed_own[t], y_hat[t - 1], x[t]) if t else x[t]
        a = np.dot(h[t], W_hh_T)
        a += u[t] * W_xh_row  # D = 1: the input term is an outer product
        a += b_h
        np.tanh(a, out=h[t + 1])
        np.dot(h[t + 1], W_hy_T, out=y_hat[t])
        y_hat[t] += b_y
    return y_hat, {"h": h, "u": u, "feed_own": feed_own, "params": params}


def rollout_backward(dy_hat: np.ndarray, cache: dict) -> dict:
    """Backpropagation through time for :func:`rollout`, through the fed-back guesses too.

    Where step t + 1 read the guess ŷ_t, the gradient at ŷ_t collects, besides its own
    loss term, what flows back from u_{t+1}: dŷ_t += (da_{t+1} W_xh) at those entries.

    Args:
        dy_hat: ∂L/∂ŷ_t for every step, (T, B, 1).
        cache: from :func:`rollout`.

    Returns:
        dict of gradients with the keys and shapes of params.
    """
    h, u, feed_own, p = cache["h"], cache["u"], cache["feed_own"], cache["params"]
    W_xh, W_hh, _, W_hy, _ = (p[k] for k in KEYS)
    T, B, _ = u.shape
    H = W_hh.shape[0]
    grads = {}
    dy_all = np.array(dy_hat, dtype=np.float64)  # gets the feedback terms added
    da = 1.0 - h[1:] ** 2  # tanh'(a_t) for every step at once; becomes dL/da_t below
    fed = feed_own[1:].any(axis=(1, 2))  # fed[t]: did step t + 1 read any guess?
    W_hy_row = W_hy[0]
    dh = np.empty((B, H))
    for t in range(T - 1, -1, -1):
        if t + 1 < T:
            # ŷ_t was read at step t + 1 where feed_own[t + 1]: its gradient flows back here.
            if fed[t]:
                dy_all[t] += feed_own[t + 1] * np.dot(da[t + 1], W_xh)
            np.dot(da[t + 1], W_hh, out=dh)
            dh += dy_all[t] * W_hy_row  # O = 1: an outer product
        else:
            np.multiply(dy_all[t], W_hy_row, out=dh)
        da[t] *= dh
    da2 = da.reshape(T * B, H)
    grads["W_hy"] = dy_all.reshape(T * B, 1).T @ h[1:].reshape(T * B, H)
    grads["b_y"] = dy_all.sum(axis=(0, 1))
    grads["W_xh"] = da2.T @ u.reshape(T * B, 1)
    grads["W_hh"] = da2.T @ h[:-1].reshape(T * B, H)
    grads["b_h"] = da2.sum(axis=0)
    return grads


def sequence_loss_and_grads(params: dict, x, y, feed_own) -> tuple[float, dict]:
    """MSE of the guesses against the next values, and its gradient (through feedback).

    Args:
        params: the model; x, y: (T, B, 1) inputs and next values; feed_own: (T, B, 1).

    Returns:
        (loss, grads): loss = mean((ŷ − y)²) over all T·B entries.
    """
    y = np.asarray(y, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        y_hat, cache = rollout(params, x, feed_own)
        if y.shape != y_hat.shape:
            raise ValueError(f"y: expected shape {y_hat.shape} like x, got {y.shape}")
        diff = y_hat - y
        loss = float(np.mean(diff**2))
        return loss, rollout_backward(2.0 * diff / diff.size, cache)


# --------------------------------------------------------------------------- training


def train_next_value(ratio: float, *, progress: bool = True, task: SineTask | None = None,
                     init: dict | None = None, **overrides) -> tuple[dict, History]:
    """Train the next-value model with teacher forcing ratio ``ratio`` (1 = teacher forcing,
    0 = free running after the warm-up, in between = a mix: each step after the warm-up
    reads the truth with probability ``ratio``, the gradient flows through the guesses).

    Settings: :data:`SETUP` (Adam lr 1e-2, 300 steps of 32 random training sequences of
    40 steps, gradient norm clipped at 1, H = 32), any of them overridable by keyword.
    Deterministic given ``seed``: the same seed draws the same batches whatever the ratio
    (the coins that choose which steps read the model's own guess come from ``seed + 1``).
    Training runs in the course's one NumPy loop (:func:`rnn_helpers.train.train_numpy`).

    Args:
        ratio: teacher forcing ratio in [0, 1].
        progress: show a tqdm progress bar.
        task: the data (default: ``sine_task`` with the same seed and settings).
        init: starting weights (the keys and shapes of ``init_model(1, H, 1)``; not
            modified); default ``init_model(1, hidden_size, 1, seed=seed)``.

    Returns:
        (params, history): history is a :class:`rnn_helpers.train.History`.
    """
    cfg = _config(overrides)
    ratio = float(ratio)
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f"ratio: expected a teacher forcing ratio in [0, 1], got {ratio!r}")
    task = task or sine_task(**{k: cfg[k] for k in ("length", "seed", "n_points", "noise",
                                                    "val_fraction")})
    params = init_model(1, cfg["hidden_size"], 1, seed=cfg["seed"])
    if init is not None:
        params = _checked_start(init, params)
    coins = np.random.default_rng(cfg["seed"] + 1)

    def loss_and_grads(p, idx):
        own = feedback_mask(cfg["length"], cfg["batch_size"], ratio, cfg["warmup"], coins)
        return sequence_loss_and_grads(p, task.x_train[:, idx], task.y_train[:, idx], own)

    return train_numpy(params, loss_and_grads,
                       random_batches(task.x_train.shape[1], cfg["batch_size"], cfg["seed"]),
                       steps=cfg["steps"], lr=cfg["lr"], clip=("norm", cfg["clip"]),
                       progress=progress, desc=f"ratio {ratio:.2f}")


def _checked_start(init: dict, like: dict) -> dict:
    """A float64 copy of ``init``, which must have the keys and shapes of ``like``."""
    if not isinstance(init, dict) or set(init) != set(like):
        got = sorted(init) if isinstance(init, dict) else type(init).__name__
        raise ValueError(f"init: expected a dict with keys {sorted(like)}, got {got}")
    start = {}
    for k, v in like.items():
        arr = np.array(init[k], dtype=np.float64)
        if arr.shape != v.shape:
            raise ValueError(f"init[{k!r}]: expected shape {v.shape}, got {arr.shape}")
        start[k] = arr
    return start


# --------------------------------------------------------------------------- prediction


def teacher_forced_predict(params: dict, x) -> np.ndarray:
    """One-step guesses ŷ_t reading the true x_t at every step: (T, B, 1)."""
    x = np.asarray(x, dtype=np.float64)
    return rollout(params, x, np.zeros(x.shape, dtype=bool))[0]


def closed_loop_predict(params: dict, context, horizon: int) -> np.ndarray:
    """Read ``context`` (K, B, 1), then predict ``horizon`` values feeding each guess back in.

    The first prediction is the guess made after reading the last context value (it
    guesses the value after it); every later step reads the previous prediction as its
    input, because in real use the true next value is not known yet.

    Returns:
        predictions: (horizon, B, 1).
    """
    context = np.asarray(context, dtype=np.float64)
    if context.ndim != 3 or context.shape[2] != 1 or 0 in context.shape:
        raise ValueError(f"context: expected shape (K, B, 1) with K, B >= 1, got {context.shape}")
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise ValueError(f"horizon: expected an integer >= 1, got {horizon!r}")
    W_xh, W_hh, b_h, W_hy, b_y = (params[k] for k in KEYS)
    h = np.zeros((context.shape[1], W_hh.shape[0]))  # h_{-1} = 0
    for x_t in context:  # read the known values: teacher forcing
        h = np.tanh(x_t @ W_xh.T + h @ W_hh.T + b_h)
    guess = h @ W_hy.T + b_y  # the guess of the value after the context
    predictions = [guess]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(horizon - 1):  # closed loop: read the guess, guess again
            h = np.tanh(guess @ W_xh.T + h @ W_hh.T + b_h)
            guess = h @ W_hy.T + b_y
            predictions.append(guess)
    return np.stack(predictions)


def closed_loop_errors(params: dict, task: SineTask | None = None, *, context: int = 10,
                       horizon: int = 30, stride: int = 5) -> np.ndarray:
    """RMSE of closed-loop predictions against the clean sine, per horizon step 1 … horizon.

    Starts every ``stride`` samples of the validation part: read ``context`` noisy values,
    then predict ``horizon`` values; compare with the noise-free sine there.

    Returns:
        rmse: (horizon,), rmse[k - 1] for the k-th predicted value.
    """
    task = task or sine_task()
    starts = np.arange(0, len(task.val) - context - horizon + 1, stride)
    ctx = np.stack([task.val[s:s + context] for s in starts], axis=1)[:, :, None]
    truth = np.stack([task.val_clean[s + context:s + context + horizon] for s in starts],
                     axis=1)[:, :, None]
    pred = closed_loop_predict(params, ctx, horizon)
    return np.sqrt(np.mean((pred - truth) ** 2, axis=(1, 2)))


def one_step_error(params: dict, task: SineTask | None = None, *, warmup: int = 10,
                   length: int = 40) -> float:
    """RMSE of teacher-forced one-step guesses on the validation part, against the clean sine.

    Every window of ``length`` noisy values is read with the truth as input; the guesses
    after the first ``warmup`` steps are compared with the noise-free next values.
    """
    task = task or sine_task()
    x, _ = next_value_sequences(task.val, length)
    _, y_clean = next_value_sequences(task.val_clean, length)
    y_hat = teacher_forced_predict(params, x)
    return float(np.sqrt(np.mean((y_hat[warmup:] - y_clean[warmup:]) ** 2)))


# The ratios of notebook 05's comparison table: teacher forcing … free running.
RATIOS = (1.0, 0.75, 0.5, 0.25, 0.0)

# Training at a ratio up to this one was chaotic in some seed (see the module docstring):
# one float64 step in one initial weight gave another model. From 0.35 up it never was.
CHAOTIC_UP_TO = 0.3


@dataclass
class RatioResult:
    """One trained model and how it predicts.

    Attributes:
        ratio: teacher forcing ratio used in training.
        params, history: from :func:`train_next_value`.
        closed_loop: (30,) RMSE per horizon step (:func:`closed_loop_errors`).
        one_step: teacher-forced one-step RMSE (:func:`one_step_error`).
    """

    ratio: float
    params: dict
    history: History
    closed_loop: np.ndarray
    one_step: float

    @property
    def diverged(self) -> bool:
        return self.history.diverged_at_step is not None

    @property
    def mean_closed_loop(self) -> float:
        """The closed-loop RMSE averaged over the 30 horizon steps."""
        return float(np.mean(self.closed_loop))


_RESULTS: dict[tuple[float, int], RatioResult] = {}


def ratio_result(ratio: float, *, seed: int = 0, progress: bool = True) -> RatioResult:
    """Train with teacher forcing ratio ``ratio`` (:data:`SETUP`, seed ``seed``) and
    evaluate on that seed's validation part; cached.

    The cache is per (ratio rounded to 4 decimals, seed) for the session, so the notebook's
    tables, its seed spread and the slider share runs and a second call is instant.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed: expected an integer >= 0, got {seed!r}")
    key = (round(float(ratio), 4), int(seed))
    if key not in _RESULTS:
        task = sine_task(seed=key[1])
        params, history = train_next_value(key[0], progress=progress, task=task, seed=key[1])
        _RESULTS[key] = RatioResult(key[0], params, history, closed_loop_errors(params, task),
                                    one_step_error(params, task))
    return _RESULTS[key]


PUSH = 0.3  # the mistake put into the last context value
SPREAD_RATIOS = (1.0, 0.5, 0.0)  # teacher forcing, an even mix, free running
DT = 0.1  # time between samples of the course's sine (rnn_helpers.data.noisy_sine)
FINAL_STEPS = 20  # the final training loss is the mean over the last 20 updates


def _flat(params: dict, keys=KEYS) -> np.ndarray:
    return np.concatenate([np.ravel(params[k]) for k in keys])


def relative_difference(a: dict, b: dict, keys=KEYS) -> float:
    """‖a − b‖ / ‖b‖ over the arrays ``keys`` (default: all five) of two parameter (or
    gradient) dicts of the model, flattened into one vector each."""
    unknown = set(keys) - set(KEYS)
    if unknown:
        raise ValueError(f"keys: expected some of {list(KEYS)}, got {sorted(unknown)}")
    fa, fb = _flat(a, keys), _flat(b, keys)
    return float(np.linalg.norm(fa - fb) / np.linalg.norm(fb))


# --------------------------------------------------------------------------- reproducibility


@dataclass
class NudgeResult:
    """One ratio trained twice: from ``init_model`` and from the same weights nudged.

    Attributes:
        ratio, seed: what was trained.
        nudge: the change made to the initial W_hh[0, 0] (one float64 step by default).
        weight_change: ‖θ_nudged − θ‖ / ‖θ‖ after training.
        closed_loop, closed_loop_nudged: (30,) closed-loop RMSE per horizon step of both.
    """

    ratio: float
    seed: int
    nudge: float
    weight_change: float
    closed_loop: np.ndarray
    closed_loop_nudged: np.ndarray


def nudged_run(ratio: float, seed: int = 0, nudge: float | None = None,
               progress: bool = True) -> NudgeResult:
    """Train with ``ratio`` twice (the first run is ``ratio_result``'s, cached), the second
    time from the same initial weights with W_hh[0, 0] changed: moved to the next float64
    (``nudge=None``, the smallest change there is) or by ``nudge``. Same batches, same coin
    flips. A training run that is stable against rounding gives back weights that differ by
    about the nudge; a chaotic one gives a different model."""
    base = ratio_result(ratio, seed=seed, progress=progress)
    task = sine_task(seed=seed)
    start = init_model(1, SETUP["hidden_size"], 1, seed=seed)
    before = start["W_hh"][0, 0]
    if nudge is None:
        start["W_hh"][0, 0] = np.nextafter(before, np.inf)
    else:
        start["W_hh"][0, 0] += nudge
    change = float(start["W_hh"][0, 0] - before)
    params, _ = train_next_value(ratio, progress=progress, task=task, init=start, seed=seed)
    return NudgeResult(base.ratio, seed, change, relative_difference(params, base.params),
                       base.closed_loop, closed_loop_errors(params, task))


# --------------------------------------------------------------------------- exposure bias


def best_forecast(context, horizon: int, *, noise: float = SETUP["noise"], dt: float = DT,
                  phases: int = 2048) -> np.ndarray:
    """The best possible forecast of the course's noisy sine: the posterior mean.

    It knows what the model has to learn: the series is s_n = sin(dt·n + φ) + noise, with
    amplitude 1, the course's ``dt`` and Gaussian noise of std ``noise``; only the phase φ
    of the stretch read is unknown (uniform a priori). From the K values c_0 … c_{K-1} read,
    Bayes' rule on a grid of ``phases`` values of φ gives

        p(φ | c) ∝ exp(−Σ_j (c_j − sin(φ + dt·j))² / (2·noise²)),

    and the forecast of the k-th value after the context is the posterior mean
    Σ_φ p(φ | c) sin(φ + dt·(K − 1 + k)): no forecast has a smaller expected squared error
    against the clean sine. It reads the wrong value as one noisy value among K.

    Args:
        context: known values (K, B, 1), K >= 1.
        horizon: number of values to forecast, >= 1.

    Returns:
        (horizon, B, 1), like :func:`closed_loop_predict`.
    """
    context = np.asarray(context, dtype=np.float64)
    if context.ndim != 3 or context.shape[2] != 1 or 0 in context.shape:
        raise ValueError(f"context: expected shape (K, B, 1) with K, B >= 1, got {context.shape}")
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise ValueError(f"horizon: expected an integer >= 1, got {horizon!r}")
    if not noise > 0:
        raise ValueError(f"noise: expected a standard deviation > 0, got {noise!r}")
    K = context.shape[0]
    phi = np.arange(phases) * (2 * np.pi / phases)  # (G,)
    clean = np.sin(phi[:, None] + dt * np.arange(K))  # (G, K): what each phase would show
    sq = np.sum((context[:, :, 0].T[:, None, :] - clean) ** 2, axis=2)  # (B, G)
    log_post = -sq / (2 * noise**2)
    post = np.exp(log_post - log_post.max(axis=1, keepdims=True))  # no underflow of all
    post /= post.sum(axis=1, keepdims=True)
    future = np.sin(phi[:, None] + dt * (K - 1 + np.arange(1, horizon + 1)))  # (G, horizon)
    return (post @ future).T[:, :, None]


def step_to_step_correlation(params: dict, task=None, *, context: int = 10,
                             horizon: int = 30, stride: int = 5) -> tuple[float, float]:
    """How much an error at one step says about the error at the next: the lag-1
    correlation of (a) the closed-loop forecast errors, against the clean sine, pooled over
    the validation stretches of :func:`closed_loop_errors`, and
    (b) the noise of the validation part (what teacher forcing reads). Close to 1: the
    errors persist from step to step; close to 0: they are independent.

    Returns:
        (forecast errors' correlation, input noise's correlation).
    """
    task = task or sine_task()
    starts = np.arange(0, len(task.val) - context - horizon + 1, stride)
    ctx = np.stack([task.val[s:s + context] for s in starts], axis=1)[:, :, None]
    truth = np.stack([task.val_clean[s + context:s + context + horizon] for s in starts], axis=1)
    errors = closed_loop_predict(params, ctx, horizon)[:, :, 0] - truth  # (horizon, starts)
    noise = task.val - task.val_clean
    return (float(np.corrcoef(errors[:-1].ravel(), errors[1:].ravel())[0, 1]),
            float(np.corrcoef(noise[:-1], noise[1:])[0, 1]))


def mistake_effect(model, task=None, *, push: float = PUSH, context: int = 10,
                   horizon: int = 30, stride: int = 5) -> np.ndarray:
    """How far a closed-loop forecast moves when the last value it reads is off by ``push``.

    From every ``stride``-th start of the validation part: read ``context`` values, forecast
    ``horizon`` steps; again with the last context value raised by ``push``.

    Args:
        model: the parameter dict of a trained model (forecast with
            :func:`closed_loop_predict`), or a function
            ``forecast(context (K, B, 1), horizon) -> (horizon, B, 1)`` such as
            :func:`best_forecast`.

    Returns:
        (horizon,): the RMS (over starts) change of the forecast at horizon step 1 … horizon.
    """
    if callable(model):
        forecast = model
    elif isinstance(model, dict):
        def forecast(ctx, steps):
            return closed_loop_predict(model, ctx, steps)
    else:
        raise TypeError(f"model: expected a parameter dict or a forecast function, got "
                        f"{type(model).__name__}")
    task = task or sine_task()
    starts = np.arange(0, len(task.val) - context - horizon + 1, stride)
    contexts = np.stack([task.val[s:s + context] for s in starts], axis=1)[:, :, None]
    pushed = contexts.copy()
    pushed[-1] += push
    moved = forecast(pushed, horizon) - forecast(contexts, horizon)
    return np.sqrt(np.mean(moved**2, axis=(1, 2)))


# --------------------------------------------------------------------------- seed spread


@dataclass
class SeedSpread:
    """The ratios of :func:`seed_spread`, one row per seed.

    Attributes:
        seeds, ratios: rows and columns.
        closed_loop: (S, R) closed-loop RMSE averaged over the 30 horizon steps.
        one_step: (S, R) teacher-forced one-step RMSE.
        effect_first, effect_mean: (S, R) :func:`mistake_effect` at horizon step 1 and
            averaged over the 30 steps (how far a +``PUSH`` mistake moves the forecast).
        best_first, best_mean: (S,) the same for :func:`best_forecast`, the yardstick.
        clipped: (S, R) share of the updates whose gradient norm was above the clipping
            threshold (so that the update was clipped).
        final_loss: (S, R) training loss, mean over the last ``FINAL_STEPS`` updates. Each
            ratio's loss scores what that ratio reads: one-step guesses at r = 1, forecasts
            from its own guesses (after the warm-up) at r = 0.
    """

    seeds: list[int]
    ratios: tuple[float, ...]
    closed_loop: np.ndarray
    one_step: np.ndarray
    effect_first: np.ndarray
    effect_mean: np.ndarray
    best_first: np.ndarray
    best_mean: np.ndarray
    clipped: np.ndarray
    final_loss: np.ndarray

    def col(self, ratio: float) -> int:
        """The column of ``ratio``."""
        return self.ratios.index(ratio)

    def wins(self, better: float, worse: float, of: str = "closed_loop") -> int:
        """In how many seeds ratio ``better`` has the smaller ``of`` than ratio ``worse``."""
        table = getattr(self, of)
        return int(np.sum(table[:, self.col(better)] < table[:, self.col(worse)]))


def seed_spread(seeds, ratios=SPREAD_RATIOS, progress: bool = True) -> SeedSpread:
    """Train every ratio on every seed (:func:`ratio_result`, cached) and evaluate each on
    its own seed's validation part. Every ratio of one seed starts from the same weights and
    reads the same batches. One progress bar over all runs."""
    seeds, ratios = [int(s) for s in seeds], tuple(float(r) for r in ratios)
    if not seeds or not ratios:
        raise ValueError(f"seeds, ratios: expected at least one of each, got {seeds}, {ratios}")
    shape = (len(seeds), len(ratios))
    table = {name: np.empty(shape) for name in ("closed_loop", "one_step", "effect_first",
                                                "effect_mean", "clipped", "final_loss")}
    best_first, best_mean = np.empty(len(seeds)), np.empty(len(seeds))
    bar = tqdm(total=len(seeds) * len(ratios), desc="seeds x ratios", disable=not progress)
    for i, seed in enumerate(seeds):
        task = sine_task(seed=seed)
        best = mistake_effect(best_forecast, task)
        best_first[i], best_mean[i] = best[0], best.mean()
        for j, ratio in enumerate(ratios):
            res = ratio_result(ratio, seed=seed, progress=False)
            effect = mistake_effect(res.params, task)
            grad_norm = np.asarray(res.history.grad_norm)
            row = {"closed_loop": res.mean_closed_loop, "one_step": res.one_step,
                   "effect_first": effect[0], "effect_mean": effect.mean(),
                   "clipped": np.mean(grad_norm > SETUP["clip"]),
                   "final_loss": np.mean(res.history.train_loss[-FINAL_STEPS:])}
            for name, value in row.items():
                table[name][i, j] = value
            bar.update(1)
    bar.close()
    return SeedSpread(seeds, ratios, best_first=best_first, best_mean=best_mean, **table)


# --------------------------------------------------------------------------- decoupling


def output_feedback_only(params: dict) -> dict:
    """A copy of the model with W_hh = 0: h_t = tanh(u_t W_xh^T + b_h). In closed loop its
    only link from one step to the next is its own output ŷ_{t-1}, read as u_t."""
    out = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    out["W_hh"] = np.zeros_like(out["W_hh"])
    return out


def stepwise_grads(params: dict, x, y, feed_own=None) -> dict:
    """The gradient of the mean squared error with no backward through time.

    Every step's loss is sent back through its own step only: what the step read — the
    input u_t (truth or fed-back guess) and the previous state h_{t-1} — is taken from the
    forward pass as a constant. The T steps are then T·B independent examples, done as one
    batch (no loop over time).

    Args:
        params: W_xh (H, 1), W_hh (H, H), b_h (H,), W_hy (1, H), b_y (1,).
        x, y: inputs and next values, (T, B, 1).
        feed_own: (T, B, 1) booleans as in :func:`rollout`;
            default all False (teacher forcing).

    Returns:
        dict of gradients with the keys and shapes of params. When nothing flows between
        steps (W_hh = 0 and teacher forcing) it equals the full gradient of
        :func:`sequence_loss_and_grads` up to rounding; otherwise
        it misses the paths through h_{t-1} and through the fed-back guesses.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if feed_own is None:
        feed_own = np.zeros(x.shape, dtype=bool)
    y_hat, cache = rollout(params, x, feed_own)
    if y.shape != y_hat.shape:
        raise ValueError(f"y: expected shape {y_hat.shape} like x, got {y.shape}")
    T, B, _ = x.shape
    H = params["W_hh"].shape[0]
    h, u = cache["h"], cache["u"]
    dy = (2.0 * (y_hat - y) / y.size).reshape(T * B, 1)  # ∂L/∂ŷ_t from step t's loss only
    h_t = h[1:].reshape(T * B, H)
    da = (dy @ params["W_hy"]) * (1.0 - h_t**2)  # ∂L/∂a_t, nothing added from step t + 1
    return {
        "W_xh": da.T @ u.reshape(T * B, 1),
        "W_hh": da.T @ h[:-1].reshape(T * B, H),
        "b_h": da.sum(axis=0),
        "W_hy": dy.T @ h_t,
        "b_y": dy.sum(axis=0),
    }


def full_grads(params: dict, x, y, feed_own=None) -> dict:
    """The full gradient (backpropagation through time and through fed-back guesses), from
    :func:`sequence_loss_and_grads`; teacher forcing by default."""
    x = np.asarray(x, dtype=np.float64)
    if feed_own is None:
        feed_own = np.zeros(x.shape, dtype=bool)
    return sequence_loss_and_grads(params, x, y, feed_own)[1]
