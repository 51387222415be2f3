"""The checker of notebook 10's exercise: ``dot_product_attention(q, k, v, mask=None)``.

It runs the student's function on five random cases (with and without masks: none, a
padding mask (B, 1, Tk), a causal mask (Tq, Tk) shared by the batch, a full (B, Tq, Tk)
mask) and compares ``out`` and ``weights`` with :func:`rnn_helpers.attention.
dot_product_attention`. A wrong answer that matches one of the usual mistakes gets a
hint naming it: no √d scaling, dividing by d, softmax over the queries instead of the
keys, the mask applied after the softmax, the mask read the other way round, the mask
ignored.
"""

from __future__ import annotations

import numpy as np

from rnn_helpers.attention import dot_product_attention
from rnn_helpers.checks.engine import Case, run_checks, tuple_unpacker

__all__ = ["check_dot_product_attention"]

# (B, Tq, Tk, d, dv, mask kind). The first case has d > 1 and Tq > 1, so a missing √d or
# a softmax over the wrong axis shows at once; d != dv and Tq != Tk catch mixed-up axes.
_CASES = [
    (2, 3, 4, 5, 2, None),
    (1, 4, 3, 3, 3, None),
    (3, 2, 5, 4, 3, "padding"),
    (2, 4, 4, 2, 1, "causal"),
    (2, 3, 6, 8, 4, "full"),
]


def _mask(rng, kind, B, Tq, Tk):
    if kind is None:
        return None
    if kind == "padding":  # key lengths Tk - 1, ..., down to 1: (B, 1, Tk)
        # Every row hides a key and keeps one, so a mask read the other way round gives
        # numbers (not NaN) and its hint can be recognised.
        lengths = np.linspace(Tk - 1, 1, B).round().astype(int)
        return (np.arange(Tk)[None, :] < lengths[:, None])[:, None, :]
    if kind == "causal":  # query i sees keys 0..i, one (Tq, Tk) mask for the whole batch
        return np.tril(np.ones((Tq, Tk), dtype=bool))
    full = rng.random((B, Tq, Tk)) < 0.6
    full[..., 0] |= ~full.any(axis=-1)  # every query keeps at least one key
    return full


def _cases() -> list[Case]:
    rng = np.random.default_rng(10)
    cases = []
    for B, Tq, Tk, d, dv, kind in _CASES:
        args = {
            "q": rng.standard_normal((B, Tq, d)),
            "k": rng.standard_normal((B, Tk, d)),
            "v": rng.standard_normal((B, Tk, dv)),
            "mask": _mask(rng, kind, B, Tq, Tk),
        }
        shape = "" if kind is None else f", {kind} mask {args['mask'].shape}"
        cases.append(Case(f"B={B}, Tq={Tq}, Tk={Tk}, d={d}, dv={dv}{shape}", args))
    return cases


def _softmax(scores, axis):
    with np.errstate(invalid="ignore", over="ignore"):  # a wrong version may give NaN
        e = np.exp(scores - scores.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)


def _variant(c: Case, *, scale="sqrt", axis=-1, mask="before"):
    """Attention computed with one deliberate mistake (the usual ones)."""
    q, k, v, keep = c.args["q"], c.args["k"], c.args["v"], c.args["mask"]
    d = q.shape[-1]
    scores = q @ k.transpose(0, 2, 1) / {"sqrt": np.sqrt(d), "none": 1.0, "d": d}[scale]
    if keep is not None and mask == "inverted":
        keep = ~keep
    if keep is not None and mask in ("before", "inverted"):
        scores = np.where(keep, scores, -np.inf)
    weights = _softmax(scores, axis)
    if keep is not None and mask == "after":
        weights = np.where(keep, weights, 0.0)  # zeroed, rows no longer sum to 1
    with np.errstate(invalid="ignore"):
        return {"out": weights @ v, "weights": weights}


def check_dot_product_attention(fn) -> bool:
    """Check a student's ``dot_product_attention(q, k, v, mask=None) -> (out, weights)``.

    Args:
        fn: the student's function, called as ``fn(q, k, v, mask)`` with q (B, Tq, d),
            k (B, Tk, d), v (B, Tk, dv) and mask None or boolean, broadcastable to
            (B, Tq, Tk), True = the key takes part.

    Cases: 5 random shapes (B = 1 once, Tq != Tk, d != dv), two without a mask, then a
    padding mask (B, 1, Tk), a causal mask (Tq, Tk) and a full random (B, Tq, Tk) mask.
    Prints one verdict line, with a hint when the answer matches a usual mistake.

    Returns:
        True if out and weights match ``rnn_helpers.attention.dot_product_attention`` at
        rtol 1e-7 on every case; never raises because of the student's code.
    """

    def reference(c):
        out, weights = dot_product_attention(**c.args)
        return {"out": out, "weights": weights}

    hints = [
        ("the scores are not divided by √d: use q @ kᵀ / np.sqrt(d), d = q.shape[-1]",
         lambda c: _variant(c, scale="none")),
        ("the scores seem divided by d; the scaling is by √d", lambda c: _variant(c, scale="d")),
        ("the softmax seems to run over the queries (axis 1); it must run over the keys, "
         "the last axis, so that each query's weights sum to 1",
         lambda c: _variant(c, axis=1)),
        ("the mask seems applied after the softmax: hidden keys must get score -inf "
         "before it, so that the weights of the kept keys still sum to 1",
         lambda c: _variant(c, mask="after")),
        ("the mask seems read the other way round: True means the key takes part",
         lambda c: _variant(c, mask="inverted")),
        ("the mask seems ignored: hidden keys (mask False) must get weight 0",
         lambda c: _variant(c, mask="ignored")),
    ]
    unpack = tuple_unpacker(("out", "weights"), "(out, weights)")
    return run_checks("dot_product_attention", fn, _cases(), reference, unpack, hints)
