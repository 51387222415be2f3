"""rnn_helpers.lessons.n06_lstm: gate functions, the RNN's Jacobian bound, the gradient over
distance (against autograd), the LSTM's gradient paths, the gate trace and the memory units."""

import math

import numpy as np
import pytest
import torch

from rnn_helpers import scratch
from rnn_helpers.data import adding_problem
from rnn_helpers.lessons.n06_lstm import (
    GATE_FUNCTIONS,
    cell_state_paths,
    factor_per_step,
    gradient_over_distance,
    hard_sigmoid,
    lstm_gate_trace,
    memory_units,
    rnn_jacobian_norms,
    without_recurrent_weights,
)
from rnn_helpers.scratch import set_gate_bias

# --------------------------------------------------------------------------- 06: gates


def test_hard_sigmoid_is_torchs():
    a = np.linspace(-5, 5, 201)
    expected = torch.nn.functional.hardsigmoid(torch.tensor(a)).numpy()
    np.testing.assert_allclose(hard_sigmoid(a), expected, rtol=0, atol=1e-15)
    assert hard_sigmoid(-3.0) == 0.0 and hard_sigmoid(3.0) == 1.0 and hard_sigmoid(0.0) == 0.5


def test_gate_functions_ranges_and_values_at_zero():
    a = np.linspace(-8, 8, 101)
    for name in ("sigmoid", "hard sigmoid"):
        values = GATE_FUNCTIONS[name](a)
        assert values.min() >= 0.0 and values.max() <= 1.0, name
        assert GATE_FUNCTIONS[name](np.array([0.0]))[0] == 0.5, name
    assert GATE_FUNCTIONS["tanh"](np.array([0.0]))[0] == 0.0
    assert GATE_FUNCTIONS["tanh"](a).min() < 0.0
    # The library's sigmoid gives exactly 0 and 1 at -40 and +40.
    np.testing.assert_array_equal(GATE_FUNCTIONS["sigmoid"](np.array([-40.0, 40.0])), [0.0, 1.0])


# --------------------------------------------------------------------------- 06: RNN bound


def test_rnn_jacobian_norms_match_autograd_and_respect_the_bound():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3, 2))
    params = scratch.init_rnn_params(2, 4, seed=1)
    params["W_hh"] *= 3.0  # saturating units, so tanh' < 1 matters
    out = rnn_jacobian_norms(params, x)
    assert out["norms"].shape == (5, 3)
    W = torch.tensor(params["W_hh"])
    W_xh, b = torch.tensor(params["W_xh"]), torch.tensor(params["b_h"])
    h = torch.zeros(3, 4, dtype=torch.float64)
    for t in range(5):
        for b_i in range(3):
            def step(h_prev, t=t, b_i=b_i):
                return torch.tanh(torch.tensor(x[t, b_i]) @ W_xh.T + h_prev @ W.T + b)

            J = torch.autograd.functional.jacobian(step, h[b_i])
            assert out["norms"][t, b_i] == pytest.approx(torch.linalg.matrix_norm(J, 2).item(),
                                                         rel=1e-10)
        h = torch.tanh(torch.tensor(x[t]) @ W_xh.T + h @ W.T + b)
    assert out["bound"] == pytest.approx(np.linalg.svd(params["W_hh"])[1][0], rel=1e-12)
    assert out["radius"] == pytest.approx(max(abs(np.linalg.eigvals(params["W_hh"]))), rel=1e-12)
    assert np.all(out["norms"] <= out["bound"] * (1 + 1e-12))
    assert out["norms"].max() < out["bound"]  # saturation really shrinks some steps
    assert 0.0 < out["slope"] < 1.0


def test_rnn_jacobian_norms_refuses_bad_x():
    params = scratch.init_rnn_params(2, 4, seed=1)
    with pytest.raises(ValueError, match=r"x: expected shape \(T, B, D\)"):
        rnn_jacobian_norms(params, np.zeros((5, 2)))


