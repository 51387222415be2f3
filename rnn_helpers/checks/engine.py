"""The one checker engine: run a student's function on cases, compare with a reference.

A checker (see ``scratch_layers``, ``sampling``, …) builds a list of :class:`Case`, a
reference function and an unpacker, then calls :func:`run_checks`, which runs the
student's function on every case, compares every output at ``rtol=1e-7`` and prints one
friendly line:

    ✓ rnn_step matches the library on 5 random cases
    ✗ not yet: on case 2 (B=1, D=3, H=4) h_t[0, 2] is 0.314, expected 0.271

It returns True or False and never raises because of the student's code: a function that
returns None, raises, returns the wrong shape or changes its inputs gets a message saying
so. Hints name the usual mistakes: when the student's output matches a known mistaken
version, its advice is added to the message.
"""

from __future__ import annotations

import copy
import numbers
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "ATOL",
    "RTOL",
    "Case",
    "NotYetError",
    "compare",
    "fmt",
    "run_checks",
    "same",
    "shape_text",
    "tuple_unpacker",
]

RTOL = 1e-7
# A tiny absolute tolerance too: an entry that should be 0 may come out as 1e-17 when the
# student sums in another order, and rtol alone would call that wrong.
ATOL = 1e-12


class NotYetError(Exception):
    """The verdict for one case: raised by a checker, caught by run_checks (never shown
    to the student as a traceback)."""

    def __init__(self, message: str, *, per_case: bool = True):
        super().__init__(message)
        self.per_case = per_case


@dataclass
class Case:
    """One random test case: the positional arguments for the function, and a label."""

    label: str
    args: dict  # argument name -> value, in call order
    kwargs: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)  # what the reference needs besides args


# --------------------------------------------------------------------------- formatting


def fmt(v) -> str:
    return f"{float(v):.6g}"


def shape_text(s) -> str:
    return str(tuple(int(n) for n in s))


