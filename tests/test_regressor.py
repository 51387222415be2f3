"""The scratch RNN regressor: gradients, optimisers, the training loop and its reporting."""

import copy

import numpy as np
import pytest

from rnn_helpers import regressor
from rnn_helpers.data import sine_dataset
from rnn_helpers.regressor import (
    PARAM_NAMES,
    evaluate,
    init_model,
    loss_and_grads,
    predict,
    train,
)
from rnn_helpers.scratch import linear_backward, rnn_backward
from rnn_helpers.train import adam_init, adam_update, global_norm


@pytest.fixture(scope="module")
def sine():
    """A tiny noisy-sine task: windows of 10 -> next value."""
    return sine_dataset(window=10, n_points=200, val_fraction=0.25, seed=0)


def _numeric_grad(params, name, index, f, eps=1e-6):
    plus, minus = copy.deepcopy(params), copy.deepcopy(params)
    plus[name][index] += eps
    minus[name][index] -= eps
    return (f(plus) - f(minus)) / (2 * eps)


# ----------------------------------------------------------------------------- the model


def test_init_model_shapes():
    p = init_model(3, 5, 2, seed=0)
    assert {k: v.shape for k, v in p.items()} == {
        "W_xh": (5, 3),
        "W_hh": (5, 5),
        "b_h": (5,),
        "W_hy": (2, 5),
        "b_y": (2,),
    }
    assert all(v.dtype == np.float64 for v in p.values())
    assert not np.array_equal(p["W_xh"], init_model(3, 5, 2, seed=1)["W_xh"])


@pytest.mark.parametrize("every_step", [False, True])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_loss_and_grads_match_finite_differences(every_step, nonlinearity):
    rng = np.random.default_rng(0)
    p = init_model(2, 4, 3, seed=1)
    x = rng.standard_normal((6, 3, 2))
    y = rng.standard_normal((6, 3, 3) if every_step else (3, 3))

    def f(q):
        return evaluate(q, x, y, nonlinearity=nonlinearity, every_step=every_step)

    loss, grads = loss_and_grads(p, x, y, nonlinearity=nonlinearity, every_step=every_step)
    assert loss == pytest.approx(f(p))
    assert set(grads) == set(PARAM_NAMES)
    for name in PARAM_NAMES:
        assert grads[name].shape == p[name].shape
        for index in [(0,) * p[name].ndim, tuple(s - 1 for s in p[name].shape)]:
            num = _numeric_grad(p, name, index, f)
            assert grads[name][index] == pytest.approx(num, rel=1e-5, abs=1e-8), name


@pytest.mark.parametrize("k", [0, 1, 3, 6, 7, 50])
def test_many_to_one_truncation_equals_the_library_truncation(k):
    """The shortcut for a loss at the last step only must equal rnn_backward(truncate=k)."""
    rng = np.random.default_rng(2)
    p = init_model(2, 5, 1, seed=3)
    x, y = rng.standard_normal((8, 4, 2)), rng.standard_normal((4, 1))
    _, grads = loss_and_grads(p, x, y, truncate=k)

    y_hat, rnn_cache, head_cache, h = regressor._forward(p, x, "tanh", False)
    dh = np.zeros_like(h)
    dh[-1] = linear_backward(2 * (y_hat - y) / y.size, head_cache)["h"]
    ref = rnn_backward(dh, rnn_cache, truncate=k)
    for name in ("W_xh", "W_hh", "b_h"):
        np.testing.assert_allclose(grads[name], ref[name], rtol=1e-10, atol=1e-14)
    _, full = loss_and_grads(p, x, y)
    same_as_full = k >= 7
    # (W_xh, not W_hh: step 0 adds nothing to dW_hh, since h0 = 0)
    assert np.allclose(grads["W_xh"], full["W_xh"], rtol=1e-12, atol=0) == same_as_full


def test_predict_shapes(sine):
    x, *_ = sine
    p = init_model(1, 6, 1)
    assert predict(p, x).shape == (x.shape[1], 1)
    assert predict(p, x, every_step=True).shape == (x.shape[0], x.shape[1], 1)


