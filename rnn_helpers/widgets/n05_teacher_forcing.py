"""Notebook 05's view: the "teacher forcing ratio" slider (a fixed mix of teacher forcing and
free running: scheduled sampling without the schedule).

On release the slider trains the next-value RNN with that ratio (~1 s, with a progress bar;
cached per ratio, shared with the notebook's table) and shows, next to the teacher-forced
model (ratio 1) for reference, a closed-loop prediction of one validation stretch and the
closed-loop RMSE over the horizon. The numbers come from the lesson module
(:mod:`rnn_helpers.lessons.n05_teacher_forcing`).
Every model and the plotted stretch use one seed (``seed``; the notebook passes the course
seed ``rnn_helpers.SEED``).
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from rnn_helpers.lessons.n05_teacher_forcing import (
    CHAOTIC_UP_TO,
    SETUP,
    closed_loop_predict,
    ratio_result,
    sine_task,
)
from rnn_helpers.widgets.base import PALETTE, FigureImage, Message, ViewBox, labelled_slider

__all__ = ["TeacherForcingView", "teacher_forcing_view", "example_stretch", "describe_ratio"]

EXAMPLE_START = 100  # where in the validation part the plotted example begins
HORIZON = 30


def example_stretch(start: int = EXAMPLE_START, context: int | None = None,
                    horizon: int = HORIZON, seed: int = 0):
    """One validation stretch of ``sine_task(seed=seed)``: (context (K, 1, 1) noisy values,
    clean truth (horizon,))."""
    task = sine_task(seed=seed)
    K = SETUP["warmup"] if context is None else context
    ctx = task.val[start:start + K][:, None, None]
    truth = task.val_clean[start + K:start + K + horizon]
    return ctx, truth


def describe_ratio(result, reference) -> str:
    """A sentence comparing the model trained at ``result.ratio`` with teacher forcing."""
    r = result.ratio
    if result.diverged:
        return (f"teacher forcing ratio {r:.2f}: training diverged at step "
                f"{result.history.diverged_at_step}; nothing to predict with.")
    if r == 1.0:
        how = "always read the truth in training (teacher forcing)"
    elif r == 0.0:
        how = "always read its own guesses after the warm-up (free running)"
    else:
        how = f"read the truth {100 * r:.0f}% of the time, else its own guess"
    sentence = (f"teacher forcing ratio {r:.2f}: the model {how}. Closed-loop RMSE over "
                f"{len(result.closed_loop)} steps: {result.mean_closed_loop:.3f} "
                f"(teacher forcing: {reference.mean_closed_loop:.3f}); one-step RMSE "
                f"{result.one_step:.3f} ({reference.one_step:.3f}).")
    if r <= CHAOTIC_UP_TO:
        sentence += (f" Training at ratios up to {CHAOTIC_UP_TO:g} was chaotic in some seeds "
                     "(at 0, 0.1 and 0.2 in every seed measured): a rounding-sized change "
                     "gave another model, so this run's numbers may differ on another "
                     "machine.")
    return sentence


class TeacherForcingView:
    """Slider "teacher forcing ratio" (0 … 1): trains on release, then plots."""

    def __init__(self, ratio: float = 0.5, *, seed: int = 0, progress: bool = True):
        self.progress = progress
        self.seed = seed
        self.slider = labelled_slider("teacher forcing ratio", 0.0, 1.0, 0.05, ratio,
                                      continuous_update=False)
        self.figure = FigureImage(figsize=(9.0, 3.5))
        self.message = Message()
        self.output = widgets.Output()  # the training progress bar appears here
        self.context, self.truth = example_stretch(seed=seed)
        K = self.context.shape[0]
        ax_p, ax_e = self.figure.fig.subplots(1, 2)
        steps_ctx = np.arange(-K + 1, 1)
        steps_pred = np.arange(1, HORIZON + 1)
        ax_p.plot(steps_ctx, self.context[:, 0, 0], "o", color="0.45", ms=3.5,
                  label="context read (noisy)")
        ax_p.plot(steps_pred, self.truth, "-", color=PALETTE[7], lw=1.2, label="true sine")
        (self.ref_pred,) = ax_p.plot(steps_pred, np.zeros(HORIZON), "--", color=PALETTE[0],
                                     lw=1.5, label="teacher forcing (ratio 1)")
        (self.pred,) = ax_p.plot(steps_pred, np.zeros(HORIZON), "-", color=PALETTE[3], lw=2,
                                 label="this ratio")
        ax_p.axvline(0.5, color="0.8", lw=0.8)
        ax_p.set_ylim(-1.8, 1.8)
        ax_p.set_xlabel("step (≤ 0: context, ≥ 1: closed loop)")
        ax_p.set_ylabel("value")
        ax_p.legend(loc="lower left", fontsize=8, ncol=2)
        ax_p.set_title("closed-loop prediction of one stretch", y=1.0, pad=6, fontsize=10)

        (self.ref_err,) = ax_e.plot(steps_pred, np.zeros(HORIZON), "--", color=PALETTE[0],
                                    lw=1.5, label="teacher forcing (ratio 1)")
        (self.err,) = ax_e.plot(steps_pred, np.zeros(HORIZON), "-", color=PALETTE[3], lw=2,
                                label="this ratio")
        ax_e.set_xlim(1, HORIZON)
        ax_e.set_ylim(0, 0.8)
        ax_e.set_xlabel("horizon: steps predicted from own guesses")
        ax_e.set_ylabel("RMSE vs the true sine")
        ax_e.legend(loc="upper left", fontsize=8)
        ax_e.set_title("error over all validation stretches", y=1.0, pad=6, fontsize=10)
        self.figure.tight()
        self.ax_p, self.ax_e = ax_p, ax_e
        self.slider.observe(lambda change: self.update(change["new"]), names="value")
        self.update(ratio)
        self.widget = ViewBox([self.slider, self.figure.widget, self.message.widget,
                                    self.output])

    def _result(self, ratio: float):
        if not self.progress:
            return ratio_result(ratio, seed=self.seed, progress=False)
        self.output.clear_output(wait=True)
        with self.output:
            return ratio_result(ratio, seed=self.seed, progress=True)

    def update(self, ratio: float) -> None:
        """Train (or fetch) the model for ``ratio`` and redraw both panels and the sentence."""
        ratio = float(ratio)
        reference = self._result(1.0)
        result = self._result(ratio)
        for res, line_p, line_e in ((reference, self.ref_pred, self.ref_err),
                                    (result, self.pred, self.err)):
            pred = closed_loop_predict(res.params, self.context, HORIZON)[:, 0, 0]
            line_p.set_ydata(np.clip(np.nan_to_num(pred, nan=9.0), -9, 9))
            line_e.set_ydata(np.clip(np.nan_to_num(res.closed_loop, nan=9.0), 0, 9))
        self.ax_e.set_title(f"ratio {ratio:.2f}: mean closed-loop RMSE "
                            f"{result.mean_closed_loop:.3f}", y=1.0, pad=6, fontsize=10)
        kind = "warn" if result.diverged or result.ratio <= CHAOTIC_UP_TO or \
            result.mean_closed_loop > reference.mean_closed_loop else "info"
        self.message.set(describe_ratio(result, reference), kind)
        self.figure.render()


def teacher_forcing_view(ratio: float = 0.5, seed: int = 0):
    """Build the "teacher forcing ratio" view for models trained with ``seed`` and return
    its widget (display it in a cell)."""
    return TeacherForcingView(ratio, seed=seed).widget
