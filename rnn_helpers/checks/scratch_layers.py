"""Checkers for the scratch layers' exercises: RNN, LSTM and GRU steps, the RNN sequence
forward, the RNN step backward, and gradient clipping. Each compares the student's
function with :mod:`rnn_helpers.scratch` on random cases through the one engine."""

from __future__ import annotations

import copy

import numpy as np

from rnn_helpers import scratch
from rnn_helpers.checks.engine import Case, NotYetError, run_checks, shape_text, tuple_unpacker

__all__ = [
    "check_clip_by_norm",
    "check_clip_by_value",
    "check_gru_step",
    "check_lstm_step",
    "check_rnn_forward",
    "check_rnn_step",
    "check_rnn_step_backward",
]


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
