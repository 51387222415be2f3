"""Data sets for the course, generated on the spot with fixed seeds (nothing is downloaded;
the one real data set, IMDb reviews on request, is apart in :mod:`rnn_helpers.data.imdb`).

Conventions, the same as in ``rnn_helpers.scratch``:

- sequences are **time-major**: ``x`` has shape (T, N, D), time first, then the batch;
- real numbers are float64, integer ids and labels are int64;
- every generator takes ``seed=`` and is deterministic given it.

What is here:

- noisy sine: :func:`noisy_sine`, :func:`sine_windows`, :func:`split_series`,
  :func:`sine_dataset` ("window of 10 -> next value", "50 values -> the 51st");
- the adding problem: :func:`adding_problem` (a long-range task a plain RNN fails);
- the copy task: :func:`copy_task`;
- a generated "review" corpus whose label sits far from the end: :func:`make_review_corpus`,
  :class:`Vocabulary`, :func:`pad_sequences`.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "noisy_sine",
    "sine_windows",
    "split_series",
    "sine_dataset",
    "adding_problem",
    "copy_task",
    "Vocabulary",
    "ReviewCorpus",
    "make_review_corpus",
    "pad_sequences",
    "verdict_label",
    "FILLER_WORDS",
    "POSITIVE_WORDS",
    "NEGATIVE_WORDS",
    "DISTRACTOR_WORDS",
]


# --------------------------------------------------------------------------- validation


def _check_int(name: str, value, minimum: int) -> int:
    """Return ``value`` as an int if it is an integer >= ``minimum``, else raise ValueError."""
    # bool is an int subclass; True as a size is almost certainly a mistake.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def _check_float(name: str, value, minimum: float = 0.0, *, strict: bool = False) -> float:
    """Return ``value`` as a float if it is a finite real >= (or >, when strict) ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if value < minimum or (strict and value == minimum):
        op = ">" if strict else ">="
        raise ValueError(f"{name} must be {op} {minimum}, got {value}")
    return float(value)


# --------------------------------------------------------------------------- noisy sine


