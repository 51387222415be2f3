"""rnn_helpers.lessons.n06_lstm and n07_gru: gate functions, the RNN's Jacobian bound, the
LSTM's gradient paths, GRU conventions and the seeded three-model comparison."""

import numpy as np
import pytest
import torch

from rnn_helpers import scratch
from rnn_helpers.cells import force_gru_gates, gradient_over_distance, set_forget_bias
from rnn_helpers.lessons.n06_lstm import (
    GATE_FUNCTIONS,
    cell_state_paths,
    factor_per_step,
    hard_sigmoid,
    rnn_jacobian_norms,
    without_recurrent_weights,
)
from rnn_helpers.lessons.n07_gru import (
    LEARNED_BELOW,
    compare_on_adding_problem,
    flip_update_gate,
    gru_step_reset_before,
    gru_step_update_on_candidate,
    learned_counts,
    merge_comparisons,
)

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
    params = set_forget_bias(scratch.init_rnn_params(2, 5, seed=2, kind="lstm"), 1.5)
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


# --------------------------------------------------------------------------- 07: conventions


@pytest.fixture()
def gru_case():
    rng = np.random.default_rng(6)
    params = scratch.init_rnn_params(3, 5, seed=4, kind="gru")
    params["b_hh"] += rng.standard_normal(15)  # a clearly non-zero b_hn
    return rng.standard_normal((4, 3)), rng.standard_normal((4, 5)), params


def test_update_gate_convention_is_the_same_model_after_flipping(gru_case):
    x_t, h_prev, params = gru_case
    torch_form = scratch.gru_step(x_t, h_prev, params)[0]
    other = gru_step_update_on_candidate(x_t, h_prev, flip_update_gate(params))
    np.testing.assert_allclose(other, torch_form, rtol=1e-12, atol=1e-15)
    assert not np.allclose(gru_step_update_on_candidate(x_t, h_prev, params), torch_form)


def test_reset_before_matches_its_formula_and_differs_from_torch(gru_case):
    x_t, h_prev, params = gru_case
    H = 5
    a_x = x_t @ params["W_xh"].T + params["b_xh"]
    a_h = h_prev @ params["W_hh"].T + params["b_hh"]
    r = 1 / (1 + np.exp(-(a_x[:, :H] + a_h[:, :H])))
    z = 1 / (1 + np.exp(-(a_x[:, H : 2 * H] + a_h[:, H : 2 * H])))
    n = np.tanh(a_x[:, 2 * H :] + (r * h_prev) @ params["W_hh"][2 * H :].T
                + params["b_hh"][2 * H :])
    expected = (1 - z) * n + z * h_prev
    np.testing.assert_allclose(gru_step_reset_before(x_t, h_prev, params), expected, rtol=1e-12)
    torch_form = scratch.gru_step(x_t, h_prev, params)[0]
    assert np.abs(gru_step_reset_before(x_t, h_prev, params) - torch_form).max() > 1e-3
    # With r = 1 everywhere there is nothing to reset, and the two forms agree exactly.
    open_reset = force_gru_gates(params, r=1.0)
    np.testing.assert_allclose(gru_step_reset_before(x_t, h_prev, open_reset),
                               scratch.gru_step(x_t, h_prev, open_reset)[0], rtol=1e-13)


def test_conventions_refuse_bad_params(gru_case):
    x_t, h_prev, _ = gru_case
    lstm = scratch.init_rnn_params(3, 5, seed=4, kind="lstm")
    with pytest.raises(ValueError, match="W_hh"):
        flip_update_gate(lstm)
    with pytest.raises(ValueError):
        gru_step_reset_before(x_t, h_prev, lstm)


# --------------------------------------------------------------------------- 07: comparison


def test_compare_on_adding_problem_shares_seeds_and_budget():
    kwargs = dict(seq_len=6, steps=4, n_train=64, n_val=32, eval_every=2, progress=False)
    result = compare_on_adding_problem([0, 1], stop_below=None, **kwargs)
    assert result["seeds"] == [0, 1]
    for kind in ("rnn", "lstm", "gru"):
        for key in ("steps_to_learn", "final", "seconds"):
            assert result[key][kind].shape == (2,)
        assert result["val_step"][kind][0] == [0, 2, 4]
        assert result["final"][kind][1] == result["val"][kind][1][-1]
        # steps_to_learn is the first validation step below LEARNED_BELOW, or NaN
        for n in range(2):
            pairs = zip(result["val_step"][kind][n], result["val"][kind][n], strict=True)
            below = [s for s, v in pairs if v < LEARNED_BELOW]
            expected = below[0] if below else np.nan
            np.testing.assert_equal(result["steps_to_learn"][kind][n], expected)
    assert len(result["constant_guess"]) == 2
    again = compare_on_adding_problem([1], kinds=("gru",), stop_below=None, **kwargs)
    assert again["final"]["gru"][0] == result["final"]["gru"][1]  # seeded: repeatable
    counts = learned_counts(result)
    assert counts == {k: int(np.isfinite(result["steps_to_learn"][k]).sum()) for k in counts}
    one_by_one = [compare_on_adding_problem([s], stop_below=None, **kwargs) for s in (0, 1)]
    merged = merge_comparisons(one_by_one)
    assert merged["seeds"] == [0, 1]
    assert merged["constant_guess"] == result["constant_guess"]
    for kind in ("rnn", "lstm", "gru"):
        np.testing.assert_array_equal(merged["final"][kind], result["final"][kind])
        np.testing.assert_array_equal(merged["steps_to_learn"][kind],
                                      result["steps_to_learn"][kind])
        assert merged["val"][kind] == result["val"][kind]
    with pytest.raises(ValueError, match="results"):
        merge_comparisons([])


def test_compare_on_adding_problem_stops_a_run_once_learned():
    # A threshold every model beats at once: each run stops at its first validation.
    result = compare_on_adding_problem([0], seq_len=6, steps=50, n_train=64, n_val=32,
                                       eval_every=5, stop_below=100.0, progress=False)
    for kind in ("rnn", "lstm", "gru"):
        assert result["val_step"][kind][0] == [0, 5]


def test_compare_on_adding_problem_refuses_bad_input():
    with pytest.raises(ValueError, match="seeds"):
        compare_on_adding_problem([], steps=2, progress=False)
    with pytest.raises(ValueError, match="kinds"):
        compare_on_adding_problem([0], steps=2, kinds=("transformer",), progress=False)
    with pytest.raises(ValueError, match="steps"):
        compare_on_adding_problem([0], steps=0, progress=False)
