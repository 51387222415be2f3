"""The scratch LSTM and GRU against torch, finite differences and their step functions."""

import numpy as np
import pytest
import torch

from rnn_helpers.gradcheck import gradcheck_report
from rnn_helpers.scratch import (
    gru_backward,
    gru_forward,
    gru_step,
    gru_step_backward,
    init_rnn_params,
    lstm_backward,
    lstm_forward,
    lstm_step,
    lstm_step_backward,
    params_from_torch,
)

SHAPES = [(1, 1, 1, 1), (1, 4, 3, 5), (6, 1, 1, 1), (5, 3, 2, 4), (9, 2, 4, 6)]


def rel(a, b):
    """Max abs difference relative to the reference's scale (b: the torch side)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))


def data(T, B, D, H, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in [(T, B, D), (B, H), (B, H), (T, B, H), (T, B, H)]]


def weight_grads(module):
    return {
        "W_xh": module.weight_ih_l0.grad.numpy(),
        "W_hh": module.weight_hh_l0.grad.numpy(),
        "b_ih": module.bias_ih_l0.grad.numpy(),
        "b_hh": module.bias_hh_l0.grad.numpy(),
    }


# ---- LSTM ----


@pytest.mark.parametrize("shape", SHAPES)
def test_lstm_matches_torch_forward_and_backward(shape):
    T, B, D, H = shape
    torch.manual_seed(T + 10 * H)
    module = torch.nn.LSTM(D, H).double()
    x, h0, c0, dh, _ = data(*shape, seed=1)
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)
    c0t = torch.tensor(c0[None], requires_grad=True)
    h_ref, (h_n, c_n) = module(xt, (h0t, c0t))
    (h_ref * torch.tensor(dh)).sum().backward()

    h, c, cache = lstm_forward(x, h0, c0, params_from_torch(module))
    assert h.shape == c.shape == (T, B, H)
    assert rel(h, h_ref.detach().numpy()) <= 1e-7
    assert rel(h[-1], h_n[0].detach().numpy()) <= 1e-7
    assert rel(c[-1], c_n[0].detach().numpy()) <= 1e-7

    grads = lstm_backward(dh, cache)
    assert set(grads) == {"W_xh", "W_hh", "b", "x", "h0", "c0"}
    ref = weight_grads(module)
    assert rel(grads["W_xh"], ref["W_xh"]) <= 1e-7
    assert rel(grads["W_hh"], ref["W_hh"]) <= 1e-7
    assert rel(grads["b"], ref["b_ih"]) <= 1e-7
    assert rel(grads["x"], xt.grad.numpy()) <= 1e-7
    assert rel(grads["h0"], h0t.grad[0].numpy()) <= 1e-7
    assert rel(grads["c0"], c0t.grad[0].numpy()) <= 1e-7


def test_lstm_backward_with_dc_finite_differences():
    T, B, D, H = 4, 2, 3, 3
    x, h0, c0, dh, dc = data(T, B, D, H, seed=2)
    params = init_rnn_params(D, H, seed=2, kind="lstm")
    _, _, cache = lstm_forward(x, h0, c0, params)

    def loss(p):
        h, c, _ = lstm_forward(p["x"], p["h0"], p["c0"], p)
        return np.sum(dh * h) + np.sum(dc * c)

    point = dict(params, x=x, h0=h0, c0=c0)
    result = gradcheck_report(loss, point, lstm_backward(dh, cache, dc=dc), verbose=False)
    assert result.ok, result.message()
    # Without dc the same check must fail: the cell-state loss really contributes.
    assert not gradcheck_report(loss, point, lstm_backward(dh, cache), verbose=False).ok


@pytest.mark.parametrize("with_dc", [False, True])
@pytest.mark.parametrize("shape", [(5, 3, 2, 4), *SHAPES])
def test_lstm_forward_equals_looping_lstm_step_and_backward_equals_chained_steps(
    shape, with_dc
):
    # What the docstrings of lstm_forward and lstm_backward promise.
    T, B, D, H = shape
    x, h0, c0, dh, dc = data(T, B, D, H, seed=3)
    params = init_rnn_params(D, H, seed=3, kind="lstm")
    h_seq, c_seq, cache = lstm_forward(x, h0, c0, params)
    assert h_seq.flags.c_contiguous and c_seq.flags.c_contiguous
    h_t, c_t, caches = h0, c0, []
    for t in range(T):
        h_t, c_t, step_cache = lstm_step(x[t], h_t, c_t, params)
        caches.append(step_cache)
        np.testing.assert_allclose(h_seq[t], h_t, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(c_seq[t], c_t, rtol=1e-13, atol=1e-15)

    total = {k: np.zeros_like(v) for k, v in params.items()}
    dx = np.zeros_like(x)
    dh_next, dc_next = np.zeros((B, H)), np.zeros((B, H))
    for t in reversed(range(T)):
        dc_t = dc_next + dc[t] if with_dc else dc_next
        g = lstm_step_backward(dh[t] + dh_next, dc_t, caches[t])
        for k in total:
            total[k] += g[k]
        dx[t], dh_next, dc_next = g["x"], g["h_prev"], g["c_prev"]
    grads = lstm_backward(dh, cache, dc=dc if with_dc else None)
    for k in total:
        np.testing.assert_allclose(grads[k], total[k], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grads["x"], dx, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grads["h0"], dh_next, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grads["c0"], dc_next, rtol=1e-12, atol=1e-14)


def test_lstm_step_backward_finite_differences():
    B, D, H = 3, 2, 3
    rng = np.random.default_rng(4)
    x_t, h_prev, c_prev, dh_t, dc_t = (
        rng.standard_normal(s) for s in [(B, D), (B, H), (B, H), (B, H), (B, H)]
    )
    params = init_rnn_params(D, H, seed=4, kind="lstm")
    _, _, cache = lstm_step(x_t, h_prev, c_prev, params)

    def loss(p):
        h, c, _ = lstm_step(p["x"], p["h_prev"], p["c_prev"], p)
        return np.sum(dh_t * h) + np.sum(dc_t * c)

    point = dict(params, x=x_t, h_prev=h_prev, c_prev=c_prev)
    result = gradcheck_report(loss, point, lstm_step_backward(dh_t, dc_t, cache), verbose=False)
    assert result.ok, result.message()


# ---- GRU ----


@pytest.mark.parametrize("shape", SHAPES)
def test_gru_matches_torch_forward_and_backward(shape):
    T, B, D, H = shape
    torch.manual_seed(T + 10 * H + 1)
    module = torch.nn.GRU(D, H).double()
    x, h0, _, dh, _ = data(*shape, seed=5)
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)
    h_ref, h_n = module(xt, h0t)
    (h_ref * torch.tensor(dh)).sum().backward()

    h, cache = gru_forward(x, h0, params_from_torch(module))
    assert rel(h, h_ref.detach().numpy()) <= 1e-7
    assert rel(h[-1], h_n[0].detach().numpy()) <= 1e-7

    grads = gru_backward(dh, cache)
    assert set(grads) == {"W_xh", "W_hh", "b_xh", "b_hh", "x", "h0"}
    ref = weight_grads(module)
    assert rel(grads["W_xh"], ref["W_xh"]) <= 1e-7
    assert rel(grads["W_hh"], ref["W_hh"]) <= 1e-7
    assert rel(grads["b_xh"], ref["b_ih"]) <= 1e-7
    assert rel(grads["b_hh"], ref["b_hh"]) <= 1e-7
    assert rel(grads["x"], xt.grad.numpy()) <= 1e-7
    assert rel(grads["h0"], h0t.grad[0].numpy()) <= 1e-7


def test_gru_keeps_both_biases_because_they_differ():
    # b_hn sits inside r * (...), so moving it into b_in changes the output.
    torch.manual_seed(6)
    module = torch.nn.GRU(2, 3).double()
    p = params_from_torch(module)
    x, h0, _, _, _ = data(4, 2, 2, 3, seed=6)
    merged = dict(p, b_xh=p["b_xh"] + p["b_hh"], b_hh=np.zeros_like(p["b_hh"]))
    assert rel(gru_forward(x, h0, merged)[0], gru_forward(x, h0, p)[0]) > 1e-4


def test_gru_backward_finite_differences():
    T, B, D, H = 4, 2, 3, 3
    x, h0, _, dh, _ = data(T, B, D, H, seed=7)
    params = init_rnn_params(D, H, seed=7, kind="gru")
    _, cache = gru_forward(x, h0, params)

    def loss(p):
        return np.sum(dh * gru_forward(p["x"], p["h0"], p)[0])

    result = gradcheck_report(
        loss, dict(params, x=x, h0=h0), gru_backward(dh, cache), verbose=False
    )
    assert result.ok, result.message()


@pytest.mark.parametrize("shape", [(5, 3, 2, 4), *SHAPES])
def test_gru_forward_equals_looping_gru_step_and_backward_equals_chained_steps(shape):
    # What the docstrings of gru_forward and gru_backward promise.
    T, B, D, H = shape
    x, h0, _, dh, _ = data(T, B, D, H, seed=8)
    params = init_rnn_params(D, H, seed=8, kind="gru")
    h_seq, cache = gru_forward(x, h0, params)
    assert h_seq.flags.c_contiguous
    h_t, caches = h0, []
    for t in range(T):
        h_t, step_cache = gru_step(x[t], h_t, params)
        caches.append(step_cache)
        np.testing.assert_allclose(h_seq[t], h_t, rtol=1e-13, atol=1e-15)

    total = {k: np.zeros_like(v) for k, v in params.items()}
    dx = np.zeros_like(x)
    dh_next = np.zeros((B, H))
    for t in reversed(range(T)):
        g = gru_step_backward(dh[t] + dh_next, caches[t])
        for k in total:
            total[k] += g[k]
        dx[t], dh_next = g["x"], g["h_prev"]
    grads = gru_backward(dh, cache)
    for k in total:
        np.testing.assert_allclose(grads[k], total[k], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grads["x"], dx, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grads["h0"], dh_next, rtol=1e-12, atol=1e-14)


def test_gru_step_backward_finite_differences():
    B, D, H = 3, 2, 3
    rng = np.random.default_rng(9)
    x_t, h_prev, dh_t = (rng.standard_normal(s) for s in [(B, D), (B, H), (B, H)])
    params = init_rnn_params(D, H, seed=9, kind="gru")
    _, cache = gru_step(x_t, h_prev, params)

    def loss(p):
        return np.sum(dh_t * gru_step(p["x"], p["h_prev"], p)[0])

    point = dict(params, x=x_t, h_prev=h_prev)
    result = gradcheck_report(loss, point, gru_step_backward(dh_t, cache), verbose=False)
    assert result.ok, result.message()


def test_lstm_and_gru_do_not_modify_inputs():
    T, B, D, H = 3, 2, 2, 3
    x, h0, c0, dh, dc = data(T, B, D, H, seed=10)
    lp = init_rnn_params(D, H, kind="lstm")
    gp = init_rnn_params(D, H, kind="gru")
    saved = [a.copy() for a in (x, h0, c0, dh, dc, *lp.values(), *gp.values())]
    h, c, cache = lstm_forward(x, h0, c0, lp)
    kept = h.copy(), c.copy()
    lstm_backward(dh, cache, dc=dc)
    lstm_backward(dh, cache)
    np.testing.assert_array_equal(h, kept[0])
    np.testing.assert_array_equal(c, kept[1])
    h, cache = gru_forward(x, h0, gp)
    kept = h.copy()
    gru_backward(dh, cache)
    np.testing.assert_array_equal(h, kept)
    for a, b in zip(saved, (x, h0, c0, dh, dc, *lp.values(), *gp.values()), strict=True):
        np.testing.assert_array_equal(a, b)


def test_lstm_saturated_gates_stay_finite():
    # Huge pre-activations must saturate the sigmoids cleanly: no overflow, no NaN.
    T, B, D, H = 3, 2, 2, 2
    x, h0, c0, dh, _ = data(T, B, D, H, seed=11)
    params = init_rnn_params(D, H, kind="lstm")
    params["W_xh"] = params["W_xh"] * 1e4
    with np.errstate(all="raise"):
        h, c, cache = lstm_forward(x, h0, c0, params)
        grads = lstm_backward(dh, cache)
    assert all(np.isfinite(g).all() for g in grads.values())