def test_factor_per_step_recovers_a_geometric_decay():
    norms = 3.0 * 0.8 ** np.arange(100)
    assert factor_per_step(norms) == pytest.approx(0.8, rel=1e-12)
    with pytest.raises(ValueError, match="norms"):
        factor_per_step(norms[:50])


# --------------------------------------------------------------------------- 06: LSTM paths


def _torch_direct_path(params, x, dh_last):
    """||dL/dC_t|| by autograd when h_{t-1} is cut from the gates (only C carries back)."""
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    T, B, _ = x.shape
    H = params["W_hh"].shape[1]
    h = torch.zeros(B, H, dtype=torch.float64)
    c = torch.zeros(B, H, dtype=torch.float64)
    cs = []
    for t in range(T):
        a = torch.tensor(x[t]) @ p["W_xh"].T + h.detach() @ p["W_hh"].T + p["b"]
        i, f = torch.sigmoid(a[:, :H]), torch.sigmoid(a[:, H : 2 * H])
        g, o = torch.tanh(a[:, 2 * H : 3 * H]), torch.sigmoid(a[:, 3 * H :])
        c = f * c + i * g
        c.retain_grad()
        cs.append(c)
        h = o * torch.tanh(c)
    (h @ torch.tensor(dh_last)).sum().div(B).backward()
    return np.array([cs[t].grad.norm(dim=1).mean().item() for t in range(T)])[::-1]


def test_cell_state_paths_total_and_direct():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((12, 3, 2))
    params = set_gate_bias(scratch.init_rnn_params(2, 5, seed=2, kind="lstm"), "lstm", "f", 1.5)
    dh_last = rng.standard_normal(5)
    paths = cell_state_paths(params, x, dh_last=dh_last)
    np.testing.assert_array_equal(paths["distance"], np.arange(12))
    np.testing.assert_allclose(paths["direct"], _torch_direct_path(params, x, dh_last),
                               rtol=1e-10)
    # With the default loss, the total is gradient_over_distance's ||dL/dC_t||.
    flow = gradient_over_distance("lstm", params, x)
    np.testing.assert_allclose(cell_state_paths(params, x)["total"], flow["dc"], rtol=1e-12)
    # The last step has nothing but the direct path; earlier ones have more.
    assert paths["total"][0] == pytest.approx(paths["direct"][0], rel=1e-12)
    assert not np.allclose(paths["total"][5:], paths["direct"][5:])


def test_without_recurrent_weights_leaves_only_the_direct_path():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((10, 2, 3))
    params = scratch.init_rnn_params(3, 4, seed=3, kind="lstm")
    control = without_recurrent_weights(params)
    assert np.all(control["W_hh"] == 0) and np.any(params["W_hh"] != 0)  # a copy
    np.testing.assert_array_equal(control["W_xh"], params["W_xh"])
    paths = cell_state_paths(control, x)
    np.testing.assert_allclose(paths["total"], paths["direct"], rtol=1e-13)


def test_cell_state_paths_refuses_bad_input():
    params = scratch.init_rnn_params(2, 4, seed=1, kind="lstm")
    x = np.zeros((5, 2, 2))
    with pytest.raises(ValueError, match=r"dh_last: expected shape \(4,\)"):
        cell_state_paths(params, x, dh_last=np.ones(3))
    with pytest.raises(ValueError, match=r"W_hh.*\(4H, H\)"):
        without_recurrent_weights(scratch.init_rnn_params(2, 4, seed=1, kind="gru"))

def test_direct_share_is_the_projection_and_the_rest_adds_up_to_one():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((15, 1, 2))
    params = set_gate_bias(scratch.init_rnn_params(2, 4, seed=5, kind="lstm"), "lstm", "f", 1.0)
    paths = cell_state_paths(params, x)
    # one sequence: share = <direct, total> / ||total||^2, so |share| <= direct / total
    assert paths["direct_share"][0] == pytest.approx(1.0, rel=1e-12)  # the last step: all direct
    assert np.all(np.abs(paths["direct_share"]) <= paths["direct"] / paths["total"] + 1e-12)
    # the control has only the direct path: its share is 1 at every distance
    control = cell_state_paths(without_recurrent_weights(params), x)
    np.testing.assert_allclose(control["direct_share"], 1.0, rtol=1e-12)
    assert np.all(paths["direct_share"][5:] < 0.99)