def _where_raised(fn, tb) -> str:
    """' (line N of NAME)' for the deepest frame of the student's function, else ''."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return ""
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code is code:
            line = lineno - code.co_firstlineno + 1
    return "" if line is None else f" (line {line} of {getattr(fn, '__name__', 'it')})"


# --------------------------------------------------------------------------- comparison


def _as_array(name: str, got, expected: np.ndarray) -> np.ndarray:
    if got is None:
        raise NotYetError(
            f"{name} is None, expected an array of shape {shape_text(expected.shape)}")
    try:
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise NotYetError(
            f"{name} is a {type(got).__name__}, expected a NumPy array of shape "
            f"{shape_text(expected.shape)}"
        ) from None
    if arr.shape != expected.shape:
        raise NotYetError(
            f"{name}: returned shape {shape_text(arr.shape)}, expected {shape_text(expected.shape)}"
        )
    return arr


def compare(name: str, got, expected) -> None:
    """Raise NotYetError describing the first difference between ``got`` and ``expected``."""
    if isinstance(expected, Mapping):
        if not isinstance(got, Mapping):
            raise NotYetError(f"{name} is a {type(got).__name__}, expected a dict with keys "
                        f"{', '.join(map(repr, expected))}")  # fmt: skip
        missing = [k for k in expected if k not in got]
        if missing:
            raise NotYetError(f"{name} is missing the key(s) {', '.join(map(repr, missing))}")
        for k in expected:
            compare(f"{name}[{k!r}]", got[k], expected[k])
        return
    if isinstance(expected, float):
        if isinstance(got, bool) or not isinstance(got, numbers.Real | np.ndarray):
            raise NotYetError(f"{name} is a {type(got).__name__}, expected a number")
        if np.ndim(got) != 0:
            shape = shape_text(np.shape(got))
            raise NotYetError(f"{name} has shape {shape}, expected a single number")
        if not np.isclose(float(got), expected, rtol=RTOL, atol=ATOL):
            raise NotYetError(f"{name} is {fmt(got)}, expected {fmt(expected)}")
        return
    arr = _as_array(name, got, expected)
    bad = ~np.isclose(arr, expected, rtol=RTOL, atol=ATOL)
    if bad.any():
        # Report the entry that is furthest off: the most telling one.
        err = np.where(bad, np.abs(np.nan_to_num(arr - expected, nan=np.inf)), -1.0)
        idx = np.unravel_index(int(np.argmax(err)), arr.shape)
        where = f"[{', '.join(map(str, idx))}]" if idx else ""
        msg = f"{name}{where} is {fmt(arr[idx])}, expected {fmt(expected[idx])}"
        if np.allclose(arr, -expected, rtol=RTOL, atol=ATOL):
            msg += " (every entry has the wrong sign)"
        raise NotYetError(msg)


def _matches(got: dict, expected: dict) -> bool:
    try:
        for k, v in expected.items():
            compare(k, got[k], v)
    except (NotYetError, KeyError):
        return False
    return True


def same(a, b) -> bool:
    """Are two argument values (arrays, tensors, dicts/tuples of them, numbers) unchanged?"""
    if isinstance(a, Mapping):
        return isinstance(b, Mapping) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b)
    if hasattr(a, "detach") and hasattr(a, "shape"):  # a torch tensor (torch is not needed)
        return (type(a) is type(b) and tuple(a.shape) == tuple(b.shape)
                and np.array_equal(a.detach().cpu().numpy(), b.detach().cpu().numpy()))
    if isinstance(a, tuple | list):
        return (
            isinstance(b, tuple | list)
            and len(a) == len(b)
            and all(same(u, v) for u, v in zip(a, b, strict=True))
        )
    try:
        return a is b or bool(a == b)
    except Exception:  # something we cannot compare (a student's own cache object): trust it
        return True


# --------------------------------------------------------------------------- the engine


def run_checks(
    title: str,
    fn,
    cases: list[Case],
    reference: Callable[[Case], dict],
    unpack: Callable[[object], dict],
    hints: list[tuple[str, Callable[[Case], dict]]] = (),
    error_advice: Callable[[Exception], str] | None = None,
    success: str | None = None,
) -> bool:
    """Run ``fn`` on every case and print one verdict line; True if all cases match.

    reference(case) -> {output name: expected value}; unpack(student's return value) ->
    {output name: value} (or raises NotYetError); hints: (advice, alternative reference): if the
    student's outputs match the alternative, the advice is added to the message;
    error_advice(exception) -> advice ("" for none) added when the student's function raises;
    success: what the ✓ line calls the cases (default "random cases").
    """
    if not callable(fn):
        print(
            f"✗ not yet: expected your function itself, got {type(fn).__name__} {fn!r:.40} "
            f"(pass the function without calling it: check_{title}({title}), "
            f"not check_{title}({title}(...)))"
        )
        return False
    for number, case in enumerate(cases, start=1):
        where = f"on case {number} ({case.label})"
        try:
            expected = reference(case)
            student_args = copy.deepcopy(case.args)
            try:
                out = fn(*student_args.values(), **case.kwargs)
            except NotImplementedError:
                raise NotYetError(
                    "your function raised NotImplementedError — fill in the body", per_case=False
                ) from None
            except Exception as err:  # the student's bug, reported in words
                text = str(err).strip().splitlines()[0] if str(err).strip() else ""
                text = text if len(text) <= 160 else text[:157] + "..."
                advice = ""
                if isinstance(err, ValueError) and ("matmul" in text or "shapes" in text):
                    advice = " — check the shapes: which matrix needs a .T?"
                if error_advice is not None and error_advice(err):
                    advice = f" — {error_advice(err)}"
                raise NotYetError(
                    f"your function raised {type(err).__name__}"
                    + (f": {text}" if text else "")
                    + _where_raised(fn, err.__traceback__)
                    + advice
                ) from None
            if out is None:
                raise NotYetError(
                    "your function returned None — fill in the body (and `return` the result)",
                    per_case=False,
                )
            # First: a changed input explains any wrong output that follows from it.
            for arg, value in case.args.items():
                if not same(value, student_args[arg]):
                    raise NotYetError(
                        f"your function changed its input {arg} in place; "
                        "compute new arrays instead (e.g. x = x + 1, not x += 1)"
                    )
            got = unpack(out)
            try:
                for key, value in expected.items():
                    compare(key, got[key], value)
            except NotYetError as fail:
                for advice, alternative in hints:
                    if _matches(got, alternative(case)):
                        raise NotYetError(f"{fail} — {advice}") from None
                raise
        except NotYetError as fail:
            print(f"✗ not yet: {where} {fail}" if fail.per_case else f"✗ not yet: {fail}")
            return False
        except Exception as err:  # a return value too odd to compare: still no traceback
            print(f"✗ not yet: {where} the output could not be compared "
                  f"({type(err).__name__}: {err})")  # fmt: skip
            return False
    print(f"✓ {title} matches the library on {len(cases)} {success or 'random cases'}")
    return True


def tuple_unpacker(names: tuple[str, ...], description: str):
    """Unpack a return value like (h_t, cache) into {"h_t": ...}; a bare array counts as
    the first output when only one is compared."""

    def unpack(out):
        if isinstance(out, tuple | list):
            if len(out) < len(names):
                raise NotYetError(
                    f"your function returned a tuple of {len(out)}, expected {description}"
                )
            return dict(zip(names, out, strict=False))
        if len(names) == 1 and isinstance(out, np.ndarray):
            return {names[0]: out}
        raise NotYetError(f"your function returned a {type(out).__name__}, expected {description}")

    return unpack
