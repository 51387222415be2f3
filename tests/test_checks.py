"""Tests of rnn_helpers.checks: right answers pass, typical mistakes fail with a useful line."""

import numpy as np
import pytest

from rnn_helpers import checks, scratch
from rnn_helpers.checks import (
    check_clip_by_norm,
    check_clip_by_value,
    check_gru_step,
    check_lstm_step,
    check_rnn_forward,
    check_rnn_step,
    check_rnn_step_backward,
    show_solution,
)


def verdict(capsys, check, fn, **kwargs):
    """Run a checker; return (result, printed text), asserting it printed exactly one line."""
    result = check(fn, **kwargs)
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    return result, out.strip()


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


# ----------------------------------------------------------------------------- correct answers


@pytest.mark.parametrize(
    ("check", "fn"),
    [
        (check_rnn_step, scratch.rnn_step),
        (check_rnn_forward, scratch.rnn_forward),
        (check_rnn_step_backward, scratch.rnn_step_backward),
        (check_lstm_step, scratch.lstm_step),
        (check_gru_step, scratch.gru_step),
        (check_clip_by_norm, scratch.clip_by_norm),
        (check_clip_by_value, scratch.clip_by_value),
    ],
)
def test_the_library_passes_its_own_checks(capsys, check, fn):
    result, line = verdict(capsys, check, fn)
    assert result is True
    assert line == f"✓ {fn.__name__} matches the library on 5 random cases"


def test_student_style_correct_solutions_pass(capsys):
    """Written differently from the library (loops, other orders of sums): still right."""

    def rnn_step(x_t, h_prev, params):
        a = params["b_h"] + h_prev @ params["W_hh"].T + x_t @ params["W_xh"].T
        return np.tanh(a), {}

    def rnn_forward(x, h0, params):
        hs, h = [], h0
        for t in range(x.shape[0]):
            h, _ = rnn_step(x[t], h, params)
            hs.append(h)
        return np.stack(hs), None

    def lstm_step(x_t, h_prev, c_prev, params):
        H = h_prev.shape[1]
        a = x_t @ params["W_xh"].T + h_prev @ params["W_hh"].T + params["b"]
        i, f = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H])
        g, o = np.tanh(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])
        c = f * c_prev + i * g
        return o * np.tanh(c), c, None

    def clip_by_value(grads, limit):
        return {k: np.minimum(np.maximum(g, -limit), limit) for k, g in grads.items()}

    assert verdict(capsys, check_rnn_step, rnn_step)[0]
    assert verdict(capsys, check_rnn_forward, rnn_forward)[0]
    assert verdict(capsys, check_lstm_step, lstm_step)[0]
    assert verdict(capsys, check_clip_by_value, clip_by_value)[0]


def test_relu_variant_is_checked_when_asked(capsys):
    def relu_step(x_t, h_prev, params, nonlinearity="tanh"):
        assert nonlinearity == "relu"
        a = x_t @ params["W_xh"].T + h_prev @ params["W_hh"].T + params["b_h"]
        return np.maximum(a, 0), None

    assert verdict(capsys, check_rnn_step, relu_step, nonlinearity="relu")[0]
    result, line = verdict(capsys, check_rnn_step, scratch.rnn_step, nonlinearity="sigmoid")
    assert result  # the library itself, with the name passed through
    result, line = verdict(capsys, check_rnn_step, relu_step)  # called without "relu"
    assert not result and "AssertionError" in line


# ----------------------------------------------------------------------------- rnn_step mistakes


def _rnn_step(sign=1.0, bias=True, transpose_hh=False, transpose_xh=False):
    def rnn_step(x_t, h_prev, params):
        W_xh = params["W_xh"] if transpose_xh else params["W_xh"].T
        W_hh = params["W_hh"] if transpose_hh else params["W_hh"].T
        a = x_t @ W_xh + h_prev @ W_hh + (params["b_h"] if bias else 0.0)
        return sign * np.tanh(a), None

    return rnn_step


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (_rnn_step(sign=-1.0), ["h_t[", "expected", "wrong sign"]),
        (_rnn_step(bias=False), ["h_t[", "bias b_h is missing"]),
        (_rnn_step(transpose_hh=True), ["h_t[", "W_hh is used transposed"]),
        (_rnn_step(transpose_xh=True), ["raised ValueError", "line 4 of rnn_step", ".T"]),
    ],
)
def test_wrong_rnn_steps_fail_with_a_pointed_message(capsys, fn, expected):
    result, line = verdict(capsys, check_rnn_step, fn)
    assert result is False
    assert line.startswith("✗ not yet: on case 1 (B=2, D=3, H=4)")
    for piece in expected:
        assert piece in line


