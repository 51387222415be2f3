"""Finite-difference gradient checks: the test every hand-written backward pass must pass.

The idea: for a scalar loss L(theta), (L(theta + eps e_i) - L(theta - eps e_i)) / (2 eps)
approximates dL/dtheta_i with an error of order eps^2, so it can referee an analytic
gradient. It costs two evaluations of L per parameter entry, so use it on small shapes.

    f = lambda p: np.sum(dh * rnn_forward(x, h0, p)[0])
    h, cache = rnn_forward(x, h0, params)
    report = gradcheck_report(f, params, rnn_backward(dh, cache))
    assert report.ok            # or: assert report < 1e-7
"""

import math
from collections.abc import Mapping

import numpy as np

from rnn_helpers.validate import as_float_array, check_positive, shape_str


def numerical_gradient(f, params, eps=1e-6):
    """Central-difference gradient of a scalar function of a dict of arrays.

    Inputs:
    - f: function taking a dict like ``params`` and returning a scalar (a float or a
      one-element array)
    - params: dict name -> array; every entry of every array is perturbed in turn
    - eps: the step, a finite number > 0

    Returns a dict name -> float64 array of the same shape as params[name].

    f is called with a working copy of params (float64), never with params itself, so
    the caller's arrays are not touched even if f fails half way.
    """
    eps = check_positive("eps", eps)
    if not isinstance(params, Mapping):
        raise TypeError(f"params: expected a dict of arrays, got {type(params).__name__}")
    work = {k: np.array(as_float_array(f"params[{k!r}]", v), copy=True) for k, v in params.items()}

    def value():
        out = np.asarray(f(work))
        if out.size != 1:
            raise ValueError(
                f"f: expected a scalar (the loss), got an array of shape {shape_str(out.shape)}"
            )
        return float(out.reshape(()))

    grads = {}
    for name, arr in work.items():
        flat = arr.reshape(-1)  # a view: writing into it changes what f sees
        grad = np.empty(flat.size)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            up = value()
            flat[i] = old - eps
            down = value()
            flat[i] = old  # restore before moving on
            grad[i] = (up - down) / (2.0 * eps)
        grads[name] = grad.reshape(arr.shape)
    return grads


def rel_error(a, b):
    """Largest difference between two arrays relative to the largest entry in either.

        rel_error(a, b) = max_i |a_i - b_i| / max(max_i |a_i|, max_i |b_i|)

    and 0 when both are all zeros. Why not divide entry by entry (|a_i - b_i| /
    (|a_i| + |b_i|))? A correct gradient often has entries that are zero or nearly
    so, and there the finite-difference noise (about 1e-10 for eps = 1e-6) divided by
    a tiny number looks like a huge error. Measuring against the array's own scale
    keeps the number meaningful: about 1e-10 to 1e-8 when gradients agree, 1e-2 to 1 for
    a real bug. Its blind spot is an array whose gradient is exactly zero everywhere:
    there the noise of the numerical side shows up as an error of 1.

    Inputs:
    - a, b: arrays of the same shape

    Returns a float.
    """
    a = as_float_array("a", a)
    b = as_float_array("b", b)
    if a.shape != b.shape:
        raise ValueError(
            f"b: expected the same shape as a, {shape_str(a.shape)}, got {shape_str(b.shape)}"
        )
    if a.size == 0:
        return 0.0
    scale = max(float(np.abs(a).max()), float(np.abs(b).max()))
    if scale == 0.0:
        return 0.0
    # NaN anywhere must not pass as "agree": max() would silently skip it.
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return math.inf
    return float(np.abs(a - b).max()) / scale


class GradcheckResult(float):
    """The max relative error (a float, so ``assert result < 1e-7`` works) plus details.

    Attributes:
    - errors: dict name -> rel_error of that parameter's gradient
    - tol: the tolerance used
    - ok: True when every error is <= tol
    - mismatched: names whose error is above tol
    """

    def __new__(cls, errors, tol):
        self = super().__new__(cls, max(errors.values(), default=0.0))
        self.errors = dict(errors)
        self.tol = tol
        self.mismatched = [k for k, e in errors.items() if not e <= tol]
        self.ok = not self.mismatched
        return self

    def message(self):
        """One line: 'max relative error 3.1e-10 over W_xh, W_hh, b_h — gradients agree'."""
        verdict = "gradients agree" if self.ok else "MISMATCH in " + ", ".join(self.mismatched)
        return f"max relative error {float(self):.1e} over {', '.join(self.errors)} — {verdict}"

    def __repr__(self):
        return f"GradcheckResult({self.message()!r})"


def gradcheck_report(f, params, analytic_grads, tol=1e-7, eps=1e-6, verbose=True):
    """Compare analytic gradients with central differences and say whether they agree.

    Inputs:
    - f: scalar function of a dict like ``params`` (see numerical_gradient)
    - params: dict name -> array, the point at which to check; every key is checked
    - analytic_grads: dict holding at least the keys of params, same shapes (extra keys,
      such as a gradient you do not want to check, are ignored)
    - tol: largest rel_error accepted as agreement
    - eps: finite-difference step
    - verbose: print the one-line verdict

    Returns a GradcheckResult: a float (the max relative error over all keys) with
    .errors, .ok and .mismatched. Prints e.g.
    "max relative error 3.1e-10 over W_xh, W_hh, b_h — gradients agree".
    """
    tol = check_positive("tol", tol)
    if not isinstance(analytic_grads, Mapping):
        raise TypeError(
            f"analytic_grads: expected a dict of arrays, got {type(analytic_grads).__name__}"
        )
    missing = [k for k in params if k not in analytic_grads]
    if missing:
        raise ValueError(
            f"analytic_grads: missing key(s) {', '.join(map(repr, missing))}; "
            f"expected the keys of params: {', '.join(params)}"
        )
    numeric = numerical_gradient(f, params, eps=eps)
    errors = {}
    for name, num in numeric.items():
        ana = as_float_array(f"analytic_grads[{name!r}]", analytic_grads[name])
        if ana.shape != num.shape:
            raise ValueError(
                f"analytic_grads[{name!r}]: expected shape {shape_str(num.shape)} "
                f"(the shape of params[{name!r}]), got {shape_str(ana.shape)}"
            )
        errors[name] = rel_error(ana, num)
    result = GradcheckResult(errors, tol)
    if verbose:
        print(result.message())
    return result
