"""The one NumPy loop and the one torch loop: learning, divergence, clipping, validation."""

import math

import numpy as np
import pytest
import torch

from rnn_helpers.train import (
    History,
    parse_clip,
    random_batches,
    shuffled_batches,
    steps_per_epoch,
    train_numpy,
    train_torch,
)

RNG = np.random.default_rng(0)
X = RNG.standard_normal((64, 3))
Y = X @ np.array([1.0, -2.0, 0.5]) + 0.3


def linear_loss_and_grads(params, idx):
    x, y = X[idx], Y[idx]
    err = x @ params["w"] + params["b"] - y
    loss = float(np.mean(err**2))
    return loss, {"w": 2 * x.T @ err / len(y), "b": np.array(2 * err.mean())}


def start():
    return {"w": np.zeros(3), "b": np.array(0.0)}


def full_loss(params):
    return {"loss": linear_loss_and_grads(params, np.arange(64))[0]}


def test_numpy_loop_learns_and_leaves_params_alone():
    params = start()
    new, hist = train_numpy(params, linear_loss_and_grads, shuffled_batches(64, 16, 0),
                            steps=300, lr=0.05, evaluate=full_loss, eval_every=100,
                            eval_at_start=True, progress=False)
    assert np.all(params["w"] == 0)
    assert hist.steps == 300 and len(hist.train_loss) == 300 and not hist.diverged
    assert hist.val_step == [0, 100, 200, 300]
    assert hist.val_loss[-1] < 1e-3 * hist.val_loss[0]
    np.testing.assert_allclose(new["w"], [1.0, -2.0, 0.5], atol=1e-2)


def test_numpy_loop_is_deterministic_given_the_batches_seed():
    runs = [train_numpy(start(), linear_loss_and_grads, shuffled_batches(64, 8, 3), steps=20,
                        lr=0.01, progress=False)[1].train_loss for _ in range(2)]
    assert runs[0] == runs[1]


def test_numpy_loop_records_divergence_and_keeps_finite_params():
    new, hist = train_numpy(start(), linear_loss_and_grads, random_batches(64, 16, 0),
                            steps=500, lr=1e3, optimizer="sgd", progress=False)
    assert hist.diverged and hist.diverged_at_step is not None and hist.reason
    assert hist.steps == hist.diverged_at_step < 500
    assert all(np.isfinite(v).all() for v in new.values())


def test_numpy_loop_clips_by_norm():
    big = lambda p, b: (1.0, {"w": np.full(3, 100.0), "b": np.array(0.0)})  # noqa: E731
    new, hist = train_numpy(start(), big, random_batches(4, 1, 0), steps=1, lr=1.0,
                            optimizer="sgd", clip=("norm", 1.0), progress=False)
    assert hist.grad_norm[0] == pytest.approx(100 * math.sqrt(3))
    assert np.linalg.norm(new["w"]) == pytest.approx(1.0)


@pytest.mark.parametrize("clip", [1.0, ("norm",), ("size", 1.0), ("norm", -1.0), ("value", 0)])
def test_bad_clip_names_the_argument(clip):
    with pytest.raises(ValueError, match="clip"):
        parse_clip(clip)


def test_batches():
    seen = np.concatenate([next(b) for b in [shuffled_batches(10, 4, 0)] for _ in range(3)])
    assert sorted(seen) == list(range(10)) and steps_per_epoch(10, 4) == 3
    assert next(random_batches(10, 7, 0)).shape == (7,)
    with pytest.raises(ValueError, match="batch_size"):
        next(shuffled_batches(10, 0, 0))


XT, YT = torch.tensor(X), torch.tensor(Y)


def torch_loss(model, idx):
    return torch.mean((model(XT[idx]).squeeze(-1) - YT[idx]) ** 2)


def make_model():
    gen = torch.Generator().manual_seed(0)
    model = torch.nn.Linear(3, 1).double()
    with torch.no_grad():
        model.weight.copy_(torch.randn(1, 3, generator=gen, dtype=torch.float64))
    return model


def test_torch_loop_learns_without_touching_the_global_generator():
    model = make_model()
    state = torch.random.get_rng_state()
    hist = train_torch(model, torch_loss, shuffled_batches(64, 16, 0), steps=300, lr=0.05,
                       evaluate=lambda m: {"loss": float(torch_loss(m, np.arange(64)))},
                       eval_every=150, clip=("norm", 10.0), progress=False)
    assert torch.equal(state, torch.random.get_rng_state())
    assert isinstance(hist, History) and hist.steps == 300 and hist.val_step == [150, 300]
    assert hist.val_loss[-1] < 1e-3 and not model.training


def test_torch_loop_records_nan_and_stops():
    model = make_model()
    nan_at_5 = lambda m, step: torch_loss(m, np.arange(8)) * (math.nan if step == 5 else 1.0)  # noqa: E731
    hist = train_torch(model, nan_at_5, iter(range(100)), steps=100, lr=0.01, progress=False)
    assert hist.diverged and hist.diverged_at_step == 5 and hist.steps == 5
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_torch_loop_clips_by_value_and_respects_a_time_budget():
    model = make_model()
    hist = train_torch(model, torch_loss, random_batches(64, 8, 0), steps=10**6, lr=0.01,
                       clip=("value", 0.1), time_budget=0.2, progress=False)
    assert 0 < hist.steps < 10**6 and hist.seconds < 5
