"""Lesson modules of notebooks 02 and 03: the resting state of a zero-input RNN, BPTT through
an output layer, chunked truncated BPTT (against torch with h.detach() and against finite
differences), and what each truncation costs."""

import math

import numpy as np
import pytest
import torch

from rnn_helpers.gradcheck import gradcheck_report, rel_error
from rnn_helpers.lessons.n02_forward_pass_from_scratch import resting_state, zero_input_states
from rnn_helpers.lessons.n03_backprop_through_time import (
    CUT,
    FUTURE,
    KEPT,
    PARAM_KEYS,
    SCALAR_EXAMPLE,
    bptt_costs,
    chunk_length,
    chunked_bptt,
    chunked_reach_matrix,
    reach_matrix,
    scalar_example_by_code,
)
from rnn_helpers.scratch import init_rnn_params, params_from_torch, rnn_backward, rnn_forward

# ----------------------------------------------------------------------------- notebook 02


def test_zero_input_starts_at_tanh_of_the_bias_and_follows_the_step():
    params = init_rnn_params(3, 5, seed=4)
    states = zero_input_states(params, 6)
    assert states.shape == (6, 5)
    np.testing.assert_allclose(states[0], np.tanh(params["b_h"]), rtol=0, atol=1e-15)
    for t in range(1, 6):  # each later state is one zero-input step from the one before
        expected = np.tanh(states[t - 1] @ params["W_hh"].T + params["b_h"])
        np.testing.assert_allclose(states[t], expected, rtol=1e-14, atol=1e-15)


def test_resting_state_is_a_fixed_point_and_not_tanh_b_in_general():
    params = init_rnn_params(3, 5, seed=0)
    rest = resting_state(params)
    assert rest.converged and rest.steps < 1000
    h = rest.state
    np.testing.assert_allclose(h, np.tanh(h @ params["W_hh"].T + params["b_h"]), atol=1e-11)
    assert np.abs(h - np.tanh(params["b_h"])).max() > 0.05
    no_w = resting_state(dict(params, W_hh=np.zeros((5, 5))))
    np.testing.assert_allclose(no_w.state, np.tanh(params["b_h"]), atol=1e-12)


def test_a_contraction_has_one_resting_state_reached_from_every_start():
    params = init_rnn_params(2, 6, seed=1)
    W = params["W_hh"]
    params["W_hh"] = 0.9 * W / np.linalg.norm(W, 2)  # spectral norm 0.9 < 1
    ends = [resting_state(params, h_start=np.random.default_rng(s).uniform(-1, 1, 6)).state
            for s in range(5)]  # fmt: skip
    for e in ends[1:]:
        np.testing.assert_allclose(e, ends[0], atol=1e-10)


def test_one_unit_with_negative_feedback_never_settles():
    flip = {"W_xh": np.zeros((1, 1)), "W_hh": np.array([[-2.0]]), "b_h": np.zeros(1)}
    rest = resting_state(flip, max_steps=300, h_start=np.array([0.5]))
    assert not rest.converged and rest.steps == 300
    two = {"W_xh": np.zeros((1, 1)), "W_hh": np.array([[2.0]]), "b_h": np.zeros(1)}
    up = resting_state(two, h_start=np.array([0.5])).state
    down = resting_state(two, h_start=np.array([-0.5])).state
    assert up[0] > 0.9 and down[0] < -0.9  # two resting states, one per sign


@pytest.mark.parametrize(("call", "name"), [
    (lambda p: zero_input_states(p, 0), "^T: "),
    (lambda p: zero_input_states(p, 3, h_start=np.zeros(4)), "h_start"),
    (lambda p: resting_state(p, max_steps=0), "max_steps"),
    (lambda p: resting_state(p, tol=0.0), "tol"),
])  # fmt: skip
def test_n02_bad_arguments_are_named(call, name):
    with pytest.raises(ValueError, match=name):
        call(init_rnn_params(2, 3))


# ----------------------------------------------------------------------------- output layer


