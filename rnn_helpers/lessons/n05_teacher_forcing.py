"""What notebook 05 computes beyond :mod:`rnn_helpers.teacher_forcing`: which results survive
another seed or another machine, how far a mistake moves a forecast, and when teacher forcing
makes backpropagation through time unnecessary.

- :func:`nudged_run`: train again from the same initial weights with one weight moved to
  the next float64 (the smallest possible change, the size of a rounding difference between
  two numpy versions or processors). Teacher forcing and the mixed ratio 0.5 come back with
  the same model; free running (and ratios up to 0.25, see :mod:`rnn_helpers.teacher_forcing`)
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

Shapes are time-major as in :mod:`rnn_helpers.teacher_forcing`: x, y (T, B, 1). Seeds are
explicit parameters (default 0); the notebook passes values derived from the course seed
``rnn_helpers.SEED``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from rnn_helpers.teacher_forcing import (
    KEYS,
    SETUP,
    closed_loop_errors,
    closed_loop_predict,
    ratio_result,
    rollout,
    sequence_loss_and_grads,
    sine_task,
    train_next_value,
)
from rnn_helpers.training import init_model

__all__ = [
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
        (horizon, B, 1), like :func:`rnn_helpers.teacher_forcing.closed_loop_predict`.
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
    the validation stretches of :func:`rnn_helpers.teacher_forcing.closed_loop_errors`, and
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
            :func:`rnn_helpers.teacher_forcing.closed_loop_predict`), or a function
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
        feed_own: (T, B, 1) booleans as in :func:`rnn_helpers.teacher_forcing.rollout`;
            default all False (teacher forcing).

    Returns:
        dict of gradients with the keys and shapes of params. When nothing flows between
        steps (W_hh = 0 and teacher forcing) it equals the full gradient of
        :func:`rnn_helpers.teacher_forcing.sequence_loss_and_grads` up to rounding; otherwise
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
    :func:`rnn_helpers.teacher_forcing.sequence_loss_and_grads`; teacher forcing by default."""
    x = np.asarray(x, dtype=np.float64)
    if feed_own is None:
        feed_own = np.zeros(x.shape, dtype=bool)
    return sequence_loss_and_grads(params, x, y, feed_own)[1]
