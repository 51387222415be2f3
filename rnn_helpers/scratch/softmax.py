"""Softmax and the softmax cross-entropy loss: the output layer of a language model.

For N predictions with scores z_n (V logits each) and true classes y_n:

    p_n = softmax(z_n),      L = -(1/N) sum_n log p_n[y_n]      (the mean negative log-likelihood)
    dL/dz_n = (p_n - onehot(y_n)) / N

Logits may have any leading shape, e.g. (T, B, V) for a whole sequence of predictions;
every leading position is one of the N predictions. This equals
``torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))``.
"""

import numpy as np

from rnn_helpers.validate import as_float_array, check_cache, check_finite, shape_str


def log_softmax(logits):
    """log softmax over the last axis, computed stably: z - max(z) - log sum exp(z - max(z)).

    Inputs:
    - logits: shape (..., V)

    Returns log-probabilities, shape (..., V), every entry <= 0.
    """
    z = np.asarray(logits, dtype=np.float64)
    # Subtracting the row maximum leaves the softmax unchanged and keeps exp() <= 1.
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(logits):
    """softmax over the last axis: exp(z_i) / sum_j exp(z_j), shape (..., V)."""
    return np.exp(log_softmax(logits))


def softmax_cross_entropy_forward(logits, targets):
    """Mean cross-entropy between softmax(logits) and integer targets.

    Inputs:
    - logits: scores, shape (..., V), e.g. (T, B, V)
    - targets: the true class of each prediction, integers in [0, V), shape (...),
      e.g. (T, B)

    Returns a tuple of:
    - loss: a float, -(1/N) sum log p[target] over the N = targets.size predictions
    - cache: what softmax_cross_entropy_backward needs
    """
    logits = as_float_array("logits", logits)
    if logits.ndim == 0 or logits.shape[-1] == 0 or logits.size == 0:
        raise ValueError(f"logits: expected shape (..., V) with V >= 1 and at least one "
                         f"prediction, got {shape_str(logits.shape)}")
    check_finite("logits", logits)
    V = logits.shape[-1]
    targets = np.asarray(targets)
    if targets.shape != logits.shape[:-1]:
        raise ValueError(f"targets: expected shape {shape_str(logits.shape[:-1])} (the "
                         f"leading axes of logits {shape_str(logits.shape)}), "
                         f"got {shape_str(targets.shape)}")
    if targets.dtype.kind not in "iu":
        raise TypeError(f"targets: expected integer class indices, got dtype {targets.dtype}")
    if targets.min() < 0 or targets.max() >= V:
        raise ValueError(f"targets: expected class indices in [0, {V - 1}], got values from "
                         f"{targets.min()} to {targets.max()}")

    logp = log_softmax(logits)
    picked = np.take_along_axis(logp, targets[..., None], axis=-1)
    loss = -float(picked.mean())
    return loss, {"logp": logp, "targets": targets}


def softmax_cross_entropy_backward(dloss, cache):
    """Backward pass of softmax_cross_entropy_forward.

    Inputs:
    - dloss: the upstream gradient, a number (1.0 when the loss is the final output)
    - cache: from softmax_cross_entropy_forward

    Returns a dict of gradients:
    - logits: (softmax(logits) - onehot(targets)) * dloss / N, shape (..., V)
    """
    check_cache(cache, ("logp", "targets"), "softmax_cross_entropy_forward")
    dloss = float(dloss)
    logp, targets = cache["logp"], cache["targets"]
    dlogits = np.exp(logp)  # softmax: every class's probability pushes its logit up
    # Only the true class's log-probability is in the loss: it adds -1 at that entry.
    rows = dlogits.reshape(-1, logp.shape[-1])  # a view: N predictions, V classes each
    rows[np.arange(targets.size), targets.reshape(-1)] -= 1.0
    dlogits *= dloss / targets.size
    return {"logits": dlogits}
