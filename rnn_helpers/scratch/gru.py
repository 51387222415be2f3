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

from rnn_helpers.validate import check_cache, check_recurrent_inputs, check_upstream

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

    Gives what calling gru_step for t = 0 ... T-1 gives (up to rounding): the loop body is
    gru_step's equations. Two things differ, to make it faster:
    - the input part x_t W_xh^T + b_xh of every gate does not depend on the recurrence, so
      it is computed for all T steps before the loop (with b_hr and b_hz, which are simply
      added to it; b_hn stays apart because the reset gate multiplies it);
    - the gates are kept gate by gate, each step's r, z and n a contiguous (B, H) block
      (gates[:, t] is r_t, z_t, n_t), so that no operation on a gate has to stride through
      the other two; the weights are split the same way (W_x[k], W_h_T[k] for gate k), and
      h_{t-1} @ W_h_T gives the three hidden parts at once, shape (3, B, H).
    Each step adds its hidden part to its slice of `gates` and squashes it in place, so
    `gates` ends up holding r, z, n of every step: the cache that gru_backward reads.

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
    W_x = p["W_xh"].reshape(3, H, D)  # W_ir, W_iz, W_in
    W_h = p["W_hh"].reshape(3, H, H)  # W_hr, W_hz, W_hn
    W_h_T = np.ascontiguousarray(W_h.transpose(0, 2, 1))  # a copy: BLAS multiplies it faster
    b = (p["b_xh"] + p["b_hh"]).reshape(3, 1, H)  # b_ir + b_hr, b_iz + b_hz, ...
    b[2] = p["b_xh"][2 * H :]  # ... but only b_in for n
    b_hn = p["b_hh"][2 * H :]

    # The input part of every gate at every step: for each gate, one (T*B, D) x (D, H)
    # product; gates[k] is gate k at every step, shape (T*B, H).
    gates = x.reshape(T * B, D) @ W_x.transpose(0, 2, 1)
    gates += b
    gates = gates.reshape(3, T, B, H)
    states = np.empty((T + 1, B, H))  # h_{-1} = h0, h_0, ..., h_{T-1}: h_{t-1} is states[t]
    states[0] = h0
    hn = np.empty((T, B, H))  # h_{t-1} W_hn^T + b_hn, needed again in backward
    for t in range(T):
        h_prev = states[t]
        r, z, n = gates[:, t]  # views, squashed in place below
        a_h = h_prev @ W_h_T  # (3, B, H): the hidden parts of r, z, n
        rz = gates[:2, t]
        rz += a_h[:2]
        sigmoid(rz, out=rz)  # r and z: one call for both
        np.add(a_h[2], b_hn, out=hn[t])
        n += r * hn[t]
        np.tanh(n, out=n)
        # h_t = (1 - z) n + z h_{t-1}, written as n + z (h_{t-1} - n): one product fewer
        h_t = states[t + 1]
        np.subtract(h_prev, n, out=h_t)
        h_t *= z
        h_t += n

    h = states[1:]
    cache = {"x": x, "states": states, "gates": gates, "hn": hn, "params": p}
    return h, cache


def gru_backward(dh, cache):
    """Backpropagation through time for gru_forward (full BPTT).

    Gives what chaining gru_step_backward for t = T-1 ... 0 and adding up its gradients gives
    (up to rounding): the loop body is gru_step_backward's chain rule, carrying dL/dh back in
    time. One thing differs, to make it faster: the loop only stores each step's gradients at
    the gates' pre-activations, side by side as in gru_step_backward (da_x on the input side,
    da_h on the hidden side). Every parameter gradient is a sum over t of a product with them
    (dW_hh = sum_t da_h,t^T h_{t-1}, ...), so after the loop each one is a single matrix product
    over all T*B rows instead of T small ones.

    Inputs:
    - dh: dL/dh_t arriving directly at each step, shape (T, B, H)
    - cache: from gru_forward

    Returns a dict of gradients:
    - W_xh (3H, D), W_hh (3H, H), b_xh (3H,), b_hh (3H,)
    - x (T, B, D), h0 (B, H)
    """
    check_cache(cache, ("x", "states", "gates", "hn", "params"), "gru_forward")
    x, states, gates, hn, p = (cache[k] for k in ("x", "states", "gates", "hn", "params"))
    T, B, D = x.shape
    H = states.shape[2]
    dh = check_upstream("dh", dh, (T, B, H), ("T", "B", "H"))
    W_hh = p["W_hh"]

    da_x = np.empty((T, B, 3 * H))  # dL/da at r, z, n on the input side, step by step
    da_h = np.empty((T, B, 3 * H))  # the same on the hidden side
    dh_next = np.zeros((B, H))  # dL/dh_t coming back from step t+1
    for t in range(T - 1, -1, -1):
        r, z, n = gates[:, t]
        h_prev = states[t]
        dh_t = dh[t] + dh_next
        da_n = dh_t * (1.0 - z) * (1.0 - n * n)  # at n's pre-activation
        da_z = dh_t * (h_prev - n) * z * (1.0 - z)
        da_r = da_n * hn[t] * r * (1.0 - r)
        # The input side sees da_n as it is; the hidden side sees it through the reset gate.
        np.concatenate([da_r, da_z, da_n], axis=1, out=da_x[t])
        np.concatenate([da_r, da_z, da_n * r], axis=1, out=da_h[t])
        # h_{t-1} reaches h_t through every gate and directly (the z * h_{t-1} term).
        dh_next = da_h[t] @ W_hh
        dh_next += dh_t * z

    # Every weight gradient is a sum over steps, e.g. dW_hh = sum_t da_h,t^T h_{t-1}: one
    # product over all T*B rows each. Written as (h^T da)^T, the same product, because
    # BLAS runs that order faster.
    da_x = da_x.reshape(T * B, 3 * H)
    da_h = da_h.reshape(T * B, 3 * H)
    return {
        "W_xh": (x.reshape(T * B, D).T @ da_x).T,
        "W_hh": (states[:-1].reshape(T * B, H).T @ da_h).T,
        "b_xh": da_x.sum(axis=0),
        "b_hh": da_h.sum(axis=0),
        "x": (da_x @ p["W_xh"]).reshape(T, B, D),
        "h0": dh_next,
    }
