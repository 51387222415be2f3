"""The LSTM: one step, a whole sequence, and their backward passes.

Gates are stacked in torch's order i, f, g, o along the first axis of the weights:

    a_t = x_t W_xh^T + h_{t-1} W_hh^T + b             (B, 4H), split into a_i, a_f, a_g, a_o
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o);  g = tanh(a_g)
    c_t = f * c_{t-1} + i * g                           the cell state: a gated running sum
    h_t = o * tanh(c_t)

Shapes: x (T, B, D), states (B, H); params W_xh (4H, D), W_hh (4H, H), b (4H,).
"""

import numpy as np

from ._validate import check_cache, check_recurrent_inputs, check_upstream
from .activations import sigmoid

LSTM_KEYS = ("W_xh", "W_hh", "b")


def lstm_step(x_t, h_prev, c_prev, params):
    """One time step of an LSTM.

    Inputs:
    - x_t: input at this step, shape (B, D)
    - h_prev, c_prev: hidden and cell state from the previous step, each (B, H)
    - params: dict with W_xh (4H, D), W_hh (4H, H), b (4H,)

    Returns a tuple of:
    - h_t, c_t: the new hidden and cell state, each (B, H)
    - cache: what lstm_step_backward needs
    """
    x_t, (h_prev, c_prev), p, H = check_recurrent_inputs(
        x_t,
        [("h_prev", h_prev), ("c_prev", c_prev)],
        params,
        LSTM_KEYS,
        4,
        ("B", "D"),
        x_name="x_t",
    )
    a = x_t @ p["W_xh"].T + h_prev @ p["W_hh"].T + p["b"]
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H : 2 * H])
    g = np.tanh(a[:, 2 * H : 3 * H])
    o = sigmoid(a[:, 3 * H :])
    c_t = f * c_prev + i * g
    tanh_c = np.tanh(c_t)
    h_t = o * tanh_c
    cache = {
        "x": x_t,
        "h_prev": h_prev,
        "c_prev": c_prev,
        "i": i,
        "f": f,
        "g": g,
        "o": o,
        "tanh_c": tanh_c,
        "W_xh": p["W_xh"],
        "W_hh": p["W_hh"],
    }
    return h_t, c_t, cache


def lstm_step_backward(dh_t, dc_t, cache):
    """Backward pass of lstm_step.

    Inputs:
    - dh_t: gradient of the loss with respect to h_t, shape (B, H)
    - dc_t: gradient with respect to c_t, shape (B, H) (from the next step); None means 0
    - cache: from lstm_step

    Returns a dict of gradients:
    - W_xh (4H, D), W_hh (4H, H), b (4H,)
    - x (B, D), h_prev (B, H), c_prev (B, H)
    """
    keys = ("x", "h_prev", "c_prev", "i", "f", "g", "o", "tanh_c", "W_xh", "W_hh")
    check_cache(cache, keys, "lstm_step")
    i, f, g, o, tanh_c = (cache[k] for k in ("i", "f", "g", "o", "tanh_c"))
    dh_t = check_upstream("dh_t", dh_t, i.shape, ("B", "H"))
    dc_t = 0.0 if dc_t is None else check_upstream("dc_t", dc_t, i.shape, ("B", "H"))

    # c_t reaches the loss directly (dc_t) and through h_t = o * tanh(c_t).
    dc = dc_t + dh_t * o * (1.0 - tanh_c**2)
    # Gradients at the four pre-activations, each through its own squashing function.
    da_i = dc * g * i * (1.0 - i)
    da_f = dc * cache["c_prev"] * f * (1.0 - f)
    da_g = dc * i * (1.0 - g**2)
    da_o = dh_t * tanh_c * o * (1.0 - o)
    da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)
    return {
        "W_xh": da.T @ cache["x"],
        "W_hh": da.T @ cache["h_prev"],
        "b": da.sum(axis=0),
        "x": da @ cache["W_xh"],
        "h_prev": da @ cache["W_hh"],
        # The forget gate is the cell state's only path back in time: no matrix, no tanh.
        "c_prev": dc * f,
    }


