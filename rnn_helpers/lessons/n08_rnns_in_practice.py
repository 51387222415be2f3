"""Notebook 08: recurrent networks in idiomatic PyTorch — its loops, experiments and
measurements (the models themselves, :class:`rnn_helpers.models.SineForecaster` and
:class:`rnn_helpers.models.ReviewClassifier`, are concept code shared with other notebooks'
ideas).

Everything here is small on purpose (a few thousand parameters, CPU, seconds per run)
and seeded: every function and model takes an explicit ``seed`` (default 0), the notebook
passes the course seed ``rnn_helpers.SEED``, so a run repeats its numbers exactly and
``RNN_COURSE_SEED=3`` reruns it on other data and other initial weights. Building a
model seeds only its own construction; torch's global generator is left as it was.

Conventions as in the rest of the course: time-major tensors, ``x`` is (T, B, D), a
sequence of hidden states ``h`` is (T, B, H), a final state is (B, H); token ids are
(T, B) int64, padded with 0 after each sequence's end, with true ``lengths`` (B,).

What is here:

- sine forecasting: :class:`SineForecaster` (``nn.RNN(1, 20)`` + ``nn.Linear(20, 1)``),
  :func:`train_forecaster` (plain SGD, train/validation MSE per epoch), :func:`predict`,
  :func:`closed_loop_forecast` (predictions fed back as inputs);
- parameter counting: :func:`count_parameters` (torch's count) and
  :func:`course_parameter_count` (the course's count, one bias b_h where torch keeps two);
- variable-length batches: :func:`last_real_state` (the state at each sequence's last real
  step) and :func:`packed_final_state` (the same through ``pack_padded_sequence``);
- a review classifier: :class:`ReviewClassifier` (Embedding -> RNN/LSTM/GRU -> Linear),
  :func:`review_corpora`, :func:`review_tensors`, :func:`train_classifier`, :func:`accuracy`,
  :func:`comparison_table`;
- the exercise's reference: :func:`last_real_state` (its checker is
  ``rnn_helpers.checks.check_last_real_state``; ``rnn_helpers.checks.show_solution(
  last_real_state)`` shows the solution, like every exercise's).

Beyond those: the closed-loop forecast
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

from rnn_helpers.counting import KINDS, count_parameters
from rnn_helpers.data import (
    NEGATIVE_WORDS,
    POSITIVE_WORDS,
    ReviewCorpus,
    make_review_corpus,
)
from rnn_helpers.models import ReviewClassifier, last_real_state
from rnn_helpers.scratch import params_from_torch
from rnn_helpers.train import History, steps_per_epoch
from rnn_helpers.train.torch_loop import torch_shuffled_batches, train_torch

__all__ = [
    "course_parameter_count",
    "as_tensor",
    "train_forecaster",
    "predict",
    "closed_loop_forecast",
    "ReviewTensors",
    "review_corpora",
    "ClassifierResult",
    "review_tensors",
    "accuracy",
    "train_classifier",
    "comparison_table",
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


def course_parameter_count(module: nn.Module) -> int:
    """The parameters of a recurrent layer as the course counts them (the scratch dicts).

    torch's ``nn.RNN`` and ``nn.LSTM`` keep two bias vectors, ``bias_ih`` and ``bias_hh``,
    that are only ever added together, so the course (and Keras) keep one, b_h. In the GRU
    only the candidate's pair differs: b_hn is multiplied by the reset gate, so b_in and
    b_hn are different parameters; for the gates r and z only the sums b_i + b_h matter
    (2H of the 6H biases are redundant), but the course, like torch and Keras' GRU with
    ``reset_after=True``, keeps all 6H, so both GRU bias vectors count here. The number is
    the size of :func:`rnn_helpers.scratch.params_from_torch`: a convention, not a count of
    what the model can express.

    Args:
        module: a single-layer, unidirectional ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU``.
    """
    return int(sum(v.size for v in params_from_torch(module).values()))


def as_tensor(array, dtype=torch.float32) -> torch.Tensor:
    """A NumPy array (or tensor) as a torch tensor of ``dtype`` (float32 by default)."""
    if isinstance(array, torch.Tensor):
        return array.to(dtype)
    return torch.as_tensor(np.asarray(array), dtype=dtype)


# --------------------------------------------------------------------------- sine forecasting


@torch.no_grad()
def _mse(model, x, y) -> float:
    return float(nn.functional.mse_loss(model(x), y))


def train_forecaster(
    model: nn.Module,
    x_train,
    y_train,
    x_val,
    y_val,
    *,
    epochs: int = 20,
    lr: float = 0.05,
    batch_size: int = 32,
    seed: int = 0,
    progress: bool = True,
) -> History:
    """Train a forecaster with plain SGD (no momentum) on the mean squared error, in the
    course's one torch loop (:func:`rnn_helpers.train.train_torch`).

    Args:
        model: maps (T, B, 1) to (B, 1), e.g. :class:`SineForecaster`; trained in place.
        x_train, y_train, x_val, y_val: (T, N, 1) windows and (N, 1) targets, NumPy or
            torch (converted to float32), as from :func:`rnn_helpers.data.sine_dataset`.
        epochs: passes over the training windows, each in a fresh random order.
        lr: SGD step size.
        batch_size: windows per update.
        seed: seed of the shuffling (the notebook passes ``rnn_helpers.SEED``).
        progress: show a tqdm bar over the updates.

    Returns:
        A :class:`rnn_helpers.train.History`; its ``val["loss"]`` and ``val["train"]`` are
        the validation and training MSE on the whole sets, before training and after every
        epoch (epochs + 1 values each).
    """
    x_train, y_train = as_tensor(x_train), as_tensor(y_train)
    x_val, y_val = as_tensor(x_val), as_tensor(y_val)
    if x_train.ndim != 3 or y_train.shape != (x_train.shape[1], 1):
        raise ValueError(
            f"x_train must be (T, N, 1) and y_train (N, 1), got {tuple(x_train.shape)} "
            f"and {tuple(y_train.shape)}"
        )
    n = x_train.shape[1]

    def loss_fn(m, idx):
        return nn.functional.mse_loss(m(x_train[:, idx]), y_train[idx])

    def evaluate(m):
        return {"loss": _mse(m, x_val, y_val), "train": _mse(m, x_train, y_train)}

    per_epoch = steps_per_epoch(n, batch_size)
    return train_torch(model, loss_fn, torch_shuffled_batches(n, batch_size, seed),
                       steps=epochs * per_epoch, lr=lr, optimizer="sgd", evaluate=evaluate,
                       eval_every=per_epoch, eval_at_start=True, progress=progress,
                       desc="sine RNN")


@torch.no_grad()
def predict(model: nn.Module, x) -> np.ndarray:
    """One-step predictions: windows (T, N, 1) -> float64 array (N,)."""
    model.eval()
    return model(as_tensor(x)).double().numpy().reshape(-1)


@torch.no_grad()
def closed_loop_forecast(model: nn.Module, window, horizon: int) -> np.ndarray:
    """Forecast ``horizon`` values ahead by feeding each prediction back as an input.

    Starting from a window of T true values, predict the next one, drop the oldest value,
    append the prediction, and repeat: after T steps the model sees only its own outputs.

    Args:
        model: a forecaster mapping (T, 1, 1) to (1, 1).
        window: the T starting values, shape (T,) (or (T, 1, 1)).
        horizon: how many values to forecast, >= 1.

    Returns:
        float64 array (horizon,), the forecast.
    """
    model.eval()
    window = as_tensor(window).reshape(-1)
    if horizon < 1:
        raise ValueError(f"horizon: expected an integer >= 1, got {horizon}")
    out = []
    for _ in range(horizon):
        y = model(window.reshape(-1, 1, 1)).reshape(1)
        out.append(float(y))
        window = torch.cat([window[1:], y])
    return np.array(out, dtype=np.float64)


# --------------------------------------------------------------------------- variable lengths


# --------------------------------------------------------------------------- review classifier

def review_corpora(
    seed: int = 0, *, n_train: int = 800, n_test: int = 400, min_len: int = 10, max_len: int = 30
):
    """The training and test corpora of notebook 08's classifier comparison.

    Two :func:`rnn_helpers.data.make_review_corpus` corpora with the verdict among the first
    3 tokens and lengths ``min_len .. max_len``: the training one with seed ``2 * seed``,
    the test one with seed ``2 * seed + 1`` (so they never share a random stream).

    Returns:
        (train_corpus, test_corpus), :class:`rnn_helpers.data.ReviewCorpus` objects.
    """
    from rnn_helpers.data import make_review_corpus

    train = make_review_corpus(n_train, min_len, max_len, seed=2 * seed)
    test = make_review_corpus(n_test, min_len, max_len, seed=2 * seed + 1)
    return train, test


@dataclass
class ReviewTensors:
    """A padded, labelled set of reviews as tensors: ids (T, N), lengths (N,), labels (N,)."""

    ids: torch.Tensor
    lengths: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def review_tensors(ids, lengths, labels) -> ReviewTensors:
    """Padded ids (T, N), lengths (N,) and labels (N,) (NumPy or torch) as int64 tensors.

    ``ReviewTensors(*corpus.batch())`` in one call: ``review_tensors(*corpus.batch())``.
    """
    out = ReviewTensors(*(torch.as_tensor(np.asarray(a), dtype=torch.int64)
                          for a in (ids, lengths, labels)))  # fmt: skip
    N = out.labels.shape[0]
    if out.ids.ndim != 2 or out.ids.shape[1] != N or out.lengths.shape != (N,):
        raise ValueError(
            f"expected ids (T, N), lengths (N,), labels (N,), got {tuple(out.ids.shape)}, "
            f"{tuple(out.lengths.shape)}, {tuple(out.labels.shape)}"
        )
    return out


@torch.no_grad()
def accuracy(model: nn.Module, data: ReviewTensors, readout: str | None = None) -> float:
    """Share of reviews whose highest logit is the true label (0..1).

    Args:
        model: maps (ids, lengths) to logits (N, classes), e.g. a :class:`ReviewClassifier`.
        data: the reviews.
        readout: passed on to a :class:`ReviewClassifier` ("gather", "packed", "padded");
            None uses the model's default.
    """
    model.eval()
    extra = {} if readout is None else {"readout": readout}
    logits = model(data.ids, data.lengths, **extra)
    return float((logits.argmax(dim=1) == data.labels).double().mean())


@dataclass
class ClassifierResult:
    """A trained review classifier and what its training measured.

    Attributes:
        name: the model's ``name``: "RNN", "LSTM", "GRU" (or "BoW" for notebook 08's
            bag-of-words baseline).
        n_parameters: torch's parameter count of the whole model.
        history: the :class:`rnn_helpers.train.History` of the run; ``val["accuracy"]`` is
            the test accuracy before training and after each epoch.
        steps_per_epoch: updates per pass over the training reviews.
        model: the trained model.
    """

    name: str
    n_parameters: int
    history: History
    steps_per_epoch: int
    model: nn.Module

    @property
    def train_loss(self) -> list[float]:
        """The mean cross-entropy over each epoch's minibatches (one value per epoch)."""
        losses, k = self.history.train_loss, self.steps_per_epoch
        return [float(np.mean(losses[i : i + k])) for i in range(0, len(losses), k)]

    @property
    def test_accuracy(self) -> list[float]:
        """Test accuracy before training and after each epoch (epochs + 1 values)."""
        return self.history.val["accuracy"]

    @property
    def final_accuracy(self) -> float:
        return self.test_accuracy[-1]

    @property
    def seconds(self) -> float:
        """Wall-clock time of the training loop (evaluation included)."""
        return self.history.seconds


