"""The course seed: one number, read from ``RNN_COURSE_SEED``, that every random choice
of the course derives from.

Every stochastic cell and library default uses ``SEED``, ``SEED + 1``, … so an instructor
who sets ``RNN_COURSE_SEED=3`` before starting JupyterLab reruns the whole course on other
data and other initial weights. Models compared in one experiment share a seed. The
committed notebooks were run with the default, 0.
"""

from __future__ import annotations

import os

ENV_VAR = "RNN_COURSE_SEED"


def course_seed(environ=os.environ) -> int:
    """The course seed from ``RNN_COURSE_SEED`` (default 0); a non-integer is a ValueError."""
    text = environ.get(ENV_VAR, "0").strip() or "0"
    try:
        seed = int(text)
    except ValueError:
        raise ValueError(
            f"{ENV_VAR} must be a whole number >= 0 such as 0 or 3, got {text!r}"
        ) from None
    if seed < 0:
        raise ValueError(f"{ENV_VAR} must be a whole number >= 0, got {seed}")
    return seed


SEED = course_seed()