def test_overflow_gives_inf_not_an_exception():
    p = init_model(1, 4, 1)
    p["W_xh"], p["b_h"] = np.ones((4, 1)), np.zeros(4)
    p["W_hh"] = np.eye(4) * 1e200  # relu states explode to inf within a few steps
    x = np.ones((10, 2, 1))
    loss, grads = loss_and_grads(p, x, np.zeros((2, 1)), nonlinearity="relu")
    assert not np.isfinite(loss)
    assert all(np.isnan(g).all() for g in grads.values())


# ----------------------------------------------------------------------------- optimisers


def test_adam_first_step_moves_each_entry_by_lr():
    p = {"w": np.array([1.0, -2.0, 3.0])}
    g = {"w": np.array([1e-3, -5.0, 100.0])}  # wildly different scales
    new, state = adam_update(p, g, adam_init(p), lr=0.1)
    np.testing.assert_allclose(new["w"] - p["w"], [-0.1, 0.1, -0.1], rtol=1e-4)
    assert state["t"] == 1
    np.testing.assert_array_equal(p["w"], [1.0, -2.0, 3.0])  # pure


def test_global_norm():
    assert global_norm({"a": np.array([3.0]), "b": np.array([[4.0]])}) == pytest.approx(5.0)


# ----------------------------------------------------------------------------- train


@pytest.mark.parametrize(("optimizer", "lr"), [("adam", 0.01), ("sgd", 0.2)])
def test_training_lowers_the_loss(sine, optimizer, lr):
    x, y, xv, yv = sine
    p = init_model(1, 8, 1, seed=0)
    before = evaluate(p, xv, yv)
    q, hist = train(
        p, x, y, epochs=15, batch_size=16, lr=lr, optimizer=optimizer, x_val=xv, y_val=yv,
        progress=False,
    )  # fmt: skip
    assert not hist.diverged and hist.diverged_at_step is None
    assert hist.steps == 15 * int(np.ceil(x.shape[1] / 16)) == len(hist.train_loss)
    assert len(hist.val_loss) == 15 and hist.val_step[-1] == hist.steps
    assert hist.val_loss[-1] < 0.5 * before
    assert np.mean(hist.train_loss[-10:]) < 0.5 * np.mean(hist.train_loss[:10])
    assert evaluate(q, xv, yv) == pytest.approx(hist.val_loss[-1])
    assert hist.val_rmse[-1] == pytest.approx(np.sqrt(hist.val_loss[-1]))


def test_train_does_not_mutate_params_and_is_deterministic(sine):
    x, y, *_ = sine
    p = init_model(1, 6, 1, seed=0)
    saved = copy.deepcopy(p)
    q1, h1 = train(p, x, y, steps=30, progress=False, seed=4)
    for k in p:
        np.testing.assert_array_equal(p[k], saved[k])
        assert q1[k] is not p[k]
    q2, h2 = train(p, x, y, steps=30, progress=False, seed=4)
    q3, _ = train(p, x, y, steps=30, progress=False, seed=5)
    assert h1.train_loss == h2.train_loss
    assert all(np.array_equal(q1[k], q2[k]) for k in p)
    assert not np.array_equal(q1["W_hh"], q3["W_hh"])  # the seed sets the batch order


def test_truncate_is_passed_through(sine, monkeypatch):
    x, y, *_ = sine
    seen = []
    real = regressor.loss_and_grads

    def spy(params, xb, yb, truncate=None, *args, **kwargs):
        seen.append(truncate)
        return real(params, xb, yb, truncate, *args, **kwargs)

    monkeypatch.setattr(regressor, "loss_and_grads", spy)
    p = init_model(1, 6, 1)
    q0, _ = train(p, x, y, steps=5, truncate=0, progress=False)
    assert seen == [0] * 5
    q_full, _ = train(p, x, y, steps=5, truncate=None, progress=False)
    assert seen[5:] == [None] * 5
    assert not np.allclose(q0["W_hh"], q_full["W_hh"])


