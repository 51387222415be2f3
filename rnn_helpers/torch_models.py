"""Small PyTorch sequence regressors for notebooks 06 and 07, trained in seconds.

The notebooks build the LSTM and the GRU from scratch in NumPy and prove them equal to
torch's; for *training* on a long-range task they then use torch, which is faster. A
model here is one recurrent layer (``nn.RNN``, ``nn.LSTM`` or ``nn.GRU``) and a linear
head on the last hidden state:

    h_t = cell(x_t, h_{t-1})   for t = 0 ... T-1,     y_hat = W_hy h_{T-1} + b_y

Inputs are time-major, as everywhere in the course: x is (T, B, D), y is (B, O).
Training is seeded (the initial weights, the batch order), runs a fixed number of steps
or until a time budget is used up, clips the global gradient norm and returns a
:class:`TorchHistory`. Every ``seed`` argument defaults to ``None``, which means the course
seed ``rnn_helpers.SEED`` (``RNN_COURSE_SEED``, default 0); models compared in one
experiment should be given the same seed.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from rnn_helpers.seed import SEED
from rnn_helpers.validate import check_choice, check_int, check_positive

__all__ = [
    "KINDS",
    "SequenceRegressor",
    "Adam",
    "TorchHistory",
    "make_regressor",
    "count_parameters",
    "train_regressor",
    "evaluate_mse",
    "time_forward_backward",
]

KINDS = ("rnn", "lstm", "gru")
_LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def _resolve_seed(seed) -> int:
    """``None`` -> the course seed; otherwise an integer >= 0."""
    return SEED if seed is None else check_int("seed", seed, minimum=0)


class SequenceRegressor(nn.Module):
    """One recurrent layer (RNN, LSTM or GRU) and a linear head on its last hidden state.

    Args:
        kind: "rnn" (tanh), "lstm" or "gru".
        input_size: D, features per time step.
        hidden_size: H.
        output_size: O, numbers predicted per sequence.
        forget_bias: for an LSTM, the value the forget gate's bias starts at (b_ih and
            b_hh of the f block both set to forget_bias / 2, so their sum, the scratch
            ``b``, is forget_bias); None keeps torch's random initial bias. Ignored for
            the other kinds.

    Attributes:
        rnn: the ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` layer (time-major, one layer).
        head: the ``nn.Linear(H, O)`` output layer.
    """

    def __init__(self, kind: str, input_size: int, hidden_size: int, output_size: int = 1,
                 forget_bias: float | None = None):
        super().__init__()
        self.kind = check_choice("kind", kind, KINDS)
        D = check_int("input_size", input_size)
        H = check_int("hidden_size", hidden_size)
        O = check_int("output_size", output_size)
        self.rnn = _LAYERS[kind](D, H)
        self.head = nn.Linear(H, O)
        if forget_bias is not None and kind == "lstm":
            with torch.no_grad():
                # Gate order i, f, g, o: the f block is rows H .. 2H-1 of each bias.
                self.rnn.bias_ih_l0[H : 2 * H] = forget_bias / 2
                self.rnn.bias_hh_l0[H : 2 * H] = forget_bias / 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (T, B, D) -> predictions (B, O) from the last hidden state."""
        out, _ = self.rnn(x)
        return self.head(out[-1])


def make_regressor(kind: str, input_size: int = 2, hidden_size: int = 32, output_size: int = 1,
                   *, seed: int | None = None, forget_bias: float | None = None,
                   dtype: torch.dtype = torch.float32) -> SequenceRegressor:
    """A :class:`SequenceRegressor` whose initial weights depend only on ``seed``.

    ``seed=None`` uses the course seed ``rnn_helpers.SEED``. torch's global generator is
    seeded just for the construction, then put back as it was, so building a model does
    not change random numbers drawn elsewhere.
    """
    seed = _resolve_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = SequenceRegressor(kind, input_size, hidden_size, output_size, forget_bias)
    return model.to(dtype)


def count_parameters(module: nn.Module) -> int:
    """The number of trainable numbers in ``module`` (every weight and bias entry)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


class Adam:
    """Adam (Kingma & Ba, 2015) with ``torch.optim.Adam``'s defaults, written out.

    The same update as ``torch.optim.Adam(params, lr)`` (betas 0.9 and 0.999, eps 1e-8,
    no weight decay), step for step: m and v are running means of g and g², and each
    parameter moves by lr · m̂ / (√v̂ + eps) with the bias-corrected m̂, v̂. Why not
    torch.optim? Its first use in a kernel imports ``torch._dynamo``, which costs one to
    several seconds, a large share of a notebook's 15 s budget.
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8):
        self.params = [p for p in params if p.requires_grad]
        self.lr = check_positive("lr", lr)
        self.beta1, self.beta2 = (float(b) for b in betas)
        self.eps = float(eps)
        self.t = 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self) -> None:
        """Forget the gradients (set to None, as torch's optimizers do by default)."""
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        """One update of every parameter that has a gradient."""
        self.t += 1
        correction1 = 1.0 - self.beta1**self.t
        correction2_sqrt = math.sqrt(1.0 - self.beta2**self.t)
        for p, m, v in zip(self.params, self.m, self.v, strict=True):
            if p.grad is None:
                continue
            g = p.grad
            m.lerp_(g, 1.0 - self.beta1)  # m = beta1 m + (1 - beta1) g
            v.mul_(self.beta2).addcmul_(g, g, value=1.0 - self.beta2)
            denom = (v.sqrt() / correction2_sqrt).add_(self.eps)
            p.addcdiv_(m, denom, value=-self.lr / correction1)


@dataclass
class TorchHistory:
    """What happened during :func:`train_regressor`.

    Attributes:
        kind: "rnn", "lstm" or "gru".
        train_step, train_loss: the mini-batch MSE before each update (every step).
        val_step, val_loss: validation MSE after that many updates (step 0 = untrained).
        steps: number of updates applied.
        seconds: wall-clock time of the training loop (validation included).
        diverged: True if a loss or gradient went NaN/inf (training stopped there).
        diverged_at_step: the step at which that happened, else None.
    """

    kind: str = ""
    train_step: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_step: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    diverged: bool = False
    diverged_at_step: int | None = None

    @property
    def final_val_loss(self) -> float:
        """The last validation MSE (NaN if there is none)."""
        return self.val_loss[-1] if self.val_loss else math.nan


def _as_tensor(name: str, a, dtype: torch.dtype, ndim: int) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(a), dtype=dtype)
    if t.ndim != ndim:
        shape = "(T, N, D)" if ndim == 3 else "(N, O)"
        raise ValueError(f"{name}: expected shape {shape}, got shape {tuple(t.shape)}")
    return t


def evaluate_mse(model: nn.Module, x, y, batch_size: int = 1024) -> float:
    """Mean squared error of ``model`` on (x (T, N, D), y (N, O)), without gradients."""
    dtype = next(model.parameters()).dtype
    x = _as_tensor("x", x, dtype, 3)
    y = _as_tensor("y", y, dtype, 2)
    total = 0.0
    with torch.no_grad():
        for s in range(0, x.shape[1], batch_size):
            pred = model(x[:, s : s + batch_size])
            total += float(((pred - y[s : s + batch_size]) ** 2).sum())
    return total / y.numel()


def train_regressor(model: SequenceRegressor, x_train, y_train, x_val=None, y_val=None, *,
                    steps: int = 300, time_budget: float | None = None, batch_size: int = 128,
                    lr: float = 1e-2, clip_norm: float | None = 1.0, eval_every: int = 25,
                    seed: int | None = None, progress: bool = True,
                    num_threads: int | None = None,
                    stop_below: float | None = None) -> TorchHistory:
    """Train ``model`` in place with Adam on the MSE; return a :class:`TorchHistory`.

    Each step draws a mini-batch of ``batch_size`` training sequences (with a generator
    seeded by ``seed``, so the run is repeatable), computes the MSE of the prediction
    from the last hidden state, backpropagates through time, clips the global gradient
    norm at ``clip_norm`` (None: no clipping) and takes an Adam step.

    Args:
        model: a :class:`SequenceRegressor` (or any module mapping (T, B, D) -> (B, O)).
        x_train, y_train: (T, N, D) and (N, O) arrays (NumPy or torch).
        x_val, y_val: optional validation data; its MSE is measured before training and
            every ``eval_every`` steps, and at the end.
        steps: how many updates at most.
        time_budget: optional seconds; training stops early when they are used up.
        batch_size, lr, clip_norm: as usual (:class:`Adam`: torch's Adam with its other
            defaults, written out).
        eval_every: validation period in steps.
        seed: seed of the batch order; None means the course seed ``rnn_helpers.SEED``.
        progress: show a tqdm bar (tqdm.auto: a widget in Jupyter, text elsewhere).
        num_threads: None (default) keeps torch's thread count, which importing
            ``rnn_helpers`` sets to 1 (``RNN_COURSE_THREADS`` overrides it); an int sets it
            for this run only and restores it afterwards. (torch's ``nn.RNN`` can be several
            times slower with 2 threads than with 1: its many small per-step operations each
            wait for the other thread.)
        stop_below: optional; stop as soon as a validation MSE (measured every
            ``eval_every`` steps) falls below it. Needs validation data. ``history.steps``
            then tells how many updates it took.

    A NaN/inf loss or gradient stops the run and sets ``history.diverged``; nothing is
    raised.
    """
    steps = check_int("steps", steps)
    seed = _resolve_seed(seed)
    batch_size = check_int("batch_size", batch_size)
    eval_every = check_int("eval_every", eval_every)
    lr = check_positive("lr", lr)
    if clip_norm is not None:
        clip_norm = check_positive("clip_norm", clip_norm)
    if time_budget is not None:
        time_budget = check_positive("time_budget", time_budget)
    if (x_val is None) != (y_val is None):
        raise ValueError("give both x_val and y_val, or neither")
    if stop_below is not None:
        stop_below = check_positive("stop_below", stop_below)
        if x_val is None:
            raise ValueError("stop_below needs validation data: give x_val and y_val")
    dtype = next(model.parameters()).dtype
    x_train = _as_tensor("x_train", x_train, dtype, 3)
    y_train = _as_tensor("y_train", y_train, dtype, 2)
    if x_train.shape[1] != y_train.shape[0]:
        raise ValueError(f"y_train: expected {x_train.shape[1]} rows (x_train's N), "
                         f"got {y_train.shape[0]}")
    validate = x_val is not None
    if validate:
        x_val = _as_tensor("x_val", x_val, dtype, 3)
        y_val = _as_tensor("y_val", y_val, dtype, 2)

    n = x_train.shape[1]
    batch_size = min(batch_size, n)
    gen = torch.Generator().manual_seed(seed)
    optimizer = Adam(model.parameters(), lr=lr)
    history = TorchHistory(kind=getattr(model, "kind", ""))

    def record_val(step: int) -> None:
        model.eval()
        history.val_step.append(step)
        history.val_loss.append(evaluate_mse(model, x_val, y_val))
        model.train()

    if num_threads is not None:
        num_threads = check_int("num_threads", num_threads)
        threads_before = torch.get_num_threads()
        torch.set_num_threads(num_threads)
        try:
            return train_regressor(model, x_train, y_train, x_val, y_val, steps=steps,
                                   time_budget=time_budget, batch_size=batch_size, lr=lr,
                                   clip_norm=clip_norm, eval_every=eval_every, seed=seed,
                                   progress=progress, stop_below=stop_below)
        finally:
            torch.set_num_threads(threads_before)

    from tqdm.auto import tqdm

    start = time.perf_counter()
    if validate:
        record_val(0)
    bar = tqdm(total=steps, desc=f"training {history.kind or 'model'}", disable=not progress,
               leave=True)
    step = 0
    order = torch.empty(0, dtype=torch.long)
    pos = 0
    while step < steps:
        if time_budget is not None and time.perf_counter() - start > time_budget:
            break
        if pos + batch_size > order.numel():  # a fresh shuffle each epoch
            order = torch.randperm(n, generator=gen)
            pos = 0
        idx = order[pos : pos + batch_size]
        pos += batch_size
        loss = torch.mean((model(x_train[:, idx]) - y_train[idx]) ** 2)
        optimizer.zero_grad()
        loss.backward()
        if clip_norm is not None:
            norm = nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        else:
            norm = torch.sqrt(sum((p.grad**2).sum() for p in model.parameters()
                                  if p.grad is not None))
        value = float(loss.detach())
        if not (math.isfinite(value) and math.isfinite(float(norm))):
            history.diverged, history.diverged_at_step = True, step
            break
        optimizer.step()
        step += 1
        history.train_step.append(step)
        history.train_loss.append(value)
        if validate and step % eval_every == 0:
            record_val(step)
            if stop_below is not None and history.val_loss[-1] < stop_below:
                bar.update(1)
                break
        bar.update(1)
        if step % 10 == 0:
            bar.set_postfix(loss=f"{value:.4f}")
    history.steps = step
    if validate and (not history.val_step or history.val_step[-1] != step):
        record_val(step)
    history.seconds = time.perf_counter() - start
    bar.close()
    model.eval()
    return history


def time_forward_backward(model: nn.Module, x, repeats: int = 5) -> float:
    """Median seconds of one forward + backward pass of ``model`` on x (T, B, D).

    A first untimed pass warms up; the loss is the sum of the outputs.
    """
    repeats = check_int("repeats", repeats)
    dtype = next(model.parameters()).dtype
    x = _as_tensor("x", x, dtype, 3)
    times = []
    for r in range(repeats + 1):
        model.zero_grad()
        start = time.perf_counter()
        model(x).sum().backward()
        if r:
            times.append(time.perf_counter() - start)
    model.zero_grad()
    return float(np.median(times))