def test_message_quotes_the_value_and_the_expected_one(capsys):
    wrong = _rnn_step(bias=False)
    _, line = verdict(capsys, check_rnn_step, wrong)
    # Recompute case 1 and check the quoted numbers are the real ones.
    case = checks.scratch_layers._step_cases("rnn", seed=1)[0].args
    got = wrong(case["x_t"], case["h_prev"], case["params"])[0]
    exp = scratch.rnn_step(case["x_t"], case["h_prev"], case["params"])[0]
    idx = np.unravel_index(np.argmax(np.abs(got - exp)), got.shape)
    assert f"h_t[{idx[0]}, {idx[1]}] is {got[idx]:.6g}, expected {exp[idx]:.6g}" in line


def test_returning_none_raising_and_wrong_shapes(capsys):
    def empty(x_t, h_prev, params):
        pass

    def todo(x_t, h_prev, params):
        raise NotImplementedError

    def crash(x_t, h_prev, params):
        return params["W_xy"], None

    def squeezed(x_t, h_prev, params):
        return scratch.rnn_step(x_t, h_prev, params)[0].sum(axis=0), None

    def text(x_t, h_prev, params):
        return "h_t", None

    def in_place(x_t, h_prev, params):
        h_prev *= 1.0
        h_prev += 0.0
        x_t[0, 0] = 99.0
        return scratch.rnn_step(x_t, h_prev, params)

    cases = [
        (empty, "✗ not yet: your function returned None — fill in the body"),
        (todo, "✗ not yet: your function raised NotImplementedError — fill in the body"),
        (crash, "your function raised KeyError: 'W_xy' (line 2 of crash)"),
        (squeezed, "h_t: returned shape (4,), expected (2, 4)"),
        (text, "h_t is a str, expected a NumPy array of shape (2, 4)"),
        (in_place, "changed its input x_t in place"),
        (42, "expected your function itself, got int"),
    ]
    for fn, piece in cases:
        result, line = verdict(capsys, check_rnn_step, fn)
        assert result is False
        assert piece in line, line


def test_wrong_shape_only_for_batch_of_one_is_caught_on_that_case(capsys):
    def breaks_at_b1(x_t, h_prev, params):
        h = scratch.rnn_step(x_t, h_prev, params)[0]
        return (h[0] if h.shape[0] == 1 else h), None  # "forgot" the batch axis

    result, line = verdict(capsys, check_rnn_step, breaks_at_b1)
    assert not result
    assert "on case 2 (B=1, D=3, H=4) h_t: returned shape (4,), expected (1, 4)" in line


# ----------------------------------------------------------------------------- other checkers


def test_rnn_forward_mistakes(capsys):
    def ignores_h0(x, h0, params):
        return scratch.rnn_forward(x, np.zeros_like(h0), params)

    def last_state_only(x, h0, params):
        return scratch.rnn_forward(x, h0, params)[0][-1], None

    result, line = verdict(capsys, check_rnn_forward, ignores_h0)
    assert not result and "h0 is ignored" in line and "h[" in line
    result, line = verdict(capsys, check_rnn_forward, last_state_only)
    assert not result and "h: returned shape (2, 4), expected (4, 2, 4)" in line


def test_rnn_step_backward_mistakes(capsys):
    def no_tanh_derivative(dh_t, cache):
        da = dh_t
        return {
            "W_xh": da.T @ cache["x"],
            "W_hh": da.T @ cache["h_prev"],
            "b_h": da.sum(axis=0),
            "x": da @ cache["W_xh"],
            "h_prev": da @ cache["W_hh"],
        }

    def missing_key(dh_t, cache):
        g = scratch.rnn_step_backward(dh_t, cache)
        del g["b_h"]
        return g

    result, line = verdict(capsys, check_rnn_step_backward, no_tanh_derivative)
    assert not result and "grads['W_xh'][" in line and "tanh derivative" in line
    result, line = verdict(capsys, check_rnn_step_backward, missing_key)
    assert not result and "grads is missing the key(s) 'b_h'" in line


def test_rnn_step_backward_with_the_students_own_cache(capsys):
    def my_step(x_t, h_prev, params):
        h = np.tanh(x_t @ params["W_xh"].T + h_prev @ params["W_hh"].T + params["b_h"])
        return h, (x_t, h_prev, h, params)

    def my_backward(dh_t, cache):
        x_t, h_prev, h, p = cache
        da = dh_t * (1 - h**2)
        return {
            "W_xh": da.T @ x_t,
            "W_hh": da.T @ h_prev,
            "b_h": da.sum(0),
            "x": da @ p["W_xh"],
            "h_prev": da @ p["W_hh"],
        }

    assert verdict(capsys, check_rnn_step_backward, my_backward, step_fn=my_step)[0]
    # Without step_fn it receives the library's dict cache and fails, without raising.
    result, line = verdict(capsys, check_rnn_step_backward, my_backward)
    assert not result and "raised ValueError" in line
    # A broken step_fn is reported too, not raised.
    result, line = verdict(capsys, check_rnn_step_backward, my_backward, step_fn=lambda *a: 1)
    assert not result and "did not give (h_t, cache)" in line


