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
    """Run a GRU over a whole sequence: gru_step for t = 0 ... T-1.

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
    W_hh, b_hh = p["W_hh"], p["b_hh"]

    # Input parts of all gates for all steps in one matrix product; the loop turns
    # `gates` into the activated r, z, n of every step in place. For r and z the two
    # biases are simply added, so that is done once here; b_hn has to stay apart
    # because the reset gate multiplies it.
    gates = np.dot(x.reshape(T * B, D), p["W_xh"].T).reshape(T, B, 3 * H)
    gates += p["b_xh"]
    gates[:, :, : 2 * H] += b_hh[: 2 * H]
    b_hn = b_hh[2 * H :]
    hn = np.empty((T, B, H))  # h_{t-1} W_hn^T + b_hn, needed again in backward
    h = np.empty((T, B, H))
    ah = np.empty((B, 3 * H))
    h_prev = h0
    for t in range(T):
        np.dot(h_prev, W_hh.T, out=ah)
        rz, a_n = gates[t, :, : 2 * H], gates[t, :, 2 * H :]
        rz += ah[:, : 2 * H]
        sigmoid(rz, out=rz)  # r and z side by side: one call for both
        r, z = rz[:, :H], rz[:, H:]
        np.add(ah[:, 2 * H :], b_hn, out=hn[t])
        a_n += r * hn[t]
        n = np.tanh(a_n, out=a_n)
        # h_t = (1 - z) n + z h_{t-1} = n + z (h_{t-1} - n): one product fewer
        np.subtract(h_prev, n, out=h[t])
        h[t] *= z
        h[t] += n
        h_prev = h[t]

    cache = {"x": x, "h0": h0, "h": h, "gates": gates, "hn": hn, "params": p}
    return h, cache


def gru_backward(dh, cache):
    """Backpropagation through time for gru_forward (full BPTT).

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

    # Every gate gradient at step t is dh_t (the total gradient at h_t) times a factor
    # known from the forward pass, so the factors are computed for all steps at once
    # (in place: these arrays are large) and the loop only carries dh_t back in time.
    gates = cache["gates"].reshape(T, B, 3, H)
    r, z, n = gates[:, :, 0], gates[:, :, 1], gates[:, :, 2]
    h_prev = np.concatenate([h0[None], h[:-1]])
    tmp = np.subtract(1.0, z)
    dn = np.multiply(n, n)
    np.subtract(1.0, dn, out=dn)
    dn *= tmp  # da_n = dh_t * (1 - z) (1 - n^2) on the input side
    da = np.empty((T, B, 3, H))  # the hidden side's factors, then its gradients
    np.subtract(h_prev, n, out=da[:, :, 1])
    da[:, :, 1] *= z
    da[:, :, 1] *= tmp  # da_z = dh_t * (h_{t-1} - n) z (1 - z)
    np.subtract(1.0, r, out=tmp)
    tmp *= r
    tmp *= hn
    np.multiply(dn, tmp, out=da[:, :, 0])  # da_r = da_n * hn * r (1 - r)
    np.multiply(dn, r, out=da[:, :, 2])  # n's hidden part passes through the reset gate

    dh_all = np.empty((T, B, H))  # total dL/dh_t, from this step's loss and the future
    dh_next = np.zeros((B, H))
    for t in range(T - 1, -1, -1):
        dh_t = dh_all[t]
        np.add(dh[t], dh_next, out=dh_t)
        da[t] *= dh_t[:, None, :]
        np.dot(da[t].reshape(B, 3 * H), W_hh, out=dh_next)
        dh_next += dh_t * z[t]  # the direct path z * h_{t-1}

    # The input side equals the hidden side except for n, which skips the reset gate.
    da_x = da.copy()
    np.multiply(dn, dh_all, out=da_x[:, :, 2])
    da_x = da_x.reshape(T * B, 3 * H)
    da_h_2d = da.reshape(T * B, 3 * H)
    return {
        "W_xh": da_x.T @ x.reshape(T * B, D),
        "W_hh": da_h_2d.T @ h_prev.reshape(T * B, H),
        "b_xh": da_x.sum(axis=0),
        "b_hh": da_h_2d.sum(axis=0),
        "x": (da_x @ p["W_xh"]).reshape(T, B, D),
        "h0": dh_next,
    }
