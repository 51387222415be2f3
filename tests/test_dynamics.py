"""Notebook 04's lesson module: Jacobian products, spectral radius, the cliff, the
exploding run and the adding problem."""

import math

import numpy as np
import pytest
import torch

from rnn_helpers.lessons import n04_vanishing_and_exploding_gradients as dyn
from rnn_helpers.lessons.n04_vanishing_and_exploding_gradients import (
    CONSTANT_GUESS_MSE,
    adding_data,
    input_gradient_norms,
    train_adding,
)
from rnn_helpers.regressor import init_model
from rnn_helpers.scratch import rnn_forward

# --------------------------------------------------------------------------- spectral radius


def test_spectral_radius_of_a_diagonal_and_a_rotation():
    assert dyn.spectral_radius(np.diag([0.3, -0.9, 0.5])) == pytest.approx(0.9)
    c, s = math.cos(0.7), math.sin(0.7)
    assert dyn.spectral_radius(1.2 * np.array([[c, -s], [s, c]])) == pytest.approx(1.2)


@pytest.mark.parametrize("radius", [0.5, 1.0, 1.37])
def test_rescaling_sets_the_radius_and_keeps_the_shape(radius):
    W = np.random.default_rng(0).standard_normal((6, 6))
    W2 = dyn.with_spectral_radius(W, radius)
    assert dyn.spectral_radius(W2) == pytest.approx(radius)
    ratio = W2 / W
    np.testing.assert_allclose(ratio, ratio[0, 0])  # one factor for every entry
    assert dyn.spectral_radius(dyn.random_recurrent_weights(20, radius, seed=3)) == \
        pytest.approx(radius)


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="W_hh"):
        dyn.spectral_radius(np.ones((2, 3)))
    with pytest.raises(ValueError, match="radius"):
        dyn.with_spectral_radius(np.eye(2), -1.0)
    with pytest.raises(ValueError, match="nilpotent"):
        dyn.with_spectral_radius(np.array([[0.0, 1.0], [0.0, 0.0]]), 1.0)
    with pytest.raises(ValueError, match="nonlinearity"):
        dyn.gradient_norm_vs_distance(np.eye(3), "softsign", 5)
    with pytest.raises(ValueError, match="^T: "):
        dyn.gradient_norm_vs_distance(np.eye(3), "tanh", 0)


def test_activation_derivative_maxima_tanh_1_and_sigmoid_quarter():
    a = np.linspace(-6, 6, 1201)
    tanh_d = dyn.activation_derivative(a, "tanh")
    sig_d = dyn.activation_derivative(a, "sigmoid")
    assert tanh_d.max() == pytest.approx(1.0) and a[np.argmax(tanh_d)] == pytest.approx(0.0)
    assert sig_d.max() == pytest.approx(0.25)
    assert (tanh_d <= 1.0).all() and (sig_d <= 0.25).all()
    np.testing.assert_allclose(dyn.activation_derivative(a, "linear"), 1.0)


# --------------------------------------------------------------------------- Jacobian products


def test_linear_jacobian_products_are_matrix_powers():
    W = dyn.random_recurrent_weights(5, 0.9, seed=1)
    norms = dyn.jacobian_product_norms(np.ones((8, 5)), W)
    for d in range(9):
        assert norms[d] == pytest.approx(np.linalg.norm(np.linalg.matrix_power(W, d), 2))


