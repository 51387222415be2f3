"""What notebook 08 computes beyond :mod:`rnn_helpers.practice`: the closed-loop forecast
from many starting windows, a small padded batch to look at, a bag-of-words baseline next
to the three recurrent classifiers, reviews whose order matters ("a change of mind"), the
comparison over several seeds, and why 08 does not train with chunked truncated BPTT.

Every function takes its seeds explicitly; the notebook passes ``rnn_helpers.SEED``-derived
values (``SEED``, ``SEED + 1``, …), the tests pass 0 … 4. Models compared in one
experiment share one seed: the same shuffling, the same data, each initialised from it.

Shapes as in the rest of the course: time-major, token ids (T, B), hidden states
(T, B, H), a final state (B, H).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from rnn_helpers.data import (
    NEGATIVE_WORDS,
    POSITIVE_WORDS,
    ReviewCorpus,
    make_review_corpus,
)
from rnn_helpers.practice import (
    RNN_KINDS,
    ClassifierResult,
    ReviewClassifier,
    ReviewTensors,
    closed_loop_forecast,
    last_real_state,
    review_corpora,
    review_tensors,
    train_classifier,
)

__all__ = [
    "closed_loop_errors",
    "tiny_padded_corpus",
    "BagOfWordsClassifier",
    "MODEL_KINDS",
    "MODEL_NAMES",
    "make_model",
    "make_change_of_mind_corpus",
    "change_of_mind_corpora",
    "CORPORA",
    "corpus_pair",
    "train_models",
    "accuracy_row",
    "SpreadRow",
    "seed_spread",
    "chunked_states",
    "verdict_gradients",
    "median_by_distance",
    "decay_per_step",
]


# --------------------------------------------------------------------------- closed loop


def closed_loop_errors(model: nn.Module, x_val, y_clean, horizon: int = 60, every: int = 10):
    """Closed-loop forecasts from many starting windows, against the noise-free sine.

    One start can mislead: a forecast may cross the truth by luck, or die out early.
    Starting from every ``every``-th validation window and averaging shows what holds.

    Args:
        model: a forecaster mapping (T, 1, 1) to (1, 1).
        x_val: validation windows (T, N, 1).
        y_clean: the noise-free value after each window, (N,) or (N, 1).
        horizon: steps forecast from each start (each start needs ``horizon`` targets).
        every: distance between starting windows.

    Returns:
        errors: (S, horizon) |forecast - noise-free value| for the S starts;
        swing: (S,) peak-to-peak of each forecast divided by that of the truth it forecasts.
    """
    x_val = np.asarray(x_val)
    y_clean = np.asarray(y_clean, dtype=np.float64).reshape(-1)
    if x_val.ndim != 3 or x_val.shape[1] != y_clean.shape[0]:
        raise ValueError(f"x_val must be (T, N, 1) and y_clean (N,), got {x_val.shape} "
                         f"and {y_clean.shape}")  # fmt: skip
    if horizon < 1 or every < 1 or y_clean.shape[0] < horizon:
        raise ValueError(f"horizon and every must be >= 1 and horizon <= N = "
                         f"{y_clean.shape[0]}, got horizon={horizon}, every={every}")  # fmt: skip
    starts = range(0, y_clean.shape[0] - horizon + 1, every)
    errors, swing = [], []
    for s in starts:
        forecast = closed_loop_forecast(model, x_val[:, s, 0], horizon)
        truth = y_clean[s : s + horizon]
        errors.append(np.abs(forecast - truth))
        swing.append(np.ptp(forecast) / np.ptp(truth))
    return np.array(errors), np.array(swing)


# --------------------------------------------------------------------------- a tiny batch


def tiny_padded_corpus(seed: int = 0, n: int = 3, min_len: int = 4, max_len: int = 9):
    """``n`` generated reviews of ``n`` different lengths, to look at padding.

    Drawn from :func:`rnn_helpers.data.make_review_corpus` with ``seed``: the first review
    of each new length is kept until there are ``n``, so every batch has a longest review
    and shorter ones that get padded, whatever the seed.

    Returns:
        A :class:`rnn_helpers.data.ReviewCorpus` of ``n`` reviews, in the order drawn.
    """
    if not 2 <= n <= max_len - min_len + 1:
        raise ValueError(f"n must be in 2..{max_len - min_len + 1} (one review per length), "
                         f"got {n}")  # fmt: skip
    corpus = make_review_corpus(50 * n, min_len, max_len, seed=seed)
    picked, lengths = [], set()
    for i, tokens in enumerate(corpus.tokens):
        if len(tokens) not in lengths:
            picked.append(i)
            lengths.add(len(tokens))
        if len(picked) == n:
            break
    else:  # pragma: no cover - 50 n draws from at most n lengths practically never miss one
        raise RuntimeError(f"seed {seed} drew fewer than {n} different lengths")
    return ReviewCorpus(tokens=[corpus.tokens[i] for i in picked],
                        labels=corpus.labels[picked].copy(), vocab=corpus.vocab,
                        key_positions=corpus.key_positions[picked].copy())  # fmt: skip


# --------------------------------------------------------------------------- bag of words


class BagOfWordsClassifier(nn.Module):
    """Which words occur, in any order -> Linear -> ReLU -> Linear -> logits.

    A review becomes a multi-hot vector of the vocabulary's size (1 where a word occurs,
    0 elsewhere; ``<pad>`` ignored). The model never sees the order of the words, so it has
    no state to carry and no distance to learn across. It is a one-hidden-layer version of
    the dense baseline of the classic IMDb comparisons (Chollet 2017, section 3.4, feeds
    multi-hot vectors of 10,000 words through two hidden Dense(16) layers and a sigmoid
    output; here one hidden layer and two logits).

    Args:
        vocab_size: V, number of token ids (id 0 is the padding).
        hidden_size: units of the hidden layer.
        num_classes: outputs (2: negative, positive).
        seed: seed of the initialisation (torch's global generator is left as it was).

    ``forward(ids, lengths)`` takes ids (T, B) padded with 0 and lengths (B,) and returns
    logits (B, num_classes), like :class:`rnn_helpers.practice.ReviewClassifier`.
    """

    name = "BoW"

    def __init__(self, vocab_size: int, hidden_size: int = 16, num_classes: int = 2, *,
                 seed: int = 0):  # fmt: skip
        super().__init__()
        if vocab_size < 2:
            raise ValueError(f"vocab_size must be >= 2 (<pad> and a word), got {vocab_size}")
        self.vocab_size = vocab_size
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.hidden = nn.Linear(vocab_size, hidden_size)
            self.head = nn.Linear(hidden_size, num_classes)

    def bag(self, ids: torch.Tensor) -> torch.Tensor:
        """ids (T, B) -> multi-hot (B, V) float32: 1 where a word occurs, <pad> left out."""
        if ids.ndim != 2:
            raise ValueError(f"ids must be (T, B), got shape {tuple(ids.shape)}")
        bag = torch.zeros(ids.shape[1], self.vocab_size)
        bag.scatter_(1, ids.T, 1.0)
        bag[:, 0] = 0.0  # the padding says nothing about the review
        return bag

    def forward(self, ids: torch.Tensor, lengths=None) -> torch.Tensor:
        return self.head(torch.relu(self.hidden(self.bag(ids))))


MODEL_KINDS = ("bow", *RNN_KINDS)
MODEL_NAMES = {"bow": "BoW", "rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


def make_model(kind: str, vocab_size: int, seed: int = 0) -> nn.Module:
    """The four classifiers of 08's table, with the notebook's sizes, from one seed.

    "bow": :class:`BagOfWordsClassifier` (hidden 16); "rnn", "lstm", "gru":
    :class:`~rnn_helpers.practice.ReviewClassifier` (embedding 16, hidden 32, the gated
    cells' forget / update gate bias 2).
    """
    if kind == "bow":
        return BagOfWordsClassifier(vocab_size, seed=seed)
    if kind in RNN_KINDS:
        return ReviewClassifier(vocab_size, kind, embed_dim=16, hidden_size=32, gate_bias=2.0,
                                seed=seed)  # fmt: skip
    raise ValueError(f"kind must be one of {MODEL_KINDS}, got {kind!r}")


# --------------------------------------------------------------------------- a change of mind


def make_change_of_mind_corpus(
    n_reviews: int = 800, min_len: int = 12, max_len: int = 30, seed: int = 0, *,
    min_distance: int = 7,
) -> ReviewCorpus:  # fmt: skip
    """Reviews with two opposite verdicts where the **later** one decides the label.

    Start from :func:`rnn_helpers.data.make_review_corpus` (one verdict among the first 3
    tokens), then write a verdict of the *opposite* polarity at a random later position p
    with at least ``min_distance`` tokens after it ("hated the start … but loved the
    ending"); the label is the polarity of that later verdict. Every review then holds
    one positive and one negative verdict word, drawn alike for both labels, so which
    words occur says nothing about the label: only their order does.

    Args:
        n_reviews, min_len, max_len, seed: as in ``make_review_corpus``
            (``min_len >= 4 + min_distance``).
        min_distance: steps from the deciding verdict to the last token, at least.

    Returns:
        A :class:`~rnn_helpers.data.ReviewCorpus`; ``key_positions`` hold the deciding
        (later) verdict's positions. (:func:`rnn_helpers.data.verdict_label`, which reads
        the *first* verdict, gives the opposite label on these reviews.)
    """
    if min_distance < 0 or min_len < 4 + min_distance:
        raise ValueError(f"min_len must be >= 4 + min_distance = {4 + min_distance} and "
                         f"min_distance >= 0, got min_len={min_len}, "
                         f"min_distance={min_distance}")  # fmt: skip
    key_window = 3
    base = make_review_corpus(n_reviews, min_len, max_len, seed=seed, key_window=key_window)
    rng = np.random.default_rng([seed, 8])  # a second stream of the same seed
    tokens, labels, keys = [], [], []
    for words, first_label in zip(base.tokens, base.labels, strict=True):
        later = int(rng.integers(key_window, len(words) - min_distance))  # <= len-1-min_dist
        opposite = NEGATIVE_WORDS if first_label == 1 else POSITIVE_WORDS
        words = list(words)
        words[later] = opposite[int(rng.integers(len(opposite)))]
        tokens.append(words)
        labels.append(1 - int(first_label))
        keys.append(later)
    return ReviewCorpus(tokens=tokens, labels=np.array(labels, dtype=np.int64),
                        vocab=base.vocab, key_positions=np.array(keys, dtype=np.int64))  # fmt: skip


def change_of_mind_corpora(seed: int = 0, *, n_train: int = 800, n_test: int = 400,
                           min_len: int = 12, max_len: int = 30):  # fmt: skip
    """Training and test corpora of :func:`make_change_of_mind_corpus`, seeds ``2 * seed``
    and ``2 * seed + 1`` (as :func:`rnn_helpers.practice.review_corpora`)."""
    return (make_change_of_mind_corpus(n_train, min_len, max_len, seed=2 * seed),
            make_change_of_mind_corpus(n_test, min_len, max_len, seed=2 * seed + 1))  # fmt: skip


CORPORA = {
    "verdict": "one verdict near the start (08's corpus)",
    "change": "a change of mind: the later verdict counts",
}


def corpus_pair(which: str, seed: int = 0) -> tuple[ReviewTensors, ReviewTensors, int]:
    """(train, test, vocab_size): the tensors of one of :data:`CORPORA` for ``seed``."""
    if which == "verdict":
        train, test = review_corpora(seed)
    elif which == "change":
        train, test = change_of_mind_corpora(seed)
    else:
        raise ValueError(f"which must be one of {tuple(CORPORA)}, got {which!r}")
    return review_tensors(*train.batch()), review_tensors(*test.batch()), len(train.vocab)


# --------------------------------------------------------------------------- the comparison


def train_models(train: ReviewTensors, test: ReviewTensors, vocab_size: int, seed: int = 0,
                 kinds: Sequence[str] = MODEL_KINDS, *, epochs: int = 12,
                 progress: bool = True) -> dict[str, ClassifierResult]:  # fmt: skip
    """Train each kind of :func:`make_model` from ``seed`` with the same loop and budget.

    Adam (step 0.02), 64 reviews per minibatch in an order drawn from ``seed``, gradient
    norm clipped at 1, ``epochs`` passes (:func:`rnn_helpers.practice.train_classifier`).

    Returns:
        {kind: ClassifierResult}, in the order of ``kinds``.
    """
    return {kind: train_classifier(make_model(kind, vocab_size, seed), train, test,
                                   epochs=epochs, lr=0.02, batch_size=64, seed=seed,
                                   progress=progress)
            for kind in kinds}  # fmt: skip


def accuracy_row(results: dict[str, ClassifierResult]) -> dict[str, float]:
    """{kind: final test accuracy} of :func:`train_models`' results."""
    return {kind: r.final_accuracy for kind, r in results.items()}


@dataclass
class SpreadRow:
    """One seed of :func:`seed_spread`: {corpus: {kind: test accuracy}}."""

    seed: int
    accuracy: dict[str, dict[str, float]]


def seed_spread(seeds: Sequence[int], corpora: Sequence[str] = tuple(CORPORA),
                kinds: Sequence[str] = MODEL_KINDS, *, epochs: int = 12,
                progress: bool = True) -> list[SpreadRow]:  # fmt: skip
    """The comparison of :func:`train_models` on each corpus, once per seed.

    Each seed draws its own corpora, initial weights and shuffling; within a seed all
    kinds share them.
    """
    rows = []
    for seed in seeds:
        row = {}
        for which in corpora:
            train, test, vocab_size = corpus_pair(which, seed)
            results = train_models(train, test, vocab_size, seed, kinds, epochs=epochs,
                                   progress=progress)  # fmt: skip
            row[which] = accuracy_row(results)
        rows.append(SpreadRow(seed, row))
    return rows


# --------------------------------------------------------------------------- chunked truncation


def chunked_states(rnn: nn.Module, x: torch.Tensor, chunk: int | None, h0=None) -> torch.Tensor:
    """Run ``rnn`` over x chunk by chunk, carrying the state and cutting the graph between.

    The forward pass of chunked truncated BPTT, the form used in practice for long
    sequences: the state is carried from chunk to chunk, so with the weights held fixed the
    forward values are those of one run over all of x (up to rounding), but the state handed
    to the next chunk is ``h.detach()``, so a gradient never flows back across a chunk
    boundary.

    This function keeps every chunk's outputs, to compare them with one run and to see where
    the gradient stops (:func:`verdict_gradients`). A training loop does not: it computes
    each chunk's loss and calls ``backward()`` and the optimiser's ``step()`` before running
    the next chunk, so that chunk's graph is freed and the next chunk runs with the updated
    weights (notebook 09 trains this way).

    Args:
        rnn: a single-layer, time-major nn.RNN / nn.LSTM / nn.GRU.
        x: inputs (T, B, D).
        chunk: steps per chunk, >= 1; None = one chunk (full BPTT).
        h0: initial state (1, B, H) (an (h, c) pair for the LSTM), or None for zeros.

    Returns:
        h: (T, B, H), the hidden states of every step.
    """
    if chunk is not None and chunk < 1:
        raise ValueError(f"chunk must be >= 1 or None, got {chunk}")
    T = x.shape[0]
    step = T if chunk is None else chunk
    state, outputs = h0, []
    for start in range(0, T, step):
        if state is not None and start > 0:  # cut the graph, keep the value
            state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
        out, state = rnn(x[start : start + step], state)
        outputs.append(out)
    return torch.cat(outputs)


def verdict_gradients(model: ReviewClassifier, ids: torch.Tensor, lengths, labels,
                      key_positions, chunk: int | None) -> np.ndarray:  # fmt: skip
    """How much gradient of the classification loss reaches each review's verdict word.

    The loss is the cross-entropy of the scores read at each review's last real state;
    the states come from :func:`chunked_states` with ``chunk`` (None = full BPTT).

    Args:
        model: a :class:`~rnn_helpers.practice.ReviewClassifier` (its weights are not
            changed; its parameters' ``.grad`` are cleared afterwards).
        ids, lengths, labels: a padded batch (T, B), (B,), (B,).
        key_positions: (B,) position of each review's verdict word.
        chunk: steps per chunk of the truncation, or None.

    Returns:
        (B,) float64: the norm of ∂loss/∂x at the verdict word's step, per review.
    """
    keys = torch.as_tensor(np.asarray(key_positions), dtype=torch.int64)
    lengths = torch.as_tensor(np.asarray(lengths), dtype=torch.int64)
    if keys.shape != lengths.shape or keys.ndim != 1 or bool((keys >= lengths).any()):
        raise ValueError(f"key_positions must have shape (B,) = {tuple(lengths.shape)} with each "
                         f"position inside its review, got shape {tuple(keys.shape)}")  # fmt: skip
    x = model.embedding(ids).detach().requires_grad_(True)  # (T, B, D)
    h = chunked_states(model.rnn, x, chunk)
    logits = model.head(last_real_state(h, lengths))
    nn.functional.cross_entropy(logits, torch.as_tensor(labels), reduction="sum").backward()
    at_verdict = x.grad[keys, torch.arange(x.shape[1])]  # (B, D)
    model.zero_grad(set_to_none=True)
    return at_verdict.norm(dim=1).double().numpy()


# --------------------------------------------------------------------------- decay with distance


def _positive_with_distance(values, distance) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(values, dtype=np.float64)
    distance = np.asarray(distance)
    if values.ndim != 1 or distance.shape != values.shape:
        raise ValueError(f"values and distance must both have shape (N,), got {values.shape} "
                         f"and {distance.shape}")  # fmt: skip
    if not np.all(np.isfinite(values) & (values > 0)):
        raise ValueError("values must be positive and finite (a log scale), got "
                         f"min {values.min() if values.size else None}")  # fmt: skip
    if np.unique(distance).size < 2:
        raise ValueError(f"distance must take at least two different values, got "
                         f"{np.unique(distance).tolist()}")  # fmt: skip
    return values, distance


def median_by_distance(values, distance) -> tuple[np.ndarray, np.ndarray]:
    """The median of ``values`` at each distance, e.g. of :func:`verdict_gradients`.

    Args:
        values: (N,) positive numbers, one per review.
        distance: (N,) ints, e.g. steps from the verdict word to the review's last token.

    Returns:
        distances: (K,) the distinct distances, increasing; medians: (K,) the median of the
        values at each.
    """
    values, distance = _positive_with_distance(values, distance)
    distances = np.unique(distance)
    return distances, np.array([np.median(values[distance == d]) for d in distances])


def decay_per_step(values, distance) -> float:
    """How fast ``values`` shrink with ``distance``, as log10 of a factor per step.

    A gradient that shrinks geometrically, g = c * q**d after d steps, is a straight line
    on a log scale: log10 g = log10 c + d * log10 q. This returns the least-squares slope of
    log10(values) against distance over all N points, so ``10 ** slope`` is the typical
    factor per step (about q when the decay is geometric). The slope says nothing about how
    straight the line is: plot :func:`median_by_distance` on a log scale to see that.

    Args:
        values: (N,) positive numbers, e.g. the gradient norms of :func:`verdict_gradients`.
        distance: (N,) steps from where each value was measured to where the loss is.

    Returns:
        The slope, a float: negative when the values shrink with the distance.
    """
    values, distance = _positive_with_distance(values, distance)
    slope, _ = np.polyfit(distance.astype(np.float64), np.log10(values), 1)
    return float(slope)
