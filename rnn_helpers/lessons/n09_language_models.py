"""What notebook 09 computes: character language models on the documentation text that
ships with Python.

- the text and its characters: :func:`load_text` reads ``pydoc_data.topics`` (CPython's
  own documentation, (c) Python Software Foundation, PSF License Agreement) at run time:
  nothing is downloaded, and only the short excerpts the notebook prints are stored in this
  repository; :class:`CharVocab` turns characters into ids and back, refusing unknown
  characters; :func:`validation_topics` names the topics the validation part covers;
- perplexity and the count-based baselines (uniform, unigram, bigram), and how hard the
  validation text is compared with the training text (:func:`text_difficulty`);
- a char-RNN from the course's scratch layers + the softmax cross-entropy layer, trained
  with chunked truncated BPTT (:func:`char_rnn_chunk`, :func:`train_char_rnn`);
- writing (closed-loop generation) and what the temperature slider shows
  (:func:`next_char_probs`, :func:`continuation`, :func:`repeat_period`);
- a stacked character LSTM in torch (:class:`CharLSTM`, :func:`train_char_lstm`);
- a tagging task whose labels depend on the future, for a unidirectional and a
  bidirectional GRU (:func:`word_end_task`, :func:`train_tagger`).

Every function takes its seeds explicitly; the notebook passes ``rnn_helpers.SEED``-derived
values, the tests pass 0 … 9. The text is the one of the running Python version: the figures
quoted in the notebook were measured with Python 3.11 (the Binder runtime); other versions'
documentation differs a little, and so do the figures.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from rnn_helpers.sampling import generate, sampler, softmax_with_temperature
from rnn_helpers.scratch import (
    init_linear_params,
    init_rnn_params,
    linear_backward,
    linear_forward,
    rnn_backward,
    rnn_forward,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
)
from rnn_helpers.train import History, train_numpy, train_torch
from rnn_helpers.validate import check_int, check_positive

__all__ = [
    "VOCAB_CHARS",
    "CharVocab",
    "TextSplit",
    "clean_text",
    "python_docs_text",
    "load_text",
    "validation_topics",
    "eval_streams",
    "perplexity",
    "unigram_probs",
    "bigram_probs",
    "baseline_perplexities",
    "text_difficulty",
    "one_hot",
    "init_char_rnn",
    "char_rnn_chunk",
    "char_rnn_logits",
    "char_rnn_perplexity",
    "char_rnn_step",
    "TrainingChunks",
    "CarriedStateLoss",
    "train_char_rnn",
    "write",
    "prompt_logits",
    "next_char_probs",
    "effective_choices",
    "sample_texts",
    "known_words",
    "sampling_measures",
    "continuation",
    "repeat_period",
    "CharLSTM",
    "CarriedLSTMLoss",
    "LSTMRun",
    "char_lstm",
    "lstm_parameter_count",
    "train_char_lstm",
    "char_lstm_perplexity",
    "char_lstm_step",
    "TAG_CHARS",
    "word_end_task",
    "Tagger",
    "TaggerResult",
    "train_tagger",
    "future_influence",
]

# ============================================================ the text and its characters

# The vocabulary: newline and the 95 printable ASCII characters. Fixed, not read from the
# text, so it is the same on every Python version (the documentation changes a little
# between releases) and the model's sizes never change.
VOCAB_CHARS = "\n" + "".join(chr(c) for c in range(32, 127))

# The documentation's few typographic characters, written in ASCII; anything else outside
# the vocabulary (a handful of characters such as "ß") is dropped.
TYPOGRAPHIC = {"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "--", "…": "..."}

# How a character is shown on a bar label: visible stand-ins for the invisible ones.
_SHOWN = {" ": "␣", "\n": "↵"}


class CharVocab:
    """Characters <-> integer ids (0 … V-1).

    Attributes:
        chars: the characters, in id order.
        index: {character: id}.
    """

    def __init__(self, chars: str = VOCAB_CHARS):
        if len(set(chars)) != len(chars) or not chars:
            raise ValueError("chars: expected distinct characters, at least one")
        self.chars = chars
        self.index = {c: i for i, c in enumerate(chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str, name: str = "text") -> np.ndarray:
        """The ids of ``text``'s characters, int64 of shape (len(text),).

        Raises ValueError for an empty text and for characters outside the vocabulary,
        naming them (``name`` is the argument's name in the message, e.g. "prompt").
        """
        if not isinstance(text, str):
            raise TypeError(f"{name}: expected a string, got {type(text).__name__}")
        if not text:
            raise ValueError(f"{name}: expected at least one character, got an empty string")
        unknown = sorted(set(text) - self.index.keys())
        if unknown:
            listed = ", ".join(repr(c) for c in unknown[:10])
            more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
            raise ValueError(f"{name}: characters not in the vocabulary: {listed}{more} "
                             f"(the vocabulary is newline and the printable ASCII characters)")
        return np.fromiter((self.index[c] for c in text), dtype=np.int64, count=len(text))

    def decode(self, ids) -> str:
        """The text whose character ids are ``ids`` (any integer sequence)."""
        return "".join(self.chars[int(i)] for i in np.asarray(ids).reshape(-1))

    @staticmethod
    def shown(char: str) -> str:
        """A character as a label: "␣" for a space, "↵" for a newline, else itself."""
        return _SHOWN.get(char, char)


def clean_text(text: str) -> str:
    """``text`` with typographic quotes and dashes written in ASCII and every other
    character outside :data:`VOCAB_CHARS` dropped. Character by character, so cleaning
    pieces and joining them gives what joining and cleaning gives."""
    allowed = set(VOCAB_CHARS)
    return "".join(c for c in text.translate(str.maketrans(TYPOGRAPHIC)) if c in allowed)


def _docs_topics() -> list[tuple[str, str]]:
    """(name, cleaned text) of every documentation topic, in alphabetical order of names."""
    from pydoc_data.topics import topics  # standard library: ~465,000 characters

    return [(name, clean_text(topics[name])) for name in sorted(topics)]


@functools.lru_cache(maxsize=1)
def python_docs_text() -> str:
    """CPython's documentation topics (``pydoc_data.topics``), read at run time.

    The topics (statements, operators, special methods, …: what ``help("assert")`` shows)
    are joined in alphabetical order of their names, blank lines between them, and cleaned
    by :func:`clean_text`, so every character is in the vocabulary. The text is CPython's,
    (c) Python Software Foundation, under the PSF License Agreement
    (docs.python.org/3/license.html); it is on every Python installation and read from
    there. This repository stores none of it except the short excerpts printed in the
    notebook's outputs. It changes a little between Python releases.
    """
    return "\n\n".join(text for _, text in _docs_topics())


@dataclass
class TextSplit:
    """The text as ids, split by position: the first part to train on, the rest to measure.

    Attributes:
        vocab: the :class:`CharVocab`.
        train: int64 ids of the training part.
        val: int64 ids of the validation part: the end of the text, which the models never
            read while training. The cut falls inside a topic (with Python 3.11, inside
            "typesmapping"; :func:`validation_topics` names them).
    """

    vocab: CharVocab
    train: np.ndarray
    val: np.ndarray


@functools.lru_cache(maxsize=4)
def load_text(val_fraction: float = 0.1) -> TextSplit:
    """:func:`python_docs_text` as ids, the last ``val_fraction`` of it for validation."""
    val_fraction = check_positive("val_fraction", val_fraction)
    if val_fraction >= 1:
        raise ValueError(f"val_fraction: expected a number in (0, 1), got {val_fraction}")
    vocab = CharVocab()
    ids = vocab.encode(python_docs_text())
    ids.setflags(write=False)  # cached and shared by every caller: nobody may change it
    cut = _cut(len(ids), val_fraction)
    return TextSplit(vocab, ids[:cut], ids[cut:])


def _cut(n: int, val_fraction: float) -> int:
    """Where :func:`load_text` cuts a text of ``n`` characters: the first id of validation."""
    return int(round(n * (1 - val_fraction)))


def validation_topics(val_fraction: float = 0.1) -> tuple[list[str], float]:
    """The documentation topics that reach into the validation part of :func:`load_text`.

    Returns (names, share): the names in text order, the first being the topic the cut
    falls inside (or the first topic after it), and the share (0 … 1) of that first topic's
    characters that lie in the validation part (1 when the cut falls between topics).
    """
    val_fraction = check_positive("val_fraction", val_fraction)
    if val_fraction >= 1:
        raise ValueError(f"val_fraction: expected a number in (0, 1), got {val_fraction}")
    topics = _docs_topics()
    total = sum(len(text) for _, text in topics) + 2 * (len(topics) - 1)  # "\n\n" between
    cut = _cut(total, val_fraction)
    names, share, start = [], 1.0, 0
    for name, text in topics:
        end = start + len(text)
        if end > cut:
            if not names and start < cut:
                share = (end - cut) / len(text)
            names.append(name)
        start = end + 2
    return names, share


def eval_streams(ids, batch: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Cut ``ids`` into ``batch`` side-by-side streams for evaluation.

    Returns (inputs, targets), each int64 of shape (L, batch) with L = (len(ids) - 1) //
    batch: stream b is ids[b L : (b+1) L] and its targets are the same stream shifted by
    one character. Every model of the notebook is measured on exactly these targets, each
    having read the inputs of its stream up to that point.
    """
    ids = np.asarray(ids)
    batch = check_int("batch", batch)
    L = (len(ids) - 1) // batch
    if L < 1:
        raise ValueError(f"ids: expected more than {batch} ids for {batch} streams, "
                         f"got {len(ids)}")
    inputs = ids[: L * batch].reshape(batch, L).T
    targets = ids[1 : L * batch + 1].reshape(batch, L).T
    return np.ascontiguousarray(inputs), np.ascontiguousarray(targets)


# ============================================================ perplexity and baselines


def perplexity(mean_nll: float) -> float:
    """exp(mean negative log-likelihood in nats): the model is as unsure as a fair choice
    among this many characters (a uniform model over V characters scores exactly V)."""
    return float(math.exp(mean_nll))


def unigram_probs(train_ids, V: int, alpha: float = 0.1) -> np.ndarray:
    """P(c): how often each character occurs in ``train_ids`` (+ ``alpha`` to every count,
    so a character never seen in training still gets a small probability). Shape (V,)."""
    counts = np.bincount(np.asarray(train_ids), minlength=V) + alpha
    return counts / counts.sum()


def bigram_probs(train_ids, V: int, alpha: float = 0.1) -> np.ndarray:
    """P(next | previous) from counts of adjacent pairs (+ ``alpha`` each). Shape (V, V):
    row = previous character, column = next."""
    ids = np.asarray(train_ids)
    counts = np.full((V, V), float(alpha))
    np.add.at(counts, (ids[:-1], ids[1:]), 1.0)
    return counts / counts.sum(axis=1, keepdims=True)


def baseline_perplexities(split: TextSplit, alpha: float = 0.1) -> dict[str, float]:
    """Validation perplexity of the uniform, unigram and bigram models on the targets of
    :func:`eval_streams` (the targets every model of the notebook is measured on)."""
    V = len(split.vocab)
    inputs, targets = eval_streams(split.val)
    uni = unigram_probs(split.train, V, alpha)
    bi = bigram_probs(split.train, V, alpha)
    return {
        "uniform": perplexity(math.log(V)),
        "unigram": perplexity(-np.mean(np.log(uni[targets]))),
        "bigram": perplexity(-np.mean(np.log(bi[inputs, targets]))),
    }


def text_difficulty(split: TextSplit, fit_fraction: float = 0.9) -> dict[str, float]:
    """How predictable the validation text is compared with more of the training text.

    A bigram model (:func:`bigram_probs`) is fitted on the first ``fit_fraction`` of the
    training text only; returns its perplexity on {"rest of the training text": the
    training text it did not count, "validation text": the validation text}. Both are text
    it has not seen, so a lower figure means text that is easier to predict.
    """
    fit_fraction = check_positive("fit_fraction", fit_fraction)
    if fit_fraction >= 1:
        raise ValueError(f"fit_fraction: expected a number in (0, 1), got {fit_fraction}")
    V = len(split.vocab)
    cut = int(len(split.train) * fit_fraction)
    bi = bigram_probs(split.train[:cut], V)

    def bigram_perplexity(ids):
        return perplexity(-np.mean(np.log(bi[ids[:-1], ids[1:]])))

    return {"rest of the training text": bigram_perplexity(split.train[cut:]),
            "validation text": bigram_perplexity(split.val)}


# ============================================================ a char-RNN from scratch


def one_hot(ids, V: int) -> np.ndarray:
    """Ids of any shape (...) as one-hot float64 vectors, shape (..., V)."""
    return np.eye(V)[np.asarray(ids)]


def init_char_rnn(V: int, hidden_size: int, seed: int, unigram=None) -> dict:
    """Parameters of the char-RNN: W_xh (H, V), W_hh (H, H), b_h (H,), W_hy (V, H), b_y (V,).

    With ``unigram`` (P(c), shape (V,)) the output bias starts at log P(c): before any
    training the model already predicts each character at its frequency (the unigram
    model) instead of uniformly, and training starts from there.
    """
    params = init_rnn_params(V, hidden_size, seed=seed)
    params.update(init_linear_params(hidden_size, V, seed=seed + 1))
    if unigram is not None:
        params["b_y"] = np.log(np.asarray(unigram, dtype=np.float64))
    return params


def char_rnn_chunk(params: dict, inputs, targets, h0) -> tuple[float, dict, np.ndarray]:
    """Loss and gradients on one chunk of k characters: one step of truncated BPTT.

    Inputs:
    - params: W_xh (H, V), W_hh (H, H), b_h (H,), W_hy (V, H), b_y (V,)
    - inputs, targets: character ids, shape (k, B); targets[t] is the character after
      inputs[t] (teacher forcing: the model reads the true text)
    - h0: the state carried from the previous chunk, (B, H), or None for zeros

    Returns a tuple of:
    - loss: mean cross-entropy over the k·B predictions (nats)
    - grads: a dict with the keys of params
    - h_last: the state after the chunk, (B, H), to carry into the next one. The gradient
      stops at h0: the earlier chunks are constants here, which is the truncation.
    """
    V = params["W_hy"].shape[0]
    h, rnn_cache = rnn_forward(one_hot(inputs, V), h0, params)           # (k, B, H)
    logits, head_cache = linear_forward(h, params)  # (k, B, V)
    loss, ce_cache = softmax_cross_entropy_forward(logits, targets)
    dlogits = softmax_cross_entropy_backward(1.0, ce_cache)["logits"]
    head = linear_backward(dlogits, head_cache)
    rnn = rnn_backward(head["h"], rnn_cache)  # full BPTT inside the chunk, none before it
    grads = {"W_xh": rnn["W_xh"], "W_hh": rnn["W_hh"], "b_h": rnn["b_h"],
             "W_hy": head["W_hy"], "b_y": head["b_y"]}
    return loss, grads, h[-1]


def char_rnn_logits(params: dict, inputs, h0=None) -> tuple[np.ndarray, np.ndarray]:
    """The char-RNN's scores for the next character at every step: (logits (T, B, V),
    the last state (B, H)), reading ``inputs`` (T, B) from ``h0`` (None: zeros)."""
    V = params["W_hy"].shape[0]
    h, _ = rnn_forward(one_hot(inputs, V), h0, params)
    return linear_forward(h, params)[0], h[-1]


def char_rnn_perplexity(params: dict, ids) -> float:
    """The char-RNN's perplexity on the targets of :func:`eval_streams` of ``ids``."""
    inputs, targets = eval_streams(ids)
    logits, _ = char_rnn_logits(params, inputs)
    return perplexity(softmax_cross_entropy_forward(logits, targets)[0])


def char_rnn_step(params: dict):
    """A ``step(h, char_id) -> (logits (V,), h)`` for :func:`rnn_helpers.sampling.generate`.

    The same maths as :func:`char_rnn_logits` for one character (a one-hot input picks a
    column of W_xh), with ``h`` of shape (1, H); start from ``np.zeros((1, H))``.
    """
    W_xh, W_hh, b_h = params["W_xh"], params["W_hh"], params["b_h"]
    W_hy, b_y = params["W_hy"], params["b_y"]

    def step(h, char_id):
        h = np.tanh(W_xh[:, char_id] + h @ W_hh.T + b_h)
        return (h @ W_hy.T + b_y)[0], h

    return step


class TrainingChunks(Iterator):
    """The training text as ``batch`` parallel streams, read ``chunk`` characters at a time.

    Stream b is the b-th of ``batch`` equal slices of the text; step n reads characters
    n·chunk … (n+1)·chunk − 1 of every stream, so each chunk continues exactly where the
    previous one stopped (which is why the state can be carried). After the last full
    chunk it starts again from the beginning. Each item is (inputs (chunk, B),
    targets (chunk, B), new_pass): new_pass is True at the start of every pass, where a
    carried state must be reset.
    """

    def __init__(self, ids, batch: int, chunk: int):
        ids = np.asarray(ids)
        self.batch, self.chunk = check_int("batch", batch), check_int("chunk", chunk)
        L = (len(ids) - 1) // self.batch
        self.per_pass = L // self.chunk
        if self.per_pass < 1:
            raise ValueError(f"ids: {len(ids)} characters are too few for {batch} streams "
                             f"of chunk {chunk}")
        self.inputs = ids[: L * self.batch].reshape(self.batch, L).T
        self.targets = ids[1 : L * self.batch + 1].reshape(self.batch, L).T
        self.n = 0

    def __next__(self):
        i = self.n % self.per_pass
        self.n += 1
        window = slice(i * self.chunk, (i + 1) * self.chunk)
        return self.inputs[window], self.targets[window], i == 0


class CarriedStateLoss:
    """``(params, batch) -> (loss, grads)`` for :func:`rnn_helpers.train.train_numpy` that
    carries the hidden state from one chunk to the next (truncated BPTT by chunks).

    Attributes:
        h: the state after the last chunk read (None before the first and after a reset).
    """

    def __init__(self):
        self.h = None

    def __call__(self, params, batch):
        inputs, targets, new_pass = batch
        if new_pass:
            self.h = None  # back at the start of the streams: nothing to carry
        loss, grads, self.h = char_rnn_chunk(params, inputs, targets, self.h)
        return loss, grads


def train_char_rnn(split: TextSplit, *, hidden_size: int = 64, steps: int = 500,
                   chunk: int = 25, batch: int = 32, lr: float = 1e-2, clip: float = 5.0,
                   seed: int = 0, eval_every: int = 100, progress: bool = True,
                   params: dict | None = None) -> tuple[dict, History]:
    """Train the char-RNN with chunked truncated BPTT and Adam; return (params, History).

    Every ``eval_every`` updates (and before training) the history records the validation
    "loss" (mean nats per character) and "perplexity" on :func:`eval_streams` of the
    validation text. ``params`` (default: :func:`init_char_rnn` with the output bias at
    the unigram log-frequencies, from ``seed``) is not modified.
    """
    V = len(split.vocab)
    if params is None:
        params = init_char_rnn(V, hidden_size, seed, unigram_probs(split.train, V))
    val_inputs, val_targets = eval_streams(split.val)

    def evaluate(p):
        logits, _ = char_rnn_logits(p, val_inputs)
        loss = softmax_cross_entropy_forward(logits, val_targets)[0]
        return {"loss": loss, "perplexity": perplexity(loss)}

    return train_numpy(params, CarriedStateLoss(), TrainingChunks(split.train, batch, chunk),
                       steps=steps, lr=lr, clip=("norm", clip), evaluate=evaluate,
                       eval_every=eval_every, eval_at_start=True, progress=progress,
                       desc="char-RNN (NumPy)")


# ============================================================ writing, and the slider


def write(step, start_state, vocab: CharVocab, prompt: str, length: int, pick) -> str:
    """Read ``prompt``, then write ``length`` characters with ``pick`` (greedy, a sampler).

    ``step(state, char_id) -> (logits, state)`` is one step of any character model (e.g.
    :func:`char_rnn_step`). An empty prompt or one with characters outside the vocabulary
    raises ValueError naming them.
    """
    ids = vocab.encode(prompt, name="prompt")
    return vocab.decode(generate(step, start_state, ids, length, pick))


def prompt_logits(params: dict, vocab: CharVocab, prompt: str) -> np.ndarray:
    """The char-RNN's scores (V,) for the character after ``prompt`` (read from zeros)."""
    step = char_rnn_step(params)
    h = np.zeros((1, params["W_hh"].shape[0]))
    logits = None
    for char_id in vocab.encode(prompt, name="prompt"):
        logits, h = step(h, int(char_id))
    return logits


def next_char_probs(params: dict, vocab: CharVocab, prompt: str,
                    temperature: float) -> np.ndarray:
    """P(next character | prompt) at ``temperature``, shape (V,), from the char-RNN."""
    return softmax_with_temperature(prompt_logits(params, vocab, prompt), temperature)


def effective_choices(probs) -> np.ndarray:
    """exp(entropy) of each distribution over the last axis: the perplexity of one guess,
    "how many characters it is choosing among" (1 for one-hot, V for uniform)."""
    p = np.asarray(probs, dtype=np.float64)
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return np.exp(-plogp.sum(axis=-1))


def continuation(params: dict, vocab: CharVocab, prompt: str, temperature: float,
                 length: int = 120, seed: int = 0) -> str:
    """``length`` characters written after ``prompt`` by the char-RNN at ``temperature``.

    The sampler's uniform numbers come from ``seed`` in the same order every call, so the
    same (prompt, temperature, seed) always gives the same text: a slider moved away and
    back shows what it showed before.
    """
    check_positive("temperature", temperature)
    return write(char_rnn_step(params), np.zeros((1, params["W_hh"].shape[0])), vocab, prompt,
                 length, sampler(temperature, seed=seed))


def repeat_period(text: str, longest: int = 50) -> int | None:
    """The shortest period p <= ``longest`` with which ``text`` repeats itself throughout
    (text[i] == text[i + p] for every i), or None. p = 1: one character over and over
    (e.g. a run of spaces); a greedy writer stuck in a loop has a small period."""
    longest = check_int("longest", longest)
    for p in range(1, min(longest, len(text) - 1) + 1):
        if text[p:] == text[:-p]:
            return p
    return None


def sample_texts(params: dict, vocab: CharVocab, prompt: str, temperature: float, n: int,
                 length: int, seed: int = 0) -> list[str]:
    """``n`` continuations of ``prompt`` by the char-RNN at ``temperature``, written side by
    side as one batch (the same maths as :func:`continuation`, n texts at once)."""
    n, length = check_int("n", n), check_int("length", length)
    W_xh, W_hh, b_h = params["W_xh"], params["W_hh"], params["b_h"]
    pick = sampler(temperature, seed=seed)
    h = np.zeros((n, W_hh.shape[0]))
    for char_id in vocab.encode(prompt, name="prompt"):
        h = np.tanh(W_xh[:, char_id] + h @ W_hh.T + b_h)
    out = np.empty((length, n), dtype=np.int64)
    for t in range(length):
        out[t] = pick(h @ params["W_hy"].T + params["b_y"])       # one character per text
        h = np.tanh(W_xh[:, out[t]].T + h @ W_hh.T + b_h)          # read back what was picked
    return [vocab.decode(out[:, b]) for b in range(n)]


_WORD = re.compile(r"[A-Za-z]{3,}")


def known_words(split: TextSplit) -> set[str]:
    """The words of three letters or more in the training text, lowercase."""
    return {w.lower() for w in _WORD.findall(split.vocab.decode(split.train))}


def sampling_measures(texts: list[str], words: set[str]) -> tuple[float, float]:
    """(variety, real words) of some written texts.

    variety: distinct 4-character pieces / all 4-character pieces of the texts (near 0 for
    a text that loops, near 1 when no piece repeats); real words: the share of the written
    words of three letters or more that occur in ``words`` (NaN if there are none).
    """
    pieces = [t[i : i + 4] for t in texts for i in range(len(t) - 3)]
    written = [w.lower() for t in texts for w in _WORD.findall(t)]
    variety = len(set(pieces)) / len(pieces) if pieces else math.nan
    real = sum(w in words for w in written) / len(written) if written else math.nan
    return variety, real


# ============================================================ a stacked char-LSTM in torch


class CharLSTM(nn.Module):
    """Embedding (V -> E) -> LSTM with ``layers`` stacked layers (E -> H -> … -> H) -> Linear
    (H -> V). Time-major: ``forward(ids (T, B), state)`` returns (logits (T, B, V), state)
    with state = (h, c), each (layers, B, H)."""

    def __init__(self, V: int, embed_size: int = 32, hidden_size: int = 64, layers: int = 2):
        super().__init__()
        self.embed = nn.Embedding(V, embed_size)
        self.lstm = nn.LSTM(embed_size, hidden_size, num_layers=layers)
        self.head = nn.Linear(hidden_size, V)

    def forward(self, ids, state=None):
        h, state = self.lstm(self.embed(ids), state)
        return self.head(h), state


def char_lstm(V: int, *, embed_size: int = 32, hidden_size: int = 64, layers: int = 2,
              seed: int = 0, unigram=None) -> CharLSTM:
    """A :class:`CharLSTM` whose initial weights come from ``seed`` (torch's global
    generator is left as it was), its output bias at log ``unigram`` if given."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = CharLSTM(V, embed_size, hidden_size, layers)
    if unigram is not None:
        with torch.no_grad():
            model.head.bias.copy_(torch.as_tensor(np.log(unigram), dtype=torch.float32))
    return model


def lstm_parameter_count(V: int, embed_size: int, hidden_size: int, layers: int) -> int:
    """The parameters of a :class:`CharLSTM`, counted by hand.

    Embedding V·E; LSTM layer 1 reads E inputs, every later layer reads the H outputs of
    the layer below: 4H·(inputs) + 4H·H weights and two bias vectors of 4H each (torch
    keeps b_ih and b_hh); the head H·V + V.
    """
    E, H = embed_size, hidden_size
    lstm = sum(4 * H * ((E if layer == 0 else H) + H) + 2 * 4 * H for layer in range(layers))
    return V * E + lstm + H * V + V


class CarriedLSTMLoss:
    """``(model, batch) -> loss`` for :func:`rnn_helpers.train.train_torch`, carrying the
    LSTM's (h, c) from chunk to chunk and detaching it: truncated BPTT by chunks."""

    def __init__(self):
        self.state = None

    def __call__(self, model, batch):
        inputs, targets, new_pass = batch
        if new_pass or self.state is None:
            state = None
        else:
            # Keep the values, drop the graph: the gradient stops at the chunk's start.
            state = tuple(s.detach() for s in self.state)
        # torch.tensor copies: the chunks are views of the cached, read-only text.
        logits, self.state = model(torch.tensor(inputs), state)
        return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                           torch.tensor(targets).reshape(-1))


