"""rnn_helpers.sampling (softmax_with_temperature's contract, top-k, inverse-CDF picks,
greedy, samplers, closed-loop generation) and the exercise checker, which must catch each
usual mistake."""

import math

import numpy as np
import pytest

from rnn_helpers.checks import check_softmax_with_temperature
from rnn_helpers.sampling import (
    generate,
    greedy,
    pick_by_uniform,
    sampler,
    softmax_with_temperature,
    top_k_probs,
)

# --------------------------------------------------------------------------- the contract


def test_temperature_one_is_the_plain_softmax():
    z = np.random.default_rng(0).standard_normal((3, 4, 7))
    e = np.exp(z)
    assert np.allclose(softmax_with_temperature(z, 1.0), e / e.sum(-1, keepdims=True),
                       rtol=1e-12)


def test_equals_the_softmax_of_scaled_logits_and_sums_to_one():
    z = np.random.default_rng(1).standard_normal((5, 9))
    for t in (0.3, 1.7, 10.0):
        p = softmax_with_temperature(z, t)
        e = np.exp(z / t)
        assert np.allclose(p, e / e.sum(-1, keepdims=True), rtol=1e-12)
        assert np.allclose(p.sum(-1), 1.0)


@pytest.mark.parametrize("temperature", [1e-3, 1e-6, 1e-300])
def test_stable_and_one_hot_at_tiny_temperature_with_huge_logits(temperature):
    z = np.array([[1000.0, -1000.0, 999.0, 0.0], [-1000.0, -999.5, -1000.0, -1000.0]])
    p = softmax_with_temperature(z, temperature)
    assert np.isfinite(p).all()
    assert np.array_equal(np.argmax(p, -1), [0, 1])
    assert np.allclose(p, np.eye(4)[[0, 1]], atol=1e-12)


def test_huge_logits_at_temperature_one_and_large_temperatures():
    z = np.array([1000.0, -1000.0, 0.0])
    assert np.allclose(softmax_with_temperature(z, 1.0), [1.0, 0.0, 0.0])
    p = softmax_with_temperature(z, 1e6)  # very hot: close to uniform
    assert np.isfinite(p).all() and np.allclose(p, 1 / 3, atol=1e-3)


def test_approaches_one_hot_as_temperature_falls():
    z = np.array([2.0, 1.5, -1.0, 0.3])
    tops = [softmax_with_temperature(z, t)[0] for t in (3.0, 1.0, 0.3, 0.1, 0.01)]
    assert all(a < b for a, b in zip(tops, tops[1:], strict=False))
    assert tops[-1] >= 1 - 1e-15


def test_input_not_modified_and_lists_accepted():
    z = np.array([[3.0, 1.0, -2.0]])
    before = z.copy()
    softmax_with_temperature(z, 0.5)
    assert np.array_equal(z, before)
    assert np.allclose(softmax_with_temperature([1.0, 1.0], 2.0), [0.5, 0.5])


@pytest.mark.parametrize("temperature", [0.0, -1.0, math.nan, math.inf, -math.inf, "1", None])
def test_bad_temperature_is_a_value_error_naming_it(temperature):
    with pytest.raises(ValueError, match="temperature"):
        softmax_with_temperature(np.zeros(3), temperature)


@pytest.mark.parametrize("logits", [np.array([1.0, np.nan]), np.array([np.inf, 0.0]),
                                    np.zeros((2, 0)), np.float64(3.0)])
def test_bad_logits_named(logits):
    with pytest.raises(ValueError, match="logits"):
        softmax_with_temperature(logits, 1.0)


# --------------------------------------------------------------------------- top-k, picking


def test_top_k_keeps_the_k_largest_renormalised():
    p = np.array([[0.1, 0.4, 0.2, 0.3], [0.25, 0.25, 0.25, 0.25]])
    k2 = top_k_probs(p, 2)
    assert np.allclose(k2[0], [0, 4 / 7, 0, 3 / 7])
    assert np.allclose(k2[1], [0.5, 0.5, 0, 0])  # ties: the lower indices stay
    assert np.array_equal(top_k_probs(p, 10), p)
    assert np.array_equal(np.argmax(top_k_probs(p, 1), -1), np.argmax(p, -1))
    with pytest.raises(ValueError, match="k"):
        top_k_probs(p, 0)


def test_pick_by_uniform_is_the_inverse_cdf_and_skips_zeros():
    p = np.array([0.0, 0.5, 0.0, 0.5, 0.0])
    assert pick_by_uniform(p, 0.0) == 1
    assert pick_by_uniform(p, 0.4999) == 1
    assert pick_by_uniform(p, 0.5) == 3
    assert pick_by_uniform(p, 0.999999999) == 3
    batch = pick_by_uniform(np.tile(p, (3, 1)), np.array([0.1, 0.6, 0.0]))
    assert batch.tolist() == [1, 3, 1]


