"""Recurrent networks in idiomatic PyTorch: the models and loops of notebook 08.

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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from rnn_helpers.scratch import params_from_torch
from rnn_helpers.train import History, steps_per_epoch
from rnn_helpers.train.torch_loop import torch_shuffled_batches, train_torch

__all__ = [
    "SineForecaster",
    "count_parameters",
    "course_parameter_count",
    "as_tensor",
    "train_forecaster",
    "predict",
    "closed_loop_forecast",
    "last_real_state",
    "packed_final_state",
    "RNN_KINDS",
    "ReviewClassifier",
    "ReviewTensors",
    "review_corpora",
    "ClassifierResult",
    "review_tensors",
    "accuracy",
    "train_classifier",
    "comparison_table",
]


# --------------------------------------------------------------------------- helpers


def count_parameters(module: nn.Module) -> int:
    """torch's own count: the number of entries in all of ``module.parameters()``."""
    return sum(p.numel() for p in module.parameters())


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


class SineForecaster(nn.Module):
    """A window of values -> the next value: ``nn.RNN(1, H)`` then ``nn.Linear(H, 1)``.

    The RNN runs over the window (T, B, 1); the linear head reads its last hidden state
    h_{T-1} (B, H) and returns the prediction (B, 1).

    Args:
        hidden_size: H, 20 in the course (440 + 21 parameters in the course's count).
        seed: seed of torch's default initialisation, so a model is the same every run
            (the notebook passes ``rnn_helpers.SEED``). The weights are those that
            ``torch.manual_seed(seed)`` followed by creating the layers gives, but torch's
            global generator is put back as it was afterwards.
    """

    def __init__(self, hidden_size: int = 20, *, seed: int = 0):
        super().__init__()
        with torch.random.fork_rng(devices=[]):  # seed only this construction
            torch.manual_seed(seed)
            self.rnn = nn.RNN(1, hidden_size)
            self.head = nn.Linear(hidden_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (T, B, 1) -> prediction (B, 1)."""
        h, _ = self.rnn(x)  # h: (T, B, H), every step's state
        return self.head(h[-1])


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
def closed_loop_forecast(model: nn.Module, window, steps: int) -> np.ndarray:
    """Forecast ``steps`` values ahead by feeding each prediction back as an input.

    Starting from a window of T true values, predict the next one, drop the oldest value,
    append the prediction, and repeat: after T steps the model sees only its own outputs.

    Args:
        model: a forecaster mapping (T, 1, 1) to (1, 1).
        window: the T starting values, shape (T,) (or (T, 1, 1)).
        steps: how many values to forecast, >= 1.

    Returns:
        float64 array (steps,), the forecast.
    """
    model.eval()
    window = as_tensor(window).reshape(-1)
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    out = []
    for _ in range(steps):
        y = model(window.reshape(-1, 1, 1)).reshape(1)
        out.append(float(y))
        window = torch.cat([window[1:], y])
    return np.array(out, dtype=np.float64)


# --------------------------------------------------------------------------- variable lengths


def _check_lengths(h, lengths) -> torch.Tensor:
    if not isinstance(h, torch.Tensor) or h.ndim != 3:
        shape = tuple(h.shape) if hasattr(h, "shape") else type(h).__name__
        raise ValueError(f"h must be a tensor of shape (T, B, H), got {shape}")
    lengths = torch.as_tensor(lengths, dtype=torch.int64)
    T, B, _ = h.shape
    if lengths.shape != (B,):
        raise ValueError(f"lengths must have shape (B,) = ({B},), got {tuple(lengths.shape)}")
    if B and (lengths.min() < 1 or lengths.max() > T):
        raise ValueError(
            f"lengths must be in 1..T = 1..{T}, got min {int(lengths.min())} and "
            f"max {int(lengths.max())}"
        )
    return lengths


def last_real_state(h: torch.Tensor, lengths) -> torch.Tensor:
    """Each sequence's hidden state at its last *real* step, not at the padded end.

    Sequence b of a padded batch is real at steps 0 .. lengths[b]-1 and padding after.
    Its state h[-1] has also read the padding; the state to classify from is
    h[lengths[b] - 1, b].

    Args:
        h: all hidden states of a padded batch, (T, B, H), time-major.
        lengths: the true lengths (B,), each in 1..T (a tensor, array or list of ints).

    Returns:
        (B, H): row b is ``h[lengths[b] - 1, b]``.
    """
    lengths = _check_lengths(h, lengths)
    batch = torch.arange(h.shape[1])
    return h[lengths - 1, batch]


def packed_final_state(rnn: nn.Module, x: torch.Tensor, lengths) -> torch.Tensor:
    """Run ``rnn`` over a padded batch packed by length; return each sequence's final h.

    ``pack_padded_sequence`` tells the layer where every sequence ends, so it stops each
    one at its last real step and never reads the padding; the returned state is the one
    :func:`last_real_state` picks from the padded run.

    Args:
        rnn: a single-layer, unidirectional, time-major nn.RNN / nn.LSTM / nn.GRU.
        x: padded inputs (T, B, D).
        lengths: true lengths (B,), each in 1..T.

    Returns:
        (B, H), the hidden state h (not the LSTM's cell state) at each last real step.
    """
    lengths = torch.as_tensor(lengths, dtype=torch.int64).cpu()
    packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
    _, state = rnn(packed)
    h_n = state[0] if isinstance(rnn, nn.LSTM) else state  # (num_layers, B, H)
    return h_n[-1]


# --------------------------------------------------------------------------- review classifier

RNN_KINDS = ("rnn", "lstm", "gru")
_LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
_NAMES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


class ReviewClassifier(nn.Module):
    """Token ids -> Embedding -> RNN / LSTM / GRU -> the last real state -> Linear -> logits.

    Args:
        vocab_size: number of token ids (id 0 is the padding, whose embedding stays 0).
        kind: "rnn", "lstm" or "gru".
        embed_dim: size D of a token's embedding vector.
        hidden_size: H.
        num_classes: outputs of the linear head (2: negative, positive).
        gate_bias: the LSTM's forget-gate bias and the GRU's update-gate bias at the start
            (the sum b_ih + b_hh of that gate's block). A positive value makes the cell
            keep its state by default (f close to 1, z close to 1): "remember unless told
            otherwise". Jozefowicz et al. (2015) recommend a forget-gate bias of 1 for the
            LSTM; the default 2 (sigmoid(2) is about 0.88) is this course's choice, used for the
            GRU's update gate too. A plain RNN has no gate, so it is unused there. None
            keeps torch's initialisation.
        seed: seed of the initialisation (torch's global generator is put back as it was
            afterwards). Models compared in one experiment get the same seed.

    ``forward(ids, lengths, readout=...)`` takes ids (T, B) and lengths (B,) and returns
    logits (B, num_classes). ``readout`` chooses the state the head reads:
    "gather" (default) runs the padded batch and takes :func:`last_real_state`;
    "packed" uses :func:`packed_final_state` (the same numbers, torch's idiom);
    "padded" takes h[-1] of the padded run: the mistake notebook 08 shows.
    """

    def __init__(
        self,
        vocab_size: int,
        kind: str = "gru",
        *,
        embed_dim: int = 16,
        hidden_size: int = 32,
        num_classes: int = 2,
        gate_bias: float | None = 2.0,
        seed: int = 0,
    ):
        super().__init__()
        if kind not in _LAYERS:
            raise ValueError(f"kind must be one of {RNN_KINDS}, got {kind!r}")
        self.kind = kind
        with torch.random.fork_rng(devices=[]):  # seed only this construction
            torch.manual_seed(seed)
            self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
            self.rnn = _LAYERS[kind](embed_dim, hidden_size)
            self.head = nn.Linear(hidden_size, num_classes)
        if gate_bias is not None and kind != "rnn":
            # Gate blocks: LSTM i, f, g, o and GRU r, z, n; the second block is f or z.
            H = hidden_size
            with torch.no_grad():
                self.rnn.bias_ih_l0[H : 2 * H].fill_(gate_bias)
                self.rnn.bias_hh_l0[H : 2 * H].zero_()

    @property
    def name(self) -> str:
        return _NAMES[self.kind]

    def forward(self, ids: torch.Tensor, lengths, readout: str = "gather") -> torch.Tensor:
        x = self.embedding(ids)  # (T, B, D)
        if readout == "packed":
            last = packed_final_state(self.rnn, x, lengths)
        elif readout in ("gather", "padded"):
            h, _ = self.rnn(x)  # (T, B, H), padding steps included
            last = last_real_state(h, lengths) if readout == "gather" else h[-1]
        else:
            raise ValueError(f"readout must be 'gather', 'packed' or 'padded', got {readout!r}")
        return self.head(last)


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
