"""rnn_helpers.attention.dot_product_attention: equal to torch's scaled_dot_product_attention
in float64 (with and without masks, broadcast masks included), and a clear error for every
bad input, a fully masked query above all (never a row of NaN)."""

import numpy as np
import pytest
import torch

from rnn_helpers.attention import dot_product_attention

TOL = 1e-7


def rel_error(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def torch_reference(q, k, v, mask=None):
    """torch's output, and its weights computed the same way (softmax of masked scores)."""
    tq, tk, tv = (torch.from_numpy(np.asarray(a, dtype=np.float64)) for a in (q, k, v))
    tmask = None if mask is None else torch.from_numpy(np.ascontiguousarray(mask))
    out = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=tmask)
    scores = tq @ tk.transpose(-2, -1) / np.sqrt(q.shape[-1])
    if tmask is not None:
        scores = scores.masked_fill(~tmask, float("-inf"))
    return out.numpy(), torch.softmax(scores, dim=-1).numpy()


def random_qkv(rng, B=3, Tq=4, Tk=6, d=5, dv=2, scale=1.0):
    return (scale * rng.standard_normal((B, Tq, d)), scale * rng.standard_normal((B, Tk, d)),
            rng.standard_normal((B, Tk, dv)))


@pytest.mark.parametrize("shape", [(1, 1, 1, 1, 1), (3, 4, 6, 5, 2), (2, 7, 3, 8, 4),
                                   (4, 2, 9, 3, 3)])
def test_equals_torch_without_mask(shape):
    rng = np.random.default_rng(sum(shape))
    q, k, v = random_qkv(rng, *shape)
    out, weights = dot_product_attention(q, k, v)
    ref_out, ref_weights = torch_reference(q, k, v)
    assert out.shape == ref_out.shape == (shape[0], shape[1], shape[4])
    assert weights.shape == (shape[0], shape[1], shape[2])
    assert out.dtype == weights.dtype == np.float64
    assert rel_error(out, ref_out) <= TOL
    assert rel_error(weights, ref_weights) <= TOL
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=0, atol=1e-12)


def _masks(rng, B, Tq, Tk):
    lengths = rng.integers(1, Tk + 1, size=B)
    padding = np.arange(Tk)[None, :] < lengths[:, None]
    full = rng.random((B, Tq, Tk)) < 0.5
    full[..., 0] |= ~full.any(axis=-1)
    return {
        "full (B, Tq, Tk)": full,
        "padding (B, 1, Tk)": padding[:, None, :],
        "causal (Tq, Tk)": np.tril(np.ones((Tq, Tk), dtype=bool)),
        "shared (1, Tq, Tk)": full[:1],
        "keys (Tk,)": np.arange(Tk) % 2 == 0,
        "per batch (B, 1, 1)... all True": np.ones((B, 1, 1), dtype=bool),
    }


@pytest.mark.parametrize("kind", list(_masks(np.random.default_rng(0), 3, 4, 6)))
def test_equals_torch_with_masks(kind):
    rng = np.random.default_rng(7)
    B, Tq, Tk = 3, 4, 6
    q, k, v = random_qkv(rng, B, Tq, Tk, 5, 2)
    mask = _masks(rng, B, Tq, Tk)[kind]
    out, weights = dot_product_attention(q, k, v, mask)
    ref_out, ref_weights = torch_reference(q, k, v, mask)
    assert rel_error(out, ref_out) <= TOL, kind
    assert rel_error(weights, ref_weights) <= TOL, kind
    hidden = ~np.broadcast_to(mask, (B, Tq, Tk))
    assert np.all(weights[hidden] == 0.0)  # hidden keys get exactly nothing
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=0, atol=1e-12)


def test_padding_mask_makes_padded_keys_irrelevant():
    """What padding masks are for: the values behind the mask cannot change the output."""
    rng = np.random.default_rng(3)
    q, k, v = random_qkv(rng, 2, 3, 5, 4, 2)
    mask = np.array([[True] * 5, [True, True, False, False, False]])[:, None, :]
    out, _ = dot_product_attention(q, k, v, mask)
    k2, v2 = k.copy(), v.copy()
    k2[1, 2:] = 100 * rng.standard_normal((3, 4))
    v2[1, 2:] = 1e6
    out2, _ = dot_product_attention(q, k2, v2, mask)
    np.testing.assert_array_equal(out[1], out2[1])
    alone, _ = dot_product_attention(q[1:], k[1:, :2], v[1:, :2])
    assert rel_error(out[1], alone[0]) <= 1e-12