def train_classifier(
    model: nn.Module,
    train: ReviewTensors,
    test: ReviewTensors,
    *,
    epochs: int = 12,
    lr: float = 2e-2,
    batch_size: int = 64,
    clip=("norm", 1.0),
    seed: int = 0,
    progress: bool = True,
) -> ClassifierResult:
    """Train a review classifier with Adam on the cross-entropy, clipping the gradient norm,
    in the course's one torch loop (:func:`rnn_helpers.train.train_torch`).

    Each minibatch is cut to its own longest review (less padding to run over). A
    :class:`ReviewClassifier` reads each review's last real state (``readout="gather"``).

    The loss is read at the end of each review only, so the loop backpropagates through
    each whole review (full BPTT): truncating it would cut the path from the loss back to
    the words that decide it. The reviews are short enough for that (notebook 08's are at
    most 30 tokens, its IMDb run cuts them to 200).

    Args:
        model: maps (ids (T, B), lengths (B,)) to logits (B, classes) and has a ``name``,
            e.g. a :class:`ReviewClassifier`; trained in place.
        train, test: :class:`ReviewTensors`.
        epochs: passes over the training reviews, each in a fresh random order.
        lr: Adam's step size.
        batch_size: reviews per update.
        clip: the course's one clipping argument: ("norm", max_norm) (default, at 1),
            ("value", limit) or None.
        seed: seed of the shuffling (the notebook passes ``rnn_helpers.SEED``; models
            compared in one experiment get the same one).
        progress: show a tqdm bar over the updates.

    Returns:
        A :class:`ClassifierResult`.
    """

    def loss_fn(m, idx):
        lengths = train.lengths[idx]
        ids = train.ids[: int(lengths.max()), idx]
        return nn.functional.cross_entropy(m(ids, lengths), train.labels[idx])

    per_epoch = steps_per_epoch(len(train), batch_size)
    history = train_torch(model, loss_fn, torch_shuffled_batches(len(train), batch_size, seed),
                          steps=epochs * per_epoch, lr=lr, clip=clip,
                          evaluate=lambda m: {"accuracy": accuracy(m, test)},
                          eval_every=per_epoch, eval_at_start=True, progress=progress,
                          desc=f"{model.name} classifier")
    return ClassifierResult(model.name, count_parameters(model), history, per_epoch, model)


