"""Checker for notebook 09's exercise: ``softmax_with_temperature(logits, temperature)``.

It compares the student's function with :func:`rnn_helpers.sampling.softmax_with_temperature`
through the one engine, on cases from a plain softmax (temperature 1) down to temperature
0.001 with logits of +-1000, and names the usual mistakes: multiplying by the temperature
instead of dividing, ignoring it, forgetting to normalise (or normalising over the wrong
axis), an exponential that overflows, a low temperature that does not approach the
arg-max, and changing the input array.
"""

from __future__ import annotations

import copy

import numpy as np

from rnn_helpers.checks.engine import Case, NotYetError, run_checks
from rnn_helpers.sampling import softmax_with_temperature

__all__ = ["check_softmax_with_temperature"]

# A case counts as "low temperature" at or below this; there the right answer puts more
# than 0.999 on the largest logit (the cases' top two logits are at least 1 apart).
LOW_TEMPERATURE = 0.1


def _cases(seed: int = 9) -> list[Case]:
    rng = np.random.default_rng(seed)

    def separated(shape, scale):
        # Random logits (within ±999) whose largest entry leads the runner-up by at least 1
        # in every row, so "nearly one-hot at the arg-max" is well defined at a low
        # temperature.
        z = np.clip(scale * rng.standard_normal(shape), -999.0, 999.0)
        top = np.argmax(z, axis=-1)[..., None]
        second = np.sort(z, axis=-1)[..., -2:-1]
        np.put_along_axis(z, top, np.maximum(np.take_along_axis(z, top, -1), second + 1.0), -1)
        return z

    def case(label, logits, temperature):
        return Case(label, {"logits": logits, "temperature": temperature})

    return [
        case("logits (5,), temperature 1: the plain softmax", rng.standard_normal(5), 1.0),
        case("logits (3, 6), temperature 0.5", 2.0 * rng.standard_normal((3, 6)), 0.5),
        case("logits (2, 3, 4), temperature 2.5", 2.0 * rng.standard_normal((2, 3, 4)), 2.5),
        case("logits (1, 7), temperature 0.1", separated((1, 7), 3.0), 0.1),
        case("logits (4, 5) up to ±1000, temperature 0.001: nearly one-hot",
             separated((4, 5), 500.0), 0.001),
        case("logits (3, 8), temperature 0.05: nearly one-hot", separated((3, 8), 2.0), 0.05),
    ]


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _softmax_whole_array(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def _unpack(out):
    if isinstance(out, tuple | list):
        raise NotYetError(f"your function returned a {type(out).__name__}, expected just "
                          "the array of probabilities")
    try:
        probs = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        raise NotYetError(f"your function returned a {type(out).__name__}, expected an "
                          "array of probabilities") from None
    if probs.ndim > 0 and not np.isfinite(probs).all():
        raise NotYetError(
            "your probabilities contain NaN or inf: np.exp overflowed. Subtract each row's "
            "largest logit before exponentiating (it does not change the softmax), so that "
            "every exponent is <= 0")
    return {"probs": probs}


def check_softmax_with_temperature(fn) -> bool:
    """Check a student's ``softmax_with_temperature(logits, temperature) -> probs``.

    Args:
        fn: the student's function. It gets logits of shape (V,), (B, V) or (T, B, V) and a
            temperature > 0, and must return probabilities of the same shape: the softmax
            of logits / temperature over the last axis, without changing ``logits``.

    Cases: 6, from temperature 1 (the plain softmax) down to 0.001 with logits of +-1000,
    where a naive np.exp overflows. Prints one verdict line with a hint naming the mistake.

    Returns:
        True if every output matches the library at rtol 1e-7.
    """
    def reference(case):
        a = case.args
        return {"probs": softmax_with_temperature(a["logits"], a["temperature"])}

    def alternative(compute):
        return lambda case: {"probs": compute(case.args["logits"], case.args["temperature"])}

    def far_from_one_hot(case):
        # A property, not one wrong formula: at a low temperature almost all the mass must
        # sit on the largest logit. Re-run the student's function on a fresh copy of the
        # case; if its (finite) answer gives the largest logit visibly less than the
        # library does, this hint applies (and the alternative is the student's answer).
        a = case.args
        nothing = {"probs": np.full(np.shape(a["logits"]), np.nan)}  # matches no answer
        if a["temperature"] > LOW_TEMPERATURE:
            return nothing
        try:
            got = np.asarray(fn(*copy.deepcopy(a).values()), dtype=np.float64)
            top = np.argmax(a["logits"], -1)[..., None]
            mass = np.take_along_axis(got, top, -1)
            right = np.take_along_axis(reference(case)["probs"], top, -1)
            if np.isfinite(got).all() and (mass < right - 1e-6).any():
                return {"probs": got}
        except Exception:  # noqa: BLE001 - any failure here just means "no hint"
            pass
        return nothing

    hints = [
        ("it looks like the logits are multiplied by the temperature; divide them by it "
         "(a low temperature must sharpen the distribution)",
         alternative(lambda z, t: _softmax(z * t))),
        ("the temperature seems to have no effect: divide the logits by it before the "
         "exponential (dividing the probabilities afterwards cancels out when you normalise)",
         alternative(lambda z, t: _softmax(z))),
        ("the probabilities do not sum to 1: divide by the sum over the last axis",
         alternative(lambda z, t: np.exp((z - z.max(-1, keepdims=True)) / t))),
        ("the probabilities do not sum to 1: divide by the sum over the last axis",
         alternative(lambda z, t: np.exp(z / t))),
        ("it looks like the sum runs over the wrong axis; use axis=-1, keepdims=True",
         alternative(lambda z, t: _softmax_whole_array(z / t))),
        ("it looks like the sum runs over the wrong axis; use axis=-1, keepdims=True",
         alternative(lambda z, t: _softmax(z / t, axis=0))),
        ("at a low temperature the probabilities must approach one-hot at the largest logit "
         "(here more than 0.999 of the mass belongs there, and yours puts less): divide the "
         "logits by the temperature itself, without a floor on it or clipping the logits",
         far_from_one_hot),
    ]
    # A naive np.exp overflows on the ±1000 case; the hint says so, NumPy need not warn too.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        return run_checks("softmax_with_temperature", fn, _cases(), reference, _unpack, hints)
