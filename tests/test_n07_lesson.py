"""rnn_helpers.lessons.n07_gru: GRU conventions, the GRU's memory against z^t, the seeded
race on the adding problem and the time per update."""

import math

import numpy as np
import pytest

from rnn_helpers import scratch
from rnn_helpers.data import adding_problem
from rnn_helpers.decay import half_life, measured_half_life
from rnn_helpers.lessons.n07_gru import (
    LEARNED_BELOW,
    compare_on_adding_problem,
    flip_update_gate,
    gru_step_reset_before,
    gru_step_update_on_candidate,
    gru_survival,
    learned_counts,
    merge_comparisons,
    ms_per_update,
)
from rnn_helpers.scratch import force_gates, set_gate_bias

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
    open_reset = force_gates(params, "gru", r=1.0)
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
        for key in ("steps_to_learn", "final", "updates", "seconds"):
            assert result[key][kind].shape == (2,)
        np.testing.assert_array_equal(result["updates"][kind], [4, 4])
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
        assert result["updates"][kind][0] == 5


def test_compare_on_adding_problem_refuses_bad_input():
    with pytest.raises(ValueError, match="seeds"):
        compare_on_adding_problem([], steps=2, progress=False)
    with pytest.raises(ValueError, match="kinds"):
        compare_on_adding_problem([0], steps=2, kinds=("transformer",), progress=False)
    with pytest.raises(ValueError, match="steps"):
        compare_on_adding_problem([0], steps=0, progress=False)


def test_ms_per_update_times_each_kind():
    times = ms_per_update(("rnn", "gru"), seq_len=5, hidden_size=4, updates=3, seed=0, n_train=256)
    assert set(times) == {"rnn", "gru"} and all(0 < t < 10_000 for t in times.values())
    with pytest.raises(ValueError, match="kinds"):
        ms_per_update(("transformer",), updates=1)
    with pytest.raises(ValueError, match="updates"):
        ms_per_update(updates=0)


def test_learned_below_is_under_the_one_number_plateau():
    # answering u2 + 0.5 (only the second number remembered) scores Var(u1) = 1/12
    x, y = adding_problem(20000, 30, seed=0)
    m2 = 29 - np.argmax(x[::-1, :, 1], axis=0)  # the second (last) marked step
    second = x[m2, np.arange(20000), 0]
    one_number = float(np.mean((y[:, 0] - second - 0.5) ** 2))
    assert one_number == pytest.approx(1 / 12, rel=0.03)
    assert LEARNED_BELOW < 0.7 * one_number


# --------------------------------------------------------------------------- 07: memory


@pytest.mark.parametrize("b_z", [3.0, 4.0, 5.0])
def test_gru_survival_follows_z_to_the_t_for_a_large_update_bias(b_z):
    params = scratch.init_rnn_params(1, 8, seed=0, kind="gru")
    run = gru_survival(params, b_z, steps=150, seed=0)
    z = 1 / (1 + math.exp(-b_z))
    np.testing.assert_allclose(run["predicted"], z ** np.arange(1, 151))
    np.testing.assert_array_equal(run["t"], np.arange(1, 151))
    assert run["z"] == pytest.approx(z, abs=0.01)
    # the half-life by z^t is met within 10 %, and the curves agree while half is left
    assert measured_half_life(run["kept"]) == pytest.approx(half_life(z), rel=0.1)
    early = run["predicted"] > 0.5
    np.testing.assert_allclose(run["kept"][early], run["predicted"][early], rtol=0.05)


def test_gru_survival_is_measured_on_gru_forward():
    """kept(t) is the distance between two gru_forward runs from +-spread*s, over 2*spread*s."""
    params = scratch.init_rnn_params(1, 4, seed=1, kind="gru")
    x = np.random.default_rng(5).standard_normal((10, 2, 1))
    run = gru_survival(params, 1.0, steps=10, x=x, seed=7, spread=0.3)
    p = set_gate_bias(params, "gru", "z", 1.0)
    rng = np.random.default_rng(7)
    signs = np.where(rng.random((2, 4)) < 0.5, -1.0, 1.0)
    ha, _ = scratch.gru_forward(x, 0.3 * signs, p)
    hb, _ = scratch.gru_forward(x, -0.3 * signs, p)
    expected = (np.linalg.norm(ha - hb, axis=2) / np.linalg.norm(0.6 * signs, axis=1)).mean(axis=1)
    np.testing.assert_allclose(run["kept"], expected, rtol=1e-12)
    with pytest.raises(ValueError, match="x: expected shape"):
        gru_survival(params, 1.0, steps=10, x=np.zeros((9, 2, 1)))
