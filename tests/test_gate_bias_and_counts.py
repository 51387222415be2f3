"""Concept modules used by notebooks 06 and 07 (and 01, 02, 08): the one list of cell kinds
(scratch.init.GATES), the one gate-bias rule (scratch.set_gate_bias, force_gates, and the torch
models' set_torch_gate_bias), the one parameter-count formula (counting) and the one half-life
(decay)."""

import math

import numpy as np
import pytest
import torch

from rnn_helpers import scratch
from rnn_helpers.counting import KINDS, N_GATES, recurrent_parameter_count
from rnn_helpers.decay import half_life, measured_half_life
from rnn_helpers.models import ReviewClassifier, make_regressor, set_torch_gate_bias
from rnn_helpers.scratch import GATES, force_gates, gate_rows, set_gate_bias

# --------------------------------------------------------------------------- one list of kinds


def test_one_list_of_cell_kinds():
    assert KINDS == tuple(GATES) == ("rnn", "lstm", "gru")
    assert N_GATES == {"rnn": 1, "lstm": 4, "gru": 3}
    for kind in ("lstm", "gru"):
        params = scratch.init_rnn_params(2, 5, kind=kind)
        assert params["W_hh"].shape == (N_GATES[kind] * 5, 5)
    assert gate_rows("lstm", "f", 5) == slice(5, 10)
    assert gate_rows("gru", "n", 3) == slice(6, 9)
    with pytest.raises(ValueError, match="gate"):
        gate_rows("gru", "f", 3)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize(("D", "H"), [(1, 1), (2, 32), (7, 5)])
def test_parameter_count_is_torchs_with_torch_biases(kind, D, H):
    layer = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](D, H)
    count = sum(p.numel() for p in layer.parameters())
    assert recurrent_parameter_count(kind, D, H, torch_biases=True) == count
    # the scratch layers keep one bias vector for the RNN and the LSTM, two for the GRU
    scratch_count = sum(v.size for v in scratch.init_rnn_params(D, H, kind=kind).values())
    assert recurrent_parameter_count(kind, D, H) == scratch_count


def test_parameter_count_refuses_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        recurrent_parameter_count("transformer", 2, 3)
    with pytest.raises(ValueError, match="hidden_size"):
        recurrent_parameter_count("rnn", 2, 0)


# --------------------------------------------------------------------------- gate biases


def test_set_gate_bias_changes_only_the_lstm_forget_block_of_a_copy():
    params = scratch.init_rnn_params(2, 3, seed=0, kind="lstm")
    before = {k: v.copy() for k, v in params.items()}
    new = set_gate_bias(params, "lstm", "f", 2.5)
    np.testing.assert_array_equal(new["b"][3:6], 2.5)
    np.testing.assert_array_equal(np.delete(new["b"], [3, 4, 5]), np.delete(before["b"], [3, 4, 5]))
    for k in params:  # the original is untouched
        np.testing.assert_array_equal(params[k], before[k])


def test_set_gate_bias_puts_the_whole_gru_bias_in_b_xh():
    params = scratch.init_rnn_params(1, 3, seed=0, kind="gru")
    new = set_gate_bias(params, "gru", "z", 4.0)
    np.testing.assert_array_equal(new["b_xh"][3:6], 4.0)
    np.testing.assert_array_equal(new["b_hh"][3:6], 0.0)
    np.testing.assert_array_equal(new["b_xh"][:3], params["b_xh"][:3])
    np.testing.assert_array_equal(new["b_hh"][6:], params["b_hh"][6:])
    # with zero weights the gate is exactly sigmoid(bias)
    zero = {k: np.zeros_like(v) for k, v in new.items()}
    zero = set_gate_bias(zero, "gru", "z", 4.0)
    _, cache = scratch.gru_step(np.ones((2, 1)), np.ones((2, 3)), zero)
    np.testing.assert_allclose(cache["z"], 1 / (1 + math.exp(-4.0)), rtol=1e-12)