def test_tanh_jacobian_products_match_torch_autograd():
    H, T = 4, 6
    rng = np.random.default_rng(2)
    params = {"W_xh": rng.standard_normal((H, 1)), "W_hh": 0.8 * rng.standard_normal((H, H)),
              "b_h": 0.1 * rng.standard_normal(H)}
    x = rng.standard_normal((T, 1, 1))
    h, _ = rnn_forward(x, np.zeros((1, H)), params)
    ours = dyn.jacobian_product_norms(1.0 - h[:, 0] ** 2, params["W_hh"])

    W_xh, W_hh, b = (torch.tensor(params[k]) for k in ("W_xh", "W_hh", "b_h"))
    xt = torch.tensor(x[:, 0])
    states = [torch.zeros(H, dtype=torch.float64)] + [torch.tensor(h[t, 0]) for t in range(T)]

    def run_from(t, h_t):  # h_{t} (states[t + 1] is h_t) -> h_{T-1}
        for s in range(t + 1, T):
            h_t = torch.tanh(W_xh @ xt[s] + W_hh @ h_t + b)
        return h_t

    for d in range(T):  # ∂h_{T-1}/∂h_{T-1-d}
        t = T - 1 - d
        J = torch.autograd.functional.jacobian(lambda v, t=t: run_from(t, v), states[t + 1])
        assert ours[d] == pytest.approx(torch.linalg.matrix_norm(J, 2).item(), rel=1e-9)


def test_log_slope_recovers_a_geometric_rate():
    norms = 3.0 * 0.8 ** np.arange(40)
    assert 10 ** dyn.log_slope(norms) == pytest.approx(0.8)
    with pytest.raises(ValueError):
        dyn.log_slope(np.zeros(10))


@pytest.mark.parametrize("radius", [0.6, 0.9, 1.1, 1.4])
def test_slope_sign_follows_the_spectral_radius(radius):
    W = dyn.random_recurrent_weights(32, radius, seed=0)
    linear = dyn.gradient_norm_vs_distance(W, "linear", 60)
    assert np.sign(dyn.log_slope(linear)) == np.sign(math.log(radius))
    assert 10 ** dyn.log_slope(linear) == pytest.approx(radius, rel=0.05)
    tanh = dyn.gradient_norm_vs_distance(W, "tanh", 60)
    if radius < 1:
        assert dyn.log_slope(tanh) < dyn.log_slope(linear) < 0


# --------------------------------------------------------------------------- the cliff


def test_cliff_gradient_matches_finite_differences():
    w = np.array([0.5, 1.5, 1.93, 2.2, 3.0])
    _, g = dyn.cliff_loss_and_grad(w)
    eps = 1e-7
    num = (dyn.cliff_loss_and_grad(w + eps)[0] - dyn.cliff_loss_and_grad(w - eps)[0]) / (2 * eps)
    np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-8)


def test_the_cliff_is_a_wall_and_clipping_keeps_descent_local():
    w = np.linspace(1.0, 3.0, 2001)
    _, g = dyn.cliff_loss_and_grad(w)
    assert np.abs(g).max() > 100 * np.median(np.abs(g))
    plain = dyn.descend_cliff(2.5, 0.5, 40)
    clipped = dyn.descend_cliff(2.5, 0.5, 40, clip=("norm", 0.08))
    assert plain.biggest_jump[1] > 50          # one step flings the weight away
    assert plain.loss[-1] > 0.05               # ... onto a plateau, progress lost
    assert np.abs(clipped.steps).max() <= 0.5 * 0.08 + 1e-12
    assert clipped.loss[-10:].max() < 0.01     # the clipped run stays in the valley
    # ... and never reaches the wall: its raw gradients stay small, every w right of the wall.
    w_wall = w[np.argmax(np.abs(g))]
    assert np.abs(clipped.grad).max() < 1 and clipped.w.min() > w_wall + 0.02
    # From the wall itself (where the plain run jumped) one clipped step is 0.04, not 100+.
    k, jump = plain.biggest_jump
    on_wall = dyn.descend_cliff(plain.w[k], 0.5, 1, clip=("norm", 0.08))
    assert abs(on_wall.grad[0]) > 100 and jump > 100
    assert abs(on_wall.steps[0]) == pytest.approx(0.04)


