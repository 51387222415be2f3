"""The scratch RNN regressor of notebooks 03-05: an RNN with a linear head, its loss and
gradients, and its training (a call of the course's one NumPy loop).

The model is the scratch RNN of :mod:`rnn_helpers.scratch` with a
linear head:

    h_t    = act(x_t W_xh^T + h_{t-1} W_hh^T + b_h),   h_{-1} = 0
    y_hat  = h_{T-1} W_hy^T + b_y          (many-to-one, the default)
    y_hat_t = h_t W_hy^T + b_y  for every t (``every_step=True``, e.g. teacher forcing)
    loss   = mean((y_hat - y)^2)            (MSE over every element)

Its parameters are one flat dict ``{W_xh (H,D), W_hh (H,H), b_h (H,), W_hy (O,H), b_y (O,)}``.
:func:`train` runs mini-batch SGD or Adam (:func:`rnn_helpers.train.train_numpy`) with
optional truncated BPTT and gradient clipping, never mutates the caller's dict, and reports
divergence in its history instead of raising.

Speed, measured on the course's 2-core machine (noisy sine, 50 values -> the 51st, H=100,
batch 32, truncate=5, clip ("value", 10), Adam lr 1e-3): about 2.4 ms per step, so
10 epochs (240 steps) take ~0.6 s and reach a validation RMSE of ~0.11-0.12; 1000 steps
(~2.4 s) land between 0.107 and 0.142 depending on the seed (the noise floor is 0.10).
Truncated many-to-one gradients only re-run the last k+1 steps (see
``_last_step_backward``), so truncation makes a step cheaper, not dearer.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from rnn_helpers.scratch import (
    init_linear_params,
    init_rnn_params,
    linear_backward,
    linear_forward,
    rnn_backward,
    rnn_forward,
)
from rnn_helpers.train import History, shuffled_batches, steps_per_epoch, train_numpy
from rnn_helpers.validate import check_int

__all__ = [
    "PARAM_NAMES",
    "init_model",
    "predict",
    "evaluate",
    "loss_and_grads",
    "train",
]

RNN_NAMES = ("W_xh", "W_hh", "b_h")
HEAD_NAMES = ("W_hy", "b_y")
PARAM_NAMES = RNN_NAMES + HEAD_NAMES


# --------------------------------------------------------------------------- validation


def _check_params(params) -> None:
    """Raise ValueError unless ``params`` holds the five model arrays with matching shapes."""
    if not isinstance(params, dict):
        raise ValueError(f"params must be a dict with keys {PARAM_NAMES}, got {type(params)}")
    missing = [k for k in PARAM_NAMES if k not in params]
    if missing:
        raise ValueError(f"params is missing {missing}; expected keys {PARAM_NAMES}")
    H, D = np.shape(params["W_xh"])
    O = np.shape(params["W_hy"])[0]
    expected = {"W_xh": (H, D), "W_hh": (H, H), "b_h": (H,), "W_hy": (O, H), "b_y": (O,)}
    for k, shape in expected.items():
        if np.shape(params[k]) != shape:
            raise ValueError(
                f"params['{k}'] has shape {np.shape(params[k])}, expected {shape} "
                f"(H={H} from W_xh, D={D}, O={O} from W_hy)"
            )


def _check_xy(params, x, y, every_step: bool, prefix: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Return x, y as float64 arrays after checking their shapes against params."""
    x = np.asarray(x, dtype=np.float64)
    H, D = np.shape(params["W_xh"])
    O = np.shape(params["W_hy"])[0]
    if x.ndim != 3 or x.shape[2] != D or x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"{prefix}x has shape {x.shape}, expected (T, N, D) with D={D}")
    if y is None:
        return x, None
    y = np.asarray(y, dtype=np.float64)
    T, N, _ = x.shape
    expected = (T, N, O) if every_step else (N, O)
    if y.shape != expected:
        what = "(T, N, O)" if every_step else "(N, O)"
        raise ValueError(f"{prefix}y has shape {y.shape}, expected {what} = {expected}")
    return x, y


