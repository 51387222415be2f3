"""rnn_helpers.lessons.n05_teacher_forcing: the gradient without backpropagation through time
(checked against finite differences and torch autograd), the mistake effect and the best
possible forecast it is compared with, the rounding nudge and the seed spread's bookkeeping
(small, fast runs)."""

import numpy as np
import pytest
import torch

import rnn_helpers.lessons.n05_teacher_forcing as tf
from rnn_helpers.lessons import n05_teacher_forcing as n05
from rnn_helpers.regressor import init_model


def _random_params(H=4, seed=0, scale=0.7):
    rng = np.random.default_rng(seed)
    return {k: scale * rng.standard_normal(v.shape) for k, v in init_model(1, H, 1).items()}


def _data(T=7, B=3, seed=1, ratio=0.4):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((T, B, 1)), rng.standard_normal((T, B, 1))
    return x, y, tf.feedback_mask(T, B, ratio, 2, rng)


def _stepwise_loss(params, u, h_prev, y):
    """The loss with every step's input u_t and previous state h_{t-1} held fixed."""
    h = np.tanh(u * params["W_xh"][:, 0] + h_prev @ params["W_hh"].T + params["b_h"])
    return float(np.mean((h @ params["W_hy"].T + params["b_y"] - y) ** 2))


def _finite_differences(loss, params, eps=1e-6):
    grads = {}
    for k, value in params.items():
        grads[k] = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            plus = {kk: v.copy() for kk, v in params.items()}
            minus = {kk: v.copy() for kk, v in params.items()}
            plus[k][i] += eps
            minus[k][i] -= eps
            grads[k][i] = (loss(plus) - loss(minus)) / (2 * eps)
    return grads


def _rel_error(a, b):
    return max(np.max(np.abs(a[k] - b[k])) / max(np.max(np.abs(b[k])), 1e-300) for k in b)


# --------------------------------------------------------------------------- stepwise gradient


@pytest.mark.parametrize("hh", [True, False], ids=["h->h", "output feedback only"])
def test_stepwise_grads_match_finite_differences_with_inputs_held_fixed(hh):
    params = _random_params(seed=2)
    if not hh:
        params = n05.output_feedback_only(params)
    x, y, own = _data()
    _, cache = tf.rollout(params, x, own)
    u, h_prev = cache["u"], cache["h"][:-1]
    grads = n05.stepwise_grads(params, x, y, own)
    num = _finite_differences(lambda p: _stepwise_loss(p, u, h_prev, y), params)
    assert _rel_error(grads, num) < 1e-7


def test_stepwise_grads_match_torch_autograd_with_each_step_detached():
    params = _random_params(H=5, seed=3)
    x, y, own = _data(T=9, B=4, seed=4, ratio=0.5)
    grads = n05.stepwise_grads(params, x, y, own)

    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    xt, yt, ot = torch.tensor(x), torch.tensor(y), torch.tensor(own)
    h = torch.zeros(4, 5, dtype=torch.float64)
    guess, losses = None, []
    for t in range(9):
        u = torch.where(ot[t], guess.detach(), xt[t]) if t else xt[t]  # what step t read: fixed
        h = torch.tanh(u @ p["W_xh"].T + h.detach() @ p["W_hh"].T + p["b_h"])
        guess = h @ p["W_hy"].T + p["b_y"]
        losses.append(((guess - yt[t]) ** 2).sum())
    (torch.stack(losses).sum() / y.size).backward()
    assert _rel_error(grads, {k: v.grad.numpy() for k, v in p.items()}) < 1e-7


def test_output_feedback_with_teacher_forcing_needs_no_bptt():
    # W_hh = 0 and teacher forcing: the step-by-step gradient IS the gradient of the whole
    # unrolled sequence (torch autograd with nothing detached, and finite differences).
    params = n05.output_feedback_only(_random_params(H=5, seed=5))
    x, y, _ = _data(T=8, B=3, seed=6)
    truth = np.zeros(x.shape, dtype=bool)
    grads = n05.stepwise_grads(params, x, y)

    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    h = torch.zeros(3, 5, dtype=torch.float64)
    outs = []
    for x_t in torch.tensor(x):
        h = torch.tanh(x_t @ p["W_xh"].T + h @ p["W_hh"].T + p["b_h"])
        outs.append(h @ p["W_hy"].T + p["b_y"])
    ((torch.stack(outs) - torch.tensor(y)) ** 2).mean().backward()
    assert _rel_error(grads, {k: v.grad.numpy() for k, v in p.items()}) < 1e-7
    num = _finite_differences(lambda q: tf.sequence_loss_and_grads(q, x, y, truth)[0], params)
    assert _rel_error(grads, num) < 1e-7
    assert n05.relative_difference(grads, n05.full_grads(params, x, y)) < 1e-12


