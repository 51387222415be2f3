"""Why gradients vanish or explode in a vanilla RNN: Jacobian products, spectral radius, the cliff.

Notebook 04 computes everything it shows with these functions (pure NumPy, no widgets):

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

Seeds are explicit ``seed=`` arguments (default 0, so tests are reproducible); notebook 04
passes the course seed ``rnn_helpers.SEED``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from rnn_helpers.scratch import clip_by_norm, clip_by_value, rnn_forward
from rnn_helpers.scratch.activations import sigmoid

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
]


# --------------------------------------------------------------------------- spectral radius


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


def gradient_norm_vs_distance(W_hh, nonlinearity: str = "tanh", steps: int = 60, *,
                              input_scale: float = 1.0, seed: int = 0) -> np.ndarray:
    """‖∂h_{T-1}/∂h_{T-1-d}‖ for d = 0 … ``steps`` (= T) along one random input sequence.

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
        steps: T, the number of steps (distances 0 … T).
        input_scale: standard deviation of W_xh's entries (how hard the input drives h).
        seed: seed of the inputs and W_xh (not used for "linear").

    Returns:
        norms: (steps + 1,) spectral norms, index = distance d.
    """
    W = _square("W_hh", W_hh)
    H = W.shape[0]
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"steps: expected an integer >= 1, got {steps!r}")
    if nonlinearity == "linear":
        act_grads = np.ones((steps, H))
    else:
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((steps, 1, 1))
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


def descend_cliff(w0: float, lr: float, n_steps: int, clip: float | None = None,
                  **cliff) -> CliffRun:
    """Plain gradient descent w ← w − lr·g on :func:`cliff_loss_and_grad`, optionally clipped.

    Args:
        w0: start weight; lr: learning rate; n_steps: number of updates.
        clip: None, or a threshold: the gradient goes through ``clip_by_norm`` first (for one
            weight, norm and value clipping are the same: |g| ≤ clip).
        **cliff: passed to :func:`cliff_loss_and_grad` (b, h0, steps, target).
    """
    ws, losses, grads = [float(w0)], [], []
    for _ in range(n_steps + 1):
        loss, g = cliff_loss_and_grad(ws[-1], **cliff)
        losses.append(float(loss))
        grads.append(float(g))
        if len(ws) == n_steps + 1:
            break
        if clip is not None:
            g = clip_by_norm({"w": np.array([g])}, clip)[0]["w"][0]
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
    from rnn_helpers.training import init_model

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
        clip: None, ("value", limit) or ("norm", max_norm), as ``rnn_helpers.training.train``.
        progress: show a progress bar.
        **overrides: change entries of :data:`EXPLODING` (e.g. ``seed=3``).

    Returns:
        (params, history) from ``rnn_helpers.training.train`` (divergence is in the history,
        never raised).
    """
    from rnn_helpers.training import train

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
