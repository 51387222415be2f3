"""The vanilla (Elman) RNN: one step, a whole sequence, and their backward passes.

    h_t = act(x_t W_xh^T + h_{t-1} W_hh^T + b_h),   t = 0 ... T-1,   h_{-1} = h0

Shapes: x is (T, B, D), states are (B, H), sequences of states are (T, B, H); params are
W_xh (H, D), W_hh (H, H), b_h (H,). Everything is float64 and time-major, like torch.
"""

import numpy as np

from rnn_helpers.validate import (
    check_cache,
    check_recurrent_inputs,
    check_truncate,
    check_upstream,
)

from .activations import get_nonlinearity

RNN_KEYS = ("W_xh", "W_hh", "b_h")


def rnn_step(x_t, h_prev, params, nonlinearity="tanh"):
    """One time step of a vanilla RNN.

    Inputs:
    - x_t: input at this step, shape (B, D)
    - h_prev: hidden state from the previous step, shape (B, H)
    - params: dict with W_xh (H, D), W_hh (H, H), b_h (H,)
    - nonlinearity: "tanh", "relu" or "sigmoid"

    Returns a tuple of:
    - h_t: the new hidden state, shape (B, H)
    - cache: what rnn_step_backward needs
    """
    act, _ = get_nonlinearity(nonlinearity)
    x_t, (h_prev,), p, _ = check_recurrent_inputs(
        x_t, [("h_prev", h_prev)], params, RNN_KEYS, 1, ("B", "D"), x_name="x_t"
    )
    h_t = act(x_t @ p["W_xh"].T + h_prev @ p["W_hh"].T + p["b_h"])
    cache = {
        "x": x_t,
        "h_prev": h_prev,
        "h": h_t,
        "W_xh": p["W_xh"],
        "W_hh": p["W_hh"],
        "nonlinearity": nonlinearity,
    }
    return h_t, cache


def rnn_step_backward(dh_t, cache):
    """Backward pass of rnn_step.

    Inputs:
    - dh_t: gradient of the loss with respect to h_t, shape (B, H)
    - cache: from rnn_step

    Returns a dict of gradients:
    - W_xh (H, D), W_hh (H, H), b_h (H,)
    - x: with respect to x_t, shape (B, D)
    - h_prev: with respect to h_prev, shape (B, H)
    """
    check_cache(cache, ("x", "h_prev", "h", "W_xh", "W_hh", "nonlinearity"), "rnn_step")
    h_t = cache["h"]
    dh_t = check_upstream("dh_t", dh_t, h_t.shape, ("B", "H"))
    _, act_grad = get_nonlinearity(cache["nonlinearity"])
    # Gradient at the pre-activation a_t: everything below flows from here.
    da = dh_t * act_grad(h_t)
    return {
        "W_xh": da.T @ cache["x"],
        "W_hh": da.T @ cache["h_prev"],
        "b_h": da.sum(axis=0),
        "x": da @ cache["W_xh"],
        "h_prev": da @ cache["W_hh"],
    }


def rnn_forward(x, h0, params, nonlinearity="tanh"):
    """Run a vanilla RNN over a whole sequence.

    Gives what calling rnn_step for t = 0 ... T-1 gives (up to rounding): the loop body is
    rnn_step's equation. One thing differs, to make it faster: the input part x_t W_xh^T + b_h
    does not depend on the recurrence, so it is computed for all T steps in one matrix product
    before the loop, straight into h; each step then adds h_{t-1} W_hh^T to h[t] and squashes it
    in place.

    Inputs:
    - x: input sequence, shape (T, B, D)
    - h0: initial hidden state, shape (B, H); None means zeros
    - params: dict with W_xh (H, D), W_hh (H, H), b_h (H,); other keys are ignored
    - nonlinearity: "tanh", "relu" or "sigmoid"

    Returns a tuple of:
    - h: hidden states h_0 ... h_{T-1}, shape (T, B, H) (h0 itself is not included)
    - cache: what rnn_backward needs
    """
    act, _ = get_nonlinearity(nonlinearity)
    x, (h0,), p, H = check_recurrent_inputs(x, [("h0", h0)], params, RNN_KEYS, 1, ("T", "B", "D"))
    T, B, D = x.shape
    W_hh_T = np.ascontiguousarray(p["W_hh"].T)  # BLAS multiplies this copy faster

    states = np.empty((T + 1, B, H))  # h_{-1} = h0, h_0, ..., h_{T-1}: h_{t-1} is states[t]
    states[0] = h0
    h = states[1:]  # a view: h[t] is h_t
    # The input part x_t W_xh^T + b_h of all T steps: one (T*B, D) x (D, H) product.
    np.matmul(x.reshape(T * B, D), p["W_xh"].T, out=h.reshape(T * B, H))
    h += p["b_h"]
    for t in range(T):
        h[t] += states[t] @ W_hh_T  # h[t] now holds the pre-activation a_t ...
        act(h[t], out=h[t])  # ... and now h_t

    cache = {"x": x, "states": states, "params": p, "nonlinearity": nonlinearity}
    return h, cache


