"""Argument checks for the whole library, in one message style.

A bad argument raises ``ValueError`` (wrong value or shape) or ``TypeError`` (wrong kind
of object) whose message reads ``"<name>: expected <what>, got <value>"``, so a student
sees which argument to fix and how. Checks run once on entry; nothing is broadcast
silently.
"""

from __future__ import annotations

import math
import numbers


def check_int(name: str, value, minimum: int = 1) -> int:
    """``value`` as an int if it is an integer >= ``minimum`` (bool is refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def check_real(name: str, value, minimum: float | None = None, *, strict: bool = False) -> float:
    """``value`` as a float if it is a finite real number (>= ``minimum``, or > with strict)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {value!r}")
    if minimum is not None and (value < minimum or (strict and value == minimum)):
        op = ">" if strict else ">="
        raise ValueError(f"{name}: expected a number {op} {minimum}, got {value!r}")
    return float(value)


def check_positive(name: str, value) -> float:
    """``value`` as a float if it is a finite number > 0."""
    return check_real(name, value, 0.0, strict=True)


def check_choice(name: str, value, options):
    """``value`` itself if it is one of ``options``."""
    if value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name}: expected one of {listed}, got {value!r}")
    return value
