"""The output layer (a dense "head"): y = h W_hy^T + b_y on the last axis of h.

h may be one state (B, H) or a whole sequence of states (T, B, H): the same W_hy and b_y
are applied at every step, which is what parameter sharing means for the output too.
"""

import numpy as np

from rnn_helpers.validate import (
    as_float_array,
    check_cache,
    check_finite,
    check_shape,
    check_upstream,
    get_params,
    shape_str,
)


def linear_forward(h, params):
    """Apply an affine map to the last axis of h.

    Inputs:
    - h: hidden states, shape (..., H), e.g. (B, H) or (T, B, H)
    - params: dict with W_hy (O, H) and b_y (O,), like every other layer's params (extra
      keys, such as a whole model's W_xh, are ignored)

    Returns a tuple of:
    - y: outputs, shape (..., O)
    - cache: what linear_backward needs
    """
    h = as_float_array("h", h)
    p = get_params(params, ("W_hy", "b_y"))
    W_hy, b_y = p["W_hy"], p["b_y"]
    if W_hy.ndim != 2 or 0 in W_hy.shape:
        raise ValueError(
            f"params['W_hy']: expected a 2-D array (O, H), got shape {shape_str(W_hy.shape)}")
    O, H = W_hy.shape
    if h.ndim == 0 or h.shape[-1] != H:
        raise ValueError(
            f"h: expected shape (..., H) with H = {H} (the columns of W_hy), "
            f"got {shape_str(h.shape)}"
        )
    check_shape("params['b_y']", b_y, (O,), note=f"O = {O} outputs from the rows of W_hy")
    check_finite("h", h)
    check_finite("params['W_hy']", W_hy)
    check_finite("params['b_y']", b_y)

    y = np.dot(h.reshape(-1, H), W_hy.T) + b_y
    return y.reshape(h.shape[:-1] + (O,)), {"h": h, "W_hy": W_hy}


def linear_backward(dy, cache):
    """Backward pass of linear_forward.

    Inputs:
    - dy: gradient of the loss with respect to y, shape (..., O)
    - cache: from linear_forward

    Returns a dict of gradients:
    - W_hy (O, H), b_y (O,)
    - h: shape (..., H), like the h given to linear_forward
    """
    check_cache(cache, ("h", "W_hy"), "linear_forward")
    h, W_hy = cache["h"], cache["W_hy"]
    O, H = W_hy.shape
    dy = check_upstream("dy", dy, h.shape[:-1] + (O,), None)
    # Every leading position (step, batch row) used the same weights: sum over them all.
    dy_2d = dy.reshape(-1, O)
    return {
        "W_hy": dy_2d.T @ h.reshape(-1, H),
        "b_y": dy_2d.sum(axis=0),
        "h": (dy_2d @ W_hy).reshape(h.shape),
    }