def rnn_backward(dh, cache, truncate=None):
    """Backpropagation through time for rnn_forward, full or truncated.

    With full BPTT it gives what chaining rnn_step_backward for t = T-1 ... 0 and adding up its
    gradients gives (up to rounding): the loop body is rnn_step_backward's chain rule, carrying
    dL/dh back in time. One thing differs, to make it faster: the loop only stores da_t, the
    gradient at each step's pre-activation. Every parameter gradient is a sum over t of a
    product with da_t (dW_hh = sum_t da_t^T h_{t-1}, ...), so after the loop each one is a
    single matrix product over all T*B rows instead of T small ones.

    Inputs:
    - dh: dL/dh_t arriving directly at each step (from an output layer, say), shape (T, B, H)
    - cache: from rnn_forward
    - truncate: None for full BPTT, or an int k >= 0: the loss arriving at step t flows
      back through steps t, t-1, ..., t-k and no further (h_{t-k-1} is treated as a
      constant; where t-k-1 < 0 the gradient reaches h0). k = 0 keeps only the step
      itself; k >= T-1 is full BPTT.

    Returns a dict of gradients:
    - W_xh (H, D), W_hh (H, H), b_h (H,)
    - x: shape (T, B, D)
    - h0: shape (B, H)
    """
    check_cache(cache, ("x", "states", "params", "nonlinearity"), "rnn_forward")
    x, states, p = cache["x"], cache["states"], cache["params"]
    T, B, D = x.shape
    H = states.shape[2]
    dh = check_upstream("dh", dh, (T, B, H), ("T", "B", "H"))
    k = check_truncate(truncate)
    _, act_grad = get_nonlinearity(cache["nonlinearity"])
    W_hh = p["W_hh"]

    da = act_grad(states[1:])  # the activation's slope at every step; becomes dL/da_t
    if k is None or k >= T - 1:
        dh_next = np.zeros((B, H))  # dL/dh_t coming back from step t+1
        for t in range(T - 1, -1, -1):
            da[t] *= dh[t] + dh_next  # dL/dh_t (this step's loss + the future) * slope
            dh_next = da[t] @ W_hh
    else:
        _truncated_sweep(dh, da, W_hh, k)

    # Every weight gradient is a sum over steps, e.g. dW_hh = sum_t da_t^T h_{t-1}: one
    # product over all T*B rows each. Written as (h^T da)^T, the same product, because
    # BLAS runs that order faster.
    da_2d = da.reshape(T * B, H)
    return {
        "W_xh": (x.reshape(T * B, D).T @ da_2d).T,
        "W_hh": (states[:-1].reshape(T * B, H).T @ da_2d).T,
        "b_h": da_2d.sum(axis=0),
        "x": (da_2d @ p["W_xh"]).reshape(T, B, D),
        "h0": da[0] @ W_hh,
    }


def _truncated_sweep(dh, da, W_hh, k):
    """Turn da from the activation's slopes into dL/da_t under truncation k (0 <= k < T-1).

    Each loss may only travel k steps back, so gradients from different losses cannot be
    summed into one carried vector as in full BPTT. Instead the sweep carries k+1 of them,
    one per "age" j = 0 ... k: g[j] is the gradient at step t from the loss at step t+j.
    Moving one step back, age j becomes age j+1 and age k is dropped: its window is used
    up. All ages move through W_hh in one matrix product, so the cost is O(T k) maths
    but still one Python loop over time.
    """
    T, B, H = dh.shape
    g = np.zeros((k + 1, B, H))
    for t in range(T - 1, -1, -1):
        g[0] = dh[t]
        g *= da[t]  # every age passes through the same activation at step t
        np.sum(g, axis=0, out=da[t])
        if t > 0 and k > 0:
            g[1:] = np.dot(g[:-1].reshape(k * B, H), W_hh).reshape(k, B, H)
    # At t = 0 every remaining age has t - k - 1 < 0, so all of da[0] reaches h0; the
    # caller computes dh0 = da[0] W_hh exactly as in full BPTT.
