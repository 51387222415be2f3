"""The gradient-check helpers and gradient clipping."""

import numpy as np
import pytest

from rnn_helpers.gradcheck import (
    GradcheckResult,
    gradcheck_report,
    numerical_gradient,
    rel_error,
)
from rnn_helpers.scratch import clip_by_norm, clip_by_value


def test_numerical_gradient_of_known_function():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 2))
    params = {"W": rng.standard_normal((3, 2)), "v": rng.standard_normal(4)}
    saved = {k: v.copy() for k, v in params.items()}

    def f(p):  # d/dW = 2 A W, d/dv = cos(v)
        return np.sum(A * p["W"] ** 2) + np.sum(np.sin(p["v"]))

    num = numerical_gradient(f, params)
    np.testing.assert_allclose(num["W"], 2 * A * params["W"], rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(num["v"], np.cos(params["v"]), rtol=1e-8, atol=1e-9)
    for k in params:  # the caller's arrays are untouched
        np.testing.assert_array_equal(params[k], saved[k])


def test_numerical_gradient_requires_a_scalar():
    with pytest.raises(ValueError, match=r"f: expected a scalar .* got an array of shape \(2,\)"):
        numerical_gradient(lambda p: p["w"] * 2, {"w": np.ones(2)})


def test_rel_error():
    a = np.array([1.0, -2.0, 0.0])
    assert rel_error(a, a.copy()) == 0.0
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    # the largest difference (0.1) relative to the largest entry (2)
    assert rel_error(a, a + np.array([0.0, 0.1, 0.05])) == pytest.approx(0.05)
    # an entry that is zero in the reference does not blow up the error
    assert rel_error(a, a + np.array([0.0, 0.0, 1e-11])) < 1e-11
    assert rel_error(a, np.array([1.0, np.nan, 0.0])) == np.inf
    with pytest.raises(ValueError, match=r"b: expected the same shape as a, \(3,\), got \(2,\)"):
        rel_error(a, a[:2])


def quadratic_problem():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((4, 4))
    params = {"W": rng.standard_normal((4, 3)), "b": rng.standard_normal(4)}

    def f(p):
        return np.sum((A @ p["W"]) ** 2) + np.sum(p["b"] ** 3)

    grads = {"W": 2 * A.T @ (A @ params["W"]), "b": 3 * params["b"] ** 2}
    return f, params, grads


def test_gradcheck_report_agrees_and_prints_one_line(capsys):
    f, params, grads = quadratic_problem()
    result = gradcheck_report(f, params, dict(grads, extra=np.ones(2)))
    out = capsys.readouterr().out
    assert isinstance(result, GradcheckResult) and isinstance(result, float)
    assert result.ok and result < 1e-7 and result.mismatched == []
    assert set(result.errors) == {"W", "b"}
    assert float(result) == max(result.errors.values())
    assert out.count("\n") == 1
    assert out.startswith("max relative error ") and out.endswith("over W, b — gradients agree\n")


def test_gradcheck_report_names_the_mismatch(capsys):
    f, params, grads = quadratic_problem()
    bad = dict(grads, b=grads["b"] * 1.01)  # a 1 % error in one array
    result = gradcheck_report(f, params, bad)
    out = capsys.readouterr().out
    assert not result.ok and result > 1e-3
    assert result.mismatched == ["b"]
    assert out.strip().endswith("MISMATCH in b")
    assert result.errors["W"] < 1e-7


def test_gradcheck_report_tolerance_is_the_boundary():
    f, params, grads = quadratic_problem()
    bad = dict(grads, W=grads["W"] * (1 + 1e-5))
    err = gradcheck_report(f, params, bad, verbose=False)
    assert 5e-6 < err < 2e-5
    assert not gradcheck_report(f, params, bad, tol=err * 0.9, verbose=False).ok
    assert gradcheck_report(f, params, bad, tol=err * 1.1, verbose=False).ok


def test_gradcheck_report_bad_arguments():
    f, params, grads = quadratic_problem()
    with pytest.raises(ValueError, match="analytic_grads: missing key.*'b'"):
        gradcheck_report(f, params, {"W": grads["W"]})
    with pytest.raises(
        ValueError, match=r"analytic_grads\['b'\]: expected shape \(4,\).*got \(3,\)"
    ):
        gradcheck_report(f, params, dict(grads, b=np.zeros(3)))
    with pytest.raises(ValueError, match="eps: expected a finite number > 0, got -1"):
        numerical_gradient(f, params, eps=-1)


# ---- clipping ----


def grads_example():
    return {"W": np.array([[3.0, -4.0], [0.5, 0.0]]), "b": np.array([12.0, -0.25])}


def test_clip_by_value_clips_each_entry_and_leaves_input_alone():
    grads = grads_example()
    saved = {k: v.copy() for k, v in grads.items()}
    clipped = clip_by_value(grads, 1.0)
    np.testing.assert_array_equal(clipped["W"], [[1.0, -1.0], [0.5, 0.0]])
    np.testing.assert_array_equal(clipped["b"], [1.0, -0.25])
    for k in grads:
        np.testing.assert_array_equal(grads[k], saved[k])
        assert clipped[k] is not grads[k]


def test_clip_by_norm_rescales_everything_by_the_global_norm():
    grads = grads_example()
    saved = {k: v.copy() for k, v in grads.items()}
    expected_norm = np.sqrt(9 + 16 + 0.25 + 144 + 0.0625)
    clipped, norm = clip_by_norm(grads, 1.0)
    assert norm == pytest.approx(expected_norm, rel=1e-15)
    total = np.sqrt(sum(np.sum(g**2) for g in clipped.values()))
    assert total == pytest.approx(1.0, rel=1e-12)
    for k in grads:  # one common factor: direction kept
        np.testing.assert_allclose(clipped[k], saved[k] / expected_norm, rtol=1e-14)
        np.testing.assert_array_equal(grads[k], saved[k])


def test_clip_by_norm_below_threshold_is_unchanged_copy():
    grads = grads_example()
    clipped, norm = clip_by_norm(grads, 100.0)
    assert norm == pytest.approx(np.sqrt(169.3125))
    for k in grads:
        np.testing.assert_array_equal(clipped[k], grads[k])
        assert clipped[k] is not grads[k]
    clipped["b"][0] = 0.0
    assert grads["b"][0] == 12.0


def test_clip_by_norm_matches_torch():
    import torch

    grads = grads_example()
    tensors = [
        torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads.values()
    ]
    for t, g in zip(tensors, grads.values(), strict=True):
        t.grad = torch.tensor(g)
    torch_norm = torch.nn.utils.clip_grad_norm_(tensors, 2.0)
    clipped, norm = clip_by_norm(grads, 2.0)
    assert norm == pytest.approx(torch_norm.item(), rel=1e-14)
    for t, g in zip(tensors, clipped.values(), strict=True):
        # torch divides by norm + 1e-6, hence the tolerance
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-6)