def _scalar_by_plain_python(ex):
    """The three-step example with nothing but floats and math.tanh: the hand calculation."""
    h, h_prev = [], 0.0
    for x_t in ex["x"]:
        h_prev = math.tanh(ex["w_x"] * x_t + ex["w_h"] * h_prev + ex["b"])
        h.append(h_prev)
    dy = [ex["w_y"] * h_t + ex["c"] - y_t for h_t, y_t in zip(h, ex["y"], strict=True)]
    delta, carried = [0.0] * 3, 0.0
    for t in (2, 1, 0):
        delta[t] = (ex["w_y"] * dy[t] + carried) * (1 - h[t] ** 2)
        carried = delta[t] * ex["w_h"]
    h_before = [0.0, h[0], h[1]]
    return {
        "h": h, "dy_hat": dy, "delta": delta,
        "dW_hy": sum(d * h_t for d, h_t in zip(dy, h, strict=True)), "db_y": sum(dy),
        "dW_xh": sum(d * x for d, x in zip(delta, ex["x"], strict=True)),
        "dW_hh": sum(d * hb for d, hb in zip(delta, h_before, strict=True)), "db_h": sum(delta),
    }  # fmt: skip


def test_scalar_example_matches_the_hand_calculation():
    code = scalar_example_by_code()
    hand = _scalar_by_plain_python(SCALAR_EXAMPLE)
    for name, value in hand.items():
        np.testing.assert_allclose(code[name], value, rtol=1e-12, atol=1e-15, err_msg=name)
    np.testing.assert_allclose(code["dh_direct"], 2.0 * np.array(code["dy_hat"]), rtol=1e-14)


def test_scalar_example_matches_torch_autograd_and_finite_differences():
    ex = dict(SCALAR_EXAMPLE, w_h=-0.7, b=0.2, c=0.3, x=(0.5, -1.0, 2.0), y=(0.1, 0.4, -0.3))
    code = scalar_example_by_code(ex)
    names = ("w_x", "w_h", "b", "w_y", "c")
    p = {n: torch.tensor(ex[n], dtype=torch.float64, requires_grad=True) for n in names}

    def loss(q, tanh, zero):
        h, total = zero, zero
        for x_t, y_t in zip(ex["x"], ex["y"], strict=True):
            h = tanh(q["w_x"] * x_t + q["w_h"] * h + q["b"])
            total = total + 0.5 * (q["w_y"] * h + q["c"] - y_t) ** 2
        return total

    loss(p, torch.tanh, torch.zeros((), dtype=torch.float64)).backward()
    ours = {"w_x": code["dW_xh"], "w_h": code["dW_hh"], "b": code["db_h"], "w_y": code["dW_hy"],
            "c": code["db_y"]}  # fmt: skip
    for n in names:
        assert rel_error(np.array(ours[n]), p[n].grad.numpy()) < 1e-12, n
    point = {n: np.array(ex[n], dtype=np.float64) for n in names}
    report = gradcheck_report(lambda q: loss(q, np.tanh, 0.0), point,
                              {n: np.array(v) for n, v in ours.items()}, verbose=False)  # fmt: skip
    assert report < 1e-7


# ----------------------------------------------------------------------------- chunked TBPTT


def _problem(T=7, B=3, D=2, H=4, seed=0):
    rng = np.random.default_rng(seed)
    params = init_rnn_params(D, H, seed=seed)
    return (rng.standard_normal((T, B, D)), 0.5 * rng.standard_normal((B, H)), params,
            rng.standard_normal((T, B, H)))  # fmt: skip


