"""Time the scratch NumPy layers against torch autograd: forward + backward, CPU.

    python benchmarks/scratch_vs_torch.py [--repeats 21] [--warmup 3]

For each model (RNN, LSTM, GRU) and shape it times
- scratch: forward + backward in NumPy float64, given the upstream gradient dh;
- torch64 / torch32: the same torch layer in float64 and in float32: forward, the loss
  sum(dh * h), and loss.backward() (gradients for the weights, x and h0);
and prints a markdown table of the medians (ms) and the ratios scratch / torch.
torch runs with its default number of threads. The three contenders are timed in
turns (scratch, torch64, torch32, scratch, ...) so that a burst of load from other
processes hits all of them alike. The course's budget: ratio <= 1.5.

On a machine shared with other busy processes, two BLAS threads per library can stall
each other badly; to compare single-threaded instead, set the environment before
starting Python:

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/scratch_vs_torch.py
"""

import argparse
import functools
import os
import statistics
import time

import numpy as np
import torch

from rnn_helpers.scratch import (
    gru_backward,
    gru_forward,
    lstm_backward,
    lstm_forward,
    params_from_torch,
    rnn_backward,
    rnn_forward,
)

SHAPES = [(20, 8, 1, 20), (50, 32, 1, 100), (100, 64, 32, 128)]  # (T, B, D, H)
MODELS = {"RNN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}


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


def median_ms_in_turns(fns, repeats, warmup):
    """Median wall time (ms) of each function, running them in turns."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, ts in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - start)
    return [1e3 * statistics.median(ts) for ts in times]


def contenders(model, shape):
    """The three zero-argument functions to time: scratch, torch float64, torch float32."""
    T, B, D, H = shape
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, B, D))
    h0 = rng.standard_normal((B, H))
    dh = rng.standard_normal((T, B, H))
    torch.manual_seed(0)
    module64 = MODELS[model](D, H).double()
    params = params_from_torch(module64)
    module32 = MODELS[model](D, H).float()
    module32.load_state_dict(module64.state_dict())
    fns = [functools.partial(scratch_step, model, x, h0, params, dh)]
    for module, dtype in [(module64, torch.float64), (module32, torch.float32)]:
        xt, h0t, dht = (torch.tensor(a, dtype=dtype) for a in (x, h0[None], dh))
        fns.append(functools.partial(torch_step, module, model, xt, h0t, dht))
    return fns


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    print(
        f"numpy {np.__version__}, torch {torch.__version__}, torch threads "
        f"{torch.get_num_threads()}, OPENBLAS_NUM_THREADS="
        f"{os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; "
        f"forward+backward, median of {args.repeats} runs "
        f"after {args.warmup} warm-up runs\n"
    )
    print(
        "| model | shape (T, B, D, H) | scratch ms | torch64 ms | torch32 ms "
        "| ratio vs torch64 | ratio vs torch32 |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for model in MODELS:
        for shape in SHAPES:
            s, t64, t32 = median_ms_in_turns(contenders(model, shape), args.repeats, args.warmup)
            print(
                f"| {model} | {shape} | {s:.2f} | {t64:.2f} | {t32:.2f} "
                f"| {s / t64:.2f}x | {s / t32:.2f}x |",
                flush=True,
            )


if __name__ == "__main__":
    main()
