"""The squashing functions used by the cells, and their derivatives.

Each derivative is written in terms of the function's *output*, not its input: the
forward pass already stores the outputs, so backward needs nothing else.
"""

import numpy as np


def sigmoid(a, out=None):
    """Logistic sigmoid 1 / (1 + e^-a), computed as (1 + tanh(a/2)) / 2.

    The tanh form never overflows (e^-a does for a < -709), and its absolute error is below
    about 2e-16 everywhere. Its relative error is not: for a << 0, 1 + tanh(a/2) cancels,
    so small values lose digits (a = -30 gives 9.3592e-14 where 1 / (1 + e^30) is
    9.3576e-14, relative error 1.7e-4) and from about a = -38 on the result is exactly 0.
    For a gate, a share that multiplies a state, only the absolute error matters; and it
    makes sigmoid(-40) and sigmoid(40) exactly 0 and 1.
    ``out`` may be ``a`` itself to work in place.
    """
    out = np.multiply(a, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def tanh(a, out=None):
    """Hyperbolic tangent, optionally in place."""
    return np.tanh(a, out=out)


def relu(a, out=None):
    """max(a, 0), optionally in place."""
    return np.maximum(a, 0.0, out=out)


def tanh_grad(y):
    """d tanh / da at the point where tanh(a) = y."""
    return 1.0 - y * y


def relu_grad(y):
    """d relu / da where relu(a) = y; 0 at a = 0, as torch does."""
    return (y > 0).astype(np.float64)


def sigmoid_grad(y):
    """d sigmoid / da where sigmoid(a) = y; never more than 1/4."""
    return y * (1.0 - y)


# name -> (function, derivative from the output); the keys are the allowed nonlinearities.
NONLINEARITIES = {
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
}


def get_nonlinearity(nonlinearity):
    """Return (function, derivative) for a nonlinearity name, or raise naming the choices."""
    allowed = ", ".join(repr(k) for k in NONLINEARITIES)
    if not isinstance(nonlinearity, str):
        raise TypeError(
            f"nonlinearity: expected one of {allowed}, got {type(nonlinearity).__name__} "
            f"{nonlinearity!r}"
        )
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity: expected one of {allowed}, got {nonlinearity!r}")
    return NONLINEARITIES[nonlinearity]