def test_scaling_is_by_sqrt_d_and_large_scores_are_stable():
    rng = np.random.default_rng(4)
    q, k, v = random_qkv(rng, 2, 3, 4, 9, 2)
    _, weights = dot_product_attention(q, k, v)
    scores = q @ k.transpose(0, 2, 1) / 3.0  # √9
    e = np.exp(scores)
    np.testing.assert_allclose(weights, e / e.sum(-1, keepdims=True), rtol=1e-12)
    big = random_qkv(rng, 2, 3, 4, 9, 2, scale=300.0)  # scores of order 10^5
    out, weights = dot_product_attention(*big)
    assert np.isfinite(out).all() and np.isfinite(weights).all()
    assert rel_error(out, torch_reference(*big)[0]) <= TOL


def test_inputs_untouched_and_other_dtypes_accepted():
    rng = np.random.default_rng(5)
    q, k, v = random_qkv(rng)
    mask = np.ones((3, 4, 6), dtype=bool)
    mask[:, :, 3:] = False
    copies = [a.copy() for a in (q, k, v, mask)]
    dot_product_attention(q, k, v, mask)
    for a, c in zip((q, k, v, mask), copies, strict=True):
        np.testing.assert_array_equal(a, c)
    out32, _ = dot_product_attention(q.astype(np.float32), k.astype(np.float32), v, mask)
    assert out32.dtype == np.float64
    ints = dot_product_attention(np.ones((1, 2, 3), dtype=int), np.ones((1, 4, 3), dtype=int),
                                 np.arange(4.0).reshape(1, 4, 1))[0]
    np.testing.assert_allclose(ints, 1.5)  # equal scores: the plain mean of 0, 1, 2, 3


def test_a_fully_masked_query_is_an_error_not_nan():
    rng = np.random.default_rng(6)
    q, k, v = random_qkv(rng, 2, 3, 4, 5, 2)
    mask = np.ones((2, 3, 4), dtype=bool)
    mask[1, 2] = False  # query 2 of batch entry 1 may look at nothing
    with pytest.raises(ValueError, match=r"mask: query 2 of batch entry 1 keeps no key"):
        dot_product_attention(q, k, v, mask)
    # (torch answers such a row silently: NaN in older versions, zeros in torch 2.13.)
    with pytest.raises(ValueError, match="mask: query 0 of batch entry 0 keeps no key"):
        dot_product_attention(q, k, v, np.zeros(4, dtype=bool))


@pytest.mark.parametrize(
    "change, error, pattern",
    [
        (lambda a: {**a, "q": a["q"][0]}, ValueError, r"^q: expected a 3-D array"),
        (lambda a: {**a, "k": a["k"][..., None]}, ValueError, r"^k: expected a 3-D array"),
        (lambda a: {**a, "v": np.zeros((3, 6, 0))}, ValueError, r"^v: .*no empty axis"),
        (lambda a: {**a, "k": a["k"][..., :4]}, ValueError, r"^k: expected feature size d = 5"),
        (lambda a: {**a, "v": a["v"][:, :5]}, ValueError, r"^v: expected Tk = 6 values"),
        (lambda a: {**a, "k": a["k"][:2]}, ValueError, r"^k: expected batch size B = 3"),
        (lambda a: {**a, "v": a["v"][:1]}, ValueError, r"^v: expected batch size B = 3"),
        (lambda a: {**a, "mask": np.ones((3, 4, 5), bool)}, ValueError,
         r"^mask: shape \(3, 4, 5\) does not broadcast to \(B, Tq, Tk\) = \(3, 4, 6\)"),
        (lambda a: {**a, "mask": np.ones((2, 1, 6), bool)}, ValueError, r"^mask: shape"),
        (lambda a: {**a, "mask": np.ones((1, 3, 4, 6), bool)}, ValueError,
         r"^mask: expected at most 3 axes"),
        (lambda a: {**a, "mask": np.ones((3, 4, 6))}, TypeError, r"^mask: expected a boolean"),
        (lambda a: {**a, "mask": torch.ones(3, 4, 6, dtype=torch.bool)}, TypeError,
         r"^mask: expected a NumPy boolean array, got a torch Tensor"),
        (lambda a: {**a, "q": torch.zeros(3, 4, 5)}, TypeError, r"^q: expected a NumPy array"),
        (lambda a: {**a, "v": np.array([["a"]])}, TypeError, r"^v: expected an array of real"),
        (lambda a: {**a, "q": np.full((3, 4, 5), np.nan)}, ValueError, r"^q: expected finite"),
        (lambda a: {**a, "k": np.full((3, 6, 5), np.inf)}, ValueError, r"^k: expected finite"),
    ],
)
def test_bad_input_names_the_argument(change, error, pattern):
    rng = np.random.default_rng(8)
    q, k, v = random_qkv(rng)
    args = change({"q": q, "k": k, "v": v, "mask": None})
    with pytest.raises(error, match=pattern):
        dot_product_attention(**args)
