"""Dot-product attention in NumPy: every query takes a weighted average of the values.

For each query q_i the scores s_ij = q_i · k_j / √d say how well it matches each key k_j;
a softmax over the keys turns them into weights α_ij (positive, summing to 1 over j), and
the output is the weighted average of the values, out_i = Σ_j α_ij v_j:

    weights = softmax(q kᵀ / √d)  over the keys (the last axis)
    out     = weights v

Why √d: with d independent unit-variance features a dot product has variance d, so
without the scaling the softmax of long vectors saturates to a one-hot, whose gradient
is almost zero (Vaswani et al. 2017).

A boolean ``mask`` says which keys each query may look at (True = the key takes part,
as in torch's boolean ``attn_mask``); masked keys get weight exactly 0. Padding in a
batch of sequences of different lengths is masked this way. A query whose mask keeps no
key at all has nothing to average: that is an error here, not a row of NaN.

Shapes are batch-first, as in ``torch.nn.functional.scaled_dot_product_attention``:
q (B, Tq, d), k (B, Tk, d), v (B, Tk, dv) -> out (B, Tq, dv), weights (B, Tq, Tk).
"""

from __future__ import annotations

import numpy as np

__all__ = ["dot_product_attention"]


def _as_float_array(name: str, value) -> np.ndarray:
    """``value`` as a float64 array (not copied when it already is one), else TypeError."""
    if type(value).__name__ == "Tensor":
        raise TypeError(f"{name}: expected a NumPy array, got a torch Tensor; "
                        "pass tensor.detach().cpu().numpy() instead")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name}: expected an array of real numbers, "
                        f"got {type(value).__name__}") from err
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name}: expected an array of real numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64, copy=False)


def _check_3d(name: str, arr: np.ndarray, layout: str) -> None:
    if arr.ndim != 3 or 0 in arr.shape:
        raise ValueError(f"{name}: expected a 3-D array {layout} with no empty axis, "
                         f"got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: expected finite numbers, got "
                         f"{int(np.isnan(arr).sum())} NaN and {int(np.isinf(arr).sum())} inf")


def _check_mask(mask, full_shape: tuple[int, int, int]) -> np.ndarray:
    """The boolean mask broadcast to (B, Tq, Tk) (a read-only view), or an error."""
    if type(mask).__name__ == "Tensor":
        raise TypeError("mask: expected a NumPy boolean array, got a torch Tensor; "
                        "pass mask.cpu().numpy() instead")
    arr = np.asarray(mask)
    if arr.dtype != np.bool_:
        raise TypeError(
            f"mask: expected a boolean array (True = the key takes part), got dtype "
            f"{arr.dtype}; an additive mask of 0 and -inf is not accepted, use "
            "(additive == 0) to turn it into a boolean one")
    if arr.ndim > 3:
        raise ValueError(f"mask: expected at most 3 axes, broadcastable to (B, Tq, Tk) = "
                         f"{full_shape}, got shape {arr.shape}")
    try:
        full = np.broadcast_to(arr, full_shape)
    except ValueError:
        raise ValueError(f"mask: shape {arr.shape} does not broadcast to (B, Tq, Tk) = "
                         f"{full_shape}") from None
    empty = ~full.any(axis=-1)
    if empty.any():
        b, i = (int(n) for n in np.argwhere(empty)[0])
        count = int(empty.sum())
        raise ValueError(
            f"mask: query {i} of batch entry {b} keeps no key at all ({count} such "
            f"{'query' if count == 1 else 'queries'}); its weights would be 0/0. Every query "
            "needs at least one True in its row of the mask")
    return full


def dot_product_attention(q, k, v, mask=None):
    """Scaled dot-product attention: weights = softmax(q kᵀ / √d) over keys, out = weights v.

    Args:
        q: queries (B, Tq, d).
        k: keys (B, Tk, d), the same feature size d as the queries.
        v: values (B, Tk, dv), one per key.
        mask: None (every query sees every key) or a boolean array broadcastable to
            (B, Tq, Tk): True where the key takes part, False where it is hidden (as
            torch's boolean ``attn_mask``). A padding mask for keys of different lengths
            is (B, 1, Tk); a mask shared by the batch may be (Tq, Tk).

    Returns:
        out: (B, Tq, dv) float64, each query's weighted average of the values.
        weights: (B, Tq, Tk) float64, each row >= 0 and summing to 1; exactly 0 where the
            mask is False.

    Raises:
        ValueError naming the argument: not 3-D, NaN/inf, q and k of different feature
            sizes, k and v of different lengths, different batch sizes, a mask that does
            not broadcast to (B, Tq, Tk), or a query whose mask keeps no key.
        TypeError: a non-numeric array or a non-boolean mask.
    """
    q = _as_float_array("q", q)
    k = _as_float_array("k", k)
    v = _as_float_array("v", v)
    _check_3d("q", q, "(B, Tq, d)")
    _check_3d("k", k, "(B, Tk, d)")
    _check_3d("v", v, "(B, Tk, dv)")
    if k.shape[2] != q.shape[2]:
        raise ValueError(f"k: expected feature size d = {q.shape[2]} (q's last axis), "
                         f"got k of shape {k.shape}")
    if v.shape[1] != k.shape[1]:
        raise ValueError(f"v: expected Tk = {k.shape[1]} values, one per key (k's axis 1), "
                         f"got v of shape {v.shape}")
    for name, arr in (("k", k), ("v", v)):
        if arr.shape[0] != q.shape[0]:
            raise ValueError(f"{name}: expected batch size B = {q.shape[0]} (q's axis 0), "
                             f"got {name} of shape {arr.shape}")
    B, Tq, d = q.shape
    Tk = k.shape[1]

    scores = q @ k.transpose(0, 2, 1) / np.sqrt(d)  # (B, Tq, Tk): how well q_i matches k_j
    if mask is not None:
        keep = _check_mask(mask, (B, Tq, Tk))
        scores = np.where(keep, scores, -np.inf)  # hidden keys: exp(-inf) = 0 below
    # Softmax over the keys. Subtracting each row's largest score changes nothing
    # mathematically and keeps exp() from overflowing; every row has a finite maximum
    # because every query keeps at least one key.
    scores = scores - scores.max(axis=-1, keepdims=True)
    e = np.exp(scores)
    weights = e / e.sum(axis=-1, keepdims=True)
    out = weights @ v  # (B, Tq, dv)
    return out, weights