def comparison_table(results: Sequence[ClassifierResult]) -> str:
    """A plain-text table: model, parameters, training time and final test accuracy.

    The training time is wall-clock, measured on this machine now: it varies from run to
    run, unlike the other columns."""
    lines = [f"{'model':<6} {'parameters':>10} {'training s':>10} {'test accuracy':>13}"]
    for r in results:
        lines.append(f"{r.name:<6} {r.n_parameters:>10,} {r.seconds:>10.1f} "
                     f"{100 * r.final_accuracy:>12.1f}%")  # fmt: skip
    return "\n".join(lines)


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
    logits (B, num_classes), like :class:`rnn_helpers.models.ReviewClassifier`.
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


MODEL_KINDS = ("bow", *KINDS)
MODEL_NAMES = {"bow": "BoW", "rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


def make_model(kind: str, vocab_size: int, seed: int = 0) -> nn.Module:
    """The four classifiers of 08's table, with the notebook's sizes, from one seed.

    "bow": :class:`BagOfWordsClassifier` (hidden 16); "rnn", "lstm", "gru":
    :class:`~rnn_helpers.models.ReviewClassifier` (embedding 16, hidden 32, the gated
    cells' forget / update gate bias 2).
    """
    if kind == "bow":
        return BagOfWordsClassifier(vocab_size, seed=seed)
    if kind in KINDS:
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
    and ``2 * seed + 1`` (as :func:`rnn_helpers.lessons.n08_rnns_in_practice.review_corpora`)."""
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
    norm clipped at 1, ``epochs`` passes (:func:`train_classifier`).

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
        model: a :class:`~rnn_helpers.models.ReviewClassifier` (its weights are not
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
