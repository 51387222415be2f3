"""Notebooks 01-03 over several course seeds: every claim their prose makes about a random
example holds for seeds other than the committed one.

Headline (notebook 03, training with TBPTT and clipping, seeds 0-4; measured on seeds 0-13:
k = 1 ended worst in 14 of 14, k = 5 closed most of the gap to full BPTT in 12 of 14, every run
ended within 0.04 of its noise floor). The cheap, analytic claims are checked on 10 or more seeds.
"""

import numpy as np
import pytest

from rnn_helpers import scratch
from rnn_helpers.data import sine_dataset
from rnn_helpers.lessons.n01_hidden_state_vs_hidden_layer import (
    demo_params,
    demo_sequence,
    mlp_hidden_layer,
)
from rnn_helpers.lessons.n02_forward_pass_from_scratch import resting_state
from rnn_helpers.lessons.n03_backprop_through_time import (
    FULL,
    PARAM_KEYS,
    chunked_bptt,
    training_spread,
    truncated_gradients,
    truncation_errors,
    truncation_example,
)


def test_01_the_state_remembers_for_every_seed():
    """01: at t = 4 and 8 (input 1.0 again) and at every zero input the state differs from
    the memoryless layer's answer by more than 0.03 in some unit (smallest seen over 500
    seeds: 0.053)."""
    x = demo_sequence().reshape(-1, 1, 1)
    zeros = np.flatnonzero(x[:, 0, 0] == 0)
    for seed in range(50):
        params = demo_params(seed=seed)
        h = scratch.rnn_forward(x, None, params)[0][:, 0]
        m = mlp_hidden_layer(x, params)[:, 0]
        assert np.abs(h[4] - h[0]).max() > 0.03 and np.abs(h[8] - h[4]).max() > 0.03, seed
        assert all(np.abs(h[t] - m[t]).max() > 0.03 for t in zeros), seed


@pytest.mark.parametrize("seed", range(10))
def test_02_claims_for_every_seed(seed):
    """02: the zero-input state settles in a fixed point that is not tanh(b_h); the untrained
    RNN does worse than repeating the last value; the noise has standard deviation ~0.1."""
    params = scratch.init_rnn_params(3, 5, seed=seed)
    rest = resting_state(params)
    assert rest.converged
    assert np.abs(rest.state - np.tanh(params["b_h"])).max() > 0.05
    x_train, y_train, _, _ = sine_dataset(10, seed=seed)
    h, _ = scratch.rnn_forward(x_train, None, scratch.init_rnn_params(1, 20, seed=seed))
    head = scratch.init_linear_params(20, 1, seed=seed + 1)
    y_hat, _ = scratch.linear_forward(h[-1], head)
    assert np.mean((x_train[-1] - y_train) ** 2) < np.mean((y_hat - y_train) ** 2)
    noise = sine_dataset(10, seed=seed)[1] - sine_dataset(10, seed=seed, noise=0.0)[1]
    assert abs(noise.std() - 0.1) < 0.01


def test_02_the_norm_condition_is_sufficient_not_necessary():
    """02 prints whether ||W_hh||_2 < 1 and says it is for the committed seed, not for every
    course seed; where it is not, the two starts still agree (measured: seeds 3, 5, 7 have
    norms 1.10, 1.09, 1.03)."""
    norms = {s: np.linalg.norm(scratch.init_rnn_params(3, 5, seed=s)["W_hh"], 2) for s in range(10)}
    assert norms[0] < 1
    above = [s for s, n in norms.items() if n >= 1]
    assert above, norms
    for s in above:
        params = scratch.init_rnn_params(3, 5, seed=s)
        rest, other = resting_state(params), resting_state(params, h_start=np.full(5, 0.9))
        assert rest.converged and np.allclose(other.state, rest.state, rtol=0, atol=1e-10), s


def test_03_one_more_step_can_move_a_gradient_away():
    """03's prose: under seed 0 all 24 steps k -> k+1 bring a gradient closer to the full one;
    under seeds 2, 7 and 9 one or two of the 24 do not."""
    T = 10
    closer = {}
    for seed in (0, 2, 7, 9):
        errors = truncation_errors(truncated_gradients(*truncation_example(T=T, seed=seed),
                                                       [*range(T), FULL]))  # fmt: skip
        closer[seed] = sum(errors[k + 1][n] < errors[k][n] for k in range(T - 2)
                           for n in PARAM_KEYS)  # fmt: skip
    assert closer[0] == 24 and all(22 <= closer[s] < 24 for s in (2, 7, 9)), closer


@pytest.mark.parametrize("seed", range(10))
def test_03_truncation_claims_for_every_seed(seed):
    """03: the truncated gradient's error falls roughly geometrically in k, by over 20x from
    k = 0 to T-2, at almost every single step; chunks of 4 land further from the full
    gradient than the per-step window 3."""
    T = 10
    x, h0, params, dh = truncation_example(T=T, seed=seed)
    grads = truncated_gradients(x, h0, params, dh, [*range(T), FULL])
    errors = truncation_errors(grads)
    for name in PARAM_KEYS:
        log_err = np.log([errors[k][name] for k in range(T - 1)])
        assert np.corrcoef(np.arange(T - 1), log_err)[0, 1] < -0.9
        assert errors[0][name] > 20 * errors[T - 2][name]
    closer = sum(errors[k + 1][n] < errors[k][n] for k in range(T - 2) for n in PARAM_KEYS)
    assert closer >= 20
    chunk, _ = chunked_bptt(x, h0, params, dh, 4)
    chunk_err = {n: np.linalg.norm(chunk[n] - grads[FULL][n]) / np.linalg.norm(grads[FULL][n])
                 for n in PARAM_KEYS}  # fmt: skip
    assert max(chunk_err.values()) > max(errors[3].values())


def test_03_training_headline_on_seeds_0_to_4():
    """03's training comparison (32 units, 20 epochs, Adam, clipping at +-10) on seeds 0-4."""
    spread = training_spread(range(5), ks=(1, 5, "full"), progress=False)
    k1_worst = sum(r[1] > max(r[5], r["full"]) for r in spread.values())
    k5_most = sum(r[1] - r[5] > r[5] - r["full"] for r in spread.values())
    assert k1_worst >= 4, spread  # measured: 5 of 5
    assert k5_most >= 3, spread  # measured: 4 of 5 (seed 2: k = 5 closes only a quarter)
    for r in spread.values():
        assert all(0.9 * r["noise"] < r[k] < r["noise"] + 0.06 for k in (1, 5, "full")), r


def test_03_k5_can_end_below_full_bptt():
    """03 names seed 6 as one where k = 5 ends below full BPTT after 20 epochs (measured:
    0.109 vs 0.114; seeds 3 and 4 tie to three decimals)."""
    row = training_spread([6], ks=(5, "full"), progress=False)[6]
    assert row[5] < row["full"] - 0.002, row
