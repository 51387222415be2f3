"""The scratch softmax cross-entropy layer: equal to torch's cross_entropy in float64 (values
and gradients) and to finite differences; bad input named."""

import numpy as np
import pytest
import torch

from rnn_helpers.scratch import softmax_cross_entropy_backward, softmax_cross_entropy_forward
from rnn_helpers.scratch.softmax import log_softmax, softmax

SHAPES = [(7, 5), (4, 3, 6), (1, 1, 2), (3, 1)]


def _case(shape, seed, scale=3.0):
    rng = np.random.default_rng(seed)
    logits = scale * rng.standard_normal(shape)
    targets = rng.integers(0, shape[-1], size=shape[:-1])
    return logits, targets


def _rel(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)


@pytest.mark.parametrize("shape", SHAPES)
def test_loss_and_gradient_equal_torch_cross_entropy(shape):
    logits, targets = _case(shape, seed=len(shape) + shape[-1])
    loss, cache = softmax_cross_entropy_forward(logits, targets)
    dlogits = softmax_cross_entropy_backward(1.0, cache)["logits"]

    z = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(targets.reshape(-1))
    ref = torch.nn.functional.cross_entropy(z.reshape(-1, shape[-1]), y)
    ref.backward()
    assert abs(loss - ref.item()) <= 1e-7 * abs(ref.item())
    assert dlogits.shape == logits.shape
    assert _rel(dlogits, z.grad.numpy()) <= 1e-7


@pytest.mark.parametrize("shape", SHAPES)
def test_gradient_equals_finite_differences(shape):
    logits, targets = _case(shape, seed=10 + shape[-1])
    _, cache = softmax_cross_entropy_forward(logits, targets)
    analytic = softmax_cross_entropy_backward(1.0, cache)["logits"]
    numeric = np.zeros_like(logits)
    eps = 1e-6
    for idx in np.ndindex(logits.shape):
        plus, minus = logits.copy(), logits.copy()
        plus[idx] += eps
        minus[idx] -= eps
        numeric[idx] = (softmax_cross_entropy_forward(plus, targets)[0]
                        - softmax_cross_entropy_forward(minus, targets)[0]) / (2 * eps)
    assert _rel(analytic, numeric) <= 1e-7


def test_upstream_gradient_scales_the_result():
    logits, targets = _case((5, 4), seed=3)
    _, cache = softmax_cross_entropy_forward(logits, targets)
    one = softmax_cross_entropy_backward(1.0, cache)["logits"]
    assert np.allclose(softmax_cross_entropy_backward(2.5, cache)["logits"], 2.5 * one)
    # Each row of the gradient sums to zero: the probabilities sum to 1, the one-hot too.
    assert np.allclose(one.sum(axis=-1), 0.0, atol=1e-15)


def test_huge_logits_are_stable_and_inputs_untouched():
    logits = np.array([[1e3, -1e3, 0.0], [-1e3, -1e3, -999.0]])
    targets = np.array([1, 2])
    before = logits.copy()
    loss, cache = softmax_cross_entropy_forward(logits, targets)
    d = softmax_cross_entropy_backward(1.0, cache)["logits"]
    assert np.isfinite(loss) and np.isfinite(d).all()
    # Row 0 puts all mass on class 0, so the loss of class 1 is 2000 (exactly, in nats).
    assert np.isclose(loss, (2000.0 + np.log1p(2 * np.exp(-1.0))) / 2)
    assert np.array_equal(logits, before)
    assert np.allclose(softmax(logits).sum(-1), 1.0)
    assert (log_softmax(logits) <= 0).all()


def test_uniform_logits_give_log_v():
    # The uniform model: every class equally likely, loss ln V, i.e. perplexity V.
    loss, _ = softmax_cross_entropy_forward(np.zeros((6, 4, 96)), np.zeros((6, 4), dtype=int))
    assert np.isclose(np.exp(loss), 96.0)


@pytest.mark.parametrize(
    ("logits", "targets", "error", "words"),
    [
        (np.zeros((3, 4)), np.zeros(2, dtype=int), ValueError, "targets: expected shape (3,)"),
        (np.zeros((3, 4)), np.array([0, 1, 4]), ValueError, "targets: expected class indices"),
        (np.zeros((3, 4)), np.array([0, -1, 2]), ValueError, "[0, 3]"),
        (np.zeros((3, 4)), np.zeros(3), TypeError, "targets: expected integer"),
        (np.full((2, 3), np.nan), np.zeros(2, dtype=int), ValueError, "logits: expected finite"),
        (np.zeros((2, 0)), np.zeros(2, dtype=int), ValueError, "logits: expected shape"),
        (np.float64(1.0), np.int64(0), ValueError, "logits: expected shape"),
    ],
)
def test_bad_input_is_named(logits, targets, error, words):
    with pytest.raises(error, match=None) as info:
        softmax_cross_entropy_forward(logits, targets)
    assert words in str(info.value)


def test_backward_refuses_another_cache():
    with pytest.raises(TypeError, match="softmax_cross_entropy_forward"):
        softmax_cross_entropy_backward(1.0, {"h": 0})
