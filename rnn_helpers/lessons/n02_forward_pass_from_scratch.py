"""What notebook 02 computes beyond the scratch layers: where an RNN comes to rest when its
input is zero, and what its bias has to do with it.

With x_t = 0 a step is h_t = act(h_{t-1} W_hh^T + b_h). From h_{-1} = 0 the first state is
exactly act(b_h); after that the recurrent term joins in. If the states settle, they settle
in a **fixed point** h* = act(h* W_hh^T + b_h), which equals act(b_h) only when
h* W_hh^T = 0 (for instance W_hh = 0). For tanh, whose slope is at most 1, the zero-input
step is a contraction when the spectral norm ||W_hh||_2 < 1: then there is exactly one
fixed point and every start converges to it. The condition is sufficient, not necessary:
with ||W_hh||_2 >= 1 there may still be one resting state, but nothing guarantees it, and
two starts that end in the same state only suggest it. A larger W_hh may have several
resting states or none it settles in.

Shapes as in :mod:`rnn_helpers.scratch`: params W_xh (H, D), W_hh (H, H), b_h (H,); the
functions here follow one sequence (B = 1) and return states of shape (H,).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from rnn_helpers.scratch import rnn_forward

__all__ = ["RestingState", "resting_state", "zero_input_states"]


def _start(params, h_start) -> np.ndarray:
    H = np.shape(params["W_hh"])[0]
    if h_start is None:
        return np.zeros((1, H))
    h = np.asarray(h_start, dtype=np.float64)
    if h.shape != (H,):
        raise ValueError(f"h_start: expected shape ({H},) (one state of H = {H} units), "
                         f"got {h.shape}")  # fmt: skip
    return h[None, :]


def zero_input_states(params, T: int, h_start=None, nonlinearity: str = "tanh"):
    """States of one sequence whose every input is zero.

    Inputs:
    - params: W_xh (H, D), W_hh (H, H), b_h (H,)
    - T: how many time steps to run, an int >= 1
    - h_start: the initial state h_{-1}, shape (H,); None: zeros
    - nonlinearity: "tanh", "relu" or "sigmoid"

    Returns the states h_0 ... h_{T-1}, shape (T, H). With h_start = 0 the first
    row is act(b_h) exactly: zero input and zero state leave only the bias.
    """
    if isinstance(T, bool) or not isinstance(T, numbers.Integral) or T < 1:
        raise ValueError(f"T: expected an integer >= 1, got {T!r}")
    D = np.shape(params["W_xh"])[1]
    h, _ = rnn_forward(np.zeros((int(T), 1, D)), _start(params, h_start), params,
                       nonlinearity)  # fmt: skip
    return h[:, 0, :]


@dataclass
class RestingState:
    """Where the zero-input states ended.

    Attributes:
        state: the last state, shape (H,).
        steps: how many steps were run.
        converged: True if one more step moved no unit by more than ``tol``.
    """

    state: np.ndarray
    steps: int
    converged: bool


def resting_state(params, max_steps: int = 1000, tol: float = 1e-12, h_start=None,
                  nonlinearity: str = "tanh") -> RestingState:
    """Run the zero-input RNN until its state stops moving (a fixed point) or max_steps.

    Inputs:
    - params: W_xh (H, D), W_hh (H, H), b_h (H,)
    - max_steps: give up after this many steps (an oscillating or chaotic RNN never settles)
    - tol: "stopped moving" means no unit changed by more than tol in the last step
    - h_start: the initial state h_{-1}, shape (H,); None: zeros

    Returns a :class:`RestingState`. When it converged, state is (to within tol) a fixed
    point h* = act(h* W_hh^T + b_h).
    """
    if isinstance(max_steps, bool) or not isinstance(max_steps, numbers.Integral) or max_steps < 1:
        raise ValueError(f"max_steps: expected an integer >= 1, got {max_steps!r}")
    if not (isinstance(tol, numbers.Real) and tol > 0):
        raise ValueError(f"tol: expected a number > 0, got {tol!r}")
    states = zero_input_states(params, max_steps, h_start, nonlinearity)
    before = np.vstack([_start(params, h_start), states[:-1]])
    moved = np.max(np.abs(states - before), axis=1)
    settled = np.flatnonzero(moved <= tol)
    if settled.size:
        last = int(settled[0])
        return RestingState(states[last].copy(), last + 1, True)
    return RestingState(states[-1].copy(), int(max_steps), False)