def test_clip_by_norm_huge_and_nonfinite_gradients():
    clipped, norm = clip_by_norm({"W": np.array([1e200, 1e200])}, 1.0)
    assert norm == pytest.approx(np.sqrt(2) * 1e200)
    np.testing.assert_allclose(clipped["W"], [np.sqrt(0.5)] * 2)
    clipped, norm = clip_by_norm({"W": np.array([np.inf, 1.0])}, 1.0)
    assert not np.isfinite(norm)  # reported, so a training loop can say "diverged"
    assert clipped["W"][1] == 1.0


@pytest.mark.parametrize("bad", [0, -1.0, np.inf, np.nan])
def test_clip_limits_must_be_positive_and_finite(bad):
    with pytest.raises(ValueError, match="limit: expected a finite number > 0"):
        clip_by_value(grads_example(), bad)
    with pytest.raises(ValueError, match="max_norm: expected a finite number > 0"):
        clip_by_norm(grads_example(), bad)


@pytest.mark.parametrize("bad", [True, "1", None])
def test_clip_limits_must_be_numbers(bad):
    with pytest.raises(TypeError, match="limit: expected a finite number > 0"):
        clip_by_value(grads_example(), bad)
    with pytest.raises(TypeError, match="max_norm: expected a finite number > 0"):
        clip_by_norm(grads_example(), bad)


def test_clip_rejects_non_dict():
    with pytest.raises(TypeError, match="grads: expected a dict of arrays, got list"):
        clip_by_norm([np.ones(2)], 1.0)
