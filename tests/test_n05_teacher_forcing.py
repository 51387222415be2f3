"""Notebook 05's lesson module (gradients through fed-back guesses, closed loop, the
checker) and its "teacher forcing ratio" view."""

import numpy as np
import pytest
import torch

import rnn_helpers.lessons.n05_teacher_forcing as tf
import rnn_helpers.widgets.n05_teacher_forcing as tfw
from rnn_helpers.checks import check_closed_loop_predict
from rnn_helpers.regressor import init_model, predict


def _random_params(H=5, seed=0, scale=0.7):
    rng = np.random.default_rng(seed)
    return {k: scale * rng.standard_normal(v.shape) for k, v in init_model(1, H, 1).items()}


# --------------------------------------------------------------------------- data and masks


def test_next_value_sequences_are_shifted_by_one():
    s = np.arange(10.0)
    x, y = tf.next_value_sequences(s, 4)
    assert x.shape == y.shape == (4, 6, 1)
    np.testing.assert_array_equal(y[:, :, 0], x[:, :, 0] + 1)
    np.testing.assert_array_equal(x[:, 2, 0], [2, 3, 4, 5])


def test_feedback_mask_respects_warmup_and_ratio():
    rng = np.random.default_rng(0)
    assert not tf.feedback_mask(20, 8, 1.0, 3, rng).any()
    own = tf.feedback_mask(20, 8, 0.0, 3, rng)
    assert not own[:3].any() and own[3:].all()
    half = tf.feedback_mask(200, 50, 0.3, 1, rng)[1:]
    assert 0.65 < half.mean() < 0.75
    with pytest.raises(ValueError, match="ratio"):
        tf.feedback_mask(5, 2, 1.5, 1, rng)
    with pytest.raises(ValueError, match="warmup"):
        tf.feedback_mask(5, 2, 0.5, 0, rng)


# --------------------------------------------------------------------------- forward / backward


def test_teacher_forced_rollout_equals_the_training_model():
    params = _random_params()
    x = np.random.default_rng(1).standard_normal((6, 3, 1))
    np.testing.assert_allclose(tf.teacher_forced_predict(params, x),
                               predict(params, x, every_step=True), rtol=1e-12)


def test_gradients_through_feedback_match_finite_differences():
    params = _random_params(seed=2)
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((7, 3, 1)), rng.standard_normal((7, 3, 1))
    own = tf.feedback_mask(7, 3, 0.4, 1, rng)
    assert own.any() and not own.all()
    _, grads = tf.sequence_loss_and_grads(params, x, y, own)
    eps = 1e-6
    for k, value in params.items():
        num = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            plus = {kk: v.copy() for kk, v in params.items()}
            minus = {kk: v.copy() for kk, v in params.items()}
            plus[k][i] += eps
            minus[k][i] -= eps
            num[i] = (tf.sequence_loss_and_grads(plus, x, y, own)[0]
                      - tf.sequence_loss_and_grads(minus, x, y, own)[0]) / (2 * eps)
        np.testing.assert_allclose(grads[k], num, rtol=1e-6, atol=1e-9, err_msg=k)


def test_gradients_through_feedback_match_torch_autograd():
    params = _random_params(H=6, seed=4)
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((9, 4, 1)), rng.standard_normal((9, 4, 1))
    own = tf.feedback_mask(9, 4, 0.5, 2, rng)
    loss, grads = tf.sequence_loss_and_grads(params, x, y, own)

    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    xt, yt, ot = torch.tensor(x), torch.tensor(y), torch.tensor(own)
    h = torch.zeros(4, 6, dtype=torch.float64)
    guess, outs = None, []
    for t in range(9):
        u = torch.where(ot[t], guess, xt[t]) if t else xt[t]  # the guess is NOT detached
        h = torch.tanh(u @ p["W_xh"].T + h @ p["W_hh"].T + p["b_h"])
        guess = h @ p["W_hy"].T + p["b_y"]
        outs.append(guess)
    torch_loss = ((torch.stack(outs) - yt) ** 2).mean()
    torch_loss.backward()
    assert loss == pytest.approx(torch_loss.item(), rel=1e-12)
    for k in params:
        np.testing.assert_allclose(grads[k], p[k].grad.numpy(), rtol=1e-9, atol=1e-12)


