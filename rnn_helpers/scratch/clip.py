"""Gradient clipping, the usual cure for exploding gradients.

Both functions are pure: they return new arrays in a new dict and leave the input alone.
"""

from collections.abc import Mapping

import numpy as np

from rnn_helpers.validate import as_float_array, check_positive


def _as_grads(grads):
    if not isinstance(grads, Mapping):
        raise TypeError(f"grads: expected a dict of arrays, got {type(grads).__name__}")
    return {k: as_float_array(f"grads[{k!r}]", v) for k, v in grads.items()}


def clip_by_value(grads, limit):
    """Clip every gradient entry into [-limit, limit] on its own.

    Inputs:
    - grads: dict name -> array
    - limit: a finite number > 0

    Returns a new dict of new arrays with the same keys and shapes. Clipping entries one
    by one can change the gradient's direction (unlike clip_by_norm).
    """
    limit = check_positive("limit", limit)
    return {k: np.clip(g, -limit, limit) for k, g in _as_grads(grads).items()}


def clip_by_norm(grads, max_norm):
    """Rescale all gradients together so that their global L2 norm is at most max_norm.

    The global norm is sqrt(sum over every array of sum(g**2)), i.e. the length of all
    gradients laid end to end, as torch.nn.utils.clip_grad_norm_ computes it. If it
    exceeds max_norm every array is multiplied by the same max_norm / norm, so the
    direction of the update is kept and only its length shrinks.

    Inputs:
    - grads: dict name -> array
    - max_norm: a finite number > 0

    Returns a tuple of:
    - clipped: a new dict of new arrays, same keys and shapes
    - norm: the global norm *before* clipping, a float. If it is NaN or inf the gradients
      are returned unscaled (copied), so the caller can see the divergence and stop.
    """
    max_norm = check_positive("max_norm", max_norm)
    grads = _as_grads(grads)
    norm = float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads.values())))
    if np.isinf(norm) and all(np.isfinite(g).all() for g in grads.values()):
        # Finite entries whose squares overflowed: measure again in units of the largest.
        m = max(float(np.abs(g).max(initial=0.0)) for g in grads.values())
        norm = m * float(np.sqrt(sum(float(np.vdot(g / m, g / m)) for g in grads.values())))
    if np.isfinite(norm) and norm > max_norm:
        scale = max_norm / norm
        return {k: g * scale for k, g in grads.items()}, norm
    return {k: g.copy() for k, g in grads.items()}, norm
