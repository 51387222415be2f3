"""The scratch vanilla RNN and output layer against torch, finite differences and the
course's definition of truncated BPTT."""

import numpy as np
import pytest
import torch

from rnn_helpers.gradcheck import gradcheck_report
from rnn_helpers.scratch import (
    init_linear_params,
    init_rnn_params,
    linear_backward,
    linear_forward,
    params_from_torch,
    rnn_backward,
    rnn_forward,
    rnn_step,
    rnn_step_backward,
)

# (T, B, D, H): the edge sizes 1 everywhere, then ordinary ones.
SHAPES = [(1, 1, 1, 1), (1, 4, 3, 5), (6, 1, 1, 1), (5, 3, 2, 4), (9, 2, 4, 6)]


def rel(a, b):
    """Max abs difference relative to the reference's scale (b: the torch side)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))


def torch_rnn(D, H, nonlinearity, seed):
    torch.manual_seed(seed)
    return torch.nn.RNN(D, H, nonlinearity=nonlinearity).double()


def data(T, B, D, H, seed):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((T, B, D)),
        rng.standard_normal((B, H)),
        rng.standard_normal((T, B, H)),  # upstream dh
    )


def torch_grads(module, x, h0, dh):
    """h and the autograd gradients of sum(dh * h) in the scratch naming."""
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)
    module.zero_grad()
    h, h_n = module(xt, h0t)
    (h * torch.tensor(dh)).sum().backward()
    grads = {
        "W_xh": module.weight_ih_l0.grad,
        "W_hh": module.weight_hh_l0.grad,
        "b_h": module.bias_hh_l0.grad,  # b_ih and b_hh get the same gradient
        "x": xt.grad,
        "h0": h0t.grad[0],
    }
    return h.detach().numpy(), {k: v.numpy() for k, v in grads.items()}


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("shape", SHAPES)
def test_forward_matches_torch(shape, nonlinearity):
    T, B, D, H = shape
    module = torch_rnn(D, H, nonlinearity, seed=T + H)
    x, h0, _ = data(*shape, seed=1)
    h, _ = rnn_forward(x, h0, params_from_torch(module), nonlinearity)
    with torch.no_grad():
        h_ref, h_n = module(torch.tensor(x), torch.tensor(h0[None]))
    assert h.dtype == np.float64 and h.shape == (T, B, H)
    assert rel(h, h_ref.numpy()) <= 1e-7
    assert rel(h[-1], h_n[0].numpy()) <= 1e-7


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("shape", SHAPES)
def test_backward_matches_torch_autograd(shape, nonlinearity):
    T, B, D, H = shape
    module = torch_rnn(D, H, nonlinearity, seed=T * H)
    x, h0, dh = data(*shape, seed=2)
    _, ref = torch_grads(module, x, h0, dh)
    _, cache = rnn_forward(x, h0, params_from_torch(module), nonlinearity)
    grads = rnn_backward(dh, cache)
    assert set(grads) == {"W_xh", "W_hh", "b_h", "x", "h0"}
    for name, g in ref.items():
        assert rel(grads[name], g) <= 1e-7, name


def test_sigmoid_rnn_backward_matches_finite_differences():
    # torch's nn.RNN has no sigmoid, so finite differences are the referee here.
    T, B, D, H = 5, 2, 3, 4
    x, h0, dh = data(T, B, D, H, seed=3)
    params = init_rnn_params(D, H, seed=3)
    _, cache = rnn_forward(x, h0, params, "sigmoid")
    grads = rnn_backward(dh, cache)

    def loss(p):
        return np.sum(dh * rnn_forward(p["x"], p["h0"], p, "sigmoid")[0])

    result = gradcheck_report(loss, dict(params, x=x, h0=h0), grads, tol=1e-7, verbose=False)
    assert result.ok, result.message()
    # The same check must fail for the tanh gradients: the two really differ.
    _, tanh_cache = rnn_forward(x, h0, params, "tanh")
    wrong = gradcheck_report(
        loss, dict(params, x=x, h0=h0), rnn_backward(dh, tanh_cache), verbose=False
    )
    assert not wrong.ok


def torch_truncated_grads(module, x, h0, dh, k):
    """Truncated BPTT literally as COURSE.md defines it, by brute force in torch.

    For each t: recompute steps max(0, t-k) ... t from the detached true h_{t-k-1} (or the
    live h0), backprop sum(dh[t] * h_t) and add the gradients over t.
    """
    T = x.shape[0]
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)
    with torch.no_grad():
        h_true, _ = module(xt, h0t)
    module.zero_grad()
    for t in range(T):
        start = max(0, t - k)
        h_start = h_true[start - 1 : start].detach() if start > 0 else h0t
        out, _ = module(xt[start : t + 1], h_start)
        (out[-1] * torch.tensor(dh[t])).sum().backward()
    grads = {
        "W_xh": module.weight_ih_l0.grad,
        "W_hh": module.weight_hh_l0.grad,
        "b_h": module.bias_ih_l0.grad,
        "x": xt.grad,
        "h0": h0t.grad[0],
    }
    return {k_: v.numpy().copy() for k_, v in grads.items()}


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("k", [0, 1, 3, 6, 7, 11])  # T = 8: k = T-2, T-1 and k > T
def test_truncated_bptt_matches_bruteforce_definition(k, nonlinearity):
    T, B, D, H = 8, 3, 2, 5
    module = torch_rnn(D, H, nonlinearity, seed=4)
    with torch.no_grad():  # a larger W_hh so that far-back gradients are not negligible
        module.weight_hh_l0.mul_(2.0)
    x, h0, dh = data(T, B, D, H, seed=4)
    ref = torch_truncated_grads(module, x, h0, dh, k)
    _, cache = rnn_forward(x, h0, params_from_torch(module), nonlinearity)
    grads = rnn_backward(dh, cache, truncate=k)
    for name, g in ref.items():
        assert rel(grads[name], g) <= 1e-7, name
    full = rnn_backward(dh, cache)
    if k >= T - 1:
        for name in full:
            np.testing.assert_array_equal(grads[name], full[name])
    else:  # truncation really dropped something
        assert rel(grads["W_hh"], full["W_hh"]) > 1e-3


@pytest.mark.parametrize("k", [0, 1, 2, 4])
@pytest.mark.parametrize("loss_steps", [(11,), (0, 5, 11), (2, 3, 9), (1, 10)])
def test_truncated_bptt_with_losses_at_a_few_steps_only(k, loss_steps):
    # Sparse losses (many-to-one, or gaps longer than k): steps no loss can reach must get
    # exactly zero gradient, and a loss after such a gap must start its own window.
    T, B, D, H = 12, 2, 3, 4
    module = torch_rnn(D, H, "tanh", seed=5)
    with torch.no_grad():
        module.weight_hh_l0.mul_(2.0)
    x, h0, dh = data(T, B, D, H, seed=5)
    mask = np.zeros((T, 1, 1))
    mask[list(loss_steps)] = 1.0
    dh = dh * mask
    ref = torch_truncated_grads(module, x, h0, dh, k)
    _, cache = rnn_forward(x, h0, params_from_torch(module), "tanh")
    grads = rnn_backward(dh, cache, truncate=k)
    for name, g in ref.items():
        assert rel(grads[name], g) <= 1e-7, name


def test_truncate_zero_keeps_only_the_step_itself():
    # With k = 0, x_t only receives the gradient of the loss at its own step t.
    T, B, D, H = 4, 2, 3, 3
    x, h0, dh = data(T, B, D, H, seed=5)
    params = init_rnn_params(D, H, seed=5)
    dh_last_only = np.zeros_like(dh)
    dh_last_only[-1] = dh[-1]
    _, cache = rnn_forward(x, h0, params)
    grads = rnn_backward(dh_last_only, cache, truncate=0)
    assert np.all(grads["x"][:-1] == 0) and np.any(grads["x"][-1] != 0)
    assert np.all(grads["h0"] == 0)
    full = rnn_backward(dh_last_only, cache)
    assert np.all(np.abs(full["x"][:-1]) > 0)


@pytest.mark.parametrize("shape", SHAPES)
def test_forward_equals_looping_rnn_step(shape):
    # What rnn_forward's docstring promises: the step function looped over time.
    T, B, D, H = shape
    x, h0, _ = data(T, B, D, H, seed=6)
    params = init_rnn_params(D, H, seed=6)
    for nonlinearity in ["tanh", "relu", "sigmoid"]:
        h_seq, _ = rnn_forward(x, h0, params, nonlinearity)
        assert h_seq.shape == (T, B, H) and h_seq.flags.c_contiguous
        h_t = h0
        for t in range(T):
            h_t, _ = rnn_step(x[t], h_t, params, nonlinearity)
            np.testing.assert_allclose(h_seq[t], h_t, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize("shape", [(5, 2, 3, 4), *SHAPES])
def test_backward_equals_chaining_rnn_step_backward(shape, nonlinearity):
    # BPTT written with the step function, as the notebook teaches it first.
    T, B, D, H = shape
    x, h0, dh = data(T, B, D, H, seed=7)
    params = init_rnn_params(D, H, seed=7)
    caches, h_t = [], h0
    for t in range(T):
        h_t, c = rnn_step(x[t], h_t, params, nonlinearity)
        caches.append(c)
    total = {k: np.zeros_like(v) for k, v in params.items()}
    dx = np.zeros_like(x)
    dh_next = np.zeros((B, H))
    for t in reversed(range(T)):
        g = rnn_step_backward(dh[t] + dh_next, caches[t])
        for k in total:
            total[k] += g[k]
        dx[t], dh_next = g["x"], g["h_prev"]
    _, cache = rnn_forward(x, h0, params, nonlinearity)
    grads = rnn_backward(dh, cache)
    for k in total:
        np.testing.assert_allclose(grads[k], total[k], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grads["x"], dx, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grads["h0"], dh_next, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("nonlinearity", ["tanh", "sigmoid", "relu"])
def test_rnn_step_backward_finite_differences(nonlinearity):
    B, D, H = 3, 2, 4
    rng = np.random.default_rng(8)
    x_t, h_prev, dh_t = (rng.standard_normal(s) for s in [(B, D), (B, H), (B, H)])
    params = init_rnn_params(D, H, seed=8)
    _, cache = rnn_step(x_t, h_prev, params, nonlinearity)
    grads = rnn_step_backward(dh_t, cache)

    def loss(p):
        return np.sum(dh_t * rnn_step(p["x"], p["h_prev"], p, nonlinearity)[0])

    result = gradcheck_report(loss, dict(params, x=x_t, h_prev=h_prev), grads, verbose=False)
    assert result.ok, result.message()


@pytest.mark.parametrize("truncate", [None, 1])
def test_rnn_backward_finite_differences(truncate):
    # Truncated gradients are exact gradients of a different function: full BPTT with
    # T = k + 1 sees the same thing, so check truncate=1 on a 2-step sequence.
    T = 5 if truncate is None else 2
    B, D, H = 2, 3, 3
    x, h0, dh = data(T, B, D, H, seed=9)
    params = init_rnn_params(D, H, seed=9)
    _, cache = rnn_forward(x, h0, params)

    def loss(p):
        return np.sum(dh * rnn_forward(p["x"], p["h0"], p)[0])

    grads = rnn_backward(dh, cache, truncate=truncate)
    result = gradcheck_report(loss, dict(params, x=x, h0=h0), grads, verbose=False)
    assert result.ok, result.message()


def test_inputs_are_not_modified():
    T, B, D, H = 4, 2, 3, 3
    x, h0, dh = data(T, B, D, H, seed=10)
    params = init_rnn_params(D, H, seed=10)
    saved = [a.copy() for a in (x, h0, dh, *params.values())]
    for nonlinearity in ["tanh", "relu", "sigmoid"]:
        h, cache = rnn_forward(x, h0, params, nonlinearity)
        h_saved = h.copy()
        for k in [None, 0, 2]:
            rnn_backward(dh, cache, truncate=k)
        np.testing.assert_array_equal(h, h_saved)  # backward did not touch h either
    for a, b in zip(saved, (x, h0, dh, *params.values()), strict=True):
        np.testing.assert_array_equal(a, b)


def test_h0_none_means_zeros_and_float32_is_upcast():
    T, B, D, H = 3, 2, 2, 3
    x, _, _ = data(T, B, D, H, seed=11)
    params = init_rnn_params(D, H, seed=11)
    h_none, _ = rnn_forward(x, None, params)
    h_zero, _ = rnn_forward(x, np.zeros((B, H)), params)
    np.testing.assert_array_equal(h_none, h_zero)
    h32, _ = rnn_forward(x.astype(np.float32), None, params)
    assert h32.dtype == np.float64


# ---- the output layer ----


@pytest.mark.parametrize("lead", [(4,), (3, 2), (1, 1)])
def test_linear_matches_torch(lead):
    H, O = 5, 3
    torch.manual_seed(12)
    layer = torch.nn.Linear(H, O).double()
    h = np.random.default_rng(12).standard_normal(lead + (H,))
    dy = np.random.default_rng(13).standard_normal(lead + (O,))
    W, b = layer.weight.detach().numpy().copy(), layer.bias.detach().numpy().copy()
    y, cache = linear_forward(h, {"W_hy": W, "b_y": b})
    ht = torch.tensor(h, requires_grad=True)
    y_ref = layer(ht)
    (y_ref * torch.tensor(dy)).sum().backward()
    assert rel(y, y_ref.detach().numpy()) <= 1e-7
    grads = linear_backward(dy, cache)
    assert rel(grads["W_hy"], layer.weight.grad.numpy()) <= 1e-7
    assert rel(grads["b_y"], layer.bias.grad.numpy()) <= 1e-7
    assert rel(grads["h"], ht.grad.numpy()) <= 1e-7


def test_linear_finite_differences():
    H, O = 4, 2
    rng = np.random.default_rng(14)
    h, dy = rng.standard_normal((3, 2, H)), rng.standard_normal((3, 2, O))
    p = init_linear_params(H, O, seed=14)
    _, cache = linear_forward(h, p)
    grads = linear_backward(dy, cache)

    def loss(q):
        return np.sum(dy * linear_forward(q["h"], q)[0])

    result = gradcheck_report(loss, dict(p, h=h), grads, verbose=False)
    assert result.ok, result.message()


# ---- initialisation and conversion ----


@pytest.mark.parametrize(
    "kind, keys, gates",
    [("rnn", ["b_h"], 1), ("lstm", ["b"], 4), ("gru", ["b_xh", "b_hh"], 3)],
)
def test_init_rnn_params(kind, keys, gates):
    D, H = 3, 16
    p = init_rnn_params(D, H, seed=1, kind=kind)
    assert list(p) == ["W_xh", "W_hh", *keys]
    assert p["W_xh"].shape == (gates * H, D) and p["W_hh"].shape == (gates * H, H)
    for k in keys:
        assert p[k].shape == (gates * H,)
    for v in p.values():
        assert v.dtype == np.float64
        assert np.abs(v).max() <= 1 / np.sqrt(H)
        assert np.abs(v).max() > 0.5 / np.sqrt(H)  # spread over the whole interval
    again = init_rnn_params(D, H, seed=1, kind=kind)
    other = init_rnn_params(D, H, seed=2, kind=kind)
    np.testing.assert_array_equal(p["W_hh"], again["W_hh"])
    assert not np.array_equal(p["W_hh"], other["W_hh"])


def test_init_linear_params():
    p = init_linear_params(20, 1, seed=0)
    assert p["W_hy"].shape == (1, 20) and p["b_y"].shape == (1,)
    assert np.abs(p["W_hy"]).max() <= 1 / np.sqrt(20)
    # the course's parameter count: a 20-unit RNN on 1 input has 440, its head 21
    rnn = init_rnn_params(1, 20)
    assert sum(v.size for v in rnn.values()) == 440
    assert sum(v.size for v in p.values()) == 21


def test_params_from_torch_sums_biases_and_copies():
    module = torch_rnn(2, 3, "tanh", seed=15)
    p = params_from_torch(module)
    assert set(p) == {"W_xh", "W_hh", "b_h"}
    expected = (module.bias_ih_l0 + module.bias_hh_l0).detach().numpy()
    np.testing.assert_allclose(p["b_h"], expected, rtol=1e-15)
    p["W_hh"][0, 0] += 1.0  # must not write through to the module
    assert module.weight_hh_l0[0, 0].item() != p["W_hh"][0, 0]


def test_params_from_torch_float32_and_no_bias():
    torch.manual_seed(16)
    module = torch.nn.RNN(2, 3, bias=False)  # float32
    p = params_from_torch(module)
    assert all(v.dtype == np.float64 for v in p.values())
    np.testing.assert_array_equal(p["b_h"], np.zeros(3))
    np.testing.assert_array_equal(p["W_hh"], module.weight_hh_l0.detach().double().numpy())


@pytest.mark.parametrize(
    "module, match",
    [
        (torch.nn.RNN(2, 3, num_layers=2), "num_layers=1, got num_layers=2"),
        (torch.nn.GRU(2, 3, bidirectional=True), "bidirectional=False"),
        (torch.nn.LSTM(2, 3, proj_size=2), "proj_size=0, got proj_size=2"),
    ],
)
def test_params_from_torch_rejects_unsupported_layers(module, match):
    with pytest.raises(ValueError, match=match):
        params_from_torch(module)


def test_params_from_torch_rejects_other_modules():
    with pytest.raises(TypeError, match="module: expected a torch nn.RNN, nn.LSTM or nn.GRU"):
        params_from_torch(torch.nn.Linear(2, 3))