def test_lstm_and_gru_mistakes(capsys):
    def lstm_ifog(x_t, h_prev, c_prev, params):
        H = h_prev.shape[1]
        a = x_t @ params["W_xh"].T + h_prev @ params["W_hh"].T + params["b"]
        i, f = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H])
        o, g = sigmoid(a[:, 2 * H : 3 * H]), np.tanh(a[:, 3 * H :])
        c = f * c_prev + i * g
        return o * np.tanh(c), c, None

    def lstm_h_only(x_t, h_prev, c_prev, params):
        return scratch.lstm_step(x_t, h_prev, c_prev, params)[0]

    def gru_swapped(x_t, h_prev, params):
        H = h_prev.shape[1]
        ax = x_t @ params["W_xh"].T + params["b_xh"]
        ah = h_prev @ params["W_hh"].T + params["b_hh"]
        r = sigmoid(ax[:, :H] + ah[:, :H])
        z = sigmoid(ax[:, H : 2 * H] + ah[:, H : 2 * H])
        n = np.tanh(ax[:, 2 * H :] + r * ah[:, 2 * H :])
        return z * n + (1 - z) * h_prev, None

    def gru_slightly_off(x_t, h_prev, params):
        return scratch.gru_step(x_t, h_prev, params)[0] * (1 + 1e-6), None

    result, line = verdict(capsys, check_lstm_step, lstm_ifog)
    assert not result and "i, f, o, g" in line
    result, line = verdict(capsys, check_lstm_step, lstm_h_only)
    assert not result and "returned a ndarray, expected (h_t, c_t, cache)" in line
    result, line = verdict(capsys, check_gru_step, gru_swapped)
    assert not result and "z and 1 - z seem swapped" in line
    result, line = verdict(capsys, check_gru_step, gru_slightly_off)
    assert not result and "h_t[" in line  # a relative error of 1e-6 is above rtol 1e-7


def test_clip_mistakes(capsys):
    def per_array_norm(grads, max_norm):
        norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
        return {k: g * min(1.0, max_norm / np.linalg.norm(g)) for k, g in grads.items()}, norm

    def always_rescale(grads, max_norm):
        norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
        return {k: g * max_norm / norm for k, g in grads.items()}, norm

    def dict_only(grads, max_norm):
        return scratch.clip_by_norm(grads, max_norm)[0]

    def clip_in_place(grads, limit):
        for g in grads.values():
            np.clip(g, -limit, limit, out=g)
        return grads

    def upper_only(grads, limit):
        return {k: np.minimum(g, limit) for k, g in grads.items()}

    result, line = verdict(capsys, check_clip_by_norm, per_array_norm)
    assert not result and "one global norm" in line
    result, line = verdict(capsys, check_clip_by_norm, always_rescale)
    assert not result and line.startswith("✗ not yet: on case 2 (W (1, 1), max_norm=1.0)")
    result, line = verdict(capsys, check_clip_by_norm, dict_only)
    assert not result and "returned a dict, expected (clipped, norm)" in line
    result, line = verdict(capsys, check_clip_by_value, clip_in_place)
    assert not result and "changed its input grads in place" in line
    result, line = verdict(capsys, check_clip_by_value, upper_only)
    assert not result and "negative entries" in line


# ----------------------------------------------------------------------------- show_solution


def test_show_solution_prints_the_library_source_outside_ipython(capsys):
    show_solution("clip_by_value")
    out = capsys.readouterr().out
    assert "def clip_by_value(grads, limit):" in out and "rnn_helpers/scratch" in out

    def rnn_step(x_t, h_prev, params):  # a student's function: its name picks the solution
        pass

    show_solution(rnn_step)
    assert "def rnn_step(x_t, h_prev, params" in capsys.readouterr().out
    with pytest.raises(ValueError, match="fn_or_name.*rnn_step"):
        show_solution("no_such_function")


def test_show_solution_displays_code_in_ipython(monkeypatch, capsys):
    import IPython
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    show_solution(scratch.gru_step)
    assert capsys.readouterr().out == ""
    assert isinstance(shown[0], IPython.display.Markdown) and "gru_step" in shown[0].data
    assert isinstance(shown[1], IPython.display.Code) and "def gru_step(" in shown[1].data