def test_closed_loop_feeds_guesses_back():
    params = _random_params(seed=6)
    ctx = np.random.default_rng(7).standard_normal((4, 2, 1))
    pred = tf.closed_loop_predict(params, ctx, 5)
    assert pred.shape == (5, 2, 1)
    # By hand: read the context, then read each guess.
    W_xh, W_hh, b, W_hy, b_y = (params[k] for k in tf.KEYS)
    h = np.zeros((2, 5))
    for t in range(4):
        h = np.tanh(ctx[t] @ W_xh.T + h @ W_hh.T + b)
    guess, expected = h @ W_hy.T + b_y, []
    for _ in range(5):
        expected.append(guess)
        h = np.tanh(guess @ W_xh.T + h @ W_hh.T + b)
        guess = h @ W_hy.T + b_y
    np.testing.assert_allclose(pred, np.stack(expected), rtol=1e-12)
    np.testing.assert_allclose(pred[0], tf.teacher_forced_predict(params, ctx)[-1])
    # The same through the general rollout: placeholders after the context, read as guesses.
    x = np.concatenate([ctx, np.zeros((4, 2, 1))])
    own = np.zeros(x.shape, dtype=bool)
    own[4:] = True
    np.testing.assert_allclose(pred, tf.rollout(params, x, own)[0][3:], rtol=1e-12)
    with pytest.raises(ValueError, match="horizon"):
        tf.closed_loop_predict(params, ctx, 0)
    with pytest.raises(ValueError, match="context"):
        tf.closed_loop_predict(params, ctx[:, :, 0], 3)


# --------------------------------------------------------------------------- training


def test_training_is_deterministic_and_learns():
    task = tf.sine_task()
    p1, h1 = tf.train_next_value(0.5, progress=False, task=task, steps=60)
    p2, h2 = tf.train_next_value(0.5, progress=False, task=task, steps=60)
    for k in p1:
        np.testing.assert_array_equal(p1[k], p2[k])
    assert np.mean(h1.train_loss[-10:]) < 0.5 * np.mean(h1.train_loss[:10])
    assert h1.diverged_at_step is None and h1.steps == 60
    with pytest.raises(ValueError, match="unknown"):
        tf.train_next_value(0.5, progress=False, stepz=3)


@pytest.mark.parametrize("seed", [0, 1])
def test_teacher_forcing_is_worse_in_closed_loop_than_scheduled_sampling(seed):
    # Compared at r = 0.5 (was r = 0.25): training at r = 0.25 is chaotic on some seeds (a
    # change of 1e-12 in one initial weight changes its result by up to 0.1), so a claim
    # about one r = 0.25 run depends on rounding; r = 1 and r = 0.5 are reproducible.
    task = tf.sine_task(seed=seed)
    errors = {}
    for ratio in (1.0, 0.5):
        params, _ = tf.train_next_value(ratio, progress=False, task=task, seed=seed)
        errors[ratio] = tf.closed_loop_errors(params, task)
    assert errors[1.0].mean() > errors[0.5].mean() + 0.05
    for e in errors.values():  # the error grows with the horizon
        assert e[10:].mean() > 1.5 * e[0]


def test_training_can_start_from_given_weights():
    task = tf.sine_task()
    start = init_model(1, 32, 1, seed=5)
    kept = {k: v.copy() for k, v in start.items()}
    default, _ = tf.train_next_value(1.0, progress=False, task=task, steps=5)
    same, _ = tf.train_next_value(1.0, progress=False, task=task, steps=5,
                                  init=init_model(1, 32, 1, seed=0))
    other, _ = tf.train_next_value(1.0, progress=False, task=task, steps=5, init=start)
    for k in start:
        np.testing.assert_array_equal(start[k], kept[k])  # not modified
        np.testing.assert_array_equal(same[k], default[k])
    assert all(not np.allclose(other[k], default[k]) for k in ("W_xh", "W_hh"))
    with pytest.raises(ValueError, match="init"):
        tf.train_next_value(1.0, progress=False, task=task, steps=1, init={"W_xh": 1})
    bad = {**start, "W_hh": np.zeros((3, 3))}
    with pytest.raises(ValueError, match=r"init\['W_hh'\].*\(32, 32\)"):
        tf.train_next_value(1.0, progress=False, task=task, steps=1, init=bad)