def char_lstm_step(model: CharLSTM):
    """A ``step(state, char_id) -> (logits (V,) NumPy, state)`` for generation (no
    gradients); start from state None."""

    def step(state, char_id):
        with torch.no_grad():
            logits, state = model(torch.tensor([[char_id]]), state)
        return logits[0, 0].double().numpy(), state

    return step


def char_lstm_perplexity(model: CharLSTM, ids) -> float:
    """The LSTM's perplexity on the targets of :func:`eval_streams` of ``ids``."""
    inputs, targets = eval_streams(ids)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits, _ = model(torch.tensor(inputs))
        loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                           torch.tensor(targets).reshape(-1))
    model.train(was_training)
    return perplexity(float(loss))


@dataclass
class LSTMRun:
    """A trained :class:`CharLSTM` with its History and the samples written on the way.

    Attributes:
        samples: {number of updates done: text written from the prompt at that point}.
    """

    model: CharLSTM
    history: History
    samples: dict[int, str] = field(default_factory=dict)


def train_char_lstm(model: CharLSTM, split: TextSplit, *, steps: int = 200, chunk: int = 64,
                    batch: int = 32, lr: float = 1e-2, clip: float = 1.0,
                    sample_every: int = 50, prompt: str = "The ", sample_length: int = 60,
                    temperature: float = 0.8, seed: int = 0,
                    progress: bool = True) -> LSTMRun:
    """Train ``model`` in place with chunked truncated BPTT (Adam, gradient norm clipped).

    Before training and every ``sample_every`` updates it writes ``sample_length``
    characters after ``prompt`` at ``temperature`` (sampler seed ``seed``, the same numbers
    every time, so the samples differ only because the model does); ``history.val_step``
    lists those points. The validation "loss" and "perplexity" are measured once, at the
    end (each measurement reads the whole validation text: too slow to repeat here).
    """
    sample_every = check_int("sample_every", sample_every)
    steps = check_int("steps", steps)
    vocab, samples = split.vocab, {}

    def evaluate(m):
        # train_torch evaluates before training and after every sample_every updates (and
        # at the end): the k-th call comes after min(k * sample_every, steps) updates.
        done = min(len(samples) * sample_every, steps)
        samples[done] = write(char_lstm_step(m), None, vocab, prompt, sample_length,
                              sampler(temperature, seed=seed))
        if done < steps:
            return {}
        ppl = char_lstm_perplexity(m, split.val)
        return {"loss": math.log(ppl), "perplexity": ppl}

    history = train_torch(model, CarriedLSTMLoss(), TrainingChunks(split.train, batch, chunk),
                          steps=steps, lr=lr, clip=("norm", clip), evaluate=evaluate,
                          eval_every=sample_every, eval_at_start=True, progress=progress,
                          desc="char-LSTM (torch)")
    return LSTMRun(model, history, samples)


