"""What notebook 05 computes beyond :mod:`rnn_helpers.teacher_forcing`: which results survive
another seed or another machine, and when teacher forcing makes backpropagation through time
unnecessary.

- :func:`nudged_run`: train again from the same initial weights with one weight moved to
  the next float64 (the smallest possible change, the size of a rounding difference between
  two numpy versions or processors). Teacher forcing and the mixed ratio come back with the
  same model; free running comes back with another one.
  This is why a free-running result must not be quoted to two decimals, and why its
  closed-loop error differed between machines.
- :func:`seed_spread`: the teacher forcing ratios compared over several seeds.
- :func:`mistake_effect`: how far a closed-loop forecast moves after a mistake in its input.
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
    "growth",
    "stepwise_grads",
    "output_feedback_only",
    "relative_difference",
    "full_grads",
]

PUSH = 0.3  # the mistake put into the last context value
SPREAD_RATIOS = (1.0, 0.5, 0.0)  # teacher forcing, an even mix, free running


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


def mistake_effect(params: dict, task=None, *, push: float = PUSH, context: int = 10,
                   horizon: int = 30, stride: int = 5) -> np.ndarray:
    """How far a closed-loop forecast moves when the last value it reads is off by ``push``.

    From every ``stride``-th start of the validation part: read ``context`` values, forecast
    ``horizon`` steps; again with the last context value raised by ``push``.

    Returns:
        (horizon,): the RMS (over starts) change of the forecast at horizon step 1 … horizon.
    """
    task = task or sine_task()
    starts = np.arange(0, len(task.val) - context - horizon + 1, stride)
    contexts = np.stack([task.val[s:s + context] for s in starts], axis=1)[:, :, None]
    pushed = contexts.copy()
    pushed[-1] += push
    moved = closed_loop_predict(params, pushed, horizon) - closed_loop_predict(
        params, contexts, horizon)
    return np.sqrt(np.mean(moved**2, axis=(1, 2)))


def growth(effect: np.ndarray) -> float:
    """Largest effect of a mistake over the horizon divided by its effect at step 1
    (> 1: the mistake grows after it is read)."""
    effect = np.asarray(effect, dtype=np.float64)
    return float(effect.max() / effect[0])


# --------------------------------------------------------------------------- seed spread


@dataclass
class SeedSpread:
    """The ratios of :func:`seed_spread`, one row per seed.

    Attributes:
        seeds, ratios: rows and columns.
        closed_loop: (S, R) closed-loop RMSE averaged over the 30 horizon steps.
        one_step: (S, R) teacher-forced one-step RMSE.
        growth: (S, R) :func:`growth` of :func:`mistake_effect`.
    """

    seeds: list[int]
    ratios: tuple[float, ...]
    closed_loop: np.ndarray
    one_step: np.ndarray
    growth: np.ndarray

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
    closed, one, grow = np.empty(shape), np.empty(shape), np.empty(shape)
    bar = tqdm(total=len(seeds) * len(ratios), desc="seeds x ratios", disable=not progress)
    for i, seed in enumerate(seeds):
        task = sine_task(seed=seed)
        for j, ratio in enumerate(ratios):
            res = ratio_result(ratio, seed=seed, progress=False)
            closed[i, j], one[i, j] = res.mean_closed_loop, res.one_step
            grow[i, j] = growth(mistake_effect(res.params, task))
            bar.update(1)
    bar.close()
    return SeedSpread(seeds, ratios, closed, one, grow)


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
