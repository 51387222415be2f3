"""Notebook 00: the smallest recurrence, a one-number memory h_t = a·h_{t-1} + x_t, and the
environment check (which packages are here)."""

from __future__ import annotations

import importlib
import platform

import numpy as np

from rnn_helpers.decay import half_life
from rnn_helpers.validate import check_int, check_real

PACKAGES = ["numpy", "torch", "matplotlib", "ipywidgets", "tqdm"]
INSTALL_HINT = "pip install -r requirements.txt  (from the course folder, then restart JupyterLab)"


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


def impulse_response(a: float, T: int = 30) -> np.ndarray:
    """The memory h_t = a·h_{t-1} + x_t for x = (1, 0, 0, ...) and h_{-1} = 0.

    Args:
        a: the memory factor (any finite real number).
        T: how many time steps to compute (T >= 1).

    Returns:
        h: array of shape (T,), h[t] = a**t.
    """
    T, a = check_int("T", T), check_real("a", a)
    h = np.empty(T)
    state = 0.0
    for t in range(T):
        x_t = 1.0 if t == 0 else 0.0
        state = memory_step(state, x_t, a)
        h[t] = state
    return h


def describe_memory(a: float, T: int = 30) -> str:
    """A plain sentence saying whether the impulse fades, persists or blows up."""
    h = impulse_response(a, T)
    last = h[-1]
    if np.isclose(abs(a), 1.0):
        return f"a = {a:.2f}: the impulse persists — after {T} steps h is still {last:.3g}."
    if abs(a) < 1.0:
        if a == 0:
            return "a = 0.00: no memory at all — the impulse is forgotten after one step."
        return (f"a = {a:.2f}: the impulse fades — it halves every {half_life(abs(a)):.1f} "
                f"steps and is {abs(last):.2g} after {T} steps.")
    return (f"a = {a:.2f}: the memory blows up — after {T} steps h = {last:.3g}, "
            "growing without bound.")


def package_versions(packages=PACKAGES) -> dict[str, str | None]:
    """{package: version} for Python and each package; None where it cannot be imported."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = importlib.import_module(name).__version__
        except ImportError:
            versions[name] = None
    return versions


def environment_report(packages=PACKAGES) -> list[str]:
    """Print one line per package and what to do about any that is missing.

    Returns:
        the names of the missing packages (empty when all is well).
    """
    versions = package_versions(packages)
    missing = [name for name, version in versions.items() if version is None]
    for name, version in versions.items():
        shown = version if version is not None else f"MISSING — install it: {INSTALL_HINT}"
        print(f"{name:<11} {shown}")
    if "ipywidgets" in missing:
        print("Without ipywidgets the sliders of this course cannot appear. " + INSTALL_HINT)
    if not missing:
        print("All set: every package the course needs is here.")
    return missing
