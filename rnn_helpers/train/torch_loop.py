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

OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}


def torch_shuffled_batches(n: int, batch_size: int, seed: int):
    """Endless mini-batches of indices (torch int64) into n examples, epoch after epoch,
    each epoch in a fresh order from a ``torch.Generator`` seeded with ``seed`` (torch's
    global generator is not touched). The last batch of an epoch may be smaller."""
    n, batch_size = check_int("n", n), check_int("batch_size", batch_size)
    generator = torch.Generator().manual_seed(seed)
    while True:
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, batch_size):
            yield order[start : start + batch_size]


def _grad_norm(model: nn.Module) -> float:
    """The global L2 norm of every parameter's gradient (before any clipping)."""
    grads = [p.grad.detach().reshape(-1) for p in model.parameters() if p.grad is not None]
    return float(torch.linalg.vector_norm(torch.cat(grads))) if grads else 0.0


def train_torch(model: nn.Module, loss_fn: Callable, batches: Iterator, *, steps: int,
                lr: float, optimizer: str = "adam", clip=None,
                evaluate: Callable[[nn.Module], dict] | None = None,
                eval_every: int | None = None, eval_at_start: bool = False,
                time_budget: float | None = None, diverge_threshold: float = math.inf,
                progress: bool = True, desc: str = "training") -> History:
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
        value, norm = float(loss.detach()), _grad_norm(model)
        history.train_loss.append(value)
        history.grad_norm.append(norm)
        history.train_step.append(step + 1)
        if not (math.isfinite(value) and value <= diverge_threshold):
            history.stop(step, f"the training loss became {value:.3g} at step {step}")
            break
        if not math.isfinite(norm):
            history.stop(step, f"the gradient norm became {norm} at step {step}")
            break
        if clip is not None and clip[0] == "norm":
            nn.utils.clip_grad_norm_(model.parameters(), clip[1])
        elif clip is not None:
            nn.utils.clip_grad_value_(model.parameters(), clip[1])
        opt.step()
        history.steps += 1
        bar.update(1)
        if step % 10 == 0:
            bar.set_postfix(loss=f"{value:.4f}", refresh=False)
        if evaluate is not None and eval_every is not None and history.steps % eval_every == 0:
            validate()
    if evaluate is not None and (not history.val_step or history.val_step[-1] != history.steps):
        validate()
    bar.close()
    model.eval()
    history.seconds = time.perf_counter() - start
    return history
