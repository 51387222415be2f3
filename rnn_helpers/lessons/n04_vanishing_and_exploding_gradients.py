"""Notebook 04: why gradients vanish or explode in a vanilla RNN — Jacobian products, the
spectral radius, the cliff, clipping and the adding problem.

Everything the notebook shows is computed here (pure NumPy, no widgets):

- the step Jacobian ∂h_t/∂h_{t-1} = diag(act'(a_t)) W_hh and the norm of their product
  ‖∂h_{T-1}/∂h_t‖ over the distance d = T − 1 − t (:func:`jacobian_product_norms`,
  :func:`gradient_norm_vs_distance`), with a straight-line fit of its logarithm
  (:func:`log_slope`);
- the spectral radius of W_hh and a copy rescaled to a chosen one
  (:func:`spectral_radius`, :func:`with_spectral_radius`, :func:`random_recurrent_weights`);
- the derivatives of tanh and sigmoid as functions of the pre-activation
  (:func:`activation_derivative`);
- the exploding "cliff": the loss of a one-unit RNN as a function of its one recurrent
  weight w, where its positive resting point appears, and gradient descent on it with or
  without clipping (:func:`cliff_last_state`, :func:`cliff_loss_and_grad`,
  :func:`cliff_critical_weight`, :func:`descend_cliff`);
- a short training run on the sine task whose gradients explode, clipped or not
  (:func:`exploding_setup`, :func:`exploding_run`), used by the "clip threshold" view.

What decides whether gradients vanish (Pascanu, Mikolov & Bengio, 2013):

- the **norm bound** ‖∂h_t/∂h_{t-1}‖ ≤ γ‖W_hh‖, with γ the activation's largest slope
  (1 for tanh, 1/4 for sigmoid), holds for every RNN: while γ‖W_hh‖ < 1 gradients are
  guaranteed to vanish, each step multiplying the gradient's norm by at most γ‖W_hh‖
  (‖W_hh‖/4 for the sigmoid); for γ‖W_hh‖ ≥ 1 it promises nothing;
- the **spectral radius** ρ(W_hh) governs long products of the *linear* case only
  (‖W_hh^d‖^(1/d) → ρ). With an activation, diag(act')·W_hh can have a larger radius than
  W_hh (W_hh = [[1, 1], [−1, −1]] has radius 0), and tanh damps a gradient most where its
  units saturate (tanh' ≈ 0) and hardly near a = 0 — hardly, not never: every unit with
  a ≠ 0 passes back a factor tanh'(a) < 1, and over many steps these factors compound.

The gradient is a row vector per example (``dh`` is (B, H) in code) and each step back
multiplies it from the right: ∂L/∂h_{s-1} = (∂L/∂h_s) J_s (plus the loss's own term at
step s−1, if any). The norm of a product of Jacobians bounds how much of a gradient can
arrive; a particular gradient may arrive much smaller.

Notation as everywhere in the course: h_t = act(a_t), a_t = x_t W_xh^T + h_{t-1} W_hh^T + b_h,
steps t = 0 … T−1 with states h_0 … h_{T-1} after them, the initial state h_{-1} (``h0`` in
code), x is (T, B, D), W_hh is (H, H).

The adding problem with a plain RNN, a long-range task it learns at T = 10 and not at T = 60:
notebook 04 trains the scratch RNN (:mod:`rnn_helpers.regressor`, NumPy) on
:func:`rnn_helpers.data.adding_problem` at a short and a long sequence length (hidden size
32, Adam lr 1e-2, batch 128, gradient norm clipped at 1, 400 steps, the same seed at both
lengths) and shows the two learning curves.
It then measures how much of the loss's gradient reaches each input step, ‖∂L/∂x_t‖, which
explains why.

The scratch model is the same maths as ``nn.RNN`` + ``nn.Linear`` in float64 and, on this
machine, faster than torch for these small shapes.

Beyond these: a tanh RNN whose gradient explodes
although ρ(W_hh) = 0, the Jacobians along the exploding sine run, how far the adding
problem's loss reaches back, the clipping experiment over several seeds, and the first
gradient of that experiment (to compare value and norm clipping on a real gradient).

Every function takes its seeds explicitly; the notebook passes ``rnn_helpers.SEED``-derived
values (``SEED``, ``SEED + 1``, …), the tests pass 0 … 4.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from rnn_helpers.data import adding_problem
from rnn_helpers.regressor import init_model, loss_and_grads, train
from rnn_helpers.scratch import (
    clip_by_norm,
    clip_by_value,
    linear_backward,
    linear_forward,
    rnn_backward,
    rnn_forward,
)
from rnn_helpers.scratch.activations import sigmoid
from rnn_helpers.train import History, parse_clip, shuffled_batches
from rnn_helpers.validate import check_int

__all__ = [
    "spectral_radius",
    "with_spectral_radius",
    "random_recurrent_weights",
    "activation_derivative",
    "step_jacobians",
    "jacobian_product_norms",
    "gradient_norm_vs_distance",
    "log_slope",
    "cliff_last_state",
    "cliff_loss_and_grad",
    "cliff_critical_weight",
    "CliffRun",
    "descend_cliff",
    "clip_vector",
    "turn_angle",
    "EXPLODING",
    "exploding_setup",
    "exploding_run",
    "zero_guess_mse",
    "CONSTANT_GUESS_MSE",
    "ADDING",
    "adding_data",
    "train_adding",
    "input_gradient_norms",
    "radius_zero_example",
    "sine_run_jacobians",
    "SATURATED",
    "relative_input_gradients",
    "reach_at_init",
    "LEARNED_MSE",
    "ClipSpreadRow",
    "clipping_spread",
    "exploding_first_gradient",
]


def _square(name: str, W) -> np.ndarray:
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] == 0:
        raise ValueError(f"{name}: expected a square (H, H) matrix, got shape {W.shape}")
    if not np.isfinite(W).all():
        raise ValueError(f"{name}: contains NaN or inf")
    return W


def spectral_radius(W_hh) -> float:
    """The largest |eigenvalue| of W_hh: the factor by which W_hh^d grows per step for large d.

    This is the linear RNN's story (∂h_{T-1}/∂h_t = W_hh^d). With an activation the step
    Jacobians are diag(act'(a_t)) W_hh, whose radius may exceed ρ(W_hh); what always holds is
    the norm bound ‖diag(act') W_hh‖ ≤ γ‖W_hh‖ (γ the activation's largest slope).
    """
    return float(np.max(np.abs(np.linalg.eigvals(_square("W_hh", W_hh)))))


def with_spectral_radius(W_hh, radius: float) -> np.ndarray:
    """A copy of W_hh multiplied by one number so that its spectral radius is ``radius``.

    Scaling a matrix scales every eigenvalue, so the eigenvectors (the "shape" of the
    recurrence) stay and only the growth per step changes.
    """
    W = _square("W_hh", W_hh)
    if isinstance(radius, bool) or not isinstance(radius, numbers.Real) or not radius >= 0:
        raise ValueError(f"radius: expected a number >= 0, got {radius!r}")
    rho = spectral_radius(W)
    if rho == 0:
        raise ValueError("W_hh: its spectral radius is 0 (nilpotent), it cannot be rescaled")
    return W * (float(radius) / rho)


def random_recurrent_weights(hidden_size: int, radius: float = 1.0, seed: int = 0) -> np.ndarray:
    """A random (H, H) Gaussian W_hh rescaled to spectral radius ``radius`` exactly.

    Entries N(0, 1/H) put the eigenvalues nearly uniformly in the unit disc (the circular
    law), so the matrix has no preferred direction; the rescaling makes the radius exact.
    """
    if isinstance(hidden_size, bool) or not isinstance(hidden_size, numbers.Integral):
        raise ValueError(f"hidden_size: expected an integer >= 1, got {hidden_size!r}")
    if hidden_size < 1:
        raise ValueError(f"hidden_size: expected an integer >= 1, got {hidden_size}")
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((hidden_size, hidden_size)) / math.sqrt(hidden_size)
    return with_spectral_radius(W, radius)


# --------------------------------------------------------------------------- Jacobians


def activation_derivative(a, nonlinearity: str) -> np.ndarray:
    """act'(a) at the pre-activation ``a``: "tanh" (max 1 at 0), "sigmoid" (max 1/4 at 0),
    "relu" (0 or 1) or "linear" (always 1)."""
    a = np.asarray(a, dtype=np.float64)
    if nonlinearity == "tanh":
        return 1.0 - np.tanh(a) ** 2
    if nonlinearity == "sigmoid":
        s = sigmoid(a)
        return s * (1.0 - s)
    if nonlinearity == "relu":
        return (a > 0).astype(np.float64)
    if nonlinearity == "linear":
        return np.ones_like(a)
    raise ValueError(
        f"nonlinearity: expected 'tanh', 'sigmoid', 'relu' or 'linear', got {nonlinearity!r}"
    )


def step_jacobians(act_grads, W_hh) -> np.ndarray:
    """The step Jacobians J_t = ∂h_t/∂h_{t-1} = diag(act'(a_t)) W_hh for t = 1 … T.

    Args:
        act_grads: act'(a_t) for each step, shape (T, H) (one sequence).
        W_hh: (H, H).

    Returns:
        J: (T, H, H); row i of J_t is W_hh's row i times act'(a_t)[i].
    """
    W = _square("W_hh", W_hh)
    g = np.asarray(act_grads, dtype=np.float64)
    if g.ndim != 2 or g.shape[1] != W.shape[0]:
        raise ValueError(f"act_grads: expected shape (T, H) with H = {W.shape[0]}, got {g.shape}")
    return g[:, :, None] * W[None, :, :]


def jacobian_product_norms(act_grads, W_hh, ord=2) -> np.ndarray:
    """‖∂h_{T-1}/∂h_{T-1-d}‖ for d = 0 … T: how much of a gradient at the last state reaches d
    steps back.

    ∂h_{T-1}/∂h_{T-1-d} = J_{T-1} J_{T-2} ⋯ J_{T-d} (the identity for d = 0), a product of d
    step Jacobians J_t = diag(act'(a_t)) W_hh; d = T reaches the initial state h_{-1}. The
    product is built from the end backwards, one matrix product per step, exactly as
    backpropagation through time multiplies them.

    Args:
        act_grads: act'(a_t) for t = 0 … T−1, shape (T, H); all ones for a linear RNN.
        W_hh: (H, H).
        ord: 2 (default) for the spectral norm (the largest stretch of any direction),
            "fro" for the Frobenius norm.

    Returns:
        norms: (T + 1,), norms[d] for distance d; norms[0] = 1 with ord=2.
    """
    J = step_jacobians(act_grads, W_hh)
    T, H, _ = J.shape
    products = np.empty((T + 1, H, H))
    products[0] = np.eye(H)
    for d in range(1, T + 1):
        # M_d = M_{d-1} J_{T-d}: one more step back in time.
        np.matmul(products[d - 1], J[T - d], out=products[d])
    with np.errstate(over="ignore", invalid="ignore"):
        return np.linalg.norm(products, ord=ord, axis=(1, 2))


def gradient_norm_vs_distance(W_hh, nonlinearity: str = "tanh", T: int = 60, *,
                              input_scale: float = 1.0, seed: int = 0) -> np.ndarray:
    """‖∂h_{T-1}/∂h_{T-1-d}‖ for d = 0 … T along one random input sequence.

    The RNN has input size D = 1: x_t ~ N(0, 1), W_xh ~ N(0, input_scale²) and b_h = 0, and
    starts from h = 0. For "linear" (the identity activation) act' = 1 and the result is
    ‖W_hh^d‖, whatever the inputs. For "tanh" each step multiplies by diag(tanh'(a_t)) W_hh:
    a strong input (input_scale 1) drives many units into saturation, where tanh' ≈ 0, and the
    curve falls far below the linear one; a weak input (input_scale 0.1) leaves the units near
    a = 0, where tanh' is close to 1, and the curve stays close to the linear one, a little
    below it: the factors tanh' < 1 compound (H = 32, seeds 0–9: at radius 1 the weak-input
    curve is ×0.90–0.98 per step against the linear ×1.00; at radius 1.5, where the state
    grows until tanh bends it, ×0.93–1.08 against ×1.50).

    Args:
        W_hh: (H, H) recurrent weights.
        nonlinearity: "tanh", "sigmoid", "relu" or "linear".
        T: the number of time steps (distances 0 … T).
        input_scale: standard deviation of W_xh's entries (how hard the input drives h).
        seed: seed of the inputs and W_xh (not used for "linear").

    Returns:
        norms: (T + 1,) spectral norms, index = distance d.
    """
    W = _square("W_hh", W_hh)
    H = W.shape[0]
    T = check_int("T", T)
    if nonlinearity == "linear":
        act_grads = np.ones((T, H))
    else:
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((T, 1, 1))
        params = {"W_xh": input_scale * rng.standard_normal((H, 1)), "W_hh": W,
                  "b_h": np.zeros(H)}
        if nonlinearity == "sigmoid":
            # sigmoid's derivative is a function of the pre-activation a_t: recompute it.
            h, _ = rnn_forward(x, np.zeros((1, H)), params, nonlinearity="sigmoid")
            act_grads = (h * (1.0 - h))[:, 0, :]
        elif nonlinearity in ("tanh", "relu"):
            h, _ = rnn_forward(x, np.zeros((1, H)), params, nonlinearity=nonlinearity)
            h = h[:, 0, :]
            act_grads = 1.0 - h**2 if nonlinearity == "tanh" else (h > 0).astype(np.float64)
        else:
            activation_derivative(0.0, nonlinearity)  # raises, naming the choices
    return jacobian_product_norms(act_grads, W)


def log_slope(norms, skip: int = 5) -> float:
    """Slope of a least-squares line through log10(norm) vs distance, from d = ``skip`` on.

    A geometric decay or growth norms[d] ≈ c·q^d is a straight line on a log scale with
    slope log10(q): negative when gradients vanish, positive when they explode. The first
    ``skip`` distances are left out: a non-normal W_hh can grow briefly before it decays.
    Zero or non-finite norms are left out too.
    """
    norms = np.asarray(norms, dtype=np.float64)
    d = np.arange(norms.size)
    keep = (d >= skip) & np.isfinite(norms) & (norms > 0)
    if keep.sum() < 2:
        raise ValueError(f"norms: need at least 2 positive finite values beyond d = {skip}")
    return float(np.polyfit(d[keep], np.log10(norms[keep]), 1)[0])


# --------------------------------------------------------------------------- the cliff


CLIFF = {"b": -0.5, "h0": 1.0, "steps": 20, "target": 0.7}


def cliff_last_state(w, *, b: float = CLIFF["b"], h0: float = CLIFF["h0"],
                     steps: int = CLIFF["steps"]):
    """The last state h_{T-1} of a one-unit RNN h_t = tanh(w·h_{t-1} + b), and dh_{T-1}/dw.

    The derivative is carried forward exactly with h: dh_t/dw = tanh'(·)(h_{t-1} + w dh_{t-1}/dw).

    Args:
        w: one recurrent weight, or an array of them (evaluated elementwise).
        b, h0, steps: the bias, the initial state h_{-1} and T.

    Returns:
        (h, dh_dw): arrays of w's shape.
    """
    w = np.asarray(w, dtype=np.float64)
    h = np.full(w.shape, float(h0))
    dh = np.zeros(w.shape)
    for _ in range(steps):
        h_new = np.tanh(w * h + b)
        dh = (1.0 - h_new**2) * (h + w * dh)
        h = h_new
    return h, dh


def cliff_loss_and_grad(w, *, b: float = CLIFF["b"], h0: float = CLIFF["h0"],
                        steps: int = CLIFF["steps"], target: float = CLIFF["target"]):
    """Loss and dLoss/dw of a one-unit RNN h_t = tanh(w·h_{t-1} + b), L = (h_{T-1} − target)².

    With b < 0 the unit has only a negative resting point for small w; above the critical
    weight w_c (:func:`cliff_critical_weight`, ≈ 1.95 for b = −0.5) a positive one appears
    as well. Just below w_c the state, started at h_{-1} = 1, lingers for many steps where
    the positive resting point is about to appear before it falls to the negative one. The
    w at which that fall happens right at the end of the T steps is the "wall": across it,
    over a tiny range of w, h_{T-1} goes from about −1 to about +0.6 (T = 20, wall at
    w ≈ 1.91), and the loss's gradient is hundreds of times larger than anywhere else. The
    wall moves towards w_c as T grows (about 1.80 at T = 10, 1.94 at T = 40).

    Args:
        w: one recurrent weight, or an array of them (evaluated elementwise).
        b, h0, steps, target: the bias, the initial state h_{-1}, T and the target of the
            last state h_{T-1}.

    Returns:
        (loss, grad): arrays of w's shape.
    """
    h, dh = cliff_last_state(w, b=b, h0=h0, steps=steps)
    return (h - target) ** 2, 2.0 * (h - target) * dh


def cliff_critical_weight(b: float = CLIFF["b"]) -> float:
    """The smallest w > 0 at which h = tanh(w·h + b) has a positive resting point (b < 0).

    A positive h is a resting point for w = (artanh(h) − b)/h; the smallest such w over
    h in (0, 1) is where the positive resting point first appears (≈ 1.953 for b = −0.5,
    at h ≈ 0.70). Found on a fine grid of h: accurate to about 1e-9 in w.
    """
    if isinstance(b, bool) or not isinstance(b, numbers.Real) or not b < 0:
        raise ValueError(f"b: expected a negative bias (with b >= 0 there is a positive resting "
                         f"point for every w > 1), got {b!r}")
    h = np.linspace(1e-6, 1.0 - 1e-9, 400_001)
    return float(np.min((np.arctanh(h) - float(b)) / h))


class CliffRun:
    """A gradient-descent path on the cliff: weights, losses and the gradient at each point.

    Attributes:
        w: (n + 1,) weights w_0 … w_n.
        loss: (n + 1,) loss at each weight.
        grad: (n + 1,) raw gradient (before clipping) at each weight.
        steps: (n,) the update actually applied, w_{k+1} − w_k.
    """

    def __init__(self, w, loss, grad):
        self.w, self.loss, self.grad = np.asarray(w), np.asarray(loss), np.asarray(grad)
        self.steps = np.diff(self.w)

    @property
    def biggest_jump(self) -> tuple[int, float]:
        """(k, |w_{k+1} − w_k|) of the largest single step."""
        k = int(np.argmax(np.abs(self.steps)))
        return k, float(abs(self.steps[k]))


def descend_cliff(w0: float, lr: float, n_steps: int, clip=None, **cliff) -> CliffRun:
    """Plain gradient descent w ← w − lr·g on :func:`cliff_loss_and_grad`, optionally clipped.

    Args:
        w0: start weight; lr: learning rate; n_steps: number of updates.
        clip: None, ("norm", c) or ("value", c), the course's one clipping argument (for one
            weight, norm and value clipping are the same: |g| ≤ c).
        **cliff: passed to :func:`cliff_loss_and_grad` (b, h0, steps, target).
    """
    clip = parse_clip(clip)
    ws, losses, grads = [float(w0)], [], []
    for _ in range(n_steps + 1):
        loss, g = cliff_loss_and_grad(ws[-1], **cliff)
        losses.append(float(loss))
        grads.append(float(g))
        if len(ws) == n_steps + 1:
            break
        if clip is not None:
            g = clip_by_norm({"w": np.array([g])}, clip[1])[0]["w"][0]
        ws.append(ws[-1] - lr * float(g))
    return CliffRun(ws, losses, grads)


# --------------------------------------------------------------------------- clipping geometry


def clip_vector(g, threshold: float, mode: str) -> np.ndarray:
    """Clip one gradient vector ``g`` by "value" (each entry into [−c, c]) or "norm"
    (rescale to length ≤ c), with the library's ``clip_by_value`` / ``clip_by_norm``."""
    g = np.asarray(g, dtype=np.float64)
    if mode == "value":
        return clip_by_value({"g": g}, threshold)["g"]
    if mode == "norm":
        return clip_by_norm({"g": g}, threshold)[0]["g"]
    raise ValueError(f"mode: expected 'value' or 'norm', got {mode!r}")


def turn_angle(u, v) -> float:
    """The angle between vectors u and v in degrees (0 = same direction)."""
    u, v = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
    a, b = u / np.linalg.norm(u), v / np.linalg.norm(v)
    # 2·atan2(|a − b|, |a + b|) is the angle between unit vectors a and b, and unlike
    # acos(a·b) it stays accurate near 0° (where parallel vectors must give exactly ~0).
    return math.degrees(2.0 * math.atan2(np.linalg.norm(a - b), np.linalg.norm(a + b)))


# --------------------------------------------------------------------------- exploding run

EXPLODING = {"hidden_size": 32, "radius": 1.5, "window": 30, "lr": 0.1, "steps": 200,
             "batch_size": 32, "seed": 0}


def _exploding_config(overrides: dict) -> dict:
    unknown = set(overrides) - set(EXPLODING)
    if unknown:
        raise ValueError(
            f"unknown setting(s) {sorted(unknown)}; expected some of {list(EXPLODING)}")
    return {**EXPLODING, **overrides}


def exploding_setup(**overrides):
    """The starting point of :func:`exploding_run`: its initial weights and its data.

    The noisy sine (windows of ``window`` values → the next one, noise and weights both from
    ``seed``), ``init_model(1, H, 1, seed=seed)`` with W_hh rescaled to spectral radius
    ``radius``. The input drive is weak: W_xh ~ U(−1/√H, 1/√H) (std 0.10 at H = 32) on a sine
    of amplitude 1, so few tanh units saturate.

    Returns:
        (params, (x_train, y_train, x_val, y_val)); x is (window, N, 1), y is (N, 1).
    """
    from rnn_helpers.data import sine_dataset
    from rnn_helpers.regressor import init_model

    cfg = _exploding_config(overrides)
    data = sine_dataset(cfg["window"], n_points=1000, seed=cfg["seed"])
    params = init_model(1, cfg["hidden_size"], 1, seed=cfg["seed"])
    params["W_hh"] = with_spectral_radius(params["W_hh"], cfg["radius"])
    return params, data


def exploding_run(clip: tuple | None, *, progress: bool = False, **overrides):
    """Train the scratch RNN on the sine task from a W_hh whose gradients explode.

    The set-up (:data:`EXPLODING`, :func:`exploding_setup`): noisy sine, windows of 30 → the
    next value, H = 32, W_hh rescaled to spectral radius 1.5, plain SGD with lr 0.1, 200 steps
    of 32 windows; ``seed`` fixes the data noise, the initial weights and the batch order.
    Without clipping the gradient norm grows by orders of magnitude within a few dozen steps
    (each large update enlarges W_hh, which enlarges the next gradient) and the run diverges,
    or in a rare seed survives with a model worse than always predicting 0.

    Args:
        clip: None, ("value", limit) or ("norm", max_norm), as ``rnn_helpers.regressor.train``.
        progress: show a progress bar.
        **overrides: change entries of :data:`EXPLODING` (e.g. ``seed=3``).

    Returns:
        (params, history) from ``rnn_helpers.regressor.train`` (divergence is in the history,
        never raised).
    """
    from rnn_helpers.regressor import train

    cfg = _exploding_config(overrides)
    params, (x_train, y_train, x_val, y_val) = exploding_setup(**overrides)
    return train(params, x_train, y_train, steps=cfg["steps"], batch_size=cfg["batch_size"],
                 lr=cfg["lr"], optimizer="sgd", clip=clip, x_val=x_val, y_val=y_val,
                 seed=cfg["seed"], progress=progress)


def zero_guess_mse(**overrides) -> float:
    """Validation MSE of always predicting 0 on :func:`exploding_run`'s task (about 0.5; 0.52
    to 0.57 over seeds 0–19): a run that ends above it has learned nothing useful."""
    _, (_, _, _, y_val) = exploding_setup(**overrides)
    return float(np.mean(y_val**2))


# Always answering 1.0 (the mean of u1 + u2) scores Var(u1 + u2) = 2/12.
CONSTANT_GUESS_MSE = 2.0 / 12.0

ADDING = {"hidden_size": 32, "lr": 1e-2, "batch_size": 128, "clip": 1.0, "steps": 400,
          "n_train": 2560, "n_val": 1000, "seed": 0}


def adding_data(seq_len: int, n_train: int = ADDING["n_train"], n_val: int = ADDING["n_val"],
                seed: int = 0):
    """Training and validation sets of the adding problem: (x_train, y_train, x_val, y_val).

    x is (T, N, 2) (value, marker), y is (N, 1). The two sets use different seeds.
    """
    x_train, y_train = adding_problem(n_train, seq_len, seed=seed)
    x_val, y_val = adding_problem(n_val, seq_len, seed=seed + 10_000)
    return x_train, y_train, x_val, y_val


def train_adding(seq_len: int, *, progress: bool = True, **overrides):
    """Train the plain tanh RNN + linear head on the adding problem of length ``seq_len``.

    Settings (:data:`ADDING`, change any with keyword arguments): hidden size 32, Adam with
    lr 1e-2, batches of 128 from 2560 training sequences, gradient norm clipped at 1,
    400 steps (20 epochs; the validation MSE is measured after each one). ``seed`` (default
    0; notebook 04 passes the course seed) fixes the data, the initial weights and the batch
    order.

    Returns:
        (params, history): ``history.val_loss`` / ``history.val_step`` are the learning curve.
    """
    unknown = set(overrides) - set(ADDING)
    if unknown:
        raise ValueError(f"unknown setting(s) {sorted(unknown)}; expected some of {list(ADDING)}")
    cfg = {**ADDING, **overrides}
    x_train, y_train, x_val, y_val = adding_data(seq_len, cfg["n_train"], cfg["n_val"],
                                                 seed=cfg["seed"])
    params = init_model(2, cfg["hidden_size"], 1, seed=cfg["seed"])
    return train(params, x_train, y_train, steps=cfg["steps"], batch_size=cfg["batch_size"],
                 lr=cfg["lr"], optimizer="adam", clip=("norm", cfg["clip"]),
                 x_val=x_val, y_val=y_val, seed=cfg["seed"], progress=progress)


def input_gradient_norms(params: dict, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """‖∂L/∂x_t‖ for t = 0 … T−1, averaged over the sequences, L the MSE at the last step.

    The loss sits at the last step only, so the gradient reaching input x_t has been
    through T − 1 − t step Jacobians on its way back: this is the distance plot of the
    spectral-radius section, measured on a trained model.

    Args:
        params: a model from :func:`train_adding` (W_xh, W_hh, b_h, W_hy, b_y).
        x: (T, N, D) inputs; y: (N, 1) targets.

    Returns:
        (T,) mean over the N sequences of the norm of ∂L_n/∂x_t (L_n one sequence's loss).
    """
    x = np.asarray(x, dtype=np.float64)
    rnn = {k: params[k] for k in ("W_xh", "W_hh", "b_h")}
    h, cache = rnn_forward(x, None, rnn)
    y_hat, head_cache = linear_forward(h[-1], params)
    # Per-sequence losses (y_hat - y)^2, summed: each sequence's gradient stays its own.
    head = linear_backward(2.0 * (y_hat - y), head_cache)
    dh = np.zeros_like(h)
    dh[-1] = head["h"]
    dx = rnn_backward(dh, cache)["x"]
    return np.linalg.norm(dx, axis=2).mean(axis=1)


# ---------------------------------------------------------------- radius 0, yet exploding


def radius_zero_example(scale: float = 2.0, slope: float = 0.25, T: int = 30) -> dict:
    """A tanh RNN with ρ(W_hh) = 0 whose gradient grows geometrically.

    W_hh = scale·[[1, 1], [−1, −1]] is nilpotent (W_hh² = 0, both eigenvalues 0), so a linear
    RNN forgets everything after two steps. The bias is chosen so that the state
    h* = (0, tanh(a₂)) with tanh'(a₂) = ``slope`` is a fixed point of the tanh RNN with zero
    input: h* = tanh(h* W_hhᵀ + b_h). At that state every step Jacobian is
    J = diag(1, slope)·W_hh, whose eigenvalues are 0 and scale·(1 − slope): with the defaults
    ρ(J) = 1.5 > 1 although ρ(W_hh) = 0 and tanh' ≤ 1. (The fixed point is unstable, since
    ρ(J) > 1, but rounding errors of 1e-16 grow only to ~1e-11 in 30 steps.)

    Args:
        scale: the size of W_hh's entries (‖W_hh‖ = 2·scale).
        slope: tanh' of the second unit at the fixed point, in (0, 1).
        T: the number of time steps run from h*.

    Returns:
        dict with "W_hh" (2, 2), "b_h" (2,), "h_star" (2,), "act_grads" (T, 2) measured along
        the run, "radius_W" and "radius_J" (ρ(W_hh), ρ(diag(1, slope) W_hh)), "linear" and
        "tanh" (T + 1,): ‖∂h_{T-1}/∂h_{T-1-d}‖ of the linear RNN (‖W_hh^d‖) and of this run.
    """
    if not (isinstance(slope, numbers.Real) and 0.0 < slope < 1.0):
        raise ValueError(f"slope: expected a number in (0, 1), got {slope!r}")
    if not (isinstance(scale, numbers.Real) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale: expected a finite number > 0, got {scale!r}")
    check_int("T", T)
    W = scale * np.array([[1.0, 1.0], [-1.0, -1.0]])
    a2 = np.arctanh(np.sqrt(1.0 - slope))          # tanh'(a2) = 1 − tanh²(a2) = slope
    h_star = np.array([0.0, np.tanh(a2)])
    b = np.array([0.0, a2]) - W @ h_star           # a = W_hh h* + b_h = (0, a2)
    params = {"W_xh": np.zeros((2, 1)), "W_hh": W, "b_h": b}
    h, _ = rnn_forward(np.zeros((T, 1, 1)), h_star[None, :], params)
    act_grads = 1.0 - h[:, 0, :] ** 2
    J = np.diag([1.0, slope]) @ W
    return {"W_hh": W, "b_h": b, "h_star": h_star, "act_grads": act_grads,
            "radius_W": spectral_radius(W), "radius_J": spectral_radius(J),
            "linear": jacobian_product_norms(np.ones((T, 2)), W),
            "tanh": jacobian_product_norms(act_grads, W)}


# ---------------------------------------------------------------- the sine run's Jacobians

SATURATED = 0.1  # a unit with tanh'(a) < 0.1 (|h| > 0.95) passes back less than a tenth


def sine_run_jacobians(seed: int = 0, n_windows: int = 32, strong_input: float = 1.0) -> dict:
    """Step Jacobians along :func:`exploding_run`'s first batch, at its
    initial weights (spectral radius 1.5), next to the same W_hh driven by a strong input.

    Args:
        seed: the exploding set-up's seed (data, weights).
        n_windows: how many training windows to run.
        strong_input: input_scale of the comparison (as the "spectral radius" view's tanh curve).

    Returns:
        dict with
        "act_grads" (T, n_windows, H): tanh'(a_t) along the sine windows;
        "saturated": the share of (step, window, unit) with tanh' < :data:`SATURATED`;
        "norms" (n_windows, T + 1): ‖∂h_{T-1}/∂h_{T-1-d}‖ for each window;
        "median" (T + 1,): their median over the windows;
        "strong" (T + 1,): the same W_hh on a strong random input (gradient_norm_vs_distance);
        "strong_saturated": the share of saturated units on that strong input.
    """
    params, (x_train, _, _, _) = exploding_setup(seed=seed)
    if check_int("n_windows", n_windows) > x_train.shape[1]:
        raise ValueError(f"n_windows: expected at most {x_train.shape[1]} (the training windows), "
                         f"got {n_windows}")
    x = x_train[:, :n_windows]
    rnn = {k: params[k] for k in ("W_xh", "W_hh", "b_h")}
    h, _ = rnn_forward(x, None, rnn)
    act_grads = 1.0 - h**2
    norms = np.array([jacobian_product_norms(act_grads[:, b], params["W_hh"])
                      for b in range(x.shape[1])])
    T, H = x.shape[0], params["W_hh"].shape[0]
    # The strong-input trajectory, rebuilt as gradient_norm_vs_distance draws it.
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((T, 1, 1))
    strong_params = {"W_xh": strong_input * rng.standard_normal((H, 1)),
                     "W_hh": params["W_hh"], "b_h": np.zeros(H)}
    hs, _ = rnn_forward(xs, np.zeros((1, H)), strong_params)
    return {"act_grads": act_grads, "saturated": float(np.mean(act_grads < SATURATED)),
            "norms": norms, "median": np.median(norms, axis=0),
            "strong": gradient_norm_vs_distance(params["W_hh"], "tanh", T,
                                                input_scale=strong_input, seed=seed),
            "strong_saturated": float(np.mean(1.0 - hs**2 < SATURATED))}


# --------------------------------------------------------------------------- adding problem: reach


def relative_input_gradients(params: dict, seq_len: int, seed: int = 0,
                             n_sequences: int = 200) -> np.ndarray:
    """‖∂L/∂x_t‖ / ‖∂L/∂x_{T-1}‖ for t = 0 … T−1 on ``n_sequences`` validation sequences of
    the adding problem (:func:`input_gradient_norms`): how much of the
    loss's gradient reaches each input, relative to the last one.

    Returns:
        (seq_len,) ratios; index t is input x_t (distance T − 1 − t from the loss).
    """
    check_int("n_sequences", n_sequences)
    x, y = adding_data(seq_len, n_train=1, n_val=n_sequences, seed=seed)[2:]
    g = input_gradient_norms(params, x, y)
    return g / g[-1]


def reach_at_init(seeds, seq_len: int = 60, hidden_size: int = 32) -> np.ndarray:
    """:func:`relative_input_gradients` of freshly initialised models, one row per seed.

    Returns:
        (len(seeds), seq_len): row i for ``init_model(2, H, 1, seed=seeds[i])`` on the
        validation data of the same seed.
    """
    return np.array([relative_input_gradients(init_model(2, hidden_size, 1, seed=s), seq_len, s)
                     for s in seeds])


# --------------------------------------------------------------------------- clipping over seeds

LEARNED_MSE = 0.1  # a sine run below this validation MSE has learned (zero guess ≈ 0.53)


@dataclass
class ClipSpreadRow:
    """One seed of :func:`clipping_spread`: the exploding run without and with clipping."""

    seed: int
    unclipped: History
    clipped: History
    zero_guess: float

    @property
    def unclipped_failed(self) -> bool:
        """Diverged, or ended worse than always predicting 0."""
        h = self.unclipped
        return h.diverged or h.val_loss[-1] > self.zero_guess

    @property
    def rescued(self) -> bool:
        """The clipped run did not diverge and ends better than always predicting 0."""
        h = self.clipped
        return not h.diverged and h.val_loss[-1] < self.zero_guess

    @property
    def learned(self) -> bool:
        """The clipped run ends below :data:`LEARNED_MSE`."""
        return self.rescued and self.clipped.val_loss[-1] < LEARNED_MSE


def clipping_spread(seeds, clip: tuple = ("norm", 1.0)) -> list[ClipSpreadRow]:
    """:func:`exploding_run` without clipping and with ``clip``, for each
    seed (data, initial weights and batch order all from that seed; spectral radius 1.5).

    Returns:
        one :class:`ClipSpreadRow` per seed, in order.
    """
    rows = []
    for s in seeds:
        rows.append(ClipSpreadRow(int(s), exploding_run(None, seed=s)[1],
                                  exploding_run(clip, seed=s)[1], zero_guess_mse(seed=s)))
    return rows


def exploding_first_gradient(seed: int = 0) -> dict:
    """The gradient of :func:`exploding_run`'s first training step.

    The first mini-batch in the run's order (``shuffled_batches`` from ``seed``, as
    ``rnn_helpers.regressor.train`` draws it) at the initial weights (spectral radius 1.5),
    before any clipping: its global norm is the run's ``history.grad_norm[0]``.

    Returns:
        dict of gradients with the model's keys and shapes (W_xh (32, 1), W_hh (32, 32),
        b_h (32,), W_hy (1, 32), b_y (1,): 1121 entries).
    """
    params, (x_train, y_train, _, _) = exploding_setup(seed=seed)
    n = x_train.shape[1]
    batch = next(shuffled_batches(n, min(EXPLODING["batch_size"], n), seed))
    return loss_and_grads(params, x_train[:, batch], y_train[batch])[1]
