"""The smallest recurrence: a one-number memory h_t = a·h_{t-1} + x_t (notebook 00)."""

from __future__ import annotations

import numpy as np


def memory_step(h_prev, x_t, a):
    """One step of the memory: keep a fraction ``a`` of the old state, add the new input.

    Args:
        h_prev: the previous state h_{t-1}, a number or an array.
        x_t: the input at step t, same shape as ``h_prev``.
        a: the memory factor, a number.

    Returns:
        h_t = a * h_prev + x_t, same shape as ``h_prev``.
    """
    return a * h_prev + x_t


def impulse_response(a: float, steps: int = 30) -> np.ndarray:
    """The memory h_t = a·h_{t-1} + x_t for x = (1, 0, 0, ...) and h_{-1} = 0.

    Args:
        a: the memory factor (any real number).
        steps: how many time steps T to compute (T >= 1).

    Returns:
        h: array of shape (T,), h[t] = a**t.
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps: expected an integer >= 1, got {steps!r}")
    if not np.isfinite(a):
        raise ValueError(f"a: expected a finite number, got {a!r}")
    h = np.empty(steps)
    state = 0.0
    for t in range(steps):
        x_t = 1.0 if t == 0 else 0.0
        state = memory_step(state, x_t, a)
        h[t] = state
    return h


def describe_memory(a: float, steps: int = 30) -> str:
    """A plain sentence saying whether the impulse fades, persists or blows up."""
    h = impulse_response(a, steps)
    last = h[-1]
    if np.isclose(abs(a), 1.0):
        return f"a = {a:.2f}: the impulse persists — after {steps} steps h is still {last:.3g}."
    if abs(a) < 1.0:
        if a == 0:
            return "a = 0.00: no memory at all — the impulse is forgotten after one step."
        half_life = np.log(0.5) / np.log(abs(a))
        return (f"a = {a:.2f}: the impulse fades — it halves every {half_life:.1f} steps "
                f"and is {abs(last):.2g} after {steps} steps.")
    return (f"a = {a:.2f}: the memory blows up — after {steps} steps h = {last:.3g}, "
            "growing without bound.")




def check_memory_step(fn) -> bool:
    """Exercise checker: compare a student's ``fn(h_prev, x_t, a)`` with :func:`memory_step`.

    Prints one line ("✓ …" or "✗ not yet: …") and returns True/False; never raises.
    """
    rng = np.random.default_rng(0)
    cases = [(rng.normal(size=n), rng.normal(size=n), float(a))
             for n, a in [(1, 0.5), (3, 1.0), (5, 1.5), (4, 0.0)]]
    for number, (h_prev, x_t, a) in enumerate(cases, start=1):
        try:
            got = fn(h_prev.copy(), x_t.copy(), a)
        except Exception as err:  # the student's bug, reported in words
            print(f"✗ not yet: your function raised {type(err).__name__}: {err}")
            return False
        if got is None:
            print("✗ not yet: your function returned None — fill in the body (and `return` h_t)")
            return False
        expected = memory_step(h_prev, x_t, a)
        got = np.asarray(got, dtype=float)
        if got.shape != expected.shape or not np.allclose(got, expected, rtol=1e-12):
            hint = ""
            if got.shape == expected.shape and np.allclose(got, a * x_t + h_prev):
                hint = " — a multiplies the old state h_prev, not the input"
            print(f"✗ not yet: on case {number} (a = {a}) you returned {np.round(got, 3)}, "
                  f"expected {np.round(expected, 3)}{hint}")
            return False
    print(f"✓ memory_step matches the library on {len(cases)} random cases")
    return True
