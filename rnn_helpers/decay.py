"""How fast a memory fades: the half-life of a quantity multiplied by the same factor z at
every step (notebook 00's one-number memory, notebook 07's update gate)."""

from __future__ import annotations

import math

import numpy as np

from rnn_helpers.validate import check_real


def half_life(z: float) -> float:
    """Steps t after which z**t = 1/2: ln(1/2) / ln(z). inf for z >= 1, 0 for z <= 0."""
    z = check_real("z", z)
    if z >= 1.0:
        return math.inf
    if z <= 0.0:
        return 0.0
    return math.log(0.5) / math.log(z)


def measured_half_life(kept) -> float:
    """Steps after which a measured survival curve first drops to 1/2.

    ``kept[t-1]`` is the fraction left after t steps, and the curve starts from 1 at t = 0.
    Between two steps the crossing is interpolated on a log scale (exact for a curve z^t).
    Returns inf if the curve never reaches 1/2.
    """
    kept = np.asarray(kept, dtype=np.float64)
    if kept.ndim != 1 or kept.size == 0:
        raise ValueError(f"kept: expected a 1-D array of at least one value, got {kept.shape}")
    curve = np.concatenate([[1.0], kept])
    below = np.flatnonzero(curve <= 0.5)
    if below.size == 0:
        return math.inf
    t = int(below[0])  # curve[t] <= 1/2 < curve[t-1]
    lo, hi = max(curve[t], 1e-300), curve[t - 1]
    return (t - 1) + math.log(hi / 0.5) / math.log(hi / lo)