def test_sampler_frequencies_follow_the_tempered_probabilities():
    z = np.log(np.array([0.5, 0.3, 0.2]))
    for t in (0.5, 1.0, 2.0):
        pick = sampler(t, seed=3)
        counts = np.bincount([pick(z) for _ in range(20000)], minlength=3) / 20000
        assert np.allclose(counts, softmax_with_temperature(z, t), atol=0.015)


def test_sampler_is_reproducible_and_top1_is_greedy():
    z = np.random.default_rng(4).standard_normal((50, 10))
    a = [sampler(1.3, seed=7)(row) for row in z]
    b = [sampler(1.3, seed=7)(row) for row in z]
    assert a != [] and a == [sampler(1.3, seed=7)(row) for row in z] == b
    one = sampler(1.0, seed=7)
    assert [one(row) for row in z] != [greedy(row) for row in z]  # sampling is not greedy
    top1 = sampler(5.0, top_k=1, seed=0)
    assert [top1(row) for row in z] == [greedy(row) for row in z]
    assert greedy(z).tolist() == [greedy(row) for row in z]


def test_generate_reads_the_prompt_then_feeds_back_its_picks():
    # A toy "model": its logits favour (last token + 1) mod 5, its state counts steps.
    def step(state, token):
        logits = np.full(5, -10.0)
        logits[(token + 1) % 5] = 10.0
        return logits, state + [token]

    out = generate(step, [], [0, 1, 2], 6, greedy)
    assert out.tolist() == [3, 4, 0, 1, 2, 3]
    assert generate(step, [], [4], 0, greedy).tolist() == []
    with pytest.raises(ValueError, match="prompt_ids"):
        generate(step, [], [], 3, greedy)
    with pytest.raises(ValueError, match="length"):
        generate(step, [], [1], -1, greedy)


# --------------------------------------------------------------------------- the checker


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def right(logits, temperature):
    return softmax_with_temperature(logits, temperature)


def multiplies(logits, temperature):
    return _softmax(logits * temperature)


def ignores_temperature(logits, temperature):
    p = _softmax(logits)
    p = p / temperature
    return p / p.sum(-1, keepdims=True)


def not_normalised(logits, temperature):
    return np.exp((logits - logits.max(-1, keepdims=True)) / temperature)


def wrong_axis(logits, temperature):
    return _softmax(logits / temperature, axis=0)


def overflows(logits, temperature):
    e = np.exp(logits / temperature)
    return e / e.sum(-1, keepdims=True)


def clips_scaled_logits(logits, temperature):
    # "To avoid overflow" the scaled logits are clipped: ties at the clip at low temperature.
    e = np.exp(np.clip(logits / temperature, -50, 50))
    return e / e.sum(-1, keepdims=True)


def floors_temperature(logits, temperature):
    return _softmax(logits / max(temperature, 0.5))


def changes_input(logits, temperature):
    logits -= logits.max(-1, keepdims=True)
    logits /= temperature
    e = np.exp(logits)
    return e / e.sum(-1, keepdims=True)


def raises(logits, temperature):
    raise RuntimeError("oops")


def stub(logits, temperature):
    return None  # YOUR CODE HERE


@pytest.mark.parametrize(
    ("fn", "words"),
    [
        (multiplies, "multiplied by the temperature"),
        (ignores_temperature, "no effect"),
        (not_normalised, "do not sum to 1"),
        (wrong_axis, "wrong axis"),
        (overflows, "overflowed"),
        (clips_scaled_logits, "approach one-hot"),
        (floors_temperature, "approach one-hot"),
        (changes_input, "changed its input logits in place"),
        (raises, "raised RuntimeError: oops"),
        (stub, "returned None"),
    ],
)
def test_checker_names_each_usual_mistake(fn, words, capsys):
    with np.errstate(all="raise"):  # the checker must silence a student's overflow itself
        assert check_softmax_with_temperature(fn) is False
    out = capsys.readouterr().out
    assert out.startswith("✗ not yet") and words in out, out
    assert "Traceback" not in out


def test_checker_accepts_the_library_and_refuses_a_call_result(capsys):
    assert check_softmax_with_temperature(right) is True
    assert check_softmax_with_temperature(softmax_with_temperature) is True
    assert "✓ softmax_with_temperature" in capsys.readouterr().out
    assert check_softmax_with_temperature(right(np.zeros(3), 1.0)) is False
