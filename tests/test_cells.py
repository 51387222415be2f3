"""rnn_helpers.cells: gradient flow, gate helpers, LSTM traces and GRU memory, checked
against torch autograd, the scratch layers and closed forms."""

import math

import numpy as np
import pytest
import torch

from rnn_helpers import scratch
from rnn_helpers.cells import (
    force_gates,
    force_gru_gates,
    gradient_over_distance,
    gru_survival,
    half_life,
    lstm_gate_trace,
    measured_half_life,
    memory_units,
    recurrent_parameter_count,
    set_forget_bias,
    set_update_bias,
)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize(("D", "H"), [(1, 1), (2, 32), (7, 5)])
def test_parameter_count_is_torchs(kind, D, H):
    layer = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](D, H)
    assert recurrent_parameter_count(kind, D, H) == sum(p.numel() for p in layer.parameters())


def test_parameter_count_refuses_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        recurrent_parameter_count("transformer", 2, 3)
    with pytest.raises(ValueError, match="hidden_size"):
        recurrent_parameter_count("rnn", 2, 0)


def _torch_gradient_norms(kind, params, x):
    """||dL/dh_t|| (and ||dL/dc_t||) by autograd on a hand-written torch loop."""
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    xt = torch.tensor(x)
    T, B, _ = x.shape
    H = params["W_hh"].shape[1]
    h = torch.zeros(B, H, dtype=torch.float64)
    c = torch.zeros(B, H, dtype=torch.float64)
    hs, cs = [], []
    for t in range(T):
        if kind == "rnn":
            h = torch.tanh(xt[t] @ p["W_xh"].T + h @ p["W_hh"].T + p["b_h"])
        else:
            a = xt[t] @ p["W_xh"].T + h @ p["W_hh"].T + p["b"]
            i, f = torch.sigmoid(a[:, :H]), torch.sigmoid(a[:, H : 2 * H])
            g, o = torch.tanh(a[:, 2 * H : 3 * H]), torch.sigmoid(a[:, 3 * H :])
            c = f * c + i * g
            c.retain_grad()
            cs.append(c)
            h = o * torch.tanh(c)
        h.retain_grad()
        hs.append(h)
    (hs[-1].sum() / B).backward()
    norm_h = np.array([hs[t].grad.norm(dim=1).mean().item() for t in range(T)])[::-1]
    if not cs:
        return norm_h, None
    return norm_h, np.array([cs[t].grad.norm(dim=1).mean().item() for t in range(T)])[::-1]


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_gradient_over_distance_matches_autograd(kind):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((9, 4, 3))
    params = scratch.init_rnn_params(3, 5, seed=1, kind=kind)
    if kind == "lstm":
        params = set_forget_bias(params, 1.5)
    flow = gradient_over_distance(kind, params, x)
    norm_h, norm_c = _torch_gradient_norms(kind, params, x)
    np.testing.assert_array_equal(flow["distance"], np.arange(9))
    np.testing.assert_allclose(flow["dh"], norm_h, rtol=1e-10)
    if kind == "lstm":
        np.testing.assert_allclose(flow["dc"], norm_c, rtol=1e-10)
    # distance 0: dL/dh_{T-1} = 1/B in every unit
    assert flow["dh"][0] == pytest.approx(math.sqrt(5) / 4)


def test_lstm_gradient_outlives_the_rnn_with_a_forget_bias():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(60, 8, 2))
    rnn = gradient_over_distance("rnn", scratch.init_rnn_params(2, 16, seed=0), x)
    lstm = scratch.init_rnn_params(2, 16, seed=0, kind="lstm")
    lstm_flow = gradient_over_distance("lstm", set_forget_bias(lstm, 2.0), x)
    assert lstm_flow["dh"][59] > 1e6 * rnn["dh"][59]


def test_gradient_over_distance_refuses_gru_and_bad_x():
    with pytest.raises(ValueError, match="kind"):
        gru = scratch.init_rnn_params(2, 3, kind="gru")
        gradient_over_distance("gru", gru, np.zeros((4, 1, 2)))
    with pytest.raises(ValueError, match=r"x: expected shape \(T, B, D\)"):
        gradient_over_distance("rnn", scratch.init_rnn_params(2, 3), np.zeros((4, 2)))