# ============================================================ bidirectional: tagging word ends

# The tagging task's characters: a space and three letters.
TAG_CHARS = " abc"


def word_end_task(n: int, length: int = 16, seed: int = 0):
    """Random "words" of the letters a, b, c separated by single spaces; tag each letter
    1 if it ends its word (a space comes next), else 0.

    After a letter the next character is a space with probability 1/2, whatever came
    before: so at a letter, nothing in the past tells whether the word ends here. Only
    the *next* character does.

    Returns (x, labels, mask), each (length, n): x int64 ids into :data:`TAG_CHARS`,
    labels int64 (0/1), mask bool: True at the letters that are followed by another
    character (the positions scored; spaces have nothing to tag, and the last position
    has no next character).
    """
    n, length = check_int("n", n), check_int("length", length, minimum=2)
    rng = np.random.default_rng(seed)
    x = np.zeros((length, n), dtype=np.int64)
    x[0] = rng.integers(1, 4, n)
    for t in range(1, length):
        space = (x[t - 1] > 0) & (rng.random(n) < 0.5)
        x[t] = np.where(space, 0, rng.integers(1, 4, n))
    labels = np.zeros((length, n), dtype=np.int64)
    labels[:-1] = (x[:-1] > 0) & (x[1:] == 0)
    mask = np.zeros((length, n), dtype=bool)
    mask[:-1] = x[:-1] > 0
    return x, labels, mask


