"""Choosing the next token from a model's scores: greedy, temperature and top-k sampling.

A language model gives, at every step, one score (logit) z_i per token of the vocabulary.
Generating text means turning those scores into a choice, feeding the choice back in and
repeating: closed-loop (autoregressive) generation, the closed loop of notebook 05. (Notebook
05's "free running" is something else: a *training* mode in which the model reads its own
guesses while it learns.) Three ways to choose:

    greedy        i = argmax_i z_i                         always the most likely token
    temperature   p_i = exp(z_i / T) / sum_j exp(z_j / T)  then draw i with probability p_i
    top-k         the same, but only among the k most likely tokens

T < 1 sharpens the distribution (T -> 0 is greedy), T = 1 is the model's own softmax,
T > 1 flattens it (T -> inf is uniform): a *higher* temperature is *more* random.

NumPy only; used by notebook 09 (characters) and 10 (sequence-to-sequence decoding).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import numpy as np

from rnn_helpers.validate import check_int, check_positive

__all__ = [
    "softmax_with_temperature",
    "top_k_probs",
    "pick_by_uniform",
    "greedy",
    "sampler",
    "generate",
]


def softmax_with_temperature(logits, temperature):
    """Probabilities over the last axis: p = softmax(logits / temperature).

    Inputs:
    - logits: scores, shape (..., V), finite real numbers; not modified
    - temperature: a finite number > 0. 1 gives the plain softmax; below 1 the
      distribution gets sharper (towards one-hot at the arg-max as temperature -> 0),
      above 1 flatter (towards uniform)

    Returns:
    - probs: float64, shape (..., V), each row non-negative and summing to 1

    Stable for any temperature > 0 and any finite logits (e.g. temperature 1e-3 with
    logits of +-1e3): the largest logit is subtracted *before* dividing, so every exponent
    is <= 0 and nothing overflows; entries far below the maximum underflow to exactly 0.
    """
    temperature = check_positive("temperature", temperature)
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim == 0 or z.shape[-1] == 0:
        raise ValueError(f"logits: expected an array of shape (..., V) with V >= 1, "
                         f"got shape {z.shape}")
    if not np.isfinite(z).all():
        raise ValueError("logits: expected finite numbers, got NaN or inf")
    # Shift first, then scale: (z - max) / T <= 0, so exp never overflows (z / T - max(z / T)
    # would compute z / T = 1e6 first, which is fine here but inf for smaller T).
    scaled = (z - z.max(axis=-1, keepdims=True)) / temperature
    e = np.exp(scaled)
    return e / e.sum(axis=-1, keepdims=True)


def top_k_probs(probs, k: int):
    """Keep the ``k`` largest probabilities of each row (over the last axis), renormalised.

    Inputs:
    - probs: shape (..., V), non-negative rows summing to 1
    - k: how many tokens stay candidates, 1 <= k; k >= V keeps them all

    Returns a new array, shape (..., V): the other entries are 0. Ties at the k-th value
    are broken towards the lower index, so exactly k entries remain.
    """
    k = check_int("k", k)
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim == 0 or p.shape[-1] == 0:
        raise ValueError(f"probs: expected shape (..., V) with V >= 1, got shape {p.shape}")
    if k >= p.shape[-1]:
        return p.copy()
    # A stable sort on -p puts the largest first and keeps equal values in index order.
    order = np.argsort(-p, axis=-1, kind="stable")
    keep = np.zeros(p.shape, dtype=bool)
    np.put_along_axis(keep, order[..., :k], True, axis=-1)
    kept = np.where(keep, p, 0.0)
    return kept / kept.sum(axis=-1, keepdims=True)


def pick_by_uniform(probs, u):
    """The token whose slice of [0, 1) contains ``u``: inverse-CDF sampling.

    Inputs:
    - probs: shape (V,) or (B, V), rows summing to 1
    - u: a number in [0, 1), or shape (B,) for a batch

    Returns the index (an int, or an int array of shape (B,)). With u drawn uniformly,
    token i comes out with probability probs[i]; the same u always gives the same token,
    which is what lets a slider move back and find the same text.
    """
    p = np.asarray(probs, dtype=np.float64)
    cdf = np.cumsum(p, axis=-1)
    # Scale u by the row's total, so rounding in the sum can never push u past the end.
    u = np.asarray(u, dtype=np.float64) * cdf[..., -1]
    index = (cdf <= u[..., None]).sum(axis=-1)
    # A zero-probability token is never chosen: cdf does not increase at it, so u cannot
    # land in its (empty) slice; min() guards the last entry against rounding.
    index = np.minimum(index, p.shape[-1] - 1)
    return int(index) if index.ndim == 0 else index


def greedy(logits):
    """The arg-max over the last axis (an int for one row, an array for a batch)."""
    z = np.asarray(logits)
    index = np.argmax(z, axis=-1)
    return int(index) if np.ndim(index) == 0 else index


def sampler(temperature: float = 1.0, top_k: int | None = None, seed: int = 0):
    """A picking function ``pick(logits) -> index`` that samples at ``temperature``.

    Inputs:
    - temperature: > 0, as in :func:`softmax_with_temperature`
    - top_k: None, or sample only among the k most likely tokens
    - seed: seed of the sampler's own NumPy generator; each call draws the next uniform
      number from it, so two samplers with the same seed draw the same numbers in the
      same order (and give the same text when the probabilities are the same)

    The returned function accepts logits of shape (V,) or (B, V) and returns an int or
    an int array of shape (B,).
    """
    temperature = check_positive("temperature", temperature)
    if top_k is not None:
        top_k = check_int("top_k", top_k)
    rng = np.random.default_rng(seed)

    def pick(logits):
        probs = softmax_with_temperature(logits, temperature)
        if top_k is not None:
            probs = top_k_probs(probs, top_k)
        u = rng.random(probs.shape[:-1])
        return pick_by_uniform(probs, u)

    return pick


def generate(step: Callable, state, prompt_ids, length: int, pick: Callable) -> np.ndarray:
    """Closed-loop (autoregressive) generation: read the prompt, then write ``length`` new
    tokens, each read back as the next input.

    Inputs:
    - step: (state, token_id) -> (logits (V,), new state): one step of the model
    - state: the model's initial state (whatever ``step`` expects)
    - prompt_ids: the tokens to read first, a non-empty sequence of ints (teacher forcing:
      the model reads the true tokens and its guesses are ignored)
    - length: how many tokens to write, >= 0
    - pick: logits -> token id, e.g. :func:`greedy` or a :func:`sampler`

    Returns the ``length`` new token ids (int array). After the prompt every token the
    model reads is one it picked itself. This is use, not training: no gradient flows
    through the picks (a sampled token id is not a differentiable function of the scores).
    """
    prompt_ids = [int(i) for i in np.asarray(prompt_ids).reshape(-1)]
    if not prompt_ids:
        raise ValueError("prompt_ids: expected at least one token to start from, got none")
    if isinstance(length, bool) or not isinstance(length, numbers.Integral) or length < 0:
        raise ValueError(f"length: expected an integer >= 0, got {length!r}")
    logits = None
    for token in prompt_ids:
        logits, state = step(state, token)
    out = np.empty(int(length), dtype=np.int64)
    for t in range(int(length)):
        out[t] = pick(logits)
        if t + 1 < length:  # the last pick needs no step after it
            logits, state = step(state, int(out[t]))
    return out