def test_set_forget_bias_changes_only_the_f_block_of_a_copy():
    params = scratch.init_rnn_params(2, 3, seed=0, kind="lstm")
    before = {k: v.copy() for k, v in params.items()}
    new = set_forget_bias(params, 2.5)
    np.testing.assert_array_equal(new["b"][3:6], 2.5)
    np.testing.assert_array_equal(np.delete(new["b"], [3, 4, 5]), np.delete(before["b"], [3, 4, 5]))
    for k in params:  # the original is untouched
        np.testing.assert_array_equal(params[k], before[k])


def _step_inputs(seed=0, B=3, D=2, H=4):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((B, D)), rng.standard_normal((B, H)),
            rng.uniform(-2, 2, (B, H)))


def test_force_gates_keep_wipe_write_and_hide():
    x_t, h_prev, c_prev = _step_inputs()
    params = scratch.init_rnn_params(2, 4, seed=0, kind="lstm")

    def step(**gates):
        return scratch.lstm_step(x_t, h_prev, c_prev, force_gates(params, **gates))

    assert np.array_equal(step(f=1.0, i=0.0)[1], c_prev)
    assert np.array_equal(step(f=0.0, i=0.0)[1], np.zeros_like(c_prev))
    h, c, cache = step(o=0.0)
    assert np.array_equal(h, np.zeros_like(h)) and np.abs(c).max() > 0
    _, _, cache = step(i=0.25, f=0.75, g=-0.5, o=0.5)
    np.testing.assert_allclose(cache["i"], 0.25)
    np.testing.assert_allclose(cache["f"], 0.75)
    np.testing.assert_allclose(cache["g"], -0.5)
    np.testing.assert_allclose(cache["o"], 0.5)
    assert np.array_equal(step(g=1.0)[2]["g"], np.ones((3, 4)))


@pytest.mark.parametrize(("gates", "words"), [
    ({"q": 1.0}, "gate 'q'"), ({"f": 1.5}, r"\[0, 1\]"), ({"g": -2.0}, r"\[-1, 1\]"),
    ({"i": math.nan}, "finite"),
])
def test_force_gates_refuses_bad_gates(gates, words):
    with pytest.raises(ValueError, match=words):
        force_gates(scratch.init_rnn_params(2, 4, kind="lstm"), **gates)


def test_lstm_gate_trace_is_the_scratch_forward_pass():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 1, 3))
    params = scratch.init_rnn_params(3, 4, seed=2, kind="lstm")
    trace = lstm_gate_trace(params, x)
    h, c, cache = scratch.lstm_forward(x, None, None, params)
    np.testing.assert_allclose(trace["h"], h[:, 0], rtol=1e-12)
    np.testing.assert_allclose(trace["c"], c[:, 0], rtol=1e-12)
    gates = cache["gates"][:, 0]  # activated i, f, g, o side by side
    for j, name in enumerate("ifgo"):
        np.testing.assert_allclose(trace[name], gates[:, j * 4 : (j + 1) * 4], rtol=1e-12)
    assert lstm_gate_trace(params, x[:, 0])["c"].shape == (6, 4)
    with pytest.raises(ValueError, match="one sequence"):
        lstm_gate_trace(params, np.zeros((6, 2, 3)))


def test_memory_units_finds_the_unit_that_writes_at_the_marks_and_holds():
    T, H = 20, 5
    c = np.cumsum(np.random.default_rng(0).normal(0, 0.05, (T, H)), axis=0)  # drifting units
    c[:, 3] = 0.0
    c[4:, 3] += 0.8  # writes at step 4 ...
    c[12:, 3] += 0.5  # ... and at step 12, holds in between
    c[:, 1] = np.linspace(0, 3, T)  # moves a lot, but all the time
    order = memory_units({"c": c}, [4, 12], k=3)
    assert order[0] == 3 and 1 not in order[:1]
    assert len(order) == 3
    with pytest.raises(ValueError, match="marks"):
        memory_units({"c": c}, [4, 25])