def lstm_forward(x, h0, c0, params):
    """Run an LSTM over a whole sequence: lstm_step for t = 0 ... T-1.

    Inputs:
    - x: input sequence, shape (T, B, D)
    - h0, c0: initial hidden and cell state, each (B, H); None means zeros
    - params: dict with W_xh (4H, D), W_hh (4H, H), b (4H,); other keys are ignored

    Returns a tuple of:
    - h: hidden states h_0 ... h_{T-1}, shape (T, B, H)
    - c: cell states c_0 ... c_{T-1}, shape (T, B, H)
    - cache: what lstm_backward needs
    """
    x, (h0, c0), p, H = check_recurrent_inputs(
        x, [("h0", h0), ("c0", c0)], params, LSTM_KEYS, 4, ("T", "B", "D")
    )
    T, B, D = x.shape
    W_hh = p["W_hh"]

    # Input part of every gate for all steps in one matrix product (it does not depend
    # on the recurrence). The loop adds h_{t-1} W_hh^T and squashes in place, so `gates`
    # ends up holding the activated i, f, g, o of every step.
    gates = np.dot(x.reshape(T * B, D), p["W_xh"].T).reshape(T, B, 4 * H)
    gates += p["b"]
    h = np.empty((T, B, H))
    c = np.empty((T, B, H))
    tanh_c = np.empty((T, B, H))
    recurrent = np.empty((B, 4 * H))
    h_prev, c_prev = h0, c0
    for t in range(T):
        a = gates[t]
        np.dot(h_prev, W_hh.T, out=recurrent)
        a += recurrent
        a_if, a_g, a_o = a[:, : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        sigmoid(a_if, out=a_if)  # i and f sit side by side: one call for both
        np.tanh(a_g, out=a_g)
        sigmoid(a_o, out=a_o)
        i, f, g, o = a[:, :H], a[:, H : 2 * H], a_g, a_o
        np.multiply(f, c_prev, out=c[t])
        c[t] += i * g
        np.tanh(c[t], out=tanh_c[t])
        np.multiply(o, tanh_c[t], out=h[t])
        h_prev, c_prev = h[t], c[t]

    cache = {"x": x, "h0": h0, "c0": c0, "h": h, "c": c, "tanh_c": tanh_c, "gates": gates}
    cache["params"] = p
    return h, c, cache


def lstm_backward(dh, cache, dc=None):
    """Backpropagation through time for lstm_forward (full BPTT).

    Inputs:
    - dh: dL/dh_t arriving directly at each step, shape (T, B, H)
    - cache: from lstm_forward
    - dc: optional dL/dc_t arriving directly at each step, shape (T, B, H); None means 0

    Returns a dict of gradients:
    - W_xh (4H, D), W_hh (4H, H), b (4H,)
    - x (T, B, D), h0 (B, H), c0 (B, H)
    """
    check_cache(cache, ("x", "h0", "c0", "h", "c", "tanh_c", "gates", "params"), "lstm_forward")
    x, h, c, tanh_c = cache["x"], cache["h"], cache["c"], cache["tanh_c"]
    T, B, D = x.shape
    H = h.shape[2]
    dh = check_upstream("dh", dh, (T, B, H), ("T", "B", "H"))
    if dc is not None:
        dc = check_upstream("dc", dc, (T, B, H), ("T", "B", "H"))
    W_hh = cache["params"]["W_hh"]

    # Everything that does not depend on the backward recursion is computed for all
    # steps at once, so the loop is left with a handful of (B, H) operations.
    gates = cache["gates"].reshape(T, B, 4, H)
    i, f, g, o = gates[:, :, 0], gates[:, :, 1], gates[:, :, 2], gates[:, :, 3]
    c_prev = np.concatenate([cache["c0"][None], c[:-1]])
    dc_from_dh = o * (1.0 - tanh_c**2)  # dc_t = dc_next + dh_t * dc_from_dh[t]
    # da_gate[t] = F[t, :, gate] * dc_t for i, f, g and F[t, :, 3] * dh_t for o.
    F = np.empty((T, B, 4, H))
    F[:, :, 0] = g * i * (1.0 - i)
    F[:, :, 1] = c_prev * f * (1.0 - f)
    F[:, :, 2] = i * (1.0 - g**2)
    F[:, :, 3] = tanh_c * o * (1.0 - o)

    da = np.empty((T, B, 4, H))  # dL/da_t for the four gates
    dh_t = np.empty((B, H))
    dc_t = np.empty((B, H))
    dh_next = np.zeros((B, H))
    dc_next = np.zeros((B, H))
    for t in range(T - 1, -1, -1):
        np.add(dh[t], dh_next, out=dh_t)
        np.multiply(dh_t, dc_from_dh[t], out=dc_t)
        dc_t += dc_next
        if dc is not None:
            dc_t += dc[t]
        np.multiply(F[t, :, :3], dc_t[:, None, :], out=da[t, :, :3])
        np.multiply(F[t, :, 3], dh_t, out=da[t, :, 3])
        np.multiply(dc_t, f[t], out=dc_next)
        np.dot(da[t].reshape(B, 4 * H), W_hh, out=dh_next)

    da_2d = da.reshape(T * B, 4 * H)
    dW_hh = da_2d[:B].T @ cache["h0"]
    if T > 1:
        dW_hh += da_2d[B:].T @ h[:-1].reshape((T - 1) * B, H)
    return {
        "W_xh": da_2d.T @ x.reshape(T * B, D),
        "W_hh": dW_hh,
        "b": da_2d.sum(axis=0),
        "x": (da_2d @ cache["params"]["W_xh"]).reshape(T, B, D),
        "h0": dh_next,
        "c0": dc_next,
    }
