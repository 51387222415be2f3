"""check_dot_product_attention: accepts the library, catches each usual mistake with its
hint (the mistaken versions are written out here), and never raises on a broken function."""

import numpy as np
import pytest

from rnn_helpers.attention import dot_product_attention
from rnn_helpers.checks import check_dot_product_attention


def _softmax(scores, axis=-1):
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _scores(q, k):
    return q @ k.transpose(0, 2, 1)


def no_sqrt_d(q, k, v, mask=None):
    scores = _scores(q, k)  # forgot / np.sqrt(d)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = _softmax(scores)
    return weights @ v, weights


def divided_by_d(q, k, v, mask=None):
    scores = _scores(q, k) / q.shape[-1]
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = _softmax(scores)
    return weights @ v, weights


def softmax_over_queries(q, k, v, mask=None):
    scores = _scores(q, k) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = _softmax(scores, axis=1)  # over the queries, not the keys
    return weights @ v, weights


def mask_after_softmax(q, k, v, mask=None):
    weights = _softmax(_scores(q, k) / np.sqrt(q.shape[-1]))
    if mask is not None:
        weights = weights * mask  # zeroed after the softmax: rows no longer sum to 1
    return weights @ v, weights


def mask_inverted(q, k, v, mask=None):
    scores = _scores(q, k) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, -np.inf, scores)  # True read as "hide"
    weights = _softmax(scores)
    return weights @ v, weights


def mask_ignored(q, k, v, mask=None):
    weights = _softmax(_scores(q, k) / np.sqrt(q.shape[-1]))
    return weights @ v, weights


def written_right(q, k, v, mask=None):
    """A student's correct version, written differently from the library's."""
    d = q.shape[-1]
    out, weights = [], []
    for b in range(q.shape[0]):
        s = np.einsum("qd,kd->qk", q[b], k[b]) / np.sqrt(d)
        if mask is not None:
            s[~np.broadcast_to(mask, (q.shape[0], q.shape[1], k.shape[1]))[b]] = -np.inf
        w = np.exp(s - s.max(axis=1, keepdims=True))
        w /= w.sum(axis=1, keepdims=True)
        weights.append(w)
        out.append(w @ v[b])
    return np.array(out), np.array(weights)


def test_accepts_the_library_and_a_correct_student_version(capsys):
    assert check_dot_product_attention(dot_product_attention)
    assert check_dot_product_attention(written_right)
    assert capsys.readouterr().out.count("✓ dot_product_attention matches the library") == 2


@pytest.mark.parametrize(
    "mistake, hint",
    [
        (no_sqrt_d, "not divided by √d"),
        (divided_by_d, "divided by d; the scaling is by √d"),
        (softmax_over_queries, "softmax seems to run over the queries"),
        (mask_after_softmax, "mask seems applied after the softmax"),
        (mask_inverted, "mask seems read the other way round"),
        (mask_ignored, "mask seems ignored"),
    ],
)
def test_each_usual_mistake_gets_its_hint(mistake, hint, capsys):
    assert check_dot_product_attention(mistake) is False
    out = capsys.readouterr().out
    assert out.startswith("✗ not yet:") and hint in out, out


def test_a_broken_function_is_reported_not_raised(capsys):
    def returns_none(q, k, v, mask=None):
        return None

    def raises(q, k, v, mask=None):
        return q @ k  # wrong shapes: matmul fails

    def weights_only(q, k, v, mask=None):
        return _softmax(_scores(q, k) / np.sqrt(q.shape[-1]))

    def changes_its_input(q, k, v, mask=None):
        q *= 2.0
        return dot_product_attention(q / 2.0, k, v, mask)

    def wrong_shape(q, k, v, mask=None):
        out, weights = dot_product_attention(q, k, v, mask)
        return out[0], weights

    assert not check_dot_product_attention(returns_none)
    assert "returned None" in capsys.readouterr().out
    assert not check_dot_product_attention(raises)
    assert "your function raised ValueError" in capsys.readouterr().out
    assert not check_dot_product_attention(weights_only)
    assert "expected (out, weights)" in capsys.readouterr().out
    assert not check_dot_product_attention(changes_its_input)
    assert "changed its input q in place" in capsys.readouterr().out
    assert not check_dot_product_attention(wrong_shape)
    assert "out: returned shape" in capsys.readouterr().out
    assert not check_dot_product_attention(dot_product_attention(*[np.ones((1, 1, 1))] * 3))
    assert "pass the function" in capsys.readouterr().out