@pytest.mark.parametrize(("kind", "gate", "value", "words"), [
    ("rnn", "h", 1.0, "kind"), ("gru", "n", 1.0, "gate"), ("lstm", "z", 1.0, "gate"),
    ("lstm", "f", math.inf, "value"),
])
def test_set_gate_bias_refuses_bad_arguments(kind, gate, value, words):
    params = scratch.init_rnn_params(2, 3, kind="lstm" if kind != "gru" else "gru")
    with pytest.raises(ValueError, match=words):
        set_gate_bias(params, kind, gate, value)


def test_set_gate_bias_refuses_params_of_another_kind():
    with pytest.raises(ValueError, match=r"W_hh.*\(3H, H\)"):
        set_gate_bias(scratch.init_rnn_params(2, 3, kind="lstm"), "gru", "z", 1.0)


def test_torch_models_follow_the_same_rule():
    layer = make_regressor("lstm", 2, 4, seed=0, forget_bias=2.0).rnn
    expected = set_gate_bias(scratch.params_from_torch(make_regressor("lstm", 2, 4, seed=0).rnn),
                             "lstm", "f", 2.0)
    np.testing.assert_allclose(scratch.params_from_torch(layer)["b"], expected["b"], rtol=1e-6)
    assert torch.all(layer.bias_hh_l0[4:8] == 0) and torch.all(layer.bias_ih_l0[4:8] == 2.0)
    gru = ReviewClassifier(10, "gru", hidden_size=4, gate_bias=1.5).rnn
    assert torch.all(gru.bias_ih_l0[4:8] == 1.5) and torch.all(gru.bias_hh_l0[4:8] == 0)
    set_torch_gate_bias(gru, "r", -1.0)
    assert torch.all(gru.bias_ih_l0[:4] == -1.0) and torch.all(gru.bias_hh_l0[:4] == 0)


def _step_inputs(seed=0, B=3, D=2, H=4):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((B, D)), rng.standard_normal((B, H)),
            rng.uniform(-2, 2, (B, H)))


def test_force_gates_keep_wipe_write_and_hide():
    x_t, h_prev, c_prev = _step_inputs()
    params = scratch.init_rnn_params(2, 4, seed=0, kind="lstm")

    def step(**gates):
        return scratch.lstm_step(x_t, h_prev, c_prev, force_gates(params, "lstm", **gates))

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
    assert np.array_equal(step(g=-1.0)[2]["g"], -np.ones((3, 4)))


@pytest.mark.parametrize(("gates", "words"), [
    ({"q": 1.0}, "gate"), ({"f": 1.5}, r"\[0, 1\]"), ({"g": -2.0}, r"\[-1, 1\]"),
    ({"i": math.nan}, "finite"),
])
def test_force_gates_refuses_bad_gates(gates, words):
    with pytest.raises(ValueError, match=words):
        force_gates(scratch.init_rnn_params(2, 4, kind="lstm"), "lstm", **gates)


def test_force_gates_gru_keep_and_forget():
    x_t, h_prev, _ = _step_inputs(seed=4)
    params = scratch.init_rnn_params(2, 4, seed=0, kind="gru")
    h_keep, _ = scratch.gru_step(x_t, h_prev, force_gates(params, "gru", z=1.0))
    assert np.array_equal(h_keep, h_prev)
    h_new, _ = scratch.gru_step(x_t, h_prev, force_gates(params, "gru", z=0.0, r=0.0))
    np.testing.assert_allclose(h_new, np.tanh(x_t @ params["W_xh"][8:].T + params["b_xh"][8:]))
    _, cache = scratch.gru_step(x_t, h_prev, force_gates(params, "gru", z=0.3))
    np.testing.assert_allclose(cache["z"], 0.3)
    with pytest.raises(ValueError, match="gate"):
        force_gates(params, "gru", n=0.5)


# --------------------------------------------------------------------------- half-life


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
