"""Notebook 04's views: the "spectral radius" slider and the "clip threshold" slider.

- :class:`SpectralRadiusView` rescales one W_hh to the chosen spectral radius and redraws
  ‖∂h_{T-1}/∂h_t‖ over the distance T − 1 − t for a linear RNN and for a tanh RNN driven by a
  strong and by a weak input (analytic: the linear curve is exact from one precomputed
  ‖W^d‖, each tanh curve costs ~10 ms and is cached).
- :class:`ClipView` shows what clipping by value or by norm does to a 2-D gradient vector,
  and trains the scratch RNN from exploding gradients with that clipping (on release,
  with a progress bar, ~0.5 s, cached per (mode, threshold, seed)).

The numbers come from the lesson module of notebook 04; these classes only draw them. Seeds
are explicit arguments (default 0); notebook 04 passes the course seed ``rnn_helpers.SEED``.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Circle, Rectangle
from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator

from rnn_helpers.lessons.n04_vanishing_and_exploding_gradients import (
    LEARNED_MSE,
    clip_vector,
    exploding_run,
    gradient_norm_vs_distance,
    log_slope,
    random_recurrent_weights,
    turn_angle,
    with_spectral_radius,
    zero_guess_mse,
)
from rnn_helpers.widgets.base import (
    PALETTE,
    SLIDER_STYLE,
    BlitFigureImage,
    FigureImage,
    Message,
    ViewBox,
    labelled_selection_slider,
    labelled_slider,
)

__all__ = [
    "SpectralRadiusView",
    "spectral_radius_view",
    "spectral_radius_curves",
    "describe_radius",
    "ClipView",
    "clip_view",
    "CLIP_THRESHOLDS",
    "G_2D",
    "clip_geometry",
    "clipped_run",
    "describe_run",
]

# --------------------------------------------------------------------------- drawing speed


def _plain_log_ticks(axis, exponents) -> None:
    """Fixed decades labelled "1e-8" etc. on a log axis.

    Matplotlib's default log labels are mathtext ($10^{-8}$), parsed again on every render;
    plain labels make a redraw of these views about a third cheaper.
    """
    axis.set_major_locator(FixedLocator([10.0**k for k in exponents]))
    axis.set_major_formatter(FixedFormatter(["1" if k == 0 else f"1e{k}" for k in exponents]))
    axis.set_minor_locator(NullLocator())


def _set_title(ax, text: str, **kwargs) -> None:
    """Set a title at a fixed height: matplotlib then skips re-placing it on every render."""
    ax.set_title(text, y=1.0, pad=6, **kwargs)


# --------------------------------------------------------------------------- spectral radius

HIDDEN_SIZE = 32
DISTANCE = 60
Y_RANGE = (1e-20, 1e12)
STRONG_INPUT = 1.0  # W_xh entries of std 1 on N(0, 1) inputs: many units saturate
# W_xh entries of std 0.1 (the sine run's U(±1/√32) has std 0.10): few units saturate.
WEAK_INPUT = 0.1


class _Curves:
    """One W_hh (spectral radius 1) and the gradient norms it gives at any radius."""

    def __init__(self, hidden_size: int, T: int, seed: int):
        self.W1 = random_recurrent_weights(hidden_size, 1.0, seed=seed)
        self.T, self.seed = T, seed
        # (r W)^d = r^d W^d: the linear curve at any radius is this one times r^d.
        self.linear_at_1 = gradient_norm_vs_distance(self.W1, "linear", T)
        self.tanh_cache: dict[tuple, np.ndarray] = {}

    def at(self, radius: float, input_scale: float) -> tuple[np.ndarray, np.ndarray]:
        d = np.arange(self.T + 1)
        with np.errstate(over="ignore", under="ignore"):
            linear = self.linear_at_1 * float(radius) ** d
        key = (round(float(radius), 6), float(input_scale))
        if key not in self.tanh_cache:
            W = with_spectral_radius(self.W1, radius)
            self.tanh_cache[key] = gradient_norm_vs_distance(
                W, "tanh", self.T, input_scale=input_scale, seed=self.seed)
        return linear, self.tanh_cache[key]


_CURVES: dict[tuple, _Curves] = {}


def spectral_radius_curves(radius: float, hidden_size: int = HIDDEN_SIZE,
                           T: int = DISTANCE, seed: int = 0,
                           input_scale: float = STRONG_INPUT):
    """‖∂h_{T-1}/∂h_{T-1-d}‖ for d = 0 … T, for a linear and a tanh RNN with ρ(W_hh) = radius.

    Both RNNs share one random W_hh (seeded), rescaled to the radius; the tanh one runs on a
    random input sequence whose weights W_xh have standard deviation ``input_scale`` (see
    the lesson's ``gradient_norm_vs_distance``): :data:`STRONG_INPUT` saturates many units,
    :data:`WEAK_INPUT` few.

    Returns:
        (linear, tanh): two arrays of shape (T + 1,).
    """
    if not (isinstance(radius, int | float) and math.isfinite(radius) and radius > 0):
        raise ValueError(f"radius: expected a number > 0, got {radius!r}")
    if not (isinstance(input_scale, int | float) and math.isfinite(input_scale)
            and input_scale >= 0):
        raise ValueError(f"input_scale: expected a number >= 0, got {input_scale!r}")
    key = (hidden_size, T, seed)
    if key not in _CURVES:
        _CURVES[key] = _Curves(hidden_size, T, seed)
    return _CURVES[key].at(radius, input_scale)


def _per_step(norms) -> float:
    """The factor per step of a fitted geometric trend (10 ** slope of log10 norm)."""
    return 10 ** log_slope(norms)


def describe_radius(radius: float, linear, tanh, weak=None) -> str:
    """A sentence: how the gradient changes per step and after the full distance.

    ``tanh`` is the strong-input tanh curve, ``weak`` (optional) the weak-input one.
    """
    steps = len(linear) - 1
    q_lin, q_tanh = _per_step(linear), _per_step(tanh)
    if abs(radius - 1.0) < 1e-9:
        fate = "neither vanishes nor explodes"
    elif radius < 1.0:
        fate = "vanishes"
    else:
        fate = "explodes"
    text = (f"spectral radius {radius:.2f}: in a linear RNN the gradient {fate} "
            f"(×{q_lin:.2f} per step, {linear[-1]:.1e} after {steps} steps); "
            f"with tanh and a strong input (saturated units) it is ×{q_tanh:.2f} per step "
            f"({tanh[-1]:.1e})")
    if weak is None:
        return text + "."
    return (text + f"; with tanh and a weak input (few saturated units) ×{_per_step(weak):.2f}"
            f" per step ({weak[-1]:.1e}): tanh damps strongly where its units saturate and only"
            f" a little near a = 0, where its small factors tanh′ < 1 still compound.")


class SpectralRadiusView:
    """Slider "spectral radius" (0.5 … 1.5) and ‖∂h_{T-1}/∂h_t‖ over the distance, log scale:
    the linear RNN, and the tanh RNN on a strong and on a weak input."""

    def __init__(self, radius: float = 0.9, hidden_size: int = HIDDEN_SIZE,
                 T: int = DISTANCE, seed: int = 0):
        self.hidden_size, self.T, self.seed = hidden_size, T, seed
        self.slider = labelled_slider("spectral radius", 0.5, 1.5, 0.05, radius)
        # Only the two curves, the title and the legend above them change: blit them.
        self.figure = BlitFigureImage(figsize=(6.8, 3.6))
        self.message = Message()
        ax = self.figure.fig.subplots()
        d = np.arange(T + 1)
        ax.axhline(1.0, color="0.6", lw=0.8, ls="--")
        ax.text(T, 1.5, "gradient arriving at the last state $h_{T-1}$", color="0.4",
                ha="right", va="bottom", fontsize=9)
        (self.linear_line,) = ax.plot(d, np.ones(T + 1), "--", color=PALETTE[1], lw=2,
                                      label="linear RNN: ‖W_hh^d‖")
        (self.tanh_line,) = ax.plot(d, np.ones(T + 1), "-", color=PALETTE[0], lw=2,
                                    label="tanh RNN, strong input: ‖∏ diag(tanh′)·W_hh‖")
        (self.weak_line,) = ax.plot(d, np.ones(T + 1), ":", color=PALETTE[2], lw=2.2,
                                    label=f"tanh RNN, weak input ({WEAK_INPUT:g})")
        ax.set_yscale("log")
        ax.set_ylim(*Y_RANGE)
        _plain_log_ticks(ax.yaxis, range(-20, 13, 4))
        ax.set_xlim(0, T)
        ax.set_xlabel("distance d = T − 1 − t (steps back from the last state)")
        ax.set_ylabel("‖∂$h_{T-1}$/∂$h_t$‖ (log scale)")
        ax.legend(loc="lower left", fontsize=9)
        _set_title(ax, f"H = {hidden_size}, spectral radius ρ(W_hh) = 0.00")
        self.figure.tight()
        self.figure.set_dynamic([self.linear_line, self.tanh_line, self.weak_line, ax.title,
                                 ax.get_legend()])
        self.ax = ax
        self.slider.observe(lambda change: self.update(change["new"]), names="value")
        self.update(radius)
        self.widget = ViewBox([self.slider, self.figure.widget, self.message.widget])

    def update(self, radius: float) -> None:
        """Redraw both curves and the sentence for spectral radius ``radius``."""
        radius = float(radius)
        linear, tanh = spectral_radius_curves(radius, self.hidden_size, self.T, self.seed)
        _, weak = spectral_radius_curves(radius, self.hidden_size, self.T, self.seed,
                                         input_scale=WEAK_INPUT)
        # Values beyond the axes are clamped so the line leaves the plot instead of vanishing.
        lo, hi = Y_RANGE[0] / 10, Y_RANGE[1] * 10
        self.linear_line.set_ydata(np.clip(linear, lo, hi))
        self.tanh_line.set_ydata(np.clip(tanh, lo, hi))
        self.weak_line.set_ydata(np.clip(weak, lo, hi))
        _set_title(self.ax, f"H = {self.hidden_size}, spectral radius ρ(W_hh) = {radius:.2f}")
        self.message.set(describe_radius(radius, linear, tanh, weak),
                         "warn" if radius > 1.0 + 1e-9 else "info")
        self.figure.render()


def spectral_radius_view(radius: float = 0.9, seed: int = 0):
    """Build the "spectral radius" view and return its widget (display it in a cell)."""
    return SpectralRadiusView(radius, seed=seed).widget


# --------------------------------------------------------------------------- clipping

# The "clip threshold" positions: decades from tiny to huge, and no clipping at the end.
CLIP_THRESHOLDS = [("0.0001", 1e-4), ("0.001", 1e-3), ("0.01", 1e-2), ("0.1", 0.1),
                   ("0.3", 0.3), ("1", 1.0), ("3", 3.0), ("10", 10.0), ("100", 100.0),
                   ("off (no clipping)", math.inf)]
G_2D = np.array([3.0, 1.0])  # the 2-D gradient the geometry panel clips

_RUNS: dict[tuple, object] = {}


def clip_geometry(threshold: float, mode: str, g=G_2D) -> tuple[np.ndarray, float]:
    """The 2-D gradient ``g`` after clipping, and the angle in degrees it was turned by.

    threshold = inf means no clipping (the vector comes back unchanged, angle 0).
    """
    g = np.asarray(g, dtype=np.float64)
    clipped = g.copy() if math.isinf(threshold) else clip_vector(g, threshold, mode)
    return clipped, turn_angle(g, clipped)


def _clip_arg(mode: str, threshold: float):
    if mode not in ("value", "norm"):
        raise ValueError(f"mode: expected 'value' or 'norm', got {mode!r}")
    return None if math.isinf(threshold) else (mode, float(threshold))


def _run_key(clip, seed: int) -> tuple:
    return (clip or ("off",), int(seed))


def clipped_run(mode: str, threshold: float, *, seed: int = 0, progress: bool = False):
    """The training history of the lesson's ``exploding_run`` with this clipping.

    Cached per (mode, threshold, seed) for the session: a second call is instant.
    threshold = inf trains without clipping (the same run for both modes).
    """
    clip = _clip_arg(mode, threshold)
    key = _run_key(clip, seed)
    if key not in _RUNS:
        _RUNS[key] = exploding_run(clip, progress=progress, seed=int(seed))[1]
    return _RUNS[key]


def describe_run(history, baseline: float | None = None,
                 learned_below: float = LEARNED_MSE) -> str:
    """A sentence on how a training run ended: diverged, ruined (worse than ``baseline``,
    always predicting 0), barely better than it, partly learned, or learned (validation MSE
    below ``learned_below``, the notebook's :data:`LEARNED_MSE`)."""
    if history.diverged:
        return f"diverged at step {history.diverged_at_step} ({history.reason})."
    val = history.val_loss[-1]
    if baseline is not None and val > baseline:
        return (f"ran {history.steps} steps but learned nothing useful: validation MSE "
                f"{val:.3g}, worse than always predicting 0 ({baseline:.2f}).")
    if baseline is not None and val > 0.5 * baseline:
        return (f"barely learned: validation MSE {val:.3g} after {history.steps} steps, not "
                f"much better than always predicting 0 ({baseline:.2f}); the steps are too small.")
    if val >= learned_below:
        return (f"partly learned: validation MSE {val:.3g} after {history.steps} steps, better "
                f"than always predicting 0 but above {learned_below:g}, where a run counts as "
                f"having learned the sine.")
    return f"learned: validation MSE {val:.3g} after {history.steps} steps."


class ClipView:
    """ToggleButtons "clipping" (norm / value) and SelectionSlider "clip threshold".

    Left: a 2-D gradient g = (3, 1) before (grey) and after clipping (colour), with the
    region clipping keeps it in (a circle of radius c for norm clipping, the square
    [−c, c]² for value clipping). Right: the training loss of the scratch RNN started from
    exploding gradients (the lesson's ``exploding_run``) with this clipping,
    and the unclipped run for reference.
    """

    def __init__(self, mode: str = "norm", threshold: float = 1.0, *, seed: int = 0,
                 progress: bool = True):
        self.progress, self.seed = progress, int(seed)
        self.toggle = widgets.ToggleButtons(options=["norm", "value"], value=mode,
                                            description="clipping",
                                            style=SLIDER_STYLE)
        self.slider = labelled_selection_slider("clip threshold", CLIP_THRESHOLDS, threshold,
                                                continuous_update=False)
        self.figure = FigureImage(figsize=(9.0, 3.6))
        self.message = Message()
        self.output = widgets.Output()  # the progress bar of a training run appears here
        ax_g, ax_t = self.figure.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.4]})

        # Geometry panel.
        ax_g.set_aspect("equal")
        ax_g.set_xlim(-0.7, 3.6)
        ax_g.set_ylim(-0.7, 2.2)
        ax_g.axhline(0, color="0.8", lw=0.8)
        ax_g.axvline(0, color="0.8", lw=0.8)
        self.circle = Circle((0, 0), 1.0, fc=PALETTE[5], ec=PALETTE[5], alpha=0.25)
        self.square = Rectangle((-1, -1), 2, 2, fc=PALETTE[5], ec=PALETTE[5], alpha=0.25)
        ax_g.add_patch(self.circle)
        ax_g.add_patch(self.square)
        ax_g.annotate("", xy=G_2D, xytext=(0, 0),
                      arrowprops={"arrowstyle": "-|>", "color": "0.55", "lw": 2})
        ax_g.text(G_2D[0], G_2D[1] + 0.12, "g = (3, 1)", color="0.4", ha="right", fontsize=9)
        self.arrow = ax_g.annotate("", xy=G_2D, xytext=(0, 0), arrowprops={
            "arrowstyle": "-|>", "color": PALETTE[3], "lw": 2.5})
        (self.tip,) = ax_g.plot([G_2D[0]], [G_2D[1]], "o", color=PALETTE[3], ms=4)
        # The clipped step's direction, drawn as long as g: visible however short the step.
        (self.ray,) = ax_g.plot([0, G_2D[0]], [0, G_2D[1]], ":", color=PALETTE[3], lw=1.5,
                                label="direction after clipping")
        ax_g.legend(loc="upper left", fontsize=8)
        ax_g.set_xlabel("gradient component 1")
        ax_g.set_ylabel("component 2")
        _set_title(ax_g, "value clipping at 0.0001: turned 00.0°", fontsize=10)

        # Training panel.
        ax_t.set_yscale("log")
        ax_t.set_ylim(1e-3, 1e7)
        _plain_log_ticks(ax_t.yaxis, range(-3, 8, 2))
        ax_t.set_xlim(0, 200)
        (self.ref_line,) = ax_t.plot([], [], color="0.6", lw=1.2, label="no clipping")
        (self.ref_end,) = ax_t.plot([], [], "x", color="0.3", ms=9, mew=2)
        (self.run_line,) = ax_t.plot([], [], color=PALETTE[0], lw=1.2, label="this clipping")
        (self.run_end,) = ax_t.plot([], [], "x", color=PALETTE[3], ms=11, mew=2.5)
        ax_t.set_xlabel("training step (SGD, lr 0.1, batch 32)")
        ax_t.set_ylabel("training MSE (log scale)")
        ax_t.legend(loc="upper right", fontsize=9)
        _set_title(ax_t, "sine task from W_hh with spectral radius 1.5", fontsize=10)
        self.figure.tight()
        self.ax_g, self.ax_t = ax_g, ax_t

        self.toggle.observe(lambda change: self.update(), names="value")
        self.slider.observe(lambda change: self.update(), names="value")
        self.update()
        self.widget = ViewBox([self.toggle, self.slider, self.figure.widget,
                                    self.message.widget, self.output])

    def _train(self, mode: str, threshold: float):
        clip = _clip_arg(mode, threshold)
        if _run_key(clip, self.seed) in _RUNS or not self.progress:
            return clipped_run(mode, threshold, seed=self.seed)
        self.output.clear_output(wait=True)
        with self.output:
            return clipped_run(mode, threshold, seed=self.seed, progress=True)

    def update(self) -> None:
        """Redraw the geometry and the training run for the current mode and threshold."""
        mode, c = self.toggle.value, float(self.slider.value)
        clipped, angle = clip_geometry(c, mode)
        self.circle.set_visible(mode == "norm" and not math.isinf(c))
        self.square.set_visible(mode == "value" and not math.isinf(c))
        if not math.isinf(c):
            self.circle.set_radius(c)
            self.square.set_bounds(-c, -c, 2 * c, 2 * c)
        self.arrow.xy = tuple(clipped)
        self.tip.set_data([clipped[0]], [clipped[1]])
        direction = clipped / np.linalg.norm(clipped) * np.linalg.norm(G_2D)
        self.ray.set_data([0, direction[0]], [0, direction[1]])
        label = "no clipping" if math.isinf(c) else f"{mode} clipping at {c:g}"
        _set_title(self.ax_g, f"{label}: turned {angle:.1f}°", fontsize=10)

        reference = self._train(mode, math.inf)
        history = self._train(mode, c)
        for line, end, h in ((self.ref_line, self.ref_end, reference),
                             (self.run_line, self.run_end, history)):
            loss = np.asarray(h.train_loss, dtype=float)
            shown = np.clip(np.nan_to_num(loss, nan=1e8, posinf=1e8), 1e-4, 1e8)
            line.set_data(np.arange(loss.size), shown)
            if h.diverged:
                end.set_data([loss.size - 1], [min(shown[-1], 5e6)])
            else:
                end.set_data([], [])
        baseline = zero_guess_mse(seed=self.seed)
        geometry = ("no clipping: the gradient is used as it is"
                    if math.isinf(c) else
                    f"{mode} clipping at {c:g} turns g = (3, 1) by {angle:.1f}°")
        kind = "warn" if history.diverged or history.val_loss[-1] > baseline else "info"
        self.message.set(f"{geometry}. Training run: {describe_run(history, baseline)}", kind)
        self.figure.render()


def clip_view(mode: str = "norm", threshold: float = 1.0, seed: int = 0):
    """Build the "clip threshold" view and return its widget (display it in a cell)."""
    return ClipView(mode, threshold, seed=seed).widget