# --------------------------------------------------------------------------- the model


def init_model(input_size: int, hidden_size: int, output_size: int = 1, seed: int = 0) -> dict:
    """Fresh parameters of the RNN + linear head.

    Args:
        input_size: D, features per time step.
        hidden_size: H, size of the hidden state.
        output_size: O, size of the prediction.
        seed: the RNN part uses ``init_rnn_params(..., seed=seed)``, the head
            ``init_linear_params(..., seed=seed + 1)`` (independent draws).

    Returns:
        dict with float64 arrays W_xh (H, D), W_hh (H, H), b_h (H,), W_hy (O, H), b_y (O,).
    """
    rnn = init_rnn_params(input_size, hidden_size, seed=seed, kind="rnn")
    head = init_linear_params(hidden_size, output_size, seed=seed + 1)
    params = {k: np.array(rnn[k], dtype=np.float64) for k in RNN_NAMES}
    params.update({k: np.array(head[k], dtype=np.float64) for k in HEAD_NAMES})
    _check_params(params)
    return params


def _forward(params, x, nonlinearity, every_step):
    """Shared forward pass: returns (y_hat, rnn_cache, head_cache, h).

    If the hidden states overflow (possible with relu and large weights), ``y_hat`` is
    still computed, holding inf/NaN, and ``head_cache`` is None: callers report divergence
    instead of letting the head's finiteness check raise.
    """
    B, H = x.shape[1], params["W_hh"].shape[0]
    rnn_params = {k: params[k] for k in RNN_NAMES}
    h, rnn_cache = rnn_forward(x, np.zeros((B, H)), rnn_params, nonlinearity=nonlinearity)
    h_out = h if every_step else h[-1]  # the head reads every state, or the last one
    if not np.isfinite(h_out).all():
        return h_out @ params["W_hy"].T + params["b_y"], rnn_cache, None, h
    y_hat, head_cache = linear_forward(h_out, params)
    return y_hat, rnn_cache, head_cache, h


def _nan_grads(params: dict) -> dict:
    return {k: np.full_like(params[k], np.nan, dtype=np.float64) for k in PARAM_NAMES}


def predict(
    params: dict, x: np.ndarray, *, nonlinearity: str = "tanh", every_step: bool = False
) -> np.ndarray:
    """Run the model on a batch of sequences.

    Args:
        params: the model dict (see :func:`init_model`).
        x: inputs (T, N, D), time-major.
        nonlinearity: "tanh", "relu" or "sigmoid", as in ``rnn_forward``.
        every_step: False -> predict from the last hidden state only.

    Returns:
        y_hat: (N, O), or (T, N, O) with ``every_step=True``.
    """
    _check_params(params)
    x, _ = _check_xy(params, x, None, every_step)
    with np.errstate(over="ignore", invalid="ignore"):
        return _forward(params, x, nonlinearity, every_step)[0]


def evaluate(
    params: dict,
    x: np.ndarray,
    y: np.ndarray,
    *,
    nonlinearity: str = "tanh",
    every_step: bool = False,
) -> float:
    """Mean squared error of the model on (x, y); shapes as in :func:`loss_and_grads`.

    Take ``np.sqrt`` of it for the RMSE, in the units of y. A model whose outputs overflow
    gets inf or NaN, not an exception.
    """
    _check_params(params)
    x, y = _check_xy(params, x, y, every_step)
    with np.errstate(over="ignore", invalid="ignore"):
        y_hat = _forward(params, x, nonlinearity, every_step)[0]
        return float(np.mean((y_hat - y) ** 2))


