"""Notebook 05's headline claims on seeds 0-4 (0-9 for free running), in the form that survives
seeds and rounding.

Measured first (seeds 0-19, the notebook's settings, `lessons.n05_teacher_forcing`): mean
closed-loop RMSE over 30 steps r = 1: 0.334 ± 0.061, r = 0.75: 0.279 ± 0.041, r = 0.5:
0.249 ± 0.074, r = 0.25: 0.266 ± 0.069, r = 0: 0.370 ± 0.163. r = 0.5 beat r = 1 in 17 of 20
seeds (4 of 5 on seeds 0-4); r = 0 beat r = 1 in only 8 of 20 (5 of 10 on seeds 0-9).

Free running's training: gradient norm above the clipping threshold 1 in 74-95 % of the
updates (r = 1: at most 2 %, r = 0.5: at most 5 %); final training loss (mean of the last 20
updates) 0.050-0.375 against 0.015-0.018 for r = 1 (2.9 to 24 times).

A +0.3 mistake in the last value read (``mistake_effect``) moved the forecast at step 1 by
0.166-0.211 (r = 1) and 0.218-0.229 (r = 0.5: more than r = 1 in 20 of 20 seeds), averaged
over 30 steps by 0.161-0.344 and 0.171-0.317 (the mix less in only 10 of 20); the best
possible forecast (``best_forecast``) by 0.047-0.081 at step 1, 0.044-0.087 on average, its
effect largest at step 9 or 10. Trained / best: at least x2.49 at step 1, x1.84 on average.
The r = 1 model's largest effect exceeded the push itself in only 7 of 20 seeds.

Moving one initial weight to the next float64 moved the trained weights (relative) of
r = 1 and 0.5 by less than 1e-13 on every seed, those of r = 0 by more than 0.04 on every
seed, those of r = 0.25 by more than 1e-6 on 4 of seeds 0-4 (13 of 20 by more than 1e-4):
low-ratio training is chaotic, so no single such result is asserted here, only counts.
25 + 10 + 10 training runs of about 0.5 s each.
"""

import numpy as np
import pytest

from rnn_helpers.lessons import n05_teacher_forcing as n05
from rnn_helpers.lessons.n05_teacher_forcing import sine_task

SEEDS = range(5)


@pytest.fixture(scope="module")
def spread():
    return n05.seed_spread(SEEDS, ratios=(1.0, 0.5, 0.0), progress=False)


def test_a_mix_beats_pure_teacher_forcing_in_closed_loop(spread):
    teacher, mixed = spread.closed_loop[:, 0], spread.closed_loop[:, 1]
    assert spread.wins(0.5, 1.0) >= 4, spread.closed_loop
    assert teacher.mean() - mixed.mean() > 0.05
    # ... while the two are alike one step ahead.
    assert np.abs(spread.one_step[:, 0] - spread.one_step[:, 1]).max() < 0.03


def test_free_running_is_not_reliably_better_than_teacher_forcing(spread):
    # Ten seeds: whether r = 0 beats r = 1 in one seed depends on rounding (about a coin
    # flip), so the claim is a count over enough seeds that all ten flipping is unlikely.
    ten = n05.seed_spread(range(10), ratios=(1.0, 0.0), progress=False)
    assert ten.wins(1.0, 0.0) >= 1, ten.closed_loop


def test_free_running_training_is_rough(spread):
    clipped, loss = spread.clipped, spread.final_loss
    assert (clipped[:, 2] > 0.5).all() and (clipped[:, 0] < 0.1).all(), clipped
    assert np.sum(loss[:, 2] > 2 * loss[:, 0]) >= 4, loss


def test_both_trained_models_overreact_to_a_mistake(spread):
    # Claim changed with the review of notebook 05: "the mix lets a mistake grow less" was an
    # effect of dividing by the (larger) first reaction; in absolute terms it does not hold.
    first, mean = spread.effect_first[:, :2], spread.effect_mean[:, :2]
    assert (first > 2 * spread.best_first[:, None]).all(), (first, spread.best_first)
    assert (mean > 1.5 * spread.best_mean[:, None]).all(), (mean, spread.best_mean)
    assert (mean > 0.6 * first).all()  # the effect does not fade over the horizon
    assert spread.wins(1.0, 0.5, of="effect_first") >= 4  # the mix reacts more at step 1
    for seed in SEEDS:  # a rise and fall by itself is no sign of exposure bias
        best = n05.mistake_effect(n05.best_forecast, sine_task(seed=seed))
        assert 3 <= best.argmax() < 29, best


@pytest.mark.parametrize("seed", SEEDS)
def test_free_running_training_is_chaotic_and_a_mix_is_not(spread, seed):
    # spread has trained the unnudged runs (cached): one new run per ratio here.
    assert n05.nudged_run(0.5, seed=seed, progress=False).weight_change < 1e-8
    assert n05.nudged_run(0.0, seed=seed, progress=False).weight_change > 1e-3


def test_a_low_ratio_is_chaotic_in_most_seeds():
    changes = [n05.nudged_run(0.25, seed=seed, progress=False).weight_change for seed in SEEDS]
    assert sum(c > 1e-6 for c in changes) >= 3, changes
