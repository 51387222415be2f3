"""rnn_helpers.models: seeded construction, forget bias, training loop, divergence."""

import math
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

from rnn_helpers.counting import count_parameters, recurrent_parameter_count
from rnn_helpers.data import adding_problem
from rnn_helpers.models import (
    SequenceRegressor,
    evaluate_mse,
    make_regressor,
    train_regressor,
)
from rnn_helpers.scratch import params_from_torch
from rnn_helpers.train.torch_loop import Adam


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_same_seed_same_weights_and_global_rng_untouched(kind):
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    a = make_regressor(kind, 3, 5, seed=7)
    assert torch.equal(torch.rand(1), expected_next), "building a model must not consume global RNG"
    b = make_regressor(kind, 3, 5, seed=7)
    c = make_regressor(kind, 3, 5, seed=8)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)
    assert not all(torch.equal(pa, pc) for pa, pc in zip(a.parameters(), c.parameters(),
                                                         strict=True))


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_forward_shape_and_parameter_count(kind):
    model = make_regressor(kind, input_size=3, hidden_size=5, output_size=2, seed=0)
    assert isinstance(model, SequenceRegressor)
    assert model(torch.zeros(7, 4, 3)).shape == (4, 2)
    torch_count = recurrent_parameter_count(kind, 3, 5, torch_biases=True)
    assert count_parameters(model) == torch_count + 5 * 2 + 2


def test_forget_bias_sets_the_scratch_f_bias_only_for_the_lstm():
    model = make_regressor("lstm", 2, 4, seed=0, forget_bias=2.0)
    b = params_from_torch(model.rnn)["b"]
    np.testing.assert_allclose(b[4:8], 2.0, rtol=1e-6)
    assert not np.allclose(b[:4], 2.0)
    gru = make_regressor("gru", 2, 4, seed=0, forget_bias=2.0)  # ignored, no error
    plain = make_regressor("gru", 2, 4, seed=0)
    assert all(torch.equal(p, q) for p, q in zip(gru.parameters(), plain.parameters(),
                                                 strict=True))


def test_float64_models():
    model = make_regressor("lstm", 2, 3, dtype=torch.float64)
    assert all(p.dtype == torch.float64 for p in model.parameters())


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"kind": "transformer"}, "kind"),
    ({"kind": "rnn", "hidden_size": 0}, "hidden_size"),
    ({"kind": "rnn", "input_size": 2.5}, "input_size"),
])
def test_bad_model_arguments(kwargs, words):
    args = {"input_size": 2, "hidden_size": 3} | kwargs
    with pytest.raises(ValueError, match=words):
        make_regressor(**args)


def _small_task(T=6, n=512, seed=0):
    return adding_problem(n, T, seed=seed)


def test_training_is_repeatable_and_learns_a_short_adding_problem():
    x, y = _small_task()
    xv, yv = _small_task(n=256, seed=1)
    runs = []
    for _ in range(2):
        model = make_regressor("gru", 2, 8, seed=0)
        runs.append(train_regressor(model, x, y, xv, yv, steps=120, batch_size=64, eval_every=40,
                                    seed=3, progress=False))
    first, second = runs
    assert first.train_loss == second.train_loss and first.val_loss == second.val_loss
    assert first.val_step == [0, 40, 80, 120]
    assert first.train_step == list(range(1, 121)) and first.steps == 120
    assert first.val_loss[-1] < 0.5 * first.val_loss[1]
    assert first.seconds > 0 and not first.diverged
    assert first.final_val_loss == first.val_loss[-1]
    assert model.training is False  # left in eval mode


def test_num_threads_is_restored_and_does_not_change_the_result():
    x, y = _small_task(n=64)
    before = torch.get_num_threads()
    runs = [train_regressor(make_regressor("rnn", 2, 4, seed=0), x, y, steps=5, progress=False,
                            num_threads=threads) for threads in (None, 1)]
    assert torch.get_num_threads() == before
    assert runs[0].train_loss == runs[1].train_loss


def test_validation_recorded_at_the_end_when_steps_are_not_a_multiple():
    x, y = _small_task()
    model = make_regressor("rnn", 2, 4, seed=0)
    history = train_regressor(model, x, y, x, y, steps=7, eval_every=5, progress=False)
    assert history.val_step == [0, 5, 7]