def test_the_wall_lies_below_the_critical_weight_and_h_jumps_across_it():
    w_c = dyn.cliff_critical_weight()
    # Just above w_c, h = tanh(w h + b) has a positive root; just below, none.
    h = np.linspace(1e-6, 1 - 1e-9, 200_001)
    assert (np.tanh((w_c + 1e-6) * h - 0.5) - h >= 0).any()
    assert not (np.tanh((w_c - 1e-6) * h - 0.5) - h >= 0).any()
    assert w_c == pytest.approx(1.9533, abs=1e-4)
    w = np.linspace(1.6, 3.0, 14001)
    _, g = dyn.cliff_loss_and_grad(w)
    w_wall = w[np.argmax(np.abs(g))]
    assert w_wall < w_c - 0.02              # the state lingers near the coming resting point
    below, above = dyn.cliff_last_state([w_wall - 0.02, w_wall + 0.02])[0]
    assert below < -0.9 and 0.5 < above < 0.8
    # The wall's place depends on T: it moves towards w_c as T grows.
    walls = [w[np.argmax(np.abs(dyn.cliff_loss_and_grad(w, steps=T)[1]))] for T in (10, 20, 40)]
    assert walls[0] < walls[1] < walls[2] < w_c
    with pytest.raises(ValueError, match="b"):
        dyn.cliff_critical_weight(0.5)


def test_cliff_last_state_derivative_matches_torch_autograd():
    w = torch.tensor([0.5, 1.5, 1.91, 2.2], dtype=torch.float64, requires_grad=True)
    h = torch.full_like(w, 1.0)
    for _ in range(20):
        h = torch.tanh(w * h - 0.5)
    h.sum().backward()
    ours_h, ours_dh = dyn.cliff_last_state(w.detach().numpy())
    np.testing.assert_allclose(ours_h, h.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours_dh, w.grad.numpy(), rtol=1e-7)


def test_clip_geometry_value_turns_norm_keeps_direction():
    g = np.array([3.0, 1.0])
    v = dyn.clip_vector(g, 0.5, "value")
    n = dyn.clip_vector(g, 0.5, "norm")
    np.testing.assert_allclose(v, [0.5, 0.5])
    assert np.linalg.norm(n) == pytest.approx(0.5)
    assert dyn.turn_angle(g, n) == pytest.approx(0.0, abs=1e-6)
    assert dyn.turn_angle(g, v) == pytest.approx(45 - math.degrees(math.atan(1 / 3)))
    with pytest.raises(ValueError, match="mode"):
        dyn.clip_vector(g, 1.0, "both")


def test_exploding_run_diverges_without_clipping_and_trains_with_it():
    _, plain = dyn.exploding_run(None)
    assert plain.diverged and plain.diverged_at_step < 50
    _, clipped = dyn.exploding_run(("norm", 1.0))
    assert not clipped.diverged and clipped.val_loss[-1] < 0.1 < dyn.zero_guess_mse()
    with pytest.raises(ValueError, match="unknown"):
        dyn.exploding_run(None, radious=2)


# --------------------------------------------------------------------------- adding problem


def test_input_gradients_match_finite_differences():
    x, y, _, _ = adding_data(6, n_train=3, n_val=1)
    params = init_model(2, 4, 1, seed=1)
    ours = input_gradient_norms(params, x, y)

    def loss_n(xx, n):
        h, _ = rnn_forward(xx, None, {k: params[k] for k in ("W_xh", "W_hh", "b_h")})
        return float(((h[-1, n] @ params["W_hy"].T + params["b_y"] - y[n]) ** 2).sum())

    eps = 1e-6
    expected = np.zeros(6)
    for n in range(3):
        for t in range(6):
            grad = np.zeros(2)
            for d in range(2):
                xp, xm = x.copy(), x.copy()
                xp[t, n, d] += eps
                xm[t, n, d] -= eps
                grad[d] = (loss_n(xp, n) - loss_n(xm, n)) / (2 * eps)
            expected[t] += np.linalg.norm(grad) / 3
    np.testing.assert_allclose(ours, expected, rtol=1e-5)


def test_plain_rnn_learns_the_adding_problem_at_T10_and_not_at_T60():
    _, short = train_adding(10, steps=300, progress=False)
    _, long = train_adding(60, steps=300, progress=False)
    assert short.val_loss[-1] < 0.06
    assert long.val_loss[-1] > 0.14
    assert abs(long.val_loss[-1] - CONSTANT_GUESS_MSE) < 0.03