def _last_step_backward(x, h, dh_last, params, rnn_cache, truncate, nonlinearity):
    """BPTT when only the last state h_{T-1} receives a gradient (many-to-one).

    Truncation k then keeps just steps T-1-k .. T-1, with h_{T-2-k} a constant: exactly
    full BPTT on that window. Re-running those k+1 steps from the true h_{T-2-k} and
    backpropagating through them alone gives the same gradients as
    ``rnn_backward(dh, cache, truncate=k)`` without sweeping all T steps, which makes
    truncated training several times faster.
    """
    T = x.shape[0]
    if truncate is None or truncate >= T - 1:
        dh = np.zeros_like(h)
        dh[-1] = dh_last
        return rnn_backward(dh, rnn_cache)
    start = T - 1 - truncate
    rnn_params = {k: params[k] for k in RNN_NAMES}
    h_win, cache_win = rnn_forward(x[start:], h[start - 1], rnn_params, nonlinearity=nonlinearity)
    dh = np.zeros_like(h_win)
    dh[-1] = dh_last
    return rnn_backward(dh, cache_win)


def loss_and_grads(
    params: dict,
    x: np.ndarray,
    y: np.ndarray,
    truncate: int | None = None,
    nonlinearity: str = "tanh",
    *,
    every_step: bool = False,
) -> tuple[float, dict]:
    """MSE loss of the model and its gradient with respect to every parameter.

    Args:
        params: the model dict (see :func:`init_model`).
        x: inputs (T, N, D).
        y: targets (N, O), or (T, N, O) with ``every_step=True``.
        truncate: None = full BPTT; k = truncated BPTT, the loss at step t flows back through
            steps t..t-k only (passed to ``rnn_backward``). With a many-to-one model the loss
            sits at the last step, so only the last k+1 steps receive gradient.
        nonlinearity: "tanh", "relu" or "sigmoid".
        every_step: head and loss at every step instead of the last one.

    Returns:
        loss: float, ``mean((y_hat - y)**2)`` over all elements.
        grads: dict with the same keys and shapes as params (W_xh, W_hh, b_h, W_hy, b_y).
        If the numbers overflow, loss is inf or NaN and every gradient entry is NaN
        (never an exception), so a training loop can report the divergence.
    """
    _check_params(params)
    x, y = _check_xy(params, x, y, every_step)
    # Overflow is a result here (training diverged), reported as inf/NaN, not warned about.
    with np.errstate(over="ignore", invalid="ignore"):
        y_hat, rnn_cache, head_cache, h = _forward(params, x, nonlinearity, every_step)
        diff = y_hat - y
        loss = float(np.mean(diff**2))
        if head_cache is None or not math.isfinite(loss):
            return loss, _nan_grads(params)
        # d mean(diff^2) / d y_hat = 2 diff / (number of elements)
        head_grads = linear_backward(2.0 * diff / diff.size, head_cache)
        if not np.isfinite(head_grads["h"]).all():
            return loss, _nan_grads(params)
        if every_step:
            rnn_grads = rnn_backward(head_grads["h"], rnn_cache, truncate=truncate)
        else:
            rnn_grads = _last_step_backward(
                x, h, head_grads["h"], params, rnn_cache, truncate, nonlinearity
            )
    grads = {k: rnn_grads[k] for k in RNN_NAMES}
    grads.update({k: head_grads[k] for k in HEAD_NAMES})
    return loss, grads


# --------------------------------------------------------------------------- training