def test_stop_below_ends_the_run_at_the_first_validation_below_it():
    x, y = _small_task()
    xv, yv = _small_task(n=256, seed=1)
    full = train_regressor(make_regressor("gru", 2, 8, seed=0), x, y, xv, yv, steps=120,
                           batch_size=64, eval_every=20, seed=3, progress=False)
    threshold = 0.5 * (full.val_loss[1] + full.val_loss[-1])  # crossed somewhere inside
    pairs = zip(full.val_step, full.val_loss, strict=True)
    first_below = next(s for s, v in pairs if v < threshold)
    assert 0 < first_below < 120
    stopped = train_regressor(make_regressor("gru", 2, 8, seed=0), x, y, xv, yv, steps=120,
                              batch_size=64, eval_every=20, seed=3, progress=False,
                              stop_below=threshold)
    assert stopped.steps == first_below == stopped.val_step[-1]
    assert stopped.val_loss == full.val_loss[: len(stopped.val_loss)]  # the same run, cut short
    with pytest.raises(ValueError, match="stop_below needs validation data"):
        train_regressor(make_regressor("gru", 2, 8, seed=0), x, y, steps=5, stop_below=0.1,
                        progress=False)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_adam_is_torchs_adam(kind):
    x, y = _small_task(n=64)
    x, y = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    ours, theirs = make_regressor(kind, 2, 6, seed=2), make_regressor(kind, 2, 6, seed=2)
    opt_ours = Adam(ours.parameters(), lr=1e-2)
    opt_theirs = torch.optim.Adam(theirs.parameters(), lr=1e-2)
    for _ in range(25):
        for model, opt in ((ours, opt_ours), (theirs, opt_theirs)):
            opt.zero_grad()
            torch.mean((model(x) - y) ** 2).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-6, atol=1e-7)
    untrained = make_regressor(kind, 2, 6, seed=2)
    assert not torch.equal(next(ours.parameters()), next(untrained.parameters()))


def test_training_does_not_import_torch_dynamo():
    # torch.optim's first use imports torch._dynamo (seconds); train_regressor avoids it.
    code = ("import sys; from rnn_helpers.models import make_regressor, train_regressor; "
            "from rnn_helpers.data import adding_problem; x, y = adding_problem(64, 5); "
            "train_regressor(make_regressor('gru', 2, 4), x, y, x, y, steps=3, progress=False); "
            "assert 'torch._dynamo' not in sys.modules, 'torch._dynamo was imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_seed_none_is_the_course_seed():
    from rnn_helpers import SEED

    x, y = _small_task(n=64)
    a = make_regressor("rnn", 2, 4)
    b = make_regressor("rnn", 2, 4, seed=SEED)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    runs = [train_regressor(make_regressor("rnn", 2, 4, seed=1), x, y, steps=5, progress=False,
                            seed=seed) for seed in (None, SEED)]
    assert runs[0].train_loss == runs[1].train_loss


def test_time_budget_stops_early():
    x, y = _small_task(T=30, n=256)
    model = make_regressor("lstm", 2, 8, seed=0)
    history = train_regressor(model, x, y, steps=10_000, time_budget=0.2, progress=False)
    assert 0 < history.steps < 10_000
    assert history.val_loss == [] and math.isnan(history.final_val_loss)


def test_divergence_is_recorded_not_raised():
    x, y = _small_task()
    x = x.copy()
    x[0, :, 0] = np.nan
    model = make_regressor("rnn", 2, 4, seed=0)
    history = train_regressor(model, x, y, steps=5, progress=False)
    assert history.diverged and history.diverged_at_step == 0 and history.steps == 0


def test_no_clipping_and_progress_bar_run(capsys):
    x, y = _small_task(n=64)
    model = make_regressor("lstm", 2, 4, seed=0)
    history = train_regressor(model, x, y, steps=3, clip=None, progress=True)
    assert history.steps == 3
    assert "training lstm" in capsys.readouterr().err  # tqdm writes to stderr outside Jupyter


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"steps": 0}, "steps"),
    ({"lr": -1.0}, "lr"),
    ({"clip": ("norm", 0.0)}, "clip"),
    ({"time_budget": math.inf}, "time_budget"),
    ({"batch_size": 0}, "batch_size"),
])
def test_bad_training_arguments(kwargs, words):
    x, y = _small_task(n=16)
    with pytest.raises(ValueError, match=words):
        train_regressor(make_regressor("rnn", 2, 3), x, y, progress=False, **kwargs)


def test_bad_training_data():
    x, y = _small_task(n=16)
    model = make_regressor("rnn", 2, 3)
    with pytest.raises(ValueError, match="y_train: expected 16 rows"):
        train_regressor(model, x, y[:10], progress=False)
    with pytest.raises(ValueError, match=r"x_train: expected shape \(T, N, D\)"):
        train_regressor(model, x[0], y, progress=False)
    with pytest.raises(ValueError, match="both x_val and y_val"):
        train_regressor(model, x, y, x_val=x, progress=False)


def test_evaluate_mse_is_the_mean_squared_error():
    x, y = _small_task(n=50)
    model = make_regressor("gru", 2, 4, seed=1)
    with torch.no_grad():
        pred = model(torch.tensor(x, dtype=torch.float32)).numpy()
    assert evaluate_mse(model, x, y, batch_size=7) == pytest.approx(np.mean((pred - y) ** 2),
                                                                    rel=1e-5)