def test_h_to_h_and_free_running_need_the_backward_through_time():
    params = _random_params(H=5, seed=7)
    x, y, own = _data(T=10, B=4, seed=8, ratio=0.0)
    assert own[2:].all()
    rnn = ("W_xh", "W_hh", "b_h")  # the head's gradient is the same either way
    # h -> h under teacher forcing: the stepwise gradient misses the paths through h_{t-1}.
    assert n05.relative_difference(n05.stepwise_grads(params, x, y),
                                   n05.full_grads(params, x, y), rnn) > 0.1
    # Output feedback only, free running: the fed-back guesses link the steps.
    out_fb = n05.output_feedback_only(params)
    step, full = n05.stepwise_grads(out_fb, x, y, own), n05.full_grads(out_fb, x, y, own)
    assert n05.relative_difference(step, full) > 0.05
    with pytest.raises(ValueError, match="keys"):
        n05.relative_difference(step, full, ("W_q",))


def test_output_feedback_only_copies_and_zeroes_w_hh():
    params = _random_params()
    before = {k: v.copy() for k, v in params.items()}
    out = n05.output_feedback_only(params)
    assert not out["W_hh"].any() and out["W_hh"].shape == params["W_hh"].shape
    np.testing.assert_array_equal(out["W_xh"], params["W_xh"])
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])


def test_stepwise_grads_bad_input():
    params = _random_params()
    x, y, _ = _data()
    with pytest.raises(ValueError, match="y"):
        n05.stepwise_grads(params, x, y[:, :2])
    with pytest.raises(ValueError, match="x"):
        n05.stepwise_grads(params, x[:, :, 0], y)


# --------------------------------------------------------------------------- mistake effect


def test_mistake_effect_measures_how_far_the_forecast_moves():
    task = tf.sine_task()
    params = _random_params(H=6, seed=9, scale=0.3)
    assert not n05.mistake_effect(params, task, push=0.0).any()
    effect = n05.mistake_effect(params, task, horizon=12)
    assert effect.shape == (12,) and (effect > 0).all()
    # By hand for the first start only (stride larger than the validation part).
    one = n05.mistake_effect(params, task, horizon=5, stride=1000)
    ctx = task.val[:10][:, None, None]
    pushed = ctx.copy()
    pushed[-1] += n05.PUSH
    moved = tf.closed_loop_predict(params, pushed, 5) - tf.closed_loop_predict(params, ctx, 5)
    np.testing.assert_allclose(one, np.abs(moved[:, 0, 0]), rtol=1e-12)
    # A forecast function works like a parameter dict.
    def forecast(c, h):
        return tf.closed_loop_predict(params, c, h)

    np.testing.assert_array_equal(n05.mistake_effect(forecast, task, horizon=12), effect)
    with pytest.raises(TypeError, match="model"):
        n05.mistake_effect([1, 2], task)


def _sine(phase, n, dt=0.1):
    return np.sin(phase + dt * np.arange(n))


def test_best_forecast_continues_a_nearly_clean_sine():
    # Context from three phases, almost no noise: the forecast is the sine's continuation.
    phases = [0.3, 2.0, 5.5]
    ctx = np.stack([_sine(p, 10) for p in phases], axis=1)[:, :, None]
    pred = n05.best_forecast(ctx, 7, noise=0.01, phases=8192)
    truth = np.stack([_sine(p, 17)[10:] for p in phases], axis=1)
    assert pred.shape == (7, 3, 1)
    np.testing.assert_allclose(pred[:, :, 0], truth, atol=2e-3)


def test_best_forecast_is_the_posterior_mean_on_the_grid():
    # Written out for one context with a loop over the grid (the function is vectorised).
    rng = np.random.default_rng(3)
    ctx = _sine(1.0, 6) + 0.3 * rng.standard_normal(6)
    G, noise = 64, 0.3
    weights, futures = [], []
    for g in range(G):
        phi = 2 * np.pi * g / G
        weights.append(np.exp(-np.sum((ctx - _sine(phi, 6)) ** 2) / (2 * noise**2)))
        futures.append(_sine(phi, 9)[6:])
    expected = np.average(np.array(futures), axis=0, weights=np.array(weights))
    got = n05.best_forecast(ctx[:, None, None], 3, noise=noise, phases=G)[:, 0, 0]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_best_forecast_beats_a_trained_model_and_discounts_a_mistake():
    task = tf.sine_task()
    starts = np.arange(0, len(task.val) - 40 + 1, 5)
    ctx = np.stack([task.val[s:s + 10] for s in starts], axis=1)[:, :, None]
    truth = np.stack([task.val_clean[s + 10:s + 40] for s in starts], axis=1)[:, :, None]
    rmse = np.sqrt(np.mean((n05.best_forecast(ctx, 30) - truth) ** 2))
    assert rmse < 0.07  # about the size of a one-step error, at every horizon
    effect = n05.mistake_effect(n05.best_forecast, task)
    assert effect[0] < 0.1 < n05.PUSH  # one wrong value among ten moves it a little


