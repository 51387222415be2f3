"""Notebook 07's view: the "update gate bias" slider.

:class:`UpdateGateMemoryView`: how much of its initial state a GRU still holds after t
steps, measured on a scratch GRU run (:func:`rnn_helpers.lessons.n07_gru.gru_survival`)
and predicted by z^t with z = sigmoid(b_z).
"""

from __future__ import annotations

import math

import numpy as np

from rnn_helpers.decay import half_life, measured_half_life
from rnn_helpers.lessons.n07_gru import gru_survival
from rnn_helpers.scratch import init_rnn_params
from rnn_helpers.seed import SEED
from rnn_helpers.widgets.base import PALETTE, BlitFigureImage, Message, ViewBox, labelled_slider

__all__ = ["UpdateGateMemoryView", "update_gate_view", "describe_survival"]


def describe_survival(result: dict) -> str:
    """'b_z = 2.00, z ≈ 0.88: half of the memory survives 5.4 steps (z^t predicts 5.5).'"""
    z = float(result["predicted"][0])
    b_z = math.log(z / (1.0 - z)) if 0.0 < z < 1.0 else (math.inf if z >= 1.0 else -math.inf)
    steps = len(result["kept"])
    predicted = half_life(z)
    measured = measured_half_life(result["kept"])
    head = f"update gate bias {b_z:.2f}, z = sigmoid(b_z) ≈ {z:.3f}"
    if math.isfinite(measured):
        n = max(measured, 0.0)
        return (f"{head}: half of the memory survives {n:.1f} steps "
                f"(the prediction z^t says {predicted:.1f}).")
    left = float(result["kept"][-1])
    return (f"{head}: half of the memory survives {predicted:.0f} steps by z^t — longer than "
            f"the {steps} steps run here, after which {left:.0%} is still there.")


class UpdateGateMemoryView:
    """Slider "update gate bias": the fraction of its initial state a GRU keeps after t steps.

    Args:
        b_z: starting value of the update gate's bias.
        steps: how many steps the GRU runs.
        hidden_size, seed: the scratch GRU (``init_rnn_params(1, H, seed, "gru")``) and the
            N(0, 1) inputs it reads (see :func:`rnn_helpers.lessons.n07_gru.gru_survival`);
            seed None means the course seed ``rnn_helpers.SEED``.
    """

    B_MIN, B_MAX = -3.0, 6.0

    def __init__(self, b_z: float = 2.0, steps: int = 80, hidden_size: int = 8,
                 seed: int | None = None):
        self.steps = steps
        self.seed = SEED if seed is None else int(seed)
        self.params = init_rnn_params(1, hidden_size, seed=seed, kind="gru")
        self.slider = labelled_slider("update gate bias", self.B_MIN, self.B_MAX, 0.25, b_z)
        self.figure = BlitFigureImage(figsize=(9.0, 3.4))
        self.message = Message()
        fig = self.figure.fig
        ax_z, ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 2.4]})
        b = np.linspace(self.B_MIN - 0.5, self.B_MAX + 0.5, 200)
        ax_z.plot(b, 1 / (1 + np.exp(-b)), color=PALETTE[7], lw=1.2)
        (self.z_dot,) = ax_z.plot([b_z], [0.5], "o", color=PALETTE[3], ms=8)
        ax_z.set_xlabel("update gate bias b_z")
        ax_z.set_ylabel("z = sigmoid(b_z)\n(share of h kept per step)")
        ax_z.set_ylim(0, 1.02)
        ax_z.set_title("the gate", fontsize=10)
        t = np.arange(0, steps + 1)  # t = 0: no step read yet, all of the initial state is there
        ax.axhline(0.5, color="0.6", lw=0.8, ls="--")
        ax.text(steps, 0.51, "half", color="0.4", ha="right", va="bottom", fontsize=9)
        (self.kept_line,) = ax.plot(t, np.zeros(steps + 1), color=PALETTE[0], lw=2,
                                    label="measured: scratch GRU run")
        (self.pred_line,) = ax.plot(t, np.zeros(steps + 1), color=PALETTE[1], lw=1.6, ls="--",
                                    label="predicted: z^t")
        self.half_marker = ax.axvline(1, color=PALETTE[3], lw=1.2, ls=":",
                                      label="half survives (measured)")
        ax.set_xlim(0, steps)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("steps read, t (t = 0: the initial state h0 = $h_{-1}$)")
        ax.set_ylabel("fraction of h0 still in the state\n(after t steps: in $h_{t-1}$)")
        ax.legend(loc="upper right", fontsize=8, bbox_to_anchor=(1.0, 0.93))
        ax.set_title("how much of the initial state h0 is left after t steps", fontsize=10)
        self.ax = ax
        self.figure.tight()
        self.figure.set_dynamic([self.z_dot, self.kept_line, self.pred_line, self.half_marker])
        self.result: dict = {}
        self.slider.observe(lambda change: self.update(change["new"]), names="value")
        self.update(b_z)
        self.widget = ViewBox([self.slider, self.figure.widget, self.message.widget])

    def update(self, b_z: float) -> None:
        """Re-run the GRU with update-gate bias ``b_z`` and redraw."""
        result = gru_survival(self.params, b_z, self.steps, seed=self.seed)
        self.result = result
        z = float(result["predicted"][0])
        self.z_dot.set_data([b_z], [z])
        self.kept_line.set_ydata(np.concatenate([[1.0], result["kept"]]))
        self.pred_line.set_ydata(np.concatenate([[1.0], result["predicted"]]))
        measured = measured_half_life(result["kept"])
        self.half_marker.set_xdata([measured, measured] if math.isfinite(measured) else [-1, -1])
        self.message.set(describe_survival(result))
        self.figure.render()


def update_gate_view(**kwargs):
    """Build the "update gate bias" view and return its widget (display it in a cell)."""
    return UpdateGateMemoryView(**kwargs).widget
