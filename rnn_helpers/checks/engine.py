"""Exercise checkers: compare a student's function with the library's on random inputs.

A notebook cell calls, say, ``check_rnn_step(rnn_step)`` after the student has written
``rnn_step``. The checker runs it on a few random cases of different shapes (including a
batch of one), compares every output with :mod:`rnn_helpers.scratch` at ``rtol=1e-7``, and
prints one friendly line:

    ✓ rnn_step matches the library on 5 random cases
    ✗ not yet: on case 2 (B=1, D=3, H=4) h_t[0, 2] is 0.314, expected 0.271

It returns True or False and never raises because of the student's code: a function that
returns None, raises, returns the wrong shape or changes its inputs gets a message saying
so. :func:`show_solution` displays the library's reference implementation, for a student
who deliberately asks for it.
"""

from __future__ import annotations

import copy
import inspect
import numbers
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from rnn_helpers import scratch

__all__ = [
    "RTOL",
    "ATOL",
    "Case",
    "NotYetError",
    "compare",
    "fmt",
    "run_checks",
    "same",
    "shape_text",
    "tuple_unpacker",
    "check_rnn_step",
    "check_rnn_forward",
    "check_rnn_step_backward",
    "check_lstm_step",
    "check_gru_step",
    "check_clip_by_norm",
    "check_clip_by_value",
    "show_solution",
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
    """Are two argument values (arrays, dicts/tuples of them, numbers) unchanged?"""
    if isinstance(a, Mapping):
        return isinstance(b, Mapping) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b)
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
) -> bool:
    """Run ``fn`` on every case and print one verdict line; True if all cases match.

    reference(case) -> {output name: expected value}; unpack(student's return value) ->
    {output name: value} (or raises NotYetError); hints: (advice, alternative reference): if the
    student's outputs match the alternative, the advice is added to the message.
    """
    if not callable(fn):
        print(
            f"✗ not yet: expected your function itself, got {type(fn).__name__} {fn!r:.40} "
            "(pass the function without calling it: check(rnn_step), not check(rnn_step()))"
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
    print(f"✓ {title} matches the library on {len(cases)} random cases")
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


# --------------------------------------------------------------------------- random cases

# (B, D, H) of the step cases: B = 1 twice, D != H so a transposed W_xh cannot pass.
_STEP_SHAPES = [(2, 3, 4), (1, 3, 4), (3, 1, 5), (4, 5, 2), (1, 2, 1)]
_SEQ_SHAPES = [(4, 2, 3, 4), (3, 1, 3, 4), (1, 3, 2, 5), (5, 4, 1, 2), (2, 1, 1, 1)]


def _params(rng, D, H, kind):
    # Weights of std 0.5: big enough that the nonlinearities matter, small enough that
    # tanh/sigmoid do not saturate (a saturated unit would hide mistakes).
    p = scratch.init_rnn_params(D, H, seed=int(rng.integers(2**31)), kind=kind)
    return {k: 0.5 * rng.standard_normal(v.shape) for k, v in p.items()}


def _step_cases(kind: str, *, cell_state: bool = False, seed: int = 0) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for B, D, H in _STEP_SHAPES:
        args = {"x_t": rng.standard_normal((B, D)), "h_prev": rng.standard_normal((B, H))}
        if cell_state:
            args["c_prev"] = rng.standard_normal((B, H))
        args["params"] = _params(rng, D, H, kind)
        cases.append(Case(f"B={B}, D={D}, H={H}", args))
    return cases


def _with(params: dict, **changes) -> dict:
    new = dict(params)
    new.update(changes)
    return new


def _no_bias(params: dict) -> dict:
    return {k: (np.zeros_like(v) if k.startswith("b") else v) for k, v in params.items()}


# --------------------------------------------------------------------------- the checkers


def check_rnn_step(fn, nonlinearity: str | None = None) -> bool:
    """Check a student's ``rnn_step(x_t, h_prev, params[, nonlinearity]) -> (h_t, cache)``.

    Args:
        fn: the student's function. Only h_t is compared (the cache is theirs); returning
            h_t alone is accepted too.
        nonlinearity: None calls ``fn(x_t, h_prev, params)`` and expects tanh; a name
            ("tanh", "relu", "sigmoid") is passed as ``nonlinearity=``.

    Cases: 5 random (B, D, H) shapes, x_t (B, D), h_prev (B, H), params W_xh (H, D),
    W_hh (H, H), b_h (H,). Prints one verdict line.

    Returns:
        True if h_t matches ``rnn_helpers.scratch.rnn_step`` at rtol 1e-7 on every case.
    """
    act = nonlinearity or "tanh"
    cases = _step_cases("rnn", seed=1)
    if nonlinearity is not None:
        for c in cases:
            c.kwargs["nonlinearity"] = nonlinearity

    def ref(c, params=None):
        a = c.args
        return {"h_t": scratch.rnn_step(a["x_t"], a["h_prev"], params or a["params"], act)[0]}

    def linear(c):
        a, p = c.args, c.args["params"]
        return {"h_t": a["x_t"] @ p["W_xh"].T + a["h_prev"] @ p["W_hh"].T + p["b_h"]}

    hints = [
        ("it looks like the bias b_h is missing", lambda c: ref(c, _no_bias(c.args["params"]))),
        (
            "it looks like W_hh is used transposed: h_prev @ W_hh.T is what the formula says",
            lambda c: ref(c, _with(c.args["params"], W_hh=c.args["params"]["W_hh"].T)),
        ),
        (f"it looks like the {act} is missing", linear),
    ]
    unpack = tuple_unpacker(("h_t",), "(h_t, cache)")
    return run_checks("rnn_step", fn, cases, ref, unpack, hints)


def check_rnn_forward(fn, nonlinearity: str | None = None) -> bool:
    """Check a student's ``rnn_forward(x, h0, params[, nonlinearity]) -> (h, cache)``.

    Args:
        fn: the student's function; only h (T, B, H), all hidden states, is compared.
        nonlinearity: as in :func:`check_rnn_step`.

    Cases: 5 random (T, B, D, H) shapes including T = 1 and B = 1; x (T, B, D), h0 (B, H).

    Returns:
        True if h matches ``rnn_helpers.scratch.rnn_forward`` at rtol 1e-7 on every case.
    """
    act = nonlinearity or "tanh"
    rng = np.random.default_rng(2)
    cases = []
    for T, B, D, H in _SEQ_SHAPES:
        args = {
            "x": rng.standard_normal((T, B, D)),
            "h0": rng.standard_normal((B, H)),
            "params": _params(rng, D, H, "rnn"),
        }
        cases.append(Case(f"T={T}, B={B}, D={D}, H={H}", args))
        if nonlinearity is not None:
            cases[-1].kwargs["nonlinearity"] = nonlinearity

    def ref(c, params=None, h0=None):
        a = c.args
        h0 = a["h0"] if h0 is None else h0
        return {"h": scratch.rnn_forward(a["x"], h0, params or a["params"], act)[0]}

    hints = [
        ("it looks like the bias b_h is missing", lambda c: ref(c, _no_bias(c.args["params"]))),
        (
            "it looks like W_hh is used transposed: h_prev @ W_hh.T is what the formula says",
            lambda c: ref(c, _with(c.args["params"], W_hh=c.args["params"]["W_hh"].T)),
        ),
        (
            "it looks like h0 is ignored (the first step starts from zeros)",
            lambda c: ref(c, h0=np.zeros_like(c.args["h0"])),
        ),
    ]
    unpack = tuple_unpacker(("h",), "(h, cache) with h of shape (T, B, H)")
    return run_checks("rnn_forward", fn, cases, ref, unpack, hints)


def check_rnn_step_backward(fn, step_fn=None) -> bool:
    """Check a student's ``rnn_step_backward(dh_t, cache) -> grads``.

    Args:
        fn: the student's function; it must return a dict with W_xh (H, D), W_hh (H, H),
            b_h (H,), x (B, D) and h_prev (B, H).
        step_fn: the forward function whose cache ``fn`` reads: None uses the library's
            ``rnn_step`` (cache keys x, h_prev, h, W_xh, W_hh, nonlinearity); pass the
            student's own ``rnn_step`` if their backward reads their own cache.

    Returns:
        True if every gradient matches ``rnn_helpers.scratch.rnn_step_backward`` at rtol
        1e-7 on 5 random cases.
    """
    forward = step_fn if step_fn is not None else scratch.rnn_step
    rng = np.random.default_rng(3)
    cases = []
    for c in _step_cases("rnn", seed=4):
        a = c.args
        try:
            out = forward(copy.deepcopy(a["x_t"]), copy.deepcopy(a["h_prev"]), a["params"])
            cache = out[1]
        except Exception as err:  # the student's step_fn failed: say so, do not raise
            print(
                f"✗ not yet: step_fn {getattr(forward, '__name__', '')} did not give "
                f"(h_t, cache) ({type(err).__name__}: {err}); check it with check_rnn_step first"
            )
            return False
        dh_t = rng.standard_normal(a["h_prev"].shape)
        lib_cache = scratch.rnn_step(a["x_t"], a["h_prev"], a["params"])[1]
        cases.append(Case(c.label, {"dh_t": dh_t, "cache": cache}, extra={"cache": lib_cache}))

    def ref(c):
        g = scratch.rnn_step_backward(c.args["dh_t"], c.extra["cache"])
        return {"grads": {k: g[k] for k in ("W_xh", "W_hh", "b_h", "x", "h_prev")}}

    def flipped_activation(c):
        # The most common slip: using dh_t itself instead of dh_t * (1 - h_t**2).
        cache, da = c.extra["cache"], c.args["dh_t"]
        return {
            "grads": {
                "W_xh": da.T @ cache["x"],
                "W_hh": da.T @ cache["h_prev"],
                "b_h": da.sum(axis=0),
                "x": da @ cache["W_xh"],
                "h_prev": da @ cache["W_hh"],
            }
        }

    hints = [("it looks like the tanh derivative (1 - h_t**2) is missing", flipped_activation)]
    return run_checks("rnn_step_backward", fn, cases, ref, lambda out: {"grads": out}, hints)


def check_lstm_step(fn) -> bool:
    """Check a student's ``lstm_step(x_t, h_prev, c_prev, params) -> (h_t, c_t, cache)``.

    Args:
        fn: the student's function; h_t and c_t (each (B, H)) are compared. params are
            W_xh (4H, D), W_hh (4H, H), b (4H,) with gates in the order i, f, g, o.

    Returns:
        True if h_t and c_t match ``rnn_helpers.scratch.lstm_step`` at rtol 1e-7 on
        5 random cases.
    """
    cases = _step_cases("lstm", cell_state=True, seed=5)

    def ref(c, params=None):
        a = c.args
        h, cc, _ = scratch.lstm_step(a["x_t"], a["h_prev"], a["c_prev"], params or a["params"])
        return {"h_t": h, "c_t": cc}

    def gate_order(order):
        def alternative(c):
            p = c.args["params"]
            H = p["W_hh"].shape[1]
            blocks = {g: slice(i * H, (i + 1) * H) for i, g in enumerate("ifgo")}
            perm = np.concatenate([np.arange(4 * H)[blocks[g]] for g in order])
            return ref(c, {k: v[perm] for k, v in p.items()})

        return alternative

    hints = [
        ("it looks like the bias b is missing", lambda c: ref(c, _no_bias(c.args["params"]))),
        (
            "the gates seem to be in the order i, f, o, g; torch's order is i, f, g, o",
            gate_order("ifog"),
        ),
    ]
    unpack = tuple_unpacker(("h_t", "c_t"), "(h_t, c_t, cache)")
    return run_checks("lstm_step", fn, cases, ref, unpack, hints)


def check_gru_step(fn) -> bool:
    """Check a student's ``gru_step(x_t, h_prev, params) -> (h_t, cache)``.

    Args:
        fn: the student's function; h_t (B, H) is compared. params are W_xh (3H, D),
            W_hh (3H, H), b_xh (3H,), b_hh (3H,), gates in the order r, z, n, and
            n = tanh(W_in x + b_in + r * (W_hn h + b_hn)) as in torch.

    Returns:
        True if h_t matches ``rnn_helpers.scratch.gru_step`` at rtol 1e-7 on 5 random cases.
    """
    cases = _step_cases("gru", seed=6)

    def ref(c, params=None):
        a = c.args
        return {"h_t": scratch.gru_step(a["x_t"], a["h_prev"], params or a["params"])[0]}

    def swapped_update(c):
        # h' = z * n + (1 - z) * h: the update gate's two roles exchanged.
        a, p = c.args, c.args["params"]
        H = a["h_prev"].shape[1]
        ax = a["x_t"] @ p["W_xh"].T + p["b_xh"]
        ah = a["h_prev"] @ p["W_hh"].T + p["b_hh"]
        r = 1.0 / (1.0 + np.exp(-(ax[:, :H] + ah[:, :H])))
        z = 1.0 / (1.0 + np.exp(-(ax[:, H : 2 * H] + ah[:, H : 2 * H])))
        n = np.tanh(ax[:, 2 * H :] + r * ah[:, 2 * H :])
        return {"h_t": z * n + (1.0 - z) * a["h_prev"]}

    hints = [
        ("it looks like the biases are missing", lambda c: ref(c, _no_bias(c.args["params"]))),
        ("z and 1 - z seem swapped: torch uses h_t = (1 - z) * n + z * h_prev", swapped_update),
    ]
    unpack = tuple_unpacker(("h_t",), "(h_t, cache)")
    return run_checks("gru_step", fn, cases, ref, unpack, hints)


def _grad_cases(seed: int, scales: list[float]) -> list[Case]:
    """Random gradient dicts of a few shapes; ``scales`` sets how large each case is."""
    rng = np.random.default_rng(seed)
    shapes = [
        {"W_xh": (4, 3), "W_hh": (4, 4), "b_h": (4,)},
        {"W": (1, 1)},
        {"W_xh": (2, 5), "b_h": (2,), "W_hy": (1, 2), "b_y": (1,)},
        {"a": (3,), "b": (2, 2)},
        {"W_hh": (6, 6)},
    ]
    cases = []
    for spec, scale in zip(shapes, scales, strict=True):
        grads = {k: scale * rng.standard_normal(s) for k, s in spec.items()}
        desc = ", ".join(f"{k} {shape_text(s)}" for k, s in spec.items())
        cases.append(Case(desc, {"grads": grads}))
    return cases


def check_clip_by_norm(fn) -> bool:
    """Check a student's ``clip_by_norm(grads, max_norm) -> (clipped, norm)``.

    Args:
        fn: the student's function: it must return a *new* dict rescaled so that the global
            L2 norm of all arrays together is at most max_norm, and that norm before
            clipping as a float. Cases include gradients already below max_norm (which must
            come back unchanged) and must not be modified in place.

    Returns:
        True if both outputs match ``rnn_helpers.scratch.clip_by_norm`` at rtol 1e-7 on
        5 random cases.
    """
    cases = _grad_cases(7, [3.0, 0.1, 5.0, 0.2, 2.0])
    for c, max_norm in zip(cases, [1.0, 1.0, 2.5, 5.0, 0.5], strict=True):
        c.args["max_norm"] = max_norm
        c.label += f", max_norm={max_norm}"

    def ref(c):
        clipped, norm = scratch.clip_by_norm(c.args["grads"], c.args["max_norm"])
        return {"clipped": clipped, "norm": float(norm)}

    def per_array(c):
        out = {}
        for k, g in c.args["grads"].items():
            n = np.linalg.norm(g)
            out[k] = g * min(1.0, c.args["max_norm"] / n)
        return {"clipped": out, "norm": ref(c)["norm"]}

    hints = [
        ("each array seems clipped by its own norm; use one global norm over all of them",
         per_array),
    ]  # fmt: skip
    unpack = tuple_unpacker(("clipped", "norm"), "(clipped, norm)")
    return run_checks("clip_by_norm", fn, cases, ref, unpack, hints)


def check_clip_by_value(fn) -> bool:
    """Check a student's ``clip_by_value(grads, limit) -> clipped``.

    Args:
        fn: the student's function: it must return a *new* dict in which every entry is
            clipped into [-limit, limit], leaving the input dict untouched.

    Returns:
        True if the result matches ``rnn_helpers.scratch.clip_by_value`` at rtol 1e-7 on
        5 random cases.
    """
    cases = _grad_cases(8, [3.0, 0.1, 5.0, 1.0, 2.0])
    for c, limit in zip(cases, [1.0, 1.0, 2.5, 0.3, 10.0], strict=True):
        c.args["limit"] = limit
        c.label += f", limit={limit}"

    def ref(c):
        return {"clipped": scratch.clip_by_value(c.args["grads"], c.args["limit"])}

    def upper_only(c):
        return {"clipped": {k: np.minimum(g, c.args["limit"]) for k, g in c.args["grads"].items()}}

    hints = [("negative entries must be clipped too, at -limit", upper_only)]

    def unpack(out):
        if isinstance(out, tuple):
            raise NotYetError("your function returned a tuple, expected just the clipped dict")
        return {"clipped": out}

    return run_checks("clip_by_value", fn, cases, ref, unpack, hints)


# --------------------------------------------------------------------------- solutions


def show_solution(fn_or_name) -> None:
    """Display the source code of the library's reference implementation.

    Args:
        fn_or_name: a function name from ``rnn_helpers.scratch`` ("rnn_step",
            "clip_by_norm", ...), a function with such a ``__name__`` (for example the
            student's own ``rnn_step``), or any function of ``rnn_helpers`` itself (e.g.
            ``rnn_helpers.memory.memory_step``).

    In Jupyter the code is shown highlighted (IPython.display.Code) under a short heading;
    elsewhere it is printed. Returns None, so nothing extra is echoed in a notebook.
    """
    if callable(fn_or_name) and getattr(fn_or_name, "__module__", "").startswith("rnn_helpers"):
        func, name = fn_or_name, fn_or_name.__name__  # any reference function of the library
    else:
        name = fn_or_name if isinstance(fn_or_name, str) else getattr(fn_or_name, "__name__", None)
        available = sorted(n for n in scratch.__all__ if inspect.isfunction(getattr(scratch, n)))
        if name not in available:
            raise ValueError(
                f"fn_or_name must name a function of rnn_helpers.scratch, got {fn_or_name!r}; "
                f"choose one of {', '.join(available)}"
            )
        func = getattr(scratch, name)
    source = inspect.getsource(func)
    module = func.__module__.replace(".", "/") + ".py"
    heading = f"Reference solution: `{name}` (from `{module}`)"
    shell = None
    if "IPython" in sys.modules:  # only ask IPython if it is already running us
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None:
        print(heading.replace("`", ""))
        print(source)
        return
    from IPython.display import Code, Markdown, display

    display(Markdown(heading))
    display(Code(source, language="python"))
