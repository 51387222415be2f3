"""Bad input raises ValueError/TypeError naming the argument, what it got and what was
expected; nothing is broadcast silently."""

import re

import numpy as np
import pytest

from rnn_helpers.scratch import (
    gru_backward,
    gru_forward,
    gru_step,
    init_linear_params,
    init_rnn_params,
    linear_backward,
    linear_forward,
    lstm_backward,
    lstm_forward,
    lstm_step,
    lstm_step_backward,
    rnn_backward,
    rnn_forward,
    rnn_step,
    rnn_step_backward,
)

T, B, D, H = 5, 3, 2, 4
RNG = np.random.default_rng(0)
X = RNG.standard_normal((T, B, D))
H0 = RNG.standard_normal((B, H))
P = init_rnn_params(D, H)
LP = init_rnn_params(D, H, kind="lstm")
GP = init_rnn_params(D, H, kind="gru")


def with_value(arr, index, value):
    out = np.array(arr, dtype=float)
    out[index] = value
    return out


def raises(exc, fragment):
    """pytest.raises matching a literal fragment of the message."""
    return pytest.raises(exc, match=re.escape(fragment))


FORWARD_CASES = [
    # (call, exception, message fragment)
    (
        lambda: rnn_forward(X[0], H0, P),
        ValueError,
        "x: expected a 3-D array (T, B, D), got shape (3, 2)",
    ),
    (
        lambda: rnn_forward(X[:0], H0, P),
        ValueError,
        "x: expected every axis of (T, B, D) to have length >= 1, got shape (0, 3, 2)",
    ),
    (
        lambda: rnn_forward(X, H0[:2], P),
        ValueError,
        "h0: expected shape (B, H) = (3, 4), got (2, 4)",
    ),
    (  # a single state is not broadcast over the batch
        lambda: rnn_forward(X, H0[0], P),
        ValueError,
        "h0: expected shape (B, H) = (3, 4), got (4,)",
    ),
    (
        lambda: rnn_forward(X, H0[None], P),
        ValueError,
        "h0: expected shape (B, H) = (3, 4), got (1, 3, 4)",
    ),
    (
        lambda: rnn_forward(X, H0, dict(P, W_hh=np.zeros((4, 5)))),
        ValueError,
        "params['W_hh']: expected shape (4, 4), got (4, 5)",
    ),
    (
        lambda: rnn_forward(X, H0, dict(P, W_xh=np.zeros((4, 3)))),
        ValueError,
        "params['W_xh']: expected shape (4, 2), got (4, 3)",
    ),
    (
        lambda: rnn_forward(X, H0, dict(P, b_h=np.zeros((1, 4)))),
        ValueError,
        "params['b_h']: expected shape (4,), got (1, 4)",
    ),
    (
        lambda: rnn_forward(X, H0, {"W_xh": P["W_xh"], "b_h": P["b_h"]}),
        ValueError,
        "params: missing key(s) 'W_hh'; expected keys W_xh, W_hh, b_h",
    ),
    (
        lambda: rnn_forward(X, H0, [P["W_xh"], P["W_hh"], P["b_h"]]),
        TypeError,
        "params: expected a dict with keys W_xh, W_hh, b_h, got list",
    ),
    (
        lambda: rnn_forward(X, H0, P, nonlinearity="softmax"),
        ValueError,
        "nonlinearity: expected one of 'tanh', 'relu', 'sigmoid', got 'softmax'",
    ),
    (
        lambda: rnn_forward(X, H0, P, nonlinearity=None),
        TypeError,
        "nonlinearity: expected one of 'tanh', 'relu', 'sigmoid', got NoneType None",
    ),
    (
        lambda: rnn_forward(with_value(X, (2, 1, 0), np.nan), H0, P),
        ValueError,
        "x: expected finite numbers, got 1 NaN and 0 inf value(s)",
    ),
    (
        lambda: rnn_forward(X, with_value(H0, (0, 0), -np.inf), P),
        ValueError,
        "h0: expected finite numbers, got 0 NaN and 1 inf value(s)",
    ),
    (
        lambda: rnn_forward(X, H0, dict(P, W_hh=with_value(P["W_hh"], (1, 1), np.nan))),
        ValueError,
        "params['W_hh']: expected finite numbers, got 1 NaN",
    ),
    (
        lambda: rnn_forward(X.astype(str), H0, P),
        TypeError,
        "x: expected an array of real numbers, got dtype <U",
    ),
    (
        lambda: rnn_forward(X.astype(complex), H0, P),
        TypeError,
        "x: expected an array of real numbers, got dtype complex128",
    ),
    (
        lambda: rnn_forward([[[1.0], [2.0, 3.0]]], H0, P),
        TypeError,
        "x: expected an array of real numbers, got list",
    ),
    (
        lambda: rnn_step(X, H0, P),
        ValueError,
        "x_t: expected a 2-D array (B, D), got shape (5, 3, 2)",
    ),
    (
        lambda: rnn_step(X[0], H0[:, :3], P),
        ValueError,
        "h_prev: expected shape (B, H) = (3, 4), got (3, 3)",
    ),
    # LSTM
    (
        lambda: lstm_forward(X, H0, H0[:, :2], LP),
        ValueError,
        "c0: expected shape (B, H) = (3, 4), got (3, 2)",
    ),
    (
        lambda: lstm_forward(X, H0, H0, dict(LP, W_hh=np.zeros((15, 4)))),
        ValueError,
        "params['W_hh']: expected a 2-D array of shape (4H, H) with H >= 1, got shape (15, 4)",
    ),
    (
        lambda: lstm_forward(X, H0, H0, dict(LP, W_xh=np.zeros((16, 5)))),
        ValueError,
        "params['W_xh']: expected shape (16, 2), got (16, 5)",
    ),
    (
        lambda: lstm_forward(X, H0, H0, P),
        ValueError,
        "params: missing key(s) 'b'; expected keys W_xh, W_hh, b",
    ),
    (
        lambda: lstm_step(X[0], H0, with_value(H0, (1, 1), np.nan), LP),
        ValueError,
        "c_prev: expected finite numbers, got 1 NaN",
    ),
    # GRU
    (
        lambda: gru_forward(X, H0, dict(GP, b_hh=np.zeros(4))),
        ValueError,
        "params['b_hh']: expected shape (12,), got (4,)",
    ),
    (
        lambda: gru_forward(X, H0, dict(GP, W_hh=np.zeros((12, 3)))),
        ValueError,
        "params['W_hh']: expected shape (12, 4), got (12, 3)",
    ),
    (
        lambda: gru_step(X[0, :2], H0, GP),
        ValueError,
        "h_prev: expected shape (B, H) = (2, 4), got (3, 4)",
    ),
    # output layer
    (
        lambda: linear_forward(H0, {"W_hy": np.zeros((2, 5)), "b_y": np.zeros(2)}),
        ValueError,
        "h: expected shape (..., H) with H = 5 (the columns of W_hy), got (3, 4)",
    ),
    (
        lambda: linear_forward(H0, {"W_hy": np.zeros((2, 4)), "b_y": np.zeros(3)}),
        ValueError,
        "params['b_y']: expected shape (2,), got (3,)",
    ),
    (
        lambda: linear_forward(H0, {"W_hy": np.zeros(4), "b_y": np.zeros(1)}),
        ValueError,
        "params['W_hy']: expected a 2-D array (O, H), got shape (4,)",
    ),
    # init helpers
    (lambda: init_rnn_params(2, 0), ValueError, "hidden_size: expected an integer >= 1, got 0"),
    (lambda: init_rnn_params(2.5, 3), TypeError, "input_size: expected an integer >= 1, got float"),
    (
        lambda: init_rnn_params(2, 3, kind="transformer"),
        ValueError,
        "kind: expected one of 'rnn', 'lstm', 'gru', got 'transformer'",
    ),
    (lambda: init_linear_params(3, -1), ValueError,
     "output_size: expected an integer >= 1, got -1"),
]


