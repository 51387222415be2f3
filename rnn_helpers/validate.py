"""Argument checks for the whole library, in one message style.

A bad argument raises ``ValueError`` (wrong value or shape) or :class:`ArgumentTypeError`
(wrong kind of object; it is both a ``TypeError`` and a ``ValueError``) whose message reads
``"<name>: expected <what>, got <value>"``, so a student sees which argument to fix and
how. Checks run once on entry, then plain NumPy runs with no further checks (validation
must stay cheap: it runs inside training loops). Nothing is broadcast silently: a (H,)
state where (B, H) is expected is an error. Only NumPy is needed, so the scratch layers use
these checks too.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong kind (a float where an int is needed, a string for a number).

    It is a ``TypeError`` and, since most callers of a course function only know to catch
    ``ValueError`` for a bad argument, a ``ValueError`` too."""


def _kind(value) -> str:
    return f"{type(value).__name__} {value!r}"


def check_int(name: str, value, minimum: int = 1) -> int:
    """``value`` as an int if it is an integer >= ``minimum`` (bool is refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(f"{name}: expected an integer >= {minimum}, got {_kind(value)}")
    if value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def check_real(name: str, value, minimum: float | None = None, *, strict: bool = False) -> float:
    """``value`` as a float if it is a finite real number (>= ``minimum``, or > with strict)."""
    what = "a finite number"
    if minimum is not None:
        what += f" {'>' if strict else '>='} {minimum:g}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"{name}: expected {what}, got {_kind(value)}")
    too_small = minimum is not None and (value < minimum or (strict and value == minimum))
    if not math.isfinite(value) or too_small:
        raise ValueError(f"{name}: expected {what}, got {value!r}")
    return float(value)


def check_positive(name: str, value) -> float:
    """``value`` as a float if it is a finite number > 0 (a learning rate, a clip limit)."""
    return check_real(name, value, 0.0, strict=True)


def check_choice(name: str, value, options):
    """``value`` itself if it is one of ``options``."""
    if value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name}: expected one of {listed}, got {value!r}")
    return value


# --------------------------------------------------------------------------- arrays


def shape_str(shape):
    """Format a shape the way NumPy prints it: (5, 3), (4,)."""
    return str(tuple(int(n) for n in shape))


def as_float_array(name, value):
    """Return ``value`` as a float64 ndarray, or raise TypeError naming ``name``.

    float64 arrays are returned as they are (no copy); other real numeric arrays and
    nested lists are converted. Callers never write into the result.
    """
    if isinstance(value, np.ndarray) and value.dtype == np.float64:
        return value
    kind = type(value).__name__
    if kind == "Tensor":
        raise TypeError(
            f"{name}: expected a NumPy array, got a torch Tensor; "
            f"pass tensor.detach().cpu().numpy() instead"
        )
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name}: expected an array of real numbers, got {kind}") from err
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name}: expected an array of real numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64, copy=False)


def check_ndim(name, arr, layout):
    """Require ``arr.ndim == len(layout)`` and no empty axis; layout is e.g. ("T", "B", "D")."""
    letters = ", ".join(layout)
    if arr.ndim != len(layout):
        raise ValueError(
            f"{name}: expected a {len(layout)}-D array ({letters}), "
            f"got shape {shape_str(arr.shape)}"
        )
    if 0 in arr.shape:
        raise ValueError(
            f"{name}: expected every axis of ({letters}) to have length >= 1, "
            f"got shape {shape_str(arr.shape)}"
        )


def check_shape(name, arr, expected, layout=None, note=""):
    """Require ``arr.shape == expected``.

    The message reads "h0: expected shape (B, H) = (3, 4), got (2, 4)" when a layout is
    given and "params['W_hh']: expected shape (4, 4), got (4, 5)" otherwise; ``note`` is
    appended in parentheses to say where the expected sizes come from.
    """
    if arr.shape != tuple(expected):
        where = f"({', '.join(layout)}) = " if layout else ""
        extra = f" ({note})" if note else ""
        raise ValueError(
            f"{name}: expected shape {where}{shape_str(expected)}, "
            f"got {shape_str(arr.shape)}{extra}"
        )


def check_finite(name, arr):
    """Raise ValueError if ``arr`` holds NaN or inf, counting each."""
    if not np.isfinite(arr).all():
        n_nan = int(np.isnan(arr).sum())
        n_inf = int(np.isinf(arr).sum())
        raise ValueError(
            f"{name}: expected finite numbers, got {n_nan} NaN and {n_inf} inf value(s) "
            f"in an array of shape {shape_str(arr.shape)}"
        )


def get_params(params, keys):
    """Return {key: float64 array} for exactly ``keys``; extra keys in ``params`` are ignored.

    Extra keys are allowed so that one dict can hold a whole model (e.g. W_hy, b_y too).
    """
    expected = ", ".join(keys)
    if not isinstance(params, Mapping):
        raise TypeError(
            f"params: expected a dict with keys {expected}, got {type(params).__name__}"
        )
    missing = [k for k in keys if k not in params]
    if missing:
        raise ValueError(
            f"params: missing key(s) {', '.join(map(repr, missing))}; "
            f"expected keys {expected}, got keys {', '.join(map(str, params)) or 'none'}"
        )
    return {k: as_float_array(f"params[{k!r}]", params[k]) for k in keys}


def check_recurrent_inputs(x, states, params, keys, n_gates, x_layout, x_name="x"):
    """Validate and convert the arguments of a recurrent layer (step or sequence).

    Inputs:
    - x: input, layout ``x_layout``: ("T", "B", "D") for a sequence, ("B", "D") for a step
    - states: list of (name, value) pairs for the initial states, each (B, H); a value of
      None means zeros
    - params: dict holding ``keys``; the first two are W_xh (G, D) and W_hh (G, H), the
      rest are biases (G,), where G = n_gates * H
    - n_gates: 1 for the plain RNN, 4 for the LSTM, 3 for the GRU
    - x_name: what the caller calls x ("x_t" in the step functions), for messages

    Returns a tuple of:
    - x: float64 array
    - states: list of float64 arrays, each (B, H)
    - p: dict of float64 parameter arrays
    - H: the hidden size, read from the number of rows of W_hh
    """
    x = as_float_array(x_name, x)
    check_ndim(x_name, x, x_layout)
    B, D = x.shape[-2:]
    p = get_params(params, keys)

    # H is read from W_hh, so every other shape can be checked against it.
    W_hh = p["W_hh"]
    g = "H" if n_gates == 1 else f"{n_gates}H"
    if W_hh.ndim != 2 or W_hh.shape[0] == 0 or W_hh.shape[0] % n_gates:
        raise ValueError(
            f"params['W_hh']: expected a 2-D array of shape ({g}, H) with H >= 1, "
            f"got shape {shape_str(W_hh.shape)}"
        )
    H = W_hh.shape[0] // n_gates
    G = n_gates * H
    sizes = f"H = {H} hidden units from the rows of W_hh"
    check_shape("params['W_hh']", W_hh, (G, H), note=f"W_hh is ({g}, H), {sizes}")
    check_shape(
        "params['W_xh']",
        p["W_xh"],
        (G, D),
        note=f"W_xh is ({g}, D), {sizes}, D = {D} input features from the last axis of {x_name}",
    )
    for k in keys[2:]:
        check_shape(f"params[{k!r}]", p[k], (G,), note=f"{k} is ({g},), {sizes}")
    for k in keys:
        check_finite(f"params[{k!r}]", p[k])

    out_states = []
    for name, value in states:
        if value is None:
            out_states.append(np.zeros((B, H)))
            continue
        s = as_float_array(name, value)
        check_shape(name, s, (B, H), layout=("B", "H"))
        check_finite(name, s)
        out_states.append(s)
    check_finite(x_name, x)
    return x, out_states, p, H


def check_upstream(name, arr, expected, layout):
    """Validate an upstream gradient such as dh: float64, exact shape, finite."""
    arr = as_float_array(name, arr)
    check_shape(name, arr, expected, layout=layout)
    check_finite(name, arr)
    return arr


def check_cache(cache, keys, producer):
    """Make sure ``cache`` is what ``producer`` returned, not some other function's cache."""
    if not isinstance(cache, Mapping) or not all(k in cache for k in keys):
        raise TypeError(
            f"cache: expected the cache returned by {producer}, got {type(cache).__name__}"
            + (f" with keys {', '.join(map(str, cache))}" if isinstance(cache, Mapping) else "")
        )


def check_truncate(truncate):
    """Return ``truncate`` as an int >= 0, or None for full BPTT."""
    if truncate is None:
        return None
    if isinstance(truncate, bool) or not isinstance(truncate, numbers.Integral):
        raise TypeError(
            f"truncate: expected None or an int >= 0, got {type(truncate).__name__} {truncate!r}"
        )
    if truncate < 0:
        raise ValueError(f"truncate: expected None or an int >= 0, got {truncate}")
    return int(truncate)