@pytest.mark.parametrize("kind", ["value", "norm"])
def test_clip_limits_each_update(sine, kind):
    """With SGD one step moves params by lr * clipped gradient, so clipping is visible."""
    x, y, *_ = sine
    p = init_model(1, 6, 1)
    limit, lr = 1e-3, 0.5
    q, hist = train(p, x, y, steps=1, lr=lr, optimizer="sgd", clip=(kind, limit), progress=False)
    step = {k: (p[k] - q[k]) / lr for k in p}
    assert hist.grad_norm[0] > 10 * limit  # recorded before clipping: clipping did act
    if kind == "value":
        assert max(np.abs(s).max() for s in step.values()) == pytest.approx(limit)
    else:
        assert global_norm(step) == pytest.approx(limit)
    q_free, _ = train(p, x, y, steps=1, lr=lr, optimizer="sgd", clip=None, progress=False)
    assert global_norm({k: (p[k] - q_free[k]) / lr for k in p}) == pytest.approx(hist.grad_norm[0])


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_huge_learning_rate_is_reported_as_divergence_not_raised(sine, nonlinearity):
    x, y, xv, yv = sine
    p = init_model(1, 8, 1)
    q, hist = train(
        p, x, y, steps=200, lr=1e6, optimizer="sgd", nonlinearity=nonlinearity,
        x_val=xv, y_val=yv, progress=False,
    )  # fmt: skip
    assert hist.diverged
    assert isinstance(hist.diverged_at_step, int) and hist.diverged_at_step < 200
    assert hist.steps == hist.diverged_at_step  # no update applied at the failing step
    assert len(hist.train_loss) <= hist.diverged_at_step + 1
    assert "step" in hist.reason or "validation" in hist.reason
    assert all(np.isfinite(v).all() for v in q.values())


def test_non_finite_numbers_stop_the_run_with_a_reason(sine):
    x, y, *_ = sine
    p = init_model(1, 4, 1)
    p["W_xh"], p["b_h"], p["W_hh"] = np.ones((4, 1)), np.zeros(4), np.eye(4) * 1e200
    q, hist = train(p, x + 2.0, y, steps=5, nonlinearity="relu", progress=False)
    assert hist.diverged and hist.diverged_at_step == 0 and hist.steps == 0
    assert "training loss became" in hist.reason and not np.isfinite(hist.train_loss[-1])
    assert all(np.array_equal(q[k], p[k]) for k in p)
    # With the threshold off, a gigantic SGD step overflows the parameters themselves.
    q, hist = train(
        init_model(1, 4, 1), x, y + 1e3, steps=5, lr=1e308, optimizer="sgd",
        diverge_threshold=np.inf, progress=False,
    )  # fmt: skip
    assert hist.diverged and "parameters became non-finite" in hist.reason
    assert all(np.isfinite(v).all() for v in q.values())


def test_progress_false_prints_nothing_and_true_shows_a_bar(sine, capfd):
    x, y, *_ = sine
    p = init_model(1, 4, 1)
    train(p, x, y, steps=3, progress=False)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    train(p, x, y, steps=3, progress=True)
    out, err = capfd.readouterr()
    assert "3/3" in out + err


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epochs": 2, "steps": 5}, "epochs or steps"),
        ({"optimizer": "rmsprop"}, "optimizer"),
        ({"clip": ("max", 1.0)}, "clip"),
        ({"clip": ("norm", -1.0)}, "clip"),
        ({"lr": 0}, "lr"),
        ({"batch_size": 0}, "batch_size"),
        ({"truncate": -1}, "truncate"),
        ({"x_val": np.zeros((10, 3, 1))}, "x_val and y_val"),
        ({"x_val": np.zeros((10, 3, 1)), "y_val": np.zeros((4, 1))}, "y_val"),
    ],
)
def test_train_bad_arguments(sine, kwargs, match):
    x, y, *_ = sine
    with pytest.raises(ValueError, match=match):
        train(init_model(1, 4, 1), x, y, progress=False, **kwargs)


def test_shape_errors_name_the_argument():
    p = init_model(2, 4, 1)
    with pytest.raises(ValueError, match=r"x has shape \(5, 3, 1\)"):
        predict(p, np.zeros((5, 3, 1)))
    with pytest.raises(ValueError, match=r"y has shape \(3,\)"):
        loss_and_grads(p, np.zeros((5, 3, 2)), np.zeros(3))
    bad = dict(p, b_h=np.zeros(5))
    with pytest.raises(ValueError, match=r"b_h"):
        predict(bad, np.zeros((5, 3, 2)))