def noisy_sine(
    n_points: int = 1000,
    *,
    noise: float = 0.1,
    dt: float = 0.1,
    amplitude: float = 1.0,
    phase: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """A sine wave sampled at regular times, plus Gaussian noise.

    The i-th value is ``amplitude * sin(i * dt + phase) + noise * eps_i`` with
    ``eps_i ~ N(0, 1)`` independent. The sample times are ``t_i = i * dt``, so with the
    default ``dt = 0.1`` one period (2π) spans about 63 samples: a window of 10 values
    sees a sixth of a period, a window of 50 most of one.

    Default noise: standard deviation 0.1 on amplitude 1. That noise cannot be predicted,
    so the best possible RMSE of a "predict the next value" model is about ``noise`` (0.1).

    Args:
        n_points: number of samples, >= 1.
        noise: standard deviation of the additive noise, >= 0 (0 gives a clean sine).
        dt: time between samples, > 0.
        amplitude: amplitude of the sine, >= 0.
        phase: phase offset in radians.
        seed: seed of the noise.

    Returns:
        series: float64 array of shape (n_points,). The times are ``np.arange(n_points) * dt``.
    """
    n_points = _check_int("n_points", n_points, 1)
    noise = _check_float("noise", noise, 0.0)
    dt = _check_float("dt", dt, 0.0, strict=True)
    amplitude = _check_float("amplitude", amplitude, 0.0)
    phase = _check_float("phase", phase, -np.inf)
    rng = np.random.default_rng(seed)
    t = np.arange(n_points) * dt
    return amplitude * np.sin(t + phase) + noise * rng.standard_normal(n_points)


def sine_windows(
    series: np.ndarray, window: int = 10, *, stride: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Cut a 1-D series into (window -> next value) examples.

    Example ``n`` uses the values ``series[s : s + window]`` as input and
    ``series[s + window]`` as target, with ``s = n * stride``. ``window=10`` gives the
    "window of 10 -> next value" task, ``window=50`` gives "50 values -> the 51st".

    Args:
        series: array of shape (L,), L > window.
        window: number of input steps T, >= 1.
        stride: shift between consecutive windows, >= 1 (1 = every possible window).

    Returns:
        x: float64 array (T=window, N, 1), time-major like the scratch RNN expects.
        y: float64 array (N, 1), the value right after each window.
        N = (L - window - 1) // stride + 1.
    """
    series = np.asarray(series, dtype=np.float64)
    if series.ndim != 1:
        raise ValueError(f"series must be 1-D with shape (L,), got shape {series.shape}")
    window = _check_int("window", window, 1)
    stride = _check_int("stride", stride, 1)
    if series.shape[0] <= window:
        raise ValueError(
            f"series must be longer than window={window} (one target after the window), "
            f"got length {series.shape[0]}"
        )
    starts = np.arange(0, series.shape[0] - window, stride)  # every start with a target
    # Index matrix (T, N): row t holds the t-th value of every window.
    idx = starts[None, :] + np.arange(window)[:, None]
    x = series[idx][:, :, None]
    y = series[starts + window][:, None]
    return x, y


def split_series(series: np.ndarray, val_fraction: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Split a series by time: the first part for training, the last part for validation.

    Split the *series* before cutting windows (see :func:`sine_dataset`): then no window of
    the validation set contains a value the training set saw, and no training target lies
    inside a validation window. Cutting windows first and splitting them at random would
    leak: neighbouring windows share all but one value.

    Args:
        series: array of shape (L,).
        val_fraction: share of the samples that go to validation, strictly between 0 and 1.

    Returns:
        (train, val): float64 arrays of shapes (L - n_val,) and (n_val,) with
        ``n_val = round(L * val_fraction)``; ``train`` comes first in time.
    """
    series = np.asarray(series, dtype=np.float64)
    if series.ndim != 1:
        raise ValueError(f"series must be 1-D with shape (L,), got shape {series.shape}")
    val_fraction = _check_float("val_fraction", val_fraction, 0.0, strict=True)
    if val_fraction >= 1.0:
        raise ValueError(f"val_fraction must be < 1, got {val_fraction}")
    n_val = int(round(series.shape[0] * val_fraction))
    if n_val < 1 or n_val >= series.shape[0]:
        raise ValueError(
            f"val_fraction={val_fraction} of a series of length {series.shape[0]} leaves "
            f"{n_val} validation and {series.shape[0] - n_val} training samples; both need >= 1"
        )
    return series[:-n_val].copy(), series[-n_val:].copy()


def sine_dataset(
    window: int = 50,
    *,
    n_points: int = 1000,
    val_fraction: float = 0.2,
    noise: float = 0.1,
    dt: float = 0.1,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The noisy-sine forecasting task, split by time into training and validation.

    Generates ``noisy_sine(n_points, noise=noise, dt=dt, seed=seed)``, splits it with
    :func:`split_series` and cuts each part with :func:`sine_windows`.

    Args:
        window: input length T (10 or 50 in the course), >= 1.
        n_points: length of the whole series; the validation part must exceed ``window``.
        val_fraction: share of the series (the end of it) used for validation.
        noise, dt, seed: as in :func:`noisy_sine` (default noise std 0.1 on amplitude 1).

    Returns:
        x_train (T, N_train, 1), y_train (N_train, 1), x_val (T, N_val, 1), y_val (N_val, 1),
        all float64. With the defaults: N_train = 750, N_val = 150.
    """
    series = noisy_sine(n_points, noise=noise, dt=dt, seed=seed)
    train, val = split_series(series, val_fraction)
    window = _check_int("window", window, 1)
    if val.shape[0] <= window:
        raise ValueError(
            f"the validation part has {val.shape[0]} samples, which must exceed "
            f"window={window}; raise n_points or val_fraction"
        )
    x_train, y_train = sine_windows(train, window)
    x_val, y_val = sine_windows(val, window)
    return x_train, y_train, x_val, y_val


# --------------------------------------------------------------------------- adding problem


def adding_problem(n_samples: int, seq_len: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem (Hochreiter & Schmidhuber, 1997): add two marked numbers.

    Each sequence has ``seq_len`` steps with two features: a value drawn from U(0, 1) and a
    marker that is 1 at exactly two steps and 0 elsewhere. One marker lies in the first half
    (steps ``0 .. seq_len//2 - 1``), the other in the second half (``seq_len//2 .. T-1``).
    The target is the sum of the two marked values. A model that ignores the input and
    always answers the mean (1.0) scores MSE = Var(u1 + u2) = 2/12 ≈ 0.167. Remembering
    only the second number (at most ``seq_len - seq_len//2 - 1`` steps before the last step)
    and answering u2 + 0.5 halves that, to Var(u1) = 1/12 ≈ 0.083; going below 1/12 needs
    the first number too, ``seq_len - seq_len//2`` to ``seq_len - 1`` steps back.

    Args:
        n_samples: number of sequences N, >= 1.
        seq_len: number of steps T, >= 2 (one marker in each half).
        seed: random seed.

    Returns:
        x: float64 array (T, N, 2); ``x[..., 0]`` values, ``x[..., 1]`` markers (0.0 / 1.0).
        y: float64 array (N, 1), the sum of the two marked values.
    """
    n_samples = _check_int("n_samples", n_samples, 1)
    seq_len = _check_int("seq_len", seq_len, 2)
    rng = np.random.default_rng(seed)
    half = seq_len // 2
    values = rng.uniform(0.0, 1.0, size=(seq_len, n_samples))
    first = rng.integers(0, half, size=n_samples)  # in [0, half)
    second = rng.integers(half, seq_len, size=n_samples)  # in [half, T)
    markers = np.zeros((seq_len, n_samples))
    cols = np.arange(n_samples)
    markers[first, cols] = 1.0
    markers[second, cols] = 1.0
    x = np.stack([values, markers], axis=-1)
    y = (values[first, cols] + values[second, cols])[:, None]
    return x, y


# --------------------------------------------------------------------------- copy task


def copy_task(
    n_samples: int, n_symbols: int = 8, seq_len: int = 10, delay: int = 20, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The copy task: read a string of symbols, wait, then write it back.

    The alphabet has ``n_symbols`` data symbols (ids ``0 .. n_symbols-1``), a *blank*
    (id ``n_symbols``) and a *go* marker (id ``n_symbols + 1``), so inputs are one-hot of
    size ``K = n_symbols + 2``. A sequence has ``T = 2 * seq_len + delay`` steps:

    - steps ``0 .. seq_len-1``: the ``seq_len`` random data symbols to remember;
    - the next ``delay`` steps: blanks, except the last of them, which is *go*;
    - the final ``seq_len`` steps: blanks, while the model should output the symbols.

    The target is blank at the first ``seq_len + delay`` steps and the remembered symbols,
    in order, at the final ``seq_len`` steps. Score a model on those final steps only
    (``y[-seq_len:]``): predicting blank elsewhere is trivial. Guessing at random there
    gives accuracy ``1 / n_symbols``.

    Args:
        n_samples: number of sequences N, >= 1.
        n_symbols: number of data symbols, >= 1.
        seq_len: number of symbols to copy, >= 1.
        delay: steps between the last symbol and the first answer, >= 1 (holds *go*).
        seed: random seed.

    Returns:
        x: float64 one-hot inputs (T, N, n_symbols + 2).
        y: int64 target ids (T, N), in ``0 .. n_symbols`` (blank = ``n_symbols``).
    """
    n_samples = _check_int("n_samples", n_samples, 1)
    n_symbols = _check_int("n_symbols", n_symbols, 1)
    seq_len = _check_int("seq_len", seq_len, 1)
    delay = _check_int("delay", delay, 1)
    rng = np.random.default_rng(seed)
    blank, go = n_symbols, n_symbols + 1
    T = 2 * seq_len + delay
    symbols = rng.integers(0, n_symbols, size=(seq_len, n_samples))
    inputs = np.full((T, n_samples), blank, dtype=np.int64)
    inputs[:seq_len] = symbols
    inputs[seq_len + delay - 1] = go
    y = np.full((T, n_samples), blank, dtype=np.int64)
    y[seq_len + delay :] = symbols
    x = np.eye(n_symbols + 2)[inputs]  # one-hot: (T, N, K)
    return x, y


# --------------------------------------------------------------------------- review corpus

# Words that say nothing about the verdict.
FILLER_WORDS: tuple[str, ...] = (
    "the", "a", "movie", "film", "plot", "story", "actors", "cast", "scene", "scenes",
    "music", "camera", "ending", "director", "script", "was", "is", "and", "but", "with",
    "it", "this", "of", "in", "at", "some", "very", "quite", "then", "later",
    "character", "dialogue", "runtime", "sequel", "popcorn", "cinema",
)  # fmt: skip
# The verdict: exactly one of these, near the start of every review, decides the label.
POSITIVE_WORDS: tuple[str, ...] = (
    "loved", "brilliant", "masterpiece", "wonderful", "superb", "gripping",
)  # fmt: skip
NEGATIVE_WORDS: tuple[str, ...] = (
    "hated", "awful", "boring", "terrible", "dreadful", "tedious",
)  # fmt: skip
# Mild opinion words sprinkled later in a review, independent of the label: a model that
# only looks at the end of a review sees them and learns nothing (or is misled).
DISTRACTOR_WORDS: tuple[str, ...] = ("good", "nice", "fine", "bad", "meh", "weak")


class Vocabulary:
    """A mapping between tokens and integer ids, with ``<pad>`` = 0 and ``<unk>`` = 1.

    Args:
        tokens: the ordinary tokens, in the order their ids should follow (ids 2, 3, ...).
            Duplicates and the two special tokens are not allowed.

    Attributes:
        itos: list of tokens, ``itos[id] -> token``.
        stoi: dict, ``stoi[token] -> id``.
    """

    PAD = "<pad>"
    UNK = "<unk>"
    pad_id = 0
    unk_id = 1

    def __init__(self, tokens: Iterable[str]):
        tokens = list(tokens)
        for tok in tokens:
            if not isinstance(tok, str):
                raise ValueError(f"tokens must be strings, got {tok!r}")
            if tok in (self.PAD, self.UNK):
                raise ValueError(f"tokens must not contain the special token {tok!r}")
        if len(set(tokens)) != len(tokens):
            dup = sorted({t for t in tokens if tokens.count(t) > 1})
            raise ValueError(f"tokens must be unique, got duplicates {dup}")
        self.itos: list[str] = [self.PAD, self.UNK, *tokens]
        self.stoi: dict[str, int] = {tok: i for i, tok in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} tokens incl. <pad>=0, <unk>=1)"

    def encode(self, tokens: Sequence[str]) -> np.ndarray:
        """Token strings -> int64 ids of shape (len(tokens),); unknown tokens map to 1."""
        if isinstance(tokens, str):
            # A bare string would be encoded character by character: almost surely a bug.
            raise ValueError(
                f"tokens must be a sequence of token strings, got the string {tokens!r}; "
                "use text.split()"
            )
        return np.array([self.stoi.get(t, self.unk_id) for t in tokens], dtype=np.int64)

    def decode(self, ids: Iterable[int], *, skip_pad: bool = True) -> list[str]:
        """Ids (any 1-D iterable of ints) -> list of token strings; drops ``<pad>`` by default."""
        out = []
        for i in np.asarray(ids, dtype=np.int64).reshape(-1):
            if not 0 <= i < len(self.itos):
                raise ValueError(f"ids must be in 0..{len(self.itos) - 1}, got {int(i)}")
            if skip_pad and i == self.pad_id:
                continue
            out.append(self.itos[i])
        return out


def pad_sequences(
    sequences: Sequence[Sequence[int]],
    *,
    batch_first: bool = False,
    pad_id: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Pad id sequences of different lengths into one array, and return their lengths.

    Args:
        sequences: N sequences of int ids (lists or 1-D arrays), each of length >= 1
            (torch's ``pack_padded_sequence`` rejects length 0).
        batch_first: False (default) gives time-major (T, N) like the rest of the course and
            torch's default; True gives (N, T).
        pad_id: the id written after the end of each sequence (``Vocabulary.pad_id`` = 0).

    Returns:
        ids: int64 array (T, N) (or (N, T) with batch_first) with T = the longest length;
            sequence n occupies ``ids[:lengths[n], n]``, the rest is ``pad_id``.
        lengths: int64 array (N,), the true lengths; pass it (as a CPU tensor or list) to
            ``torch.nn.utils.rnn.pack_padded_sequence(..., enforce_sorted=False)``.
    """
    seqs = [np.asarray(s, dtype=np.int64).reshape(-1) for s in sequences]
    if not seqs:
        raise ValueError("sequences must contain at least one sequence, got an empty list")
    lengths = np.array([s.shape[0] for s in seqs], dtype=np.int64)
    if (lengths == 0).any():
        raise ValueError(
            f"every sequence needs length >= 1, got length 0 at index {int(np.argmin(lengths))}"
        )
    ids = np.full((len(seqs), int(lengths.max())), pad_id, dtype=np.int64)
    for n, s in enumerate(seqs):
        ids[n, : s.shape[0]] = s
    return (ids if batch_first else ids.T.copy()), lengths


@dataclass
class ReviewCorpus:
    """A generated sentiment corpus whose label is decided by one word near the start.

    Attributes:
        tokens: N reviews, each a list of token strings.
        labels: int64 array (N,), 1 = positive, 0 = negative.
        vocab: the :class:`Vocabulary` (the same for every seed and size).
        key_positions: int64 array (N,), the index of the deciding word in each review.
    """

    tokens: list[list[str]]
    labels: np.ndarray
    vocab: Vocabulary
    key_positions: np.ndarray

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def texts(self) -> list[str]:
        """The reviews as strings, tokens joined by single spaces."""
        return [" ".join(toks) for toks in self.tokens]

    def encode(self) -> list[np.ndarray]:
        """Every review as an int64 id array of shape (length,)."""
        return [self.vocab.encode(toks) for toks in self.tokens]

    def batch(
        self, indices: Sequence[int] | np.ndarray | None = None, *, batch_first: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Padded ids, lengths and labels of some reviews (all of them by default).

        Args:
            indices: which reviews, in this order; None = all.
            batch_first: as in :func:`pad_sequences` (default time-major).

        Returns:
            ids: int64 (T, B) (or (B, T)), padded with 0; lengths: int64 (B,);
            labels: int64 (B,).
        """
        if indices is None:
            indices = np.arange(len(self.tokens))
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        if indices.size and (indices.min() < 0 or indices.max() >= len(self.tokens)):
            raise ValueError(
                f"indices must be in 0..{len(self.tokens) - 1}, got min {indices.min()} "
                f"and max {indices.max()}"
            )
        ids, lengths = pad_sequences(
            [self.vocab.encode(self.tokens[i]) for i in indices],
            batch_first=batch_first,
            pad_id=self.vocab.pad_id,
        )
        return ids, lengths, self.labels[indices].copy()


def verdict_label(tokens: Sequence[str]) -> int:
    """The labelling rule of :func:`make_review_corpus`, applied to one review.

    Args:
        tokens: a review as a sequence of token strings.

    Returns:
        1 if the first verdict word is in :data:`POSITIVE_WORDS`, 0 if it is in
        :data:`NEGATIVE_WORDS`. Raises ValueError if the review has no verdict word.
    """
    for tok in tokens:
        if tok in POSITIVE_WORDS:
            return 1
        if tok in NEGATIVE_WORDS:
            return 0
    raise ValueError(f"tokens contain no verdict word (one of {POSITIVE_WORDS + NEGATIVE_WORDS})")


def make_review_corpus(
    n_reviews: int = 1000,
    min_len: int = 20,
    max_len: int = 50,
    seed: int = 0,
    *,
    key_window: int = 3,
    distractor_rate: float = 0.1,
) -> ReviewCorpus:
    """Generate short "movie reviews" whose sentiment is stated once, at the very start.

    Each review has a length drawn uniformly from ``min_len .. max_len``. Exactly one
    verdict word (from :data:`POSITIVE_WORDS` or :data:`NEGATIVE_WORDS`) sits at a random
    position among the first ``key_window`` tokens and decides the label. Every other token
    is a filler word (:data:`FILLER_WORDS`), except that tokens after the first
    ``key_window`` are, with probability ``distractor_rate``, a mild opinion word
    (:data:`DISTRACTOR_WORDS`) drawn independently of the label. So everything after the
    verdict carries no information about the label: a model must carry the verdict across
    ``min_len - key_window`` or more steps to the end of the review.

    Labels are exactly balanced (``n_reviews // 2`` positive, the rest negative, shuffled).
    The vocabulary is fixed by the word lists, so corpora made with different seeds share it
    (generate a validation corpus with another seed).

    Args:
        n_reviews: number of reviews N, >= 1.
        min_len, max_len: review lengths in tokens, ``key_window < min_len <= max_len``.
        seed: random seed.
        key_window: the verdict is among the first ``key_window`` tokens, >= 1.
        distractor_rate: probability that a later token is a distractor, in [0, 1].

    Returns:
        A :class:`ReviewCorpus` (tokens, labels, vocab, key_positions; ``.batch()`` pads).
    """
    n_reviews = _check_int("n_reviews", n_reviews, 1)
    key_window = _check_int("key_window", key_window, 1)
    min_len = _check_int("min_len", min_len, key_window + 1)
    max_len = _check_int("max_len", max_len, min_len)
    distractor_rate = _check_float("distractor_rate", distractor_rate, 0.0)
    if distractor_rate > 1.0:
        raise ValueError(f"distractor_rate must be a probability in [0, 1], got {distractor_rate}")

    rng = np.random.default_rng(seed)
    vocab = Vocabulary([*FILLER_WORDS, *POSITIVE_WORDS, *NEGATIVE_WORDS, *DISTRACTOR_WORDS])
    labels = rng.permutation(np.arange(n_reviews) % 2).astype(np.int64)
    lengths = rng.integers(min_len, max_len + 1, size=n_reviews)
    key_positions = rng.integers(0, key_window, size=n_reviews).astype(np.int64)

    # dtype=object: a fixed-width string array would cut longer words written into it.
    filler = np.array(FILLER_WORDS, dtype=object)
    distractors = np.array(DISTRACTOR_WORDS, dtype=object)
    verdicts = {
        1: np.array(POSITIVE_WORDS, dtype=object),
        0: np.array(NEGATIVE_WORDS, dtype=object),
    }
    tokens: list[list[str]] = []
    for label, length, key_pos in zip(labels, lengths, key_positions, strict=True):
        words = filler[rng.integers(0, filler.size, size=length)]
        # Distractors only after the key window, so the verdict is the first opinion word.
        is_distractor = rng.random(length) < distractor_rate
        is_distractor[:key_window] = False
        words[is_distractor] = distractors[rng.integers(0, distractors.size, is_distractor.sum())]
        words[key_pos] = verdicts[int(label)][rng.integers(0, verdicts[int(label)].size)]
        tokens.append(words.tolist())
    return ReviewCorpus(tokens=tokens, labels=labels, vocab=vocab, key_positions=key_positions)
