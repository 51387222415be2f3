"""benchmarks/scratch_vs_torch.py times like for like: its scratch and torch contenders
compute the same gradients (checked on small shapes; the timing itself is not tested)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "scratch_vs_torch.py"


def load_benchmark():
    spec = importlib.util.spec_from_file_location("scratch_vs_torch", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BENCH = load_benchmark()
BIAS = {"RNN": "b_h", "LSTM": "b", "GRU": "b_hh"}  # the torch bias_hh gradient's scratch name


@pytest.mark.parametrize("model", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("shape", [(4, 3, 2, 5), (1, 1, 1, 1)])
def test_scratch_and_torch_contenders_compute_the_same_gradients(model, shape):
    scratch_fn, torch_fn = BENCH.contenders(model, shape)
    grads = scratch_fn()
    torch_fn()
    module = torch_fn.args[0]
    for name, torch_name in [("W_xh", "weight_ih_l0"), ("W_hh", "weight_hh_l0"),
                             (BIAS[model], "bias_hh_l0")]:
        ours, ref = grads[name], getattr(module, torch_name).grad.numpy()
        np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12, err_msg=name)


def test_the_course_shapes_and_budget_are_the_ones_in_course_md():
    assert BENCH.COURSE_SHAPES == [(50, 32, 1, 100), (100, 64, 32, 128)]
    assert BENCH.BUDGET == 0.8
    assert list(BENCH.MODELS) == ["RNN", "LSTM", "GRU"]


def test_times_in_turns_interleaves_the_contenders():
    calls = []
    fns = [lambda: calls.append("a"), lambda: calls.append("b")]
    times = BENCH.times_in_turns(fns, repeats=3, warmup=1, clock=lambda: 0.0)
    assert calls == ["a", "b"] * 4
    assert [len(ts) for ts in times] == [3, 3]
