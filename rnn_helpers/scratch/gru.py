"""The GRU: one step, a whole sequence, and their backward passes, exactly as torch.

Gates are stacked in torch's order r, z, n along the first axis of the weights:

    r = sigmoid(x_t W_ir^T + b_ir + h_{t-1} W_hr^T + b_hr)     reset gate
    z = sigmoid(x_t W_iz^T + b_iz + h_{t-1} W_hz^T + b_hz)     update gate
    n = tanh(x_t W_in^T + b_in + r * (h_{t-1} W_hn^T + b_hn))  candidate state
    h_t = (1 - z) * n + z * h_{t-1}

The reset gate multiplies the hidden part of the candidate *including its bias* b_hn,
which is why the GRU keeps two biases: b_xh = (b_ir, b_iz, b_in), b_hh = (b_hr, b_hz, b_hn).
Shapes: x (T, B, D), states (B, H); W_xh (3H, D), W_hh (3H, H), b_xh (3H,), b_hh (3H,).
"""

import numpy as np

from ._validate import check_cache, check_recurrent_inputs, check_upstream
from .activations import sigmoid

GRU_KEYS = ("W_xh", "W_hh", "b_xh", "b_hh")


def gru_step(x_t, h_prev, params):
    """One time step of a GRU.

    Inputs:
    - x_t: input at this step, shape (B, D)
    - h_prev: hidden state from the previous step, shape (B, H)
    - params: dict with W_xh (3H, D), W_hh (3H, H), b_xh (3H,), b_hh (3H,)

    Returns a tuple of:
    - h_t: the new hidden state, shape (B, H)
    - cache: what gru_step_backward needs
    """
    x_t, (h_prev,), p, H = check_recurrent_inputs(
        x_t, [("h_prev", h_prev)], params, GRU_KEYS, 3, ("B", "D"), x_name="x_t"
    )
    ax = x_t @ p["W_xh"].T + p["b_xh"]  # input parts of r, z, n
    ah = h_prev @ p["W_hh"].T + p["b_hh"]  # hidden parts of r, z, n
    r = sigmoid(ax[:, :H] + ah[:, :H])
    z = sigmoid(ax[:, H : 2 * H] + ah[:, H : 2 * H])
    hn = ah[:, 2 * H :]
    n = np.tanh(ax[:, 2 * H :] + r * hn)
    h_t = (1.0 - z) * n + z * h_prev
    cache = {"x": x_t, "h_prev": h_prev, "r": r, "z": z, "n": n, "hn": hn}
    cache.update(W_xh=p["W_xh"], W_hh=p["W_hh"])
    return h_t, cache


def gru_step_backward(dh_t, cache):
    """Backward pass of gru_step.

    Inputs:
    - dh_t: gradient of the loss with respect to h_t, shape (B, H)
    - cache: from gru_step

    Returns a dict of gradients:
    - W_xh (3H, D), W_hh (3H, H), b_xh (3H,), b_hh (3H,)
    - x (B, D), h_prev (B, H)
    """
    check_cache(cache, ("x", "h_prev", "r", "z", "n", "hn", "W_xh", "W_hh"), "gru_step")
    r, z, n, hn, h_prev = (cache[k] for k in ("r", "z", "n", "hn", "h_prev"))
    dh_t = check_upstream("dh_t", dh_t, z.shape, ("B", "H"))

    da_n = dh_t * (1.0 - z) * (1.0 - n**2)  # at n's pre-activation
    da_z = dh_t * (h_prev - n) * z * (1.0 - z)
    da_r = da_n * hn * r * (1.0 - r)
    # The input side sees da_n as it is; the hidden side sees it through the reset gate.
    da_x = np.concatenate([da_r, da_z, da_n], axis=1)
    da_h = np.concatenate([da_r, da_z, da_n * r], axis=1)
    return {
        "W_xh": da_x.T @ cache["x"],
        "W_hh": da_h.T @ h_prev,
        "b_xh": da_x.sum(axis=0),
        "b_hh": da_h.sum(axis=0),
        "x": da_x @ cache["W_xh"],
        # h_prev reaches h_t directly (the z * h_{t-1} term) and through every gate.
        "h_prev": dh_t * z + da_h @ cache["W_hh"],
    }


