"""The LSTM: one step, a whole sequence, and their backward passes.

Gates are stacked in torch's order i, f, g, o along the first axis of the weights:

    a_t = x_t W_xh^T + h_{t-1} W_hh^T + b             (B, 4H), split into a_i, a_f, a_g, a_o
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o);  g = tanh(a_g)
    c_t = f * c_{t-1} + i * g                           the cell state: a gated running sum
    h_t = o * tanh(c_t)

Shapes: x (T, B, D), states (B, H); params W_xh (4H, D), W_hh (4H, H), b (4H,).
"""

import numpy as np

from rnn_helpers.validate import check_cache, check_recurrent_inputs, check_upstream

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
    """Run an LSTM over a whole sequence.

    Gives what calling lstm_step for t = 0 ... T-1 gives (up to rounding): the loop body is
    lstm_step's equations. Two things differ, to make it faster:
    - the input part x_t W_xh^T + b of every gate does not depend on the recurrence, so it
      is computed for all T steps in one matrix product before the loop;
    - one tanh call squashes all four gates of a step, using sigmoid(a) = (1 + tanh(a/2)) / 2
      for i, f and o (the formula activations.sigmoid uses, so the same numbers).
    Each step adds h_{t-1} W_hh^T to its slice of `gates` and squashes it in place, so
    `gates` ends up holding i, f, g, o of every step: the cache that lstm_backward reads.

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
    W_hh_T = np.ascontiguousarray(p["W_hh"].T)  # (H, 4H): BLAS multiplies this copy faster
    # sigmoid(a) = (1 + tanh(a / 2)) / 2, so one tanh call squashes all four gates: the
    # columns of i, f, o are scaled by 1/2 before it and mapped from (-1, 1) to (0, 1)
    # after it; the columns of g (scale 1, shift 0) are left as tanh made them.
    scale = np.full(4 * H, 0.5)
    scale[2 * H : 3 * H] = 1.0
    shift = 1.0 - scale

    # The input part of every gate at every step: one (T*B, D) x (D, 4H) product.
    gates = (x.reshape(T * B, D) @ p["W_xh"].T).reshape(T, B, 4 * H)
    gates += p["b"]
    h_states = np.empty((T + 1, B, H))  # h_{-1} = h0, h_0, ..., h_{T-1}: h_{t-1} is h_states[t]
    c_states = np.empty((T + 1, B, H))  # the same for c
    h_states[0], c_states[0] = h0, c0
    tanh_c = np.empty((T, B, H))  # kept for the backward pass
    for t in range(T):
        a = gates[t]  # (B, 4H), a view: squashed in place into i, f, g, o
        a += h_states[t] @ W_hh_T
        a *= scale
        np.tanh(a, out=a)
        a *= scale
        a += shift
        i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        c_t, h_t = c_states[t + 1], h_states[t + 1]
        np.multiply(f, c_states[t], out=c_t)  # c_t = f * c_{t-1} + i * g
        c_t += i * g
        np.tanh(c_t, out=tanh_c[t])
        np.multiply(o, tanh_c[t], out=h_t)  # h_t = o * tanh(c_t)

    cache = {"x": x, "h_states": h_states, "c_states": c_states, "tanh_c": tanh_c}
    cache.update(gates=gates, params=p)
    return h_states[1:], c_states[1:], cache


def lstm_backward(dh, cache, dc=None):
    """Backpropagation through time for lstm_forward (full BPTT).

    Gives what chaining lstm_step_backward for t = T-1 ... 0 and adding up its gradients gives
    (up to rounding): the loop body is lstm_step_backward's chain rule, carrying dL/dh and dL/dc
    back in time. One thing differs, to make it faster: the loop only stores each step's
    gradient at the gates' pre-activations, da_t (B, 4H). Every parameter gradient is a sum over
    t of a product with da_t (dW_hh = sum_t da_t^T h_{t-1}, ...), so after the loop each one is
    a single matrix product over all T*B rows instead of T small ones.

    Inputs:
    - dh: dL/dh_t arriving directly at each step, shape (T, B, H)
    - cache: from lstm_forward
    - dc: optional dL/dc_t arriving directly at each step, shape (T, B, H); None means 0

    Returns a dict of gradients:
    - W_xh (4H, D), W_hh (4H, H), b (4H,)
    - x (T, B, D), h0 (B, H), c0 (B, H)
    """
    keys = ("x", "h_states", "c_states", "tanh_c", "gates", "params")
    check_cache(cache, keys, "lstm_forward")
    x, h_states, c_states, tanh_c, gates = (cache[k] for k in keys[:5])
    T, B, D = x.shape
    H = h_states.shape[2]
    dh = check_upstream("dh", dh, (T, B, H), ("T", "B", "H"))
    if dc is not None:
        dc = check_upstream("dc", dc, (T, B, H), ("T", "B", "H"))
    W_hh = cache["params"]["W_hh"]

    da = np.empty((T, B, 4 * H))  # dL/da_t at the pre-activations of i, f, g, o
    dh_next = np.zeros((B, H))  # dL/dh_t and dL/dc_t coming back from step t+1
    dc_next = np.zeros((B, H))
    for t in range(T - 1, -1, -1):
        a = gates[t]  # the activated gates of step t, side by side
        i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        c_prev = c_states[t]
        dh_t = dh[t] + dh_next
        # c_t reaches the loss through h_t = o * tanh(c_t) and through c_{t+1}.
        dc_t = dc_next + dh_t * o * (1.0 - tanh_c[t] ** 2)
        if dc is not None:
            dc_t += dc[t]
        # dL/d(gate) for i, f, g, o (from c_t = f c_{t-1} + i g and h_t = o tanh(c_t)) ...
        da_t = da[t]
        np.multiply(dc_t, g, out=da_t[:, :H])
        np.multiply(dc_t, c_prev, out=da_t[:, H : 2 * H])
        np.multiply(dc_t, i, out=da_t[:, 2 * H : 3 * H])
        np.multiply(dh_t, tanh_c[t], out=da_t[:, 3 * H :])
        # ... times each gate's slope: s (1 - s) for the sigmoids i, f, o; 1 - g^2 for tanh.
        slope = a * (1.0 - a)
        slope[:, 2 * H : 3 * H] = 1.0 - g * g
        da_t *= slope
        dc_next = dc_t * f  # the forget gate is the cell state's only path back in time
        dh_next = da_t @ W_hh

    # Every weight gradient is a sum over steps, e.g. dW_hh = sum_t da_t^T h_{t-1}: one
    # product over all T*B rows each. Written as (h^T da)^T, the same product, because
    # BLAS runs that order faster.
    da_2d = da.reshape(T * B, 4 * H)
    return {
        "W_xh": (x.reshape(T * B, D).T @ da_2d).T,
        "W_hh": (h_states[:-1].reshape(T * B, H).T @ da_2d).T,
        "b": da_2d.sum(axis=0),
        "x": (da_2d @ cache["params"]["W_xh"]).reshape(T, B, D),
        "h0": dh_next,
        "c0": dc_next,
    }