# --------------------------------------------------------------------------- 06: gradient flow


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
        params = set_gate_bias(params, "lstm", "f", 1.5)
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
    lstm_flow = gradient_over_distance("lstm", set_gate_bias(lstm, "lstm", "f", 2.0), x)
    assert lstm_flow["dh"][59] > 1e6 * rnn["dh"][59]


def test_gradient_over_distance_refuses_gru_and_bad_x():
    with pytest.raises(ValueError, match="kind"):
        gru = scratch.init_rnn_params(2, 3, kind="gru")
        gradient_over_distance("gru", gru, np.zeros((4, 1, 2)))
    with pytest.raises(ValueError, match=r"x: expected shape \(T, B, D\)"):
        gradient_over_distance("rnn", scratch.init_rnn_params(2, 3), np.zeros((4, 2)))


# --------------------------------------------------------------------------- 06: inside the LSTM


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


def _accumulator_lstm():
    """Two hand-set units: unit 0 writes the value at each mark (i = 1 only at a mark) and
    keeps it (f = 1), so it ends with tanh(0.5 u1) + tanh(0.5 u2); unit 1 forgets at every
    step (f = 0) and holds the current value only."""
    H = 2
    params = {"W_xh": np.zeros((4 * H, 2)), "W_hh": np.zeros((4 * H, H)), "b": np.zeros(4 * H)}
    i, f, g, o = (slice(k * H, (k + 1) * H) for k in range(4))
    params["W_xh"][i, 1] = [80.0, 0.0]  # unit 0: input gate open only at a marker
    params["b"][i] = [-40.0, 40.0]  # unit 1: always open
    params["b"][f] = [40.0, -40.0]  # unit 0 keeps everything, unit 1 nothing
    params["W_xh"][g, 0] = 0.5  # the candidate is tanh(0.5 * value)
    params["b"][o] = 40.0
    return params


def test_memory_units_finds_the_unit_that_writes_at_the_marks_and_holds():
    x, y = adding_problem(200, 12, seed=3)
    result = memory_units(_accumulator_lstm(), x, k=2)
    assert list(result["units"]) == [0, 1]
    assert result["answer_corr"][0] > 0.99 and abs(result["answer_corr"][1]) < 0.5
    assert result["first_corr"][0] > 0.99 and abs(result["first_corr"][1]) < 0.3
    assert result["forget_product"][0] == pytest.approx(1.0)
    assert result["forget_product"][1] < 1e-10
    assert result["write_ratio"][0] > 1e6 and result["write_ratio"][1] < 3
    assert result["input_at_marks"][0] == pytest.approx(1.0)
    assert result["input_elsewhere"][0] < 1e-10
    # the unit's last cell state is exactly tanh(0.5 u1) + tanh(0.5 u2)
    marks = [np.flatnonzero(x[:, n, 1]) for n in range(200)]
    expected = [np.tanh(0.5 * x[m, n, 0]).sum() for n, m in enumerate(marks)]
    trace = lstm_gate_trace(_accumulator_lstm(), x[:, 7])
    assert trace["c"][-1, 0] == pytest.approx(expected[7], rel=1e-12)
    assert len(memory_units(_accumulator_lstm(), x, k=5)["units"]) == 2  # at most H


@pytest.mark.parametrize(("x", "words"), [
    (np.zeros((10, 5, 2)), "two marked steps"),
    (np.zeros((10, 5, 3)), r"\(T, N >= 3, 2\)"),
    (np.zeros((10, 2)), r"\(T, B, D\)"),
])
def test_memory_units_refuses_what_is_not_adding_problem_input(x, words):
    with pytest.raises(ValueError, match=words):
        memory_units(_accumulator_lstm(), x)
