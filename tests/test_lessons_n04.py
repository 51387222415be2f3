"""rnn_helpers.lessons.n04_vanishing_and_exploding_gradients: the radius-0 tanh RNN, the sine
run's Jacobians, the reach of the adding problem's gradient and the clipping spread."""

import numpy as np
import pytest
import torch

from rnn_helpers.lessons import n04_vanishing_and_exploding_gradients as n04
from rnn_helpers.lessons.n04_vanishing_and_exploding_gradients import (
    adding_data,
    input_gradient_norms,
)
from rnn_helpers.regressor import init_model
from rnn_helpers.scratch import rnn_forward


def test_radius_zero_example_is_a_fixed_point_of_a_nilpotent_tanh_rnn():
    ex = n04.radius_zero_example(scale=2.0, slope=0.25, T=12)
    W, b, h = ex["W_hh"], ex["b_h"], ex["h_star"]
    np.testing.assert_array_equal(W @ W, np.zeros((2, 2)))              # W_hh² = 0
    np.testing.assert_allclose(np.tanh(W @ h + b), h, atol=1e-15)        # h* is a fixed point
    np.testing.assert_allclose(ex["act_grads"], np.tile([1.0, 0.25], (12, 1)), atol=1e-9)
    assert ex["radius_W"] < 1e-12 and ex["radius_J"] == pytest.approx(1.5)
    assert ex["linear"][1] == pytest.approx(4.0) and (ex["linear"][2:] == 0).all()
    np.testing.assert_allclose(ex["tanh"][2:] / ex["tanh"][1:-1], 1.5, rtol=1e-7)
    with pytest.raises(ValueError, match="slope"):
        n04.radius_zero_example(slope=1.0)


def test_radius_zero_example_norms_match_torch_autograd():
    T = 8
    ex = n04.radius_zero_example(T=T)
    W, b = torch.tensor(ex["W_hh"]), torch.tensor(ex["b_h"])
    h0 = torch.tensor(ex["h_star"])

    def run(h, steps):
        for _ in range(steps):
            h = torch.tanh(W @ h + b)
        return h

    for d in range(1, T + 1):
        # ∂h_{T-1}/∂h_{T-1-d}: d steps of the run, starting at the fixed point.
        J = torch.autograd.functional.jacobian(lambda v, d=d: run(v, d), run(h0, 0))
        assert ex["tanh"][d] == pytest.approx(torch.linalg.matrix_norm(J, 2).item(), rel=1e-7)


def test_sine_run_jacobians_follow_the_exploding_setup():
    jac = n04.sine_run_jacobians(seed=0, n_windows=4)
    params, (x_train, _, _, _) = n04.exploding_setup(seed=0)
    h, _ = rnn_forward(x_train[:, :4], None, {k: params[k] for k in ("W_xh", "W_hh", "b_h")})
    np.testing.assert_allclose(jac["act_grads"], 1.0 - h**2)
    np.testing.assert_allclose(
        jac["norms"][2], n04.jacobian_product_norms(1.0 - h[:, 2] ** 2, params["W_hh"]))
    assert jac["norms"].shape == (4, x_train.shape[0] + 1)
    assert 0.0 <= jac["saturated"] <= 1.0 and 0.0 <= jac["strong_saturated"] <= 1.0
    np.testing.assert_allclose(
        jac["strong"], n04.gradient_norm_vs_distance(params["W_hh"], "tanh", x_train.shape[0],
                                                     seed=0))


def test_exploding_setup_and_zero_guess_follow_the_seed():
    p0, d0 = n04.exploding_setup(seed=0)
    p0b, d0b = n04.exploding_setup(seed=0)
    p1, d1 = n04.exploding_setup(seed=1)
    np.testing.assert_array_equal(p0["W_hh"], p0b["W_hh"])
    np.testing.assert_array_equal(d0[0], d0b[0])
    assert not np.allclose(p0["W_hh"], p1["W_hh"]) and not np.allclose(d0[0], d1[0])
    assert n04.spectral_radius(p1["W_hh"]) == pytest.approx(1.5)
    assert n04.zero_guess_mse(seed=1) == pytest.approx(float(np.mean(d1[3] ** 2)))
    with pytest.raises(ValueError, match="unknown"):
        n04.exploding_setup(sead=1)


def test_exploding_first_gradient_is_the_runs_first_gradient():
    from rnn_helpers.train import global_norm

    for seed in (0, 3):
        g = n04.exploding_first_gradient(seed=seed)
        _, history = n04.exploding_run(("norm", 1e-4), seed=seed)
        assert global_norm(g) == pytest.approx(history.grad_norm[0], rel=1e-12)
        assert sum(v.size for v in g.values()) == 1121
        assert g["W_hh"].shape == (32, 32)


def test_relative_input_gradients_divide_by_the_last_input():
    params = init_model(2, 6, 1, seed=2)
    ratios = n04.relative_input_gradients(params, 7, seed=3, n_sequences=5)
    x, y = adding_data(7, n_train=1, n_val=5, seed=3)[2:]
    g = input_gradient_norms(params, x, y)
    np.testing.assert_allclose(ratios, g / g[-1])
    assert ratios[-1] == 1.0
    rows = n04.reach_at_init([0, 1], 7)
    assert rows.shape == (2, 7)
    np.testing.assert_allclose(rows[1], n04.relative_input_gradients(init_model(2, 32, 1, seed=1),
                                                                     7, seed=1))


def test_clip_spread_row_verdicts():
    from rnn_helpers.train import History

    ok = History(val={"loss": [0.05]})
    poor = History(val={"loss": [0.3]})
    worse = History(val={"loss": [2.0]})
    gone = History(val={"loss": [0.2]}, diverged=True, diverged_at_step=3)
    row = n04.ClipSpreadRow(0, unclipped=gone, clipped=ok, zero_guess=0.5)
    assert row.unclipped_failed and row.rescued and row.learned
    row = n04.ClipSpreadRow(0, unclipped=worse, clipped=poor, zero_guess=0.5)
    assert row.unclipped_failed and row.rescued and not row.learned
    row = n04.ClipSpreadRow(0, unclipped=ok, clipped=gone, zero_guess=0.5)
    assert not row.unclipped_failed and not row.rescued and not row.learned


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="scale"):
        n04.radius_zero_example(scale=0.0)
    with pytest.raises(ValueError, match="^T: "):
        n04.radius_zero_example(T=0)
    with pytest.raises(ValueError, match="n_windows"):
        n04.sine_run_jacobians(n_windows=10**6)
    with pytest.raises(ValueError, match="n_sequences"):
        n04.relative_input_gradients(init_model(2, 4, 1), 5, n_sequences=0)