def test_half_life_closed_form_and_measured_curve_agree():
    for z in (0.3, 0.5, 0.9, 0.99):
        kept = z ** np.arange(1, 400)
        assert measured_half_life(kept) == pytest.approx(half_life(z), rel=1e-9)
    assert half_life(0.5) == pytest.approx(1.0)
    assert half_life(1.0) == math.inf and half_life(0.0) == 0.0
    assert measured_half_life(np.full(10, 0.9)) == math.inf
    assert measured_half_life([0.4]) == pytest.approx(math.log(2) / math.log(2.5))
    with pytest.raises(ValueError, match="kept"):
        measured_half_life([])


def test_force_gru_gates_keep_and_forget():
    x_t, h_prev, _ = _step_inputs(seed=4)
    params = scratch.init_rnn_params(2, 4, seed=0, kind="gru")
    h_keep, _ = scratch.gru_step(x_t, h_prev, force_gru_gates(params, z=1.0))
    assert np.array_equal(h_keep, h_prev)
    h_new, _ = scratch.gru_step(x_t, h_prev, force_gru_gates(params, z=0.0, r=0.0))
    np.testing.assert_allclose(h_new, np.tanh(x_t @ params["W_xh"][8:].T + params["b_xh"][8:]))
    _, cache = scratch.gru_step(x_t, h_prev, force_gru_gates(params, z=0.3))
    np.testing.assert_allclose(cache["z"], 0.3)
    with pytest.raises(ValueError, match="gate 'n'"):
        force_gru_gates(params, n=0.5)


def test_set_update_bias_puts_the_whole_bias_in_b_xh():
    params = scratch.init_rnn_params(1, 3, seed=0, kind="gru")
    new = set_update_bias(params, 4.0)
    np.testing.assert_array_equal(new["b_xh"][3:6], 4.0)
    np.testing.assert_array_equal(new["b_hh"][3:6], 0.0)
    np.testing.assert_array_equal(new["b_xh"][:3], params["b_xh"][:3])


@pytest.mark.parametrize("b_z", [3.0, 4.0, 5.0])
def test_gru_survival_follows_z_to_the_t_for_a_large_update_bias(b_z):
    params = scratch.init_rnn_params(1, 8, seed=0, kind="gru")
    run = gru_survival(params, b_z, steps=150, seed=0)
    z = 1 / (1 + math.exp(-b_z))
    np.testing.assert_allclose(run["predicted"], z ** np.arange(1, 151))
    np.testing.assert_array_equal(run["t"], np.arange(1, 151))
    assert run["z"] == pytest.approx(z, abs=0.01)
    # the half-life by z^t is met within 10 %, and the curves agree while half is left
    assert measured_half_life(run["kept"]) == pytest.approx(half_life(z), rel=0.1)
    early = run["predicted"] > 0.5
    np.testing.assert_allclose(run["kept"][early], run["predicted"][early], rtol=0.05)


def test_gru_survival_is_measured_on_gru_forward():
    """kept(t) is the distance between two gru_forward runs from +-spread*s, over 2*spread*s."""
    params = scratch.init_rnn_params(1, 4, seed=1, kind="gru")
    x = np.random.default_rng(5).standard_normal((10, 2, 1))
    run = gru_survival(params, 1.0, steps=10, x=x, seed=7, spread=0.3)
    p = set_update_bias(params, 1.0)
    rng = np.random.default_rng(7)
    signs = np.where(rng.random((2, 4)) < 0.5, -1.0, 1.0)
    ha, _ = scratch.gru_forward(x, 0.3 * signs, p)
    hb, _ = scratch.gru_forward(x, -0.3 * signs, p)
    expected = (np.linalg.norm(ha - hb, axis=2) / np.linalg.norm(0.6 * signs, axis=1)).mean(axis=1)
    np.testing.assert_allclose(run["kept"], expected, rtol=1e-12)
    with pytest.raises(ValueError, match="x: expected shape"):
        gru_survival(params, 1.0, steps=10, x=np.zeros((9, 2, 1)))