def gru_forward(x, h0, params):
    """Run a GRU over a whole sequence.

    The loop body is gru_step's equations for t = 0 ... T-1, and the result is the same.
    One thing differs: the input part x_t W_xh^T + b_xh of every gate does not depend on
    the recurrence, so it is computed for all T steps in one matrix product before the
    loop (with b_hr and b_hz, which are simply added to it; b_hn has to stay apart because
    the reset gate multiplies it). Each step adds its hidden part to its slice of that
    array and squashes it in place, so the array ends up holding the gates r, z, n of
    every step: the cache that gru_backward reads.

    Inputs:
    - x: input sequence, shape (T, B, D)
    - h0: initial hidden state, shape (B, H); None means zeros
    - params: dict with W_xh (3H, D), W_hh (3H, H), b_xh (3H,), b_hh (3H,); other keys
      are ignored

    Returns a tuple of:
    - h: hidden states h_0 ... h_{T-1}, shape (T, B, H)
    - cache: what gru_backward needs
    """
    x, (h0,), p, H = check_recurrent_inputs(x, [("h0", h0)], params, GRU_KEYS, 3, ("T", "B", "D"))
    T, B, D = x.shape
    W_hh_T = np.ascontiguousarray(p["W_hh"].T)  # (H, 3H): BLAS multiplies this copy faster
    b_hn = p["b_hh"][2 * H :]

    # The input part of every gate at every step: one (T*B, D) x (D, 3H) product.
    gates = (x.reshape(T * B, D) @ p["W_xh"].T).reshape(T, B, 3 * H)
    gates += p["b_xh"]
    gates[:, :, : 2 * H] += p["b_hh"][: 2 * H]
    hn = np.empty((T, B, H))  # h_{t-1} W_hn^T + b_hn, needed again in backward
    h = np.empty((T, B, H))
    h_prev = h0
    for t in range(T):
        a = gates[t]  # (B, 3H), a view: squashed in place into r, z, n
        ah = h_prev @ W_hh_T  # the hidden parts of r, z, n
        a_rz = a[:, : 2 * H]
        a_rz += ah[:, : 2 * H]
        sigmoid(a_rz, out=a_rz)  # r and z sit side by side: one call
        r, z, n = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
        np.add(ah[:, 2 * H :], b_hn, out=hn[t])
        n += r * hn[t]
        np.tanh(n, out=n)
        # h_t = (1 - z) n + z h_{t-1}, written as n + z (h_{t-1} - n): one product fewer
        np.subtract(h_prev, n, out=h[t])
        h[t] *= z
        h[t] += n
        h_prev = h[t]

    cache = {"x": x, "h0": h0, "h": h, "gates": gates, "hn": hn, "params": p}
    return h, cache


def gru_backward(dh, cache):
    """Backpropagation through time for gru_forward (full BPTT).

    The loop body is gru_step_backward's chain rule for t = T-1 ... 0, carrying dL/dh
    back in time, and the result is the sum of what gru_step_backward would give at every
    step. One thing differs: the loop only stores each step's gradients at the gates'
    pre-activations (the hidden side's da_t and n's input-side gradient). Every parameter
    gradient is a sum over t of a product with them (dW_hh = sum_t da_t^T h_{t-1}, ...),
    so after the loop each one is a single matrix product over all T*B rows instead of
    T small ones.

    Inputs:
    - dh: dL/dh_t arriving directly at each step, shape (T, B, H)
    - cache: from gru_forward

    Returns a dict of gradients:
    - W_xh (3H, D), W_hh (3H, H), b_xh (3H,), b_hh (3H,)
    - x (T, B, D), h0 (B, H)
    """
    check_cache(cache, ("x", "h0", "h", "gates", "hn", "params"), "gru_forward")
    x, h, h0, hn, p = cache["x"], cache["h"], cache["h0"], cache["hn"], cache["params"]
    T, B, D = x.shape
    H = h.shape[2]
    dh = check_upstream("dh", dh, (T, B, H), ("T", "B", "H"))
    W_hh = p["W_hh"]

    da = np.empty((T, B, 3 * H))  # dL/da_t at r, z, n on the hidden side (h_{t-1} W_hh^T)
    da_n_x = np.empty((T, B, H))  # dL/d(x_t W_in^T): n's input side skips the reset gate
    dh_next = np.zeros((B, H))  # dL/dh_t coming back from step t+1
    for t in range(T - 1, -1, -1):
        a = cache["gates"][t]  # the activated gates of step t, side by side
        r, z, n = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
        h_prev = h[t - 1] if t > 0 else h0
        dh_t = dh[t] + dh_next
        da_r, da_z, da_n_h = da[t, :, :H], da[t, :, H : 2 * H], da[t, :, 2 * H :]
        # h_t = (1 - z) n + z h_{t-1}; n = tanh(a_n), a_n = x_t W_in^T + b_in + r * hn_t
        np.multiply(dh_t * (1.0 - z), 1.0 - n * n, out=da_n_x[t])
        np.multiply(da_n_x[t], r, out=da_n_h)
        np.multiply(da_n_x[t], hn[t], out=da_r)  # dL/dr
        np.multiply(dh_t, h_prev - n, out=da_z)  # dL/dz
        rz = a[:, : 2 * H]
        da[t, :, : 2 * H] *= rz * (1.0 - rz)  # through the sigmoids: slope s (1 - s)
        # h_{t-1} reaches h_t directly (the z * h_{t-1} term) and through every gate.
        dh_next = da[t] @ W_hh
        dh_next += dh_t * z

    # Every weight gradient is a sum over steps, e.g. dW_hh = sum_t da_t^T h_{t-1}: one
    # product over all T*B rows each. Written as (h^T da)^T, the same product, because
    # BLAS runs that order faster. The input side's gradient is da with n's block
    # replaced by da_n_x, so its products are taken block by block.
    da = da.reshape(T * B, 3 * H)
    da_rz, da_n_x = da[:, : 2 * H], da_n_x.reshape(T * B, H)
    x_2d, W_xh = x.reshape(T * B, D), p["W_xh"]
    dW_hh = (h0.T @ da[:B]).T  # W_hh meets h_{t-1}: h0 at t = 0, h[t-1] after
    if T > 1:
        dW_hh += (h[:-1].reshape((T - 1) * B, H).T @ da[B:]).T
    return {
        "W_xh": np.concatenate([(x_2d.T @ da_rz).T, (x_2d.T @ da_n_x).T]),
        "W_hh": dW_hh,
        "b_xh": np.concatenate([da_rz.sum(axis=0), da_n_x.sum(axis=0)]),
        "b_hh": da.sum(axis=0),
        "x": (da_rz @ W_xh[: 2 * H] + da_n_x @ W_xh[2 * H :]).reshape(T, B, D),
        "h0": dh_next,
    }
