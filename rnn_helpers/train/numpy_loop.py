"""The course's one NumPy training loop, and the optimisers it uses.

The loop knows nothing about the model: it asks ``loss_and_grads(params, batch)`` for the
loss and the gradients, clips, updates, and records a :class:`History`. Every NumPy model
of the course (the sine regressor of 03–04, the next-value model of 05, the char-RNN of 09)
trains through it, so they share divergence handling, progress bar and seeding.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator

import numpy as np
from tqdm.auto import tqdm

from rnn_helpers.scratch import clip_by_norm, clip_by_value
from rnn_helpers.train.history import History, parse_clip
from rnn_helpers.validate import check_choice, check_int, check_positive

OPTIMIZERS = ("adam", "sgd")


def global_norm(grads: dict) -> float:
    """The L2 norm of all arrays in ``grads`` taken together, as one long vector."""
    return float(np.sqrt(sum(float(np.sum(np.square(g))) for g in grads.values())))


def sgd_update(params: dict, grads: dict, lr: float) -> dict:
    """Plain gradient descent: returns a new dict ``p - lr * g`` (inputs untouched)."""
    return {k: params[k] - lr * grads[k] for k in params}


def adam_init(params: dict) -> dict:
    """Adam's state for ``params``: step count t=0 and zero first/second moments m, v."""
    return {
        "t": 0,
        "m": {k: np.zeros_like(v) for k, v in params.items()},
        "v": {k: np.zeros_like(v) for k, v in params.items()},
    }


def adam_update(params: dict, grads: dict, state: dict, lr: float, beta1: float = 0.9,
                beta2: float = 0.999, eps: float = 1e-8) -> tuple[dict, dict]:
    """One Adam step (Kingma & Ba, 2015), pure: returns (new_params, new_state).

    m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;  p <- p - lr m_hat / (sqrt(v_hat) + eps)
    with the bias corrections m_hat = m / (1-b1^t), v_hat = v / (1-b2^t). Each parameter
    moves by about ``lr`` per step at most, whatever the scale of its gradient.
    """
    t = state["t"] + 1
    m = {k: beta1 * state["m"][k] + (1 - beta1) * grads[k] for k in params}
    v = {k: beta2 * state["v"][k] + (1 - beta2) * grads[k] ** 2 for k in params}
    c1, c2 = 1 - beta1**t, 1 - beta2**t
    new = {k: params[k] - lr * (m[k] / c1) / (np.sqrt(v[k] / c2) + eps) for k in params}
    return new, {"t": t, "m": m, "v": v}


def train_numpy(params: dict, loss_and_grads: Callable, batches: Iterator, *, steps: int,
                lr: float, optimizer: str = "adam", clip=None,
                evaluate: Callable[[dict], dict] | None = None, eval_every: int | None = None,
                eval_at_start: bool = False, diverge_threshold: float = math.inf,
                progress: bool = True, desc: str = "training") -> tuple[dict, History]:
    """Train a NumPy model; return (new params, :class:`History`). ``params`` is not modified.

    Args:
        params: {name: float64 array}, the model's weights.
        loss_and_grads: (params, batch) -> (loss, grads), grads with the keys of params.
        batches: an iterator giving one batch per step (e.g. index arrays from
            :func:`rnn_helpers.train.shuffled_batches`); ``steps`` of them are read.
        steps: number of optimiser updates, >= 1.
        lr: learning rate, > 0 (Adam: ~1e-3 to 1e-2; plain SGD: ~0.1 to 1).
        optimizer: "adam" or "sgd".
        clip: None, ("norm", max_norm) for ``clip_by_norm`` or ("value", limit) for
            ``clip_by_value``, applied after the norm is recorded.
        evaluate: optional params -> {metric: value}; its "loss" is the validation loss.
            Called every ``eval_every`` updates (None: only at the end), at the end, and
            before training if ``eval_at_start``.
        diverge_threshold: a training or validation loss above it counts as divergence
            (math.inf: only NaN/inf do).
        progress: show a tqdm bar (a widget in Jupyter); False prints nothing.
        desc: the bar's label.

    Divergence (a non-finite loss, gradient norm or updated parameter, or a loss above the
    threshold) stops the run and is recorded in the history, never raised; the params
    returned are then the last finite ones.
    """
    steps = check_int("steps", steps)
    lr = check_positive("lr", lr)
    optimizer = check_choice("optimizer", optimizer, OPTIMIZERS)
    clip = parse_clip(clip)
    if eval_every is not None:
        eval_every = check_int("eval_every", eval_every)
    params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    state = adam_init(params) if optimizer == "adam" else None
    history = History()
    start = time.perf_counter()

    def validate() -> None:
        metrics = evaluate(params)
        history.record_val(history.steps, metrics)
        loss = metrics.get("loss", 0.0)
        if not math.isfinite(loss) or loss > diverge_threshold:
            history.stop(history.steps, f"the validation loss became {loss:.3g}")

    if evaluate is not None and eval_at_start:
        validate()
    bar = tqdm(total=steps, desc=desc, disable=not progress, leave=True)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is recorded, not warned
        for step in range(steps):
            loss, grads = loss_and_grads(params, next(batches))
            loss, norm = float(loss), global_norm(grads)
            history.train_loss.append(loss)
            history.grad_norm.append(norm)
            history.train_step.append(step + 1)
            if not math.isfinite(loss) or loss > diverge_threshold:
                history.stop(step, f"the training loss became {loss:.3g} at step {step}")
                break
            if not math.isfinite(norm):
                history.stop(step, f"the gradient norm became {norm} at step {step}")
                break
            if clip is not None and clip[0] == "norm":
                grads, _ = clip_by_norm(grads, clip[1])
            elif clip is not None:
                grads = clip_by_value(grads, clip[1])
            if state is None:
                new_params, new_state = sgd_update(params, grads, lr), None
            else:
                new_params, new_state = adam_update(params, grads, state, lr)
            if not all(np.isfinite(v).all() for v in new_params.values()):
                # Keep the last finite params: the scratch layers refuse NaN/inf weights.
                history.stop(step, f"the parameters became non-finite at step {step}")
                break
            params, state = new_params, new_state
            history.steps += 1
            bar.update(1)
            if step % 20 == 0:
                bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            due = eval_every is not None and history.steps % eval_every == 0
            if evaluate is not None and (due or history.steps == steps):
                validate()
                if history.diverged:
                    break
    bar.close()
    history.seconds = time.perf_counter() - start
    return params, history