@pytest.mark.parametrize("call, exc, fragment", FORWARD_CASES)
def test_bad_input_raises_with_a_helpful_message(call, exc, fragment):
    with raises(exc, fragment):
        call()


def test_torch_tensor_is_refused_with_a_hint():
    torch = pytest.importorskip("torch")
    with raises(TypeError, "x: expected a NumPy array, got a torch Tensor"):
        rnn_forward(torch.zeros(T, B, D), H0, P)


# ---- backward ----

_, RNN_CACHE = rnn_forward(X, H0, P)
_, _, LSTM_CACHE = lstm_forward(X, H0, H0, LP)
_, GRU_CACHE = gru_forward(X, H0, GP)
DH = RNG.standard_normal((T, B, H))


BACKWARD_CASES = [
    (
        lambda: rnn_backward(DH[:, :2], RNN_CACHE),
        ValueError,
        "dh: expected shape (T, B, H) = (5, 3, 4), got (5, 2, 4)",
    ),
    (  # the loss at the last step only, without its time axis: not broadcast
        lambda: rnn_backward(DH[-1], RNN_CACHE),
        ValueError,
        "dh: expected shape (T, B, H) = (5, 3, 4), got (3, 4)",
    ),
    (
        lambda: rnn_backward(with_value(DH, (0, 0, 0), np.inf), RNN_CACHE),
        ValueError,
        "dh: expected finite numbers, got 0 NaN and 1 inf value(s)",
    ),
    (
        lambda: rnn_backward(DH, RNN_CACHE, truncate=-1),
        ValueError,
        "truncate: expected None or an int >= 0, got -1",
    ),  # noqa: E501
    (
        lambda: rnn_backward(DH, RNN_CACHE, truncate=2.0),
        TypeError,
        "truncate: expected None or an int >= 0, got float 2.0",
    ),  # noqa: E501
    (
        lambda: rnn_backward(DH, RNN_CACHE, truncate=True),
        TypeError,
        "truncate: expected None or an int >= 0, got bool True",
    ),  # noqa: E501
    (
        lambda: rnn_backward(DH, RNN_CACHE, truncate="3"),
        TypeError,
        "truncate: expected None or an int >= 0, got str '3'",
    ),  # noqa: E501
    (
        lambda: rnn_backward(DH, GRU_CACHE),
        TypeError,
        "cache: expected the cache returned by rnn_forward, got dict",
    ),
    (
        lambda: rnn_backward(DH, (X, H0)),
        TypeError,
        "cache: expected the cache returned by rnn_forward, got tuple",
    ),
    (
        lambda: rnn_step_backward(DH[0], RNN_CACHE),
        TypeError,
        "cache: expected the cache returned by rnn_step",
    ),
    (
        lambda: lstm_backward(DH, LSTM_CACHE, dc=DH[:, :, :2]),
        ValueError,
        "dc: expected shape (T, B, H) = (5, 3, 4), got (5, 3, 2)",
    ),
    (
        lambda: lstm_backward(DH[:4], LSTM_CACHE),
        ValueError,
        "dh: expected shape (T, B, H) = (5, 3, 4), got (4, 3, 4)",
    ),
    (
        lambda: lstm_step_backward(DH[0], DH[0, :1], lstm_step(X[0], H0, H0, LP)[2]),
        ValueError,
        "dc_t: expected shape (B, H) = (3, 4), got (1, 4)",
    ),
    (
        lambda: gru_backward(DH.T, GRU_CACHE),
        ValueError,
        "dh: expected shape (T, B, H) = (5, 3, 4), got (4, 3, 5)",
    ),
    (
        lambda: linear_backward(
            np.zeros((3, 3)), linear_forward(H0, {"W_hy": np.zeros((2, 4)), "b_y": np.zeros(2)})[1]
        ),  # noqa: E501
        ValueError,
        "dy: expected shape (3, 2), got (3, 3)",
    ),
]


@pytest.mark.parametrize("call, exc, fragment", BACKWARD_CASES)
def test_bad_backward_input_raises_with_a_helpful_message(call, exc, fragment):
    with raises(exc, fragment):
        call()


def test_valid_truncate_values_are_accepted():
    full = rnn_backward(DH, RNN_CACHE)
    for k in [0, np.int64(2), T - 1, 10 * T]:
        grads = rnn_backward(DH, RNN_CACHE, truncate=k)
        assert set(grads) == set(full)


def test_extra_param_keys_are_ignored():
    # One dict may hold a whole model, output layer included.
    model = dict(P, **init_linear_params(H, 1))
    h_model, _ = rnn_forward(X, H0, model)
    h_plain, _ = rnn_forward(X, H0, P)
    np.testing.assert_array_equal(h_model, h_plain)