def test_ratio_result_caches_per_ratio_and_seed(monkeypatch):
    calls = []
    real = tf.train_next_value

    def counting(ratio, **kwargs):
        calls.append((ratio, kwargs["seed"]))
        return real(ratio, **{**kwargs, "steps": 5})

    monkeypatch.setattr(tf, "train_next_value", counting)
    monkeypatch.setattr(tf, "_RESULTS", {})
    a = tf.ratio_result(0.5, seed=1, progress=False)
    assert tf.ratio_result(0.5, seed=1, progress=False) is a
    b = tf.ratio_result(0.5, seed=2, progress=False)
    assert calls == [(0.5, 1), (0.5, 2)] and b is not a
    # Each seed is evaluated on its own data.
    np.testing.assert_allclose(b.closed_loop, tf.closed_loop_errors(b.params, tf.sine_task(seed=2)))
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="seed"):
            tf.ratio_result(0.5, seed=bad)


# --------------------------------------------------------------------------- the checker


def test_checker_accepts_the_library(capsys):
    assert check_closed_loop_predict(tf.closed_loop_predict)
    assert capsys.readouterr().out.startswith("✓")


def test_checker_rejects_usual_mistakes_without_raising(capsys):
    def stub(params, context, horizon):
        return None

    def skips_first(params, context, horizon):
        return tf.closed_loop_predict(params, context, horizon + 1)[1:]

    def restarts(params, context, horizon):
        return tf.closed_loop_predict(params, context[-1:], horizon)

    def crashes(params, context, horizon):
        raise IndexError("index 7 is out of bounds")

    def mutates(params, context, horizon):
        context += 1.0
        return tf.closed_loop_predict(params, context, horizon)

    def flat(params, context, horizon):
        return tf.closed_loop_predict(params, context, horizon)[:, :, 0]

    expected = {stub: "returned None", skips_first: "first guess", restarts: "carry on",
                crashes: "raised IndexError", mutates: "changed its input",
                flat: "expected (", }
    for fn, words in expected.items():
        assert check_closed_loop_predict(fn) is False
        out = capsys.readouterr().out
        assert out.startswith("✗ not yet") and words in out, out
    assert check_closed_loop_predict("generate") is False


# --------------------------------------------------------------------------- the view


@pytest.fixture
def counted_training(monkeypatch):
    calls = []
    real = tf.train_next_value

    def counting(ratio, **kwargs):
        calls.append(ratio)
        return real(ratio, **{**kwargs, "steps": 40})

    monkeypatch.setattr(tf, "train_next_value", counting)
    monkeypatch.setattr(tf, "_RESULTS", {})
    return calls


def test_view_slider_trains_on_release_and_redraws(counted_training):
    view = tfw.TeacherForcingView(0.5, progress=False)
    assert view.slider.description == "teacher forcing ratio"
    assert (view.slider.min, view.slider.max) == (0.0, 1.0)
    assert view.slider.continuous_update is False
    assert sorted(counted_training) == [0.5, 1.0]
    renders, pictures = view.figure.renders, {view.figure.widget.value}
    for r in (0.0, 1.0, 0.5):
        view.slider.value = r
        result = tf.ratio_result(r)
        pred = tf.closed_loop_predict(result.params, view.context, tfw.HORIZON)[:, 0, 0]
        np.testing.assert_allclose(view.pred.get_ydata(), np.clip(pred, -9, 9))
        np.testing.assert_allclose(view.err.get_ydata(), result.closed_loop)
        assert view.message.text.startswith(f"teacher forcing ratio {r:.2f}")
        pictures.add(view.figure.widget.value)
    assert sorted(counted_training) == [0.0, 0.5, 1.0]  # 1.0 and 0.5 came from the cache
    assert view.figure.renders == renders + 3
    assert len(pictures) == 3  # 0.5 drawn twice gives the same picture
    assert len(view.figure.fig.axes) == 2
    free = tfw.describe_ratio(tf.ratio_result(0.0), tf.ratio_result(1.0))
    assert "free running" in free and "chaotic" in free  # low ratios: not reproducible
    assert "chaotic" not in tfw.describe_ratio(tf.ratio_result(0.5), tf.ratio_result(1.0))
    view.slider.value = 0.0
    assert "⚠" in view.message.widget.value and "chaotic" in view.message.text


def test_show_solution_prints_the_reference(capsys):
    # Notebook 05's "Stuck?" line: the course-wide show_solution shows the library function.
    from rnn_helpers.checks import show_solution

    show_solution(tf.closed_loop_predict)
    out = capsys.readouterr().out
    assert "def closed_loop_predict" in out and "rnn_helpers/lessons/n05_teacher_forcing.py" in out
    assert not hasattr(tf, "show_solution")  # no second implementation to keep in sync
