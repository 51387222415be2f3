"""What a training run records, the same for the NumPy loop and the torch loop.

``History`` is filled by :func:`rnn_helpers.train.train_numpy` and
:func:`rnn_helpers.train.train_torch`; ``parse_clip`` reads the one clipping argument both
loops take: ``None``, ``("norm", max_norm)`` or ``("value", limit)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rnn_helpers.validate import check_positive

CLIP_MODES = ("norm", "value")


@dataclass
class History:
    """What happened during one training run.

    Attributes:
        train_step: the update (1, 2, …) after which each ``train_loss`` entry was taken.
        train_loss: per update, the mini-batch loss *before* that update.
        grad_norm: per update, the global gradient norm before clipping.
        val_step: the number of updates done when each validation entry was measured
            (0 = before training).
        val: {metric name: values at ``val_step``}; "loss" is the validation loss, other
            names (e.g. "accuracy") are whatever the run's evaluate function returned.
        steps: number of optimiser updates applied.
        seconds: wall-clock time of the run (validation included).
        diverged: True if a loss, gradient or parameter went NaN/inf (or a loss passed the
            run's divergence threshold); the run stopped there, nothing was raised.
        diverged_at_step: the 0-based step at which that was seen, else None. No update
            was applied at that step.
        reason: a plain sentence saying why the run diverged, else None.
    """

    train_step: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    val_step: list[int] = field(default_factory=list)
    val: dict[str, list[float]] = field(default_factory=dict)
    steps: int = 0
    seconds: float = 0.0
    diverged: bool = False
    diverged_at_step: int | None = None
    reason: str | None = None

    @property
    def val_loss(self) -> list[float]:
        """The validation loss at each ``val_step`` (empty without validation)."""
        return self.val.get("loss", [])

    @property
    def val_rmse(self) -> list[float]:
        """The square root of each validation loss: for an MSE, the error in the targets'
        units."""
        return [math.sqrt(v) for v in self.val_loss]

    @property
    def final_val_loss(self) -> float:
        """The last validation loss (NaN if there is none)."""
        return self.val_loss[-1] if self.val_loss else math.nan

    def record_val(self, step: int, metrics: dict[str, float]) -> None:
        """Append one validation measurement taken after ``step`` updates."""
        self.val_step.append(step)
        for name, value in metrics.items():
            self.val.setdefault(name, []).append(float(value))

    def stop(self, step: int, reason: str) -> None:
        """Record that the run diverged at ``step`` and why."""
        self.diverged, self.diverged_at_step, self.reason = True, step, reason


def parse_clip(clip) -> tuple[str, float] | None:
    """Check the clipping argument: None, ("norm", max_norm) or ("value", limit).

    Returns it as (mode, threshold) with a float threshold > 0, or None.
    """
    if clip is None:
        return None
    if not isinstance(clip, tuple | list) or len(clip) != 2 or clip[0] not in CLIP_MODES:
        raise ValueError(f'clip: expected None, ("norm", max_norm) or ("value", limit), '
                         f"got {clip!r}")
    return clip[0], check_positive(f"clip[1] ({clip[0]} threshold)", clip[1])