def train(
    params: dict,
    x_train: np.ndarray,
    y_train: np.ndarray,
    *,
    epochs: int | None = None,
    steps: int | None = None,
    batch_size: int = 32,
    lr: float = 1e-3,
    optimizer: str = "adam",
    truncate: int | None = None,
    clip: tuple | None = None,
    x_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    nonlinearity: str = "tanh",
    every_step: bool = False,
    seed: int = 0,
    progress: bool = True,
    diverge_threshold: float = 1e6,
) -> tuple[dict, History]:
    """Train the RNN + linear head with mini-batches; return new params and a history.

    The course's one NumPy loop (:func:`rnn_helpers.train.train_numpy`) does the work:
    each epoch visits the training examples in a fresh random order (from ``seed``) in
    batches of ``batch_size`` (the last batch may be smaller); each step computes the loss
    and gradients (:func:`loss_and_grads`), records the loss and the gradient norm, clips,
    and updates. Validation MSE is measured at the end of each epoch (and at the end of the
    run if it stops mid-epoch).

    Divergence (a non-finite loss, gradient or updated parameter, or a training or
    validation loss above ``diverge_threshold``) stops the run and is recorded in the
    history; it is never raised. The params returned are then the last finite ones.

    Args:
        params: the model dict (see :func:`init_model`); not modified.
        x_train: (T, N, D) inputs; y_train: (N, O) targets, or (T, N, O) with every_step.
        epochs, steps: how long to train; give at most one (default: 10 epochs). ``steps``
            counts optimiser updates.
        batch_size: examples per step, >= 1 (capped at N).
        lr: learning rate, > 0. The default 1e-3 suits Adam; plain SGD needs ~0.1-1.
        optimizer: "adam" (default) or "sgd".
        truncate: None (full BPTT) or k >= 0, truncated BPTT as in ``rnn_backward``.
        clip: None (default, no clipping), ("value", limit) for ``clip_by_value`` or
            ("norm", max_norm) for ``clip_by_norm``.
        x_val, y_val: optional validation data, shapes as for training.
        nonlinearity: "tanh", "relu" or "sigmoid".
        every_step: head and loss at every step (y of shape (T, N, O)).
        seed: seed of the shuffling; the run is deterministic given it.
        progress: show a tqdm progress bar (a widget in Jupyter); False prints nothing.
        diverge_threshold: a loss above this counts as diverged (math.inf: only NaN/inf do).

    Returns:
        (trained_params, history): a new params dict and a :class:`History`.
    """
    _check_params(params)
    x_train, y_train = _check_xy(params, x_train, y_train, every_step, "x_train/y_train: ")
    if (x_val is None) != (y_val is None):
        raise ValueError("give both x_val and y_val, or neither")
    if x_val is not None:
        x_val, y_val = _check_xy(params, x_val, y_val, every_step, "x_val/y_val: ")
    if truncate is not None and (
        isinstance(truncate, bool) or not isinstance(truncate, numbers.Integral) or truncate < 0
    ):
        raise ValueError(f"truncate must be None or an integer >= 0, got {truncate!r}")
    batch_size = check_int("batch_size", batch_size)
    if isinstance(diverge_threshold, bool) or not (
        isinstance(diverge_threshold, numbers.Real) and diverge_threshold > 0
    ):
        raise ValueError(
            f"diverge_threshold must be a positive number (or math.inf), got {diverge_threshold!r}"
        )
    n = x_train.shape[1]
    batch_size = min(batch_size, n)
    per_epoch = steps_per_epoch(n, batch_size)
    if epochs is not None and steps is not None:
        raise ValueError(f"give epochs or steps, not both (got epochs={epochs}, steps={steps})")
    if steps is None:
        epochs = 10 if epochs is None else check_int("epochs", epochs)
        steps = epochs * per_epoch
    else:
        steps = check_int("steps", steps)

    def batch_loss_and_grads(p, idx):
        yb = y_train[:, idx] if every_step else y_train[idx]
        return loss_and_grads(p, x_train[:, idx], yb, truncate, nonlinearity,
                              every_step=every_step)

    def validation(p):
        return {"loss": evaluate(p, x_val, y_val, nonlinearity=nonlinearity,
                                 every_step=every_step)}

    return train_numpy({k: params[k] for k in PARAM_NAMES}, batch_loss_and_grads,
                       shuffled_batches(n, batch_size, seed), steps=steps, lr=lr,
                       optimizer=optimizer, clip=clip,
                       evaluate=validation if x_val is not None else None,
                       eval_every=per_epoch, diverge_threshold=diverge_threshold,
                       progress=progress)