def test_best_forecast_bad_input():
    ctx = np.zeros((4, 2, 1))
    with pytest.raises(ValueError, match="context"):
        n05.best_forecast(ctx[:, :, 0], 3)
    with pytest.raises(ValueError, match="horizon"):
        n05.best_forecast(ctx, 0)
    with pytest.raises(ValueError, match="noise"):
        n05.best_forecast(ctx, 3, noise=0.0)


def test_step_to_step_correlation():
    task = tf.sine_task()
    # A model that always forecasts 0: its error is minus the sine, smooth from step to step.
    zero = {k: np.zeros_like(v) for k, v in init_model(1, 4, 1).items()}
    errors, noise = n05.step_to_step_correlation(zero, task)
    assert errors > 0.99
    noise_values = task.val - task.val_clean
    expected = np.corrcoef(noise_values[:-1], noise_values[1:])[0, 1]
    assert noise == pytest.approx(expected) and abs(noise) < 0.25


# --------------------------------------------------------------------------- runs (short)


@pytest.fixture
def short_runs(monkeypatch):
    real = tf.train_next_value

    def short(ratio, **kwargs):
        return real(ratio, **{**kwargs, "steps": 30})

    monkeypatch.setattr(tf, "train_next_value", short)
    monkeypatch.setattr(n05, "train_next_value", short)
    monkeypatch.setattr(tf, "_RESULTS", {})


def test_nudged_run_without_a_nudge_gives_the_same_model(short_runs):
    same = n05.nudged_run(0.0, seed=2, nudge=0.0, progress=False)
    assert same.weight_change == 0.0 and same.nudge == 0.0
    np.testing.assert_array_equal(same.closed_loop, same.closed_loop_nudged)
    moved = n05.nudged_run(1.0, seed=2, nudge=1e-3, progress=False)
    assert 0 < moved.weight_change < 1e-1 and moved.ratio == 1.0 and moved.seed == 2
    # The default: one float64 step, the smallest change there is.
    w = init_model(1, 32, 1, seed=2)["W_hh"][0, 0]
    step = n05.nudged_run(1.0, seed=2, progress=False)
    assert step.nudge == np.nextafter(w, np.inf) - w == np.spacing(w) > 0
    assert 0 < step.weight_change < 1e-12


def test_seed_spread_tabulates_cached_runs(short_runs):
    spread = n05.seed_spread([3, 4], ratios=(1.0, 0.5), progress=False)
    for name in ("closed_loop", "one_step", "effect_first", "effect_mean", "clipped",
                 "final_loss"):
        assert getattr(spread, name).shape == (2, 2), name
    assert spread.best_first.shape == spread.best_mean.shape == (2,)
    res = tf.ratio_result(0.5, seed=4)  # cached by the spread
    task = tf.sine_task(seed=4)
    assert spread.closed_loop[1, spread.col(0.5)] == res.mean_closed_loop
    assert spread.one_step[1, 1] == res.one_step
    effect = n05.mistake_effect(res.params, task)
    assert spread.effect_first[1, 1] == effect[0]
    assert spread.effect_mean[1, 1] == pytest.approx(effect.mean())
    best = n05.mistake_effect(n05.best_forecast, task)
    assert spread.best_first[1] == best[0] and spread.best_mean[1] == pytest.approx(best.mean())
    norms = np.array(res.history.grad_norm)
    assert spread.clipped[1, 1] == np.mean(norms > tf.SETUP["clip"])
    assert spread.final_loss[1, 1] == pytest.approx(np.mean(res.history.train_loss[-20:]))
    wins = int(np.sum(spread.closed_loop[:, 1] < spread.closed_loop[:, 0]))
    assert spread.wins(0.5, 1.0) == wins and spread.wins(1.0, 0.5) == 2 - wins
    assert set(tf._RESULTS) == {(1.0, 3), (0.5, 3), (1.0, 4), (0.5, 4)}
    with pytest.raises(ValueError, match="seeds"):
        n05.seed_spread([], progress=False)
