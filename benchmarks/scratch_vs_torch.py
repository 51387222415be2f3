"""Time the scratch NumPy layers against torch autograd: forward + backward, float64, CPU.

    python benchmarks/scratch_vs_torch.py [--repeats 21] [--warmup 3] [--clock wall|cpu]
                                          [--models RNN,LSTM,GRU] [--shape T,B,D,H ...]
                                          [--float32] [--check]

For each model (RNN, LSTM, GRU) and shape it times
- scratch: rnn/lstm/gru_forward + _backward in NumPy float64, given the upstream gradient dh;
- torch64: the same torch layer in float64: forward, the loss sum(dh * h) and
  loss.backward() (gradients for the weights, x and h0);
- torch32 (with --float32): the same in float32, for information only.
The contenders run in turns (scratch, torch64, scratch, torch64, ...), so that a burst of
load from other processes hits them alike. The ratio is the median over the rounds of
scratch time / torch64 time in the same round. The course's budget (COURSE.md): ratio
<= 0.8 at both course shapes for all three models; one core's ~50 GFLOP/s of float64
matrix products puts the floor for the large LSTM near 0.4.

Both run with one thread, the course default: importing rnn_helpers limits NumPy's BLAS
and torch to RNN_COURSE_THREADS (default 1) threads; the header prints what is in force.
--clock cpu measures the calling thread's CPU time instead of wall time, which a machine
shared with busy processes disturbs less (torch with one thread computes in the calling
thread). --check exits with status 1 if a ratio is over the budget.
"""

import argparse
import functools
import statistics
import sys
import time

import numpy as np
import torch
from threadpoolctl import threadpool_info

from rnn_helpers.scratch import (
    gru_backward,
    gru_forward,
    lstm_backward,
    lstm_forward,
    params_from_torch,
    rnn_backward,
    rnn_forward,
)

COURSE_SHAPES = [(50, 32, 1, 100), (100, 64, 32, 128)]  # (T, B, D, H)
MODELS = {"RNN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}
BUDGET = 0.8  # scratch / torch64, at most
CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}


def scratch_step(model, x, h0, params, dh):
    if model == "RNN":
        _, cache = rnn_forward(x, h0, params)
        return rnn_backward(dh, cache)
    if model == "LSTM":
        _, _, cache = lstm_forward(x, h0, h0, params)
        return lstm_backward(dh, cache)
    _, cache = gru_forward(x, h0, params)
    return gru_backward(dh, cache)


def torch_step(module, model, x, h0, dh):
    module.zero_grad(set_to_none=True)
    x = x.detach().requires_grad_()
    h0 = h0.detach().requires_grad_()
    state = (h0, h0) if model == "LSTM" else h0
    h, _ = module(x, state)
    (h * dh).sum().backward()


def times_in_turns(fns, repeats, warmup, clock):
    """Times (s) of each function over `repeats` rounds, the functions run in turns."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, ts in zip(fns, times, strict=True):
            start = clock()
            fn()
            ts.append(clock() - start)
    return times


def contenders(model, shape, float32=False):
    """Zero-argument functions to time: scratch, torch float64 (and torch float32)."""
    T, B, D, H = shape
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, B, D))
    h0 = rng.standard_normal((B, H))
    dh = rng.standard_normal((T, B, H))
    torch.manual_seed(0)
    module64 = MODELS[model](D, H).double()
    params = params_from_torch(module64)
    fns = [functools.partial(scratch_step, model, x, h0, params, dh)]
    modules = [(module64, torch.float64)]
    if float32:
        module32 = MODELS[model](D, H).float()
        module32.load_state_dict(module64.state_dict())
        modules.append((module32, torch.float32))
    for module, dtype in modules:
        xt, h0t, dht = (torch.tensor(a, dtype=dtype) for a in (x, h0[None], dh))
        fns.append(functools.partial(torch_step, module, model, xt, h0t, dht))
    return fns


def parse_shape(text):
    shape = tuple(int(n) for n in text.split(","))
    if len(shape) != 4 or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"expected T,B,D,H (four ints >= 1), got {text!r}")
    return shape


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--clock", choices=list(CLOCKS), default="wall")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--shape", type=parse_shape, action="append",
                        help="T,B,D,H instead of the two course shapes (repeatable)")
    parser.add_argument("--float32", action="store_true", help="also time torch float32")
    parser.add_argument("--check", action="store_true", help="exit 1 if over the budget")
    args = parser.parse_args()
    models = args.models.split(",")
    shapes = args.shape or COURSE_SHAPES
    blas = ", ".join(f"{i['internal_api']} {i['num_threads']}" for i in threadpool_info())
    print(
        f"numpy {np.__version__} (BLAS threads: {blas}), torch {torch.__version__} "
        f"(threads: {torch.get_num_threads()}); float64 forward+backward, {args.clock} clock, "
        f"median of {args.repeats} rounds after {args.warmup} warm-up rounds\n"
    )
    header = "| model | shape (T, B, D, H) | scratch ms | torch64 ms | ratio | budget |"
    rule = "|---|---|---:|---:|---:|---|"
    if args.float32:
        header, rule = header + " torch32 ms |", rule + "---:|"
    print(header)
    print(rule)
    over = []
    for model in models:
        for shape in shapes:
            fns = contenders(model, shape, args.float32)
            times = times_in_turns(fns, args.repeats, args.warmup, CLOCKS[args.clock])
            ms = [1e3 * statistics.median(ts) for ts in times]
            ratio = statistics.median(s / t for s, t in zip(times[0], times[1], strict=True))
            ok = ratio <= BUDGET
            if not ok:
                over.append(f"{model} {shape}")
            row = (f"| {model} | {shape} | {ms[0]:.2f} | {ms[1]:.2f} | {ratio:.2f}x "
                   f"| {'ok' if ok else 'OVER'} (<= {BUDGET}x) |")
            if args.float32:
                row += f" {ms[2]:.2f} |"
            print(row, flush=True)
    print(f"\nover the budget: {', '.join(over)}" if over else "\nall within the budget")
    if args.check and over:
        sys.exit(1)


if __name__ == "__main__":
    main()