@pytest.mark.parametrize("k", [1, 2, 3, 5, 7, 9])
def test_chunked_bptt_equals_torch_with_detach(k):
    x, h0, _, dh = _problem()
    torch.manual_seed(3)
    rnn = torch.nn.RNN(2, 4, dtype=torch.float64)
    params = params_from_torch(rnn)
    h0_live = torch.tensor(h0[None], requires_grad=True)
    carry = h0_live
    for start in range(0, x.shape[0], k):
        out, carry = rnn(torch.from_numpy(x[start:start + k]), carry)
        (out * torch.from_numpy(dh[start:start + k])).sum().backward()
        carry = carry.detach()
    ours, h_last = chunked_bptt(x, h0, params, dh, k)
    autograd = {"W_xh": rnn.weight_ih_l0.grad, "W_hh": rnn.weight_hh_l0.grad,
                "b_h": rnn.bias_ih_l0.grad, "h0": h0_live.grad[0]}  # fmt: skip
    for name, g in autograd.items():
        assert rel_error(ours[name], g.numpy()) < 1e-7, name
    np.testing.assert_allclose(h_last, carry[0].numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("k", [1, 3, 4])
def test_chunked_bptt_against_finite_differences_of_the_frozen_carry_loss(k):
    """The chunked gradient is the exact gradient of a surrogate loss: every chunk starts from
    the carried state *frozen at its current value* (h0 stays live for the first chunk)."""
    x, h0, params, dh = _problem(T=7, seed=2)
    states, _ = rnn_forward(x, h0, params)

    def surrogate(p):
        total = 0.0
        for start in range(0, x.shape[0], k):
            start_state = p["h0"] if start == 0 else states[start - 1]
            hs, _ = rnn_forward(x[start:start + k], start_state, p)
            total += np.sum(dh[start:start + k] * hs)
        return total

    grads, _ = chunked_bptt(x, h0, params, dh, k)
    report = gradcheck_report(surrogate, {**params, "h0": h0}, grads, verbose=False)
    assert report < 1e-7


def test_chunked_ends_full_bptt_and_step_only():
    x, h0, params, dh = _problem()
    h, cache = rnn_forward(x, h0, params)
    full, step_only = rnn_backward(dh, cache), rnn_backward(dh, cache, truncate=0)
    one_chunk, h_last = chunked_bptt(x, h0, params, dh, 7)
    per_step, _ = chunked_bptt(x, h0, params, dh, 1)
    for n in (*PARAM_KEYS, "h0"):
        np.testing.assert_array_equal(one_chunk[n], full[n])
        np.testing.assert_allclose(per_step[n], step_only[n], rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(h_last, h[-1])  # the states are the true ones
    k3, _ = chunked_bptt(x, h0, params, dh, 3)
    assert rel_error(k3["W_hh"], full["W_hh"]) > 1e-3  # and it really is a different gradient


def test_chunked_reach_matrix():
    expected = np.array([[KEPT, FUTURE, FUTURE, FUTURE, FUTURE],
                         [KEPT, KEPT, FUTURE, FUTURE, FUTURE],
                         [CUT, CUT, KEPT, FUTURE, FUTURE],
                         [CUT, CUT, KEPT, KEPT, FUTURE],
                         [CUT, CUT, CUT, CUT, KEPT]])  # fmt: skip
    np.testing.assert_array_equal(chunked_reach_matrix(5, 2), expected)
    np.testing.assert_array_equal(chunked_reach_matrix(6, 6), reach_matrix(6, None))
    np.testing.assert_array_equal(chunked_reach_matrix(6, 1), reach_matrix(6, 0))
    # Chunks of k keep a subset of the per-step window k-1: never a path it does not keep.
    for k in range(1, 8):
        assert not np.any((chunked_reach_matrix(10, k) == KEPT) & (reach_matrix(10, k - 1) != KEPT))


@pytest.mark.parametrize("k", [0, -1, 2.0, True, None])
def test_chunk_length_is_refused_by_name(k):
    with pytest.raises(ValueError, match="k: expected"):
        chunk_length(k)


def test_chunked_bptt_refuses_a_wrong_dh_by_name():
    x, h0, params, dh = _problem()
    with pytest.raises(ValueError, match="dh"):
        chunked_bptt(x, h0, params, dh[:-1], 2)


def test_costs_memory_and_work():
    costs = bptt_costs(T=600, B=8, D=1, H=32, steps=20, repeats=1)
    full, window, chunk = costs["full"], costs["per-step window"], costs["chunked"]
    assert (full.states_kept, window.states_kept, chunk.states_kept) == (600, 600, 20)
    assert full.backward_madds == chunk.backward_madds == 600 * 8 * 32 * 32
    assert window.backward_madds == 19 * full.backward_madds
    # Memory held at once: the whole sequence's states for full BPTT and the per-step window,
    # one chunk's for chunks (600 / 20 = 30 times fewer states).
    assert chunk.peak_mb < full.peak_mb / 10
    assert window.peak_mb > 0.9 * full.peak_mb
    assert all(c.seconds > 0 for c in costs.values())


@pytest.mark.parametrize("steps", [0, 2.5, True])
def test_costs_refuse_a_bad_number_of_steps_by_name(steps):
    with pytest.raises(ValueError, match="steps: expected"):
        bptt_costs(T=10, B=2, H=3, steps=steps, repeats=1)
