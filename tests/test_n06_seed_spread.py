"""Notebook 06 over seeds 0-4: each headline experiment runs on five seeds and the test asserts
the claim the notebook makes, in the robust form.

Measured before writing the claims (seeds 0-9, the notebook's setup; the commands are in
docs/instructors.md, section 06):
- race (T = 30, 400 updates): the plain RNN ended at 0.149-0.252, the LSTM (forget bias 2) at
  0.0010-0.0051, first below 0.05 after 200-350 updates, still above 0.15 after 50;
- inside the trained LSTM (300 validation sequences), M1 = the unit whose last cell state
  tracks u1 + u2 best: |corr| 0.956-0.996; its cell state just before the second mark
  correlates with u1 at |corr| 0.865-0.992; median forget-gate product between the marks
  0.865-0.974; |ΔC| at the marks 8.9-34 times that at the other steps; input gate 0.44-0.75
  wider open at the marks, 0.02-0.07 at the other steps after the first mark;
- the LSTM's gradient paths: as initialised (forget bias 2, T = 100), the direct path's share
  of ∂L/∂C_t (the projection) is 0.63-0.85 at d = 5, -0.04-0.20 at d = 20, at most 0.085 in
  size from d = 50 on, below one half from d = 7-13; trained, its share is at least 0.25 at
  every distance and the total keeps 0.80-1.41 of its size over 29 steps (the direct path
  alone 0.58-0.85);
- the plain RNN's factor per step is within 0.02 of its spectral radius, with ||W_hh||_2 > 1.
"""

import numpy as np
import pytest
import torch

from rnn_helpers import scratch
from rnn_helpers.data import adding_problem
from rnn_helpers.lessons.n06_lstm import (
    cell_state_paths,
    factor_per_step,
    gradient_over_distance,
    memory_units,
    rnn_jacobian_norms,
    without_recurrent_weights,
)
from rnn_helpers.models import make_regressor, train_regressor

SEEDS = range(5)


def at_least_4_of_5(flags) -> bool:
    flags = list(flags)
    assert len(flags) == 5
    return sum(bool(f) for f in flags) >= 4


@pytest.fixture(scope="module")
def races():
    """The notebook's race for each seed: plain RNN and LSTM, T = 30, 400 updates."""
    runs = []
    for seed in SEEDS:
        x_train, y_train = adding_problem(8000, 30, seed=seed + 1)
        x_val, y_val = adding_problem(1000, 30, seed=seed + 2)
        run = {"x_val": x_val}
        for kind in ("rnn", "lstm"):
            model = make_regressor(kind, 2, 32, seed=seed,
                                   forget_bias=2.0 if kind == "lstm" else None)
            run[kind] = train_regressor(model, x_train, y_train, x_val, y_val, steps=400,
                                        seed=seed, progress=False)
            run[f"{kind}_model"] = model
        runs.append(run)
    return runs


def test_the_lstm_learns_the_adding_problem_the_rnn_does_not(races):
    assert at_least_4_of_5(r["rnn"].final_val_loss > 0.12 for r in races)
    assert at_least_4_of_5(r["lstm"].final_val_loss < 0.03 for r in races)
    for r in races:
        val = dict(zip(r["lstm"].val_step, r["lstm"].val_loss, strict=True))
        assert val[50] > 0.12  # the LSTM first sits on the plateau of the constant guess


def test_one_memory_unit_writes_the_first_number_holds_it_and_adds_the_second(races):
    for seed, r in zip(SEEDS, races, strict=True):
        params = scratch.params_from_torch(r["lstm_model"].rnn)
        units = memory_units(params, r["x_val"][:, :300])
        m1 = units["units"][0]
        assert abs(units["answer_corr"][m1]) > 0.9, seed
        assert abs(units["first_corr"][m1]) > 0.75, seed
        assert units["forget_product"][m1] > 0.5, seed
        assert units["write_ratio"][m1] > 4, seed
        assert units["input_at_marks"][m1] > units["input_elsewhere"][m1] + 0.2, seed
        assert units["input_elsewhere"][m1] < 0.2, seed


def test_after_training_the_direct_path_carries_a_large_share(races):
    for seed, r in zip(SEEDS, races, strict=True):
        model = r["lstm_model"]
        params = scratch.params_from_torch(model.rnn)
        head = model.head.weight.detach().to(torch.float64).numpy()[0]
        paths = cell_state_paths(params, r["x_val"][:, :64], dh_last=head)
        assert paths["direct_share"].min() > 0.15, seed
        assert 0.5 < paths["total"][29] / paths["total"][0] < 2, seed
        assert paths["direct"][29] / paths["direct"][0] > 0.2, seed


def _flows(seed):
    x, _ = adding_problem(16, 100, seed=seed)
    rnn = scratch.init_rnn_params(2, 32, seed=seed)
    lstm = scratch.set_gate_bias(scratch.init_rnn_params(2, 32, seed=seed, kind="lstm"),
                                 "lstm", "f", 2.0)
    return x, rnn, lstm


def test_the_rnn_decays_at_its_spectral_radius_though_the_norm_bound_is_above_one():
    for seed in SEEDS:
        x, rnn, _ = _flows(seed)
        factor = factor_per_step(gradient_over_distance("rnn", rnn, x)["dh"])
        jac = rnn_jacobian_norms(rnn, x[:, :4])
        assert jac["bound"] > 1 > factor, seed
        assert abs(factor - jac["radius"]) < 0.05, seed


def test_far_back_most_of_the_lstms_gradient_comes_through_h():
    for seed in SEEDS:
        x, _, lstm = _flows(seed)
        paths = cell_state_paths(lstm, x)
        control = cell_state_paths(without_recurrent_weights(lstm), x)
        share = paths["direct_share"]
        assert share[5] > 0.5 and share[20] < 0.3, seed
        assert np.abs(share[50:]).max() < 0.15, seed
        assert 5 <= int(np.argmax(share < 0.5)) <= 20, seed
        assert paths["total"][99] > 100 * control["total"][99], seed