class Tagger(nn.Module):
    """Embedding -> GRU (one direction or both) -> Linear: two scores per position.

    Bidirectional, the GRU runs forwards and backwards over the sequence and the head reads
    both states at each position, [h_fwd_t, h_bwd_t] (2H numbers): the backward one has
    read everything *after* t.
    """

    def __init__(self, bidirectional: bool, hidden_size: int = 16, embed_size: int = 8):
        super().__init__()
        self.embed = nn.Embedding(len(TAG_CHARS), embed_size)
        self.gru = nn.GRU(embed_size, hidden_size, bidirectional=bidirectional)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), 2)

    def forward(self, x):
        return self.head(self.gru(self.embed(x))[0])  # (T, B, 2)


@dataclass
class TaggerResult:
    """A trained tagger and its accuracy on the scored positions of fresh test sequences."""

    bidirectional: bool
    seed: int
    model: Tagger
    history: History
    accuracy: float


def _tag_accuracy(model: Tagger, x, labels, mask) -> float:
    with torch.no_grad():
        guess = model(x).argmax(-1)
    return float((guess == labels)[mask].float().mean())


def train_tagger(bidirectional: bool, seed: int = 0, *, steps: int = 30, lr: float = 0.05,
                 batch: int = 64, n_train: int = 2000, n_test: int = 500, length: int = 16,
                 progress: bool = False) -> TaggerResult:
    """Train a :class:`Tagger` on :func:`word_end_task` (data, weights and batches from
    ``seed``) and measure its accuracy on ``n_test`` new sequences."""
    x, y, m = (torch.as_tensor(a) for a in word_end_task(n_train, length, seed))
    xt, yt, mt = (torch.as_tensor(a) for a in word_end_task(n_test, length, seed + 1000))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Tagger(bidirectional)
    generator = torch.Generator().manual_seed(seed)

    def batches():
        while True:
            yield torch.randint(0, n_train, (batch,), generator=generator)

    def loss_fn(model, idx):
        scores, keep = model(x[:, idx]), m[:, idx]
        return nn.functional.cross_entropy(scores[keep], y[:, idx][keep])

    history = train_torch(model, loss_fn, batches(), steps=steps, lr=lr, progress=progress,
                          desc=f"{'bidirectional' if bidirectional else 'unidirectional'} GRU")
    return TaggerResult(bidirectional, seed, model, history, _tag_accuracy(model, xt, yt, mt))


def future_influence(model: Tagger, seed: int = 0, cut: int = 7, length: int = 16) -> float:
    """How much a tagger's scores at positions 0 … ``cut`` move when the future changes.

    One sequence of :func:`word_end_task` (from ``seed``) is compared with a copy in which,
    after position ``cut``, every space becomes an "a" and every letter a space (so the
    changed part may hold double spaces, which the task never produces: any change would
    do here). Returns the largest absolute change of the scores at positions 0 … cut:
    exactly 0 for a unidirectional RNN, which has not read anything after ``cut`` there.
    """
    x_a = word_end_task(1, length, seed)[0]
    x_b = x_a.copy()
    x_b[cut + 1:] = np.where(x_a[cut + 1:] == 0, 1, 0)
    with torch.no_grad():
        a, b = model(torch.as_tensor(x_a)), model(torch.as_tensor(x_b))
    return float((a[: cut + 1] - b[: cut + 1]).abs().max())
