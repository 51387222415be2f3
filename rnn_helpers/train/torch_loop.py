"""The course's one torch training loop: the same History, clipping argument, divergence
handling and progress bar as the NumPy loop, for ``nn.Module`` models trained in place."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator

import torch
from torch import nn
from tqdm.auto import tqdm

from rnn_helpers.train.history import History, parse_clip
from rnn_helpers.validate import check_choice, check_int, check_positive


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


class SGD:
    """Plain gradient descent, written out: p ← p − lr · g (``torch.optim.SGD``'s update
    without momentum or weight decay), for the same reason as :class:`Adam`."""

    def __init__(self, params, lr: float = 1e-2):
        self.params = [p for p in params if p.requires_grad]
        self.lr = check_positive("lr", lr)

    def zero_grad(self) -> None:
        """Forget the gradients (set to None, as torch's optimizers do by default)."""
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        """One update of every parameter that has a gradient."""
        for p in self.params:
            if p.grad is not None:
                p.add_(p.grad, alpha=-self.lr)


OPTIMIZERS = {"adam": Adam, "sgd": SGD}


def torch_shuffled_batches(n: int, batch_size: int, seed: int, *, drop_last: bool = False):
    """Endless mini-batches of indices (torch int64) into n examples, epoch after epoch,
    each epoch in a fresh order from a ``torch.Generator`` seeded with ``seed`` (torch's
    global generator is not touched). The last batch of an epoch may be smaller, or, with
    ``drop_last``, is left out (every batch then has exactly ``batch_size`` examples)."""
    n, batch_size = check_int("n", n), check_int("batch_size", batch_size)
    generator = torch.Generator().manual_seed(seed)
    end = n - n % batch_size if drop_last and n >= batch_size else n
    while True:
        order = torch.randperm(n, generator=generator)
        for start in range(0, end, batch_size):
            yield order[start : start + batch_size]


def _grad_norm(model: nn.Module) -> float:
    """The global L2 norm of every parameter's gradient (before any clipping)."""
    grads = [p.grad.detach().reshape(-1) for p in model.parameters() if p.grad is not None]
    return float(torch.linalg.vector_norm(torch.cat(grads))) if grads else 0.0


def train_torch(model: nn.Module, loss_fn: Callable, batches: Iterator, *, steps: int,
                lr: float, optimizer: str = "adam", clip=None,
                evaluate: Callable[[nn.Module], dict] | None = None,
                eval_every: int | None = None, eval_at_start: bool = False,
                time_budget: float | None = None, stop_below: float | None = None,
                diverge_threshold: float = math.inf, progress: bool = True,
                desc: str = "training") -> History:
    """Train ``model`` in place; return its :class:`History`.

    Args:
        model: any ``nn.Module``; left in eval mode at the end.
        loss_fn: (model, batch) -> scalar loss tensor (the model in train mode).
        batches: an iterator giving one batch per step; ``steps`` of them are read.
        steps: number of optimiser updates at most, >= 1.
        lr: learning rate, > 0.
        optimizer: "adam" or "sgd" (torch's defaults otherwise).
        clip: None, ("norm", max_norm) (``clip_grad_norm_``) or ("value", limit)
            (``clip_grad_value_``), applied after the norm is recorded.
        evaluate: optional model -> {metric: value}, run in eval mode without gradients;
            its "loss" is the validation loss. Called every ``eval_every`` updates (None:
            only at the end), at the end, and before training if ``eval_at_start``.
        time_budget: optional seconds; training stops early when they are used up.
        stop_below: optional; training stops at the first validation whose "loss" is
            below it (the run has learned; ``history.steps`` says after how many updates).
        diverge_threshold: a training loss above it counts as divergence.
        progress, desc: the tqdm bar and its label.

    A NaN/inf loss or gradient stops the run and is recorded in the history (no update is
    applied at that step); nothing is raised. Randomness is whatever ``batches`` and the
    model draw: this loop seeds nothing and never touches torch's global generator.
    """
    steps = check_int("steps", steps)
    lr = check_positive("lr", lr)
    optimizer = check_choice("optimizer", optimizer, tuple(OPTIMIZERS))
    clip = parse_clip(clip)
    if eval_every is not None:
        eval_every = check_int("eval_every", eval_every)
    if time_budget is not None:
        time_budget = check_positive("time_budget", time_budget)
    if stop_below is not None:
        stop_below = check_positive("stop_below", stop_below)
        if evaluate is None or eval_every is None:
            raise ValueError("stop_below needs validation: give evaluate and eval_every")
    opt = OPTIMIZERS[optimizer](model.parameters(), lr=lr)
    history = History()
    start = time.perf_counter()

    def validate() -> None:
        model.eval()
        with torch.no_grad():
            history.record_val(history.steps, evaluate(model))
        model.train()

    model.train()
    if evaluate is not None and eval_at_start:
        validate()
    bar = tqdm(total=steps, desc=desc, disable=not progress, leave=True)
    for step in range(steps):
        if time_budget is not None and time.perf_counter() - start > time_budget:
            break
        loss = loss_fn(model, next(batches))
        opt.zero_grad()
        loss.backward()
        value = float(loss.detach())
        if clip is not None and clip[0] == "norm":
            # clip_grad_norm_ returns the norm before clipping: one norm computation per
            # step. A run that stops below applies no update, clipped or not.
            norm = float(nn.utils.clip_grad_norm_(model.parameters(), clip[1]))
        else:
            norm = _grad_norm(model)
        history.train_loss.append(value)
        history.grad_norm.append(norm)
        history.train_step.append(step + 1)
        if not (math.isfinite(value) and value <= diverge_threshold):
            history.stop(step, f"the training loss became {value:.3g} at step {step}")
            break
        if not math.isfinite(norm):
            history.stop(step, f"the gradient norm became {norm} at step {step}")
            break
        if clip is not None and clip[0] == "value":
            nn.utils.clip_grad_value_(model.parameters(), clip[1])
        opt.step()
        history.steps += 1
        bar.update(1)
        if step % 10 == 0:
            bar.set_postfix(loss=f"{value:.4f}", refresh=False)
        if evaluate is not None and eval_every is not None and history.steps % eval_every == 0:
            validate()
            if stop_below is not None and history.val_loss[-1] < stop_below:
                break
    if evaluate is not None and (not history.val_step or history.val_step[-1] != history.steps):
        validate()
    bar.close()
    model.eval()
    history.seconds = time.perf_counter() - start
    return history
