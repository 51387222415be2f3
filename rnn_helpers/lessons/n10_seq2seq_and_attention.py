"""What notebook 10 computes: encoder–decoder GRUs that reverse strings, with and without
attention.

Both models read a string with the same encoder and write it backwards with the same
decoder; they differ in one thing only, what the decoder may look at:

- **plain** (in the style of Sutskever et al. 2014 and Cho et al. 2014, with Bahdanau et
  al. 2015's bidirectional encoder): the encoder's final state starts the decoder, and that
  one fixed-size vector is all the decoder ever learns about the input;
- **attention** (Bahdanau et al. 2015; the form here is Luong et al. 2015's): at every
  output step the decoder state asks a query and takes a weighted average of *all* the
  encoder's states, the weights from :func:`torch_attention`, the same dot-product
  attention as :func:`rnn_helpers.attention.dot_product_attention`, in torch.

Shapes are time-major like the rest of the course: ids (T, B), states (T, B, H); the
attention weights are (B, T_out, T_in) as in the NumPy function.

- :func:`reversal_task`, :func:`training_tensors`: the data (seeded, cached);
- :class:`Seq2Seq`, :func:`make_seq2seq`: the models;
- :func:`train_seq2seq`: teacher forcing with the course's torch loop;
- :func:`greedy_decode`, :func:`length_accuracy`: greedy decoding and the accuracy
  against input length;
- :func:`train_model` (cached per kind and seed), :func:`spread_table`: the experiment;
- :func:`attention_example`: one validation string for the "output step" view;
- :func:`forced_attention_weights`, :func:`diagonal_share`: where the attention model looks.

Every function takes its seeds explicitly; the notebook passes ``rnn_helpers.SEED``-derived
values, the tests pass 0 … 9.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnn_helpers.data.reversal import (
    FIRST_LETTER_ID,
    GO_ID,
    PAD_ID,
    ReversalData,
    decode_ids,
    encode_strings,
    reversal_batch,
    reversal_strings,
)
from rnn_helpers.train import History, shuffled_batches, train_torch
from rnn_helpers.validate import check_choice, check_int

__all__ = [
    "KINDS",
    "SETUP",
    "LENGTH_GROUPS",
    "reversal_task",
    "TrainingTensors",
    "training_tensors",
    "torch_attention",
    "Seq2Seq",
    "make_seq2seq",
    "train_seq2seq",
    "greedy_decode",
    "LengthAccuracy",
    "length_accuracy",
    "forced_step_accuracy",
    "RunResult",
    "train_model",
    "group_accuracy",
    "spread_table",
    "AttentionExample",
    "attention_example",
    "forced_attention_weights",
    "diagonal_share",
]

KINDS = ("plain", "attention")

# The experiment, the same for both models. Measured on the course's 2-core machine: one
# training run takes a second or two and ends with the attention model writing long
# strings mostly right while the plain one fails on them (tests/test_n10_seed_spread.py).
SETUP = {
    "min_len": 4,  # string lengths 4 ... 12
    "max_len": 12,
    "n_train": 12_000,  # distinct training strings (most are seen once)
    "n_val": 900,  # validation strings, 100 of every length
    "embed_size": 16,  # letter embeddings
    "hidden_size": 64,  # decoder state; the encoder has 32 units in each direction
    "steps": 80,  # Adam updates on batches of 96, lr 0.02, gradient norm clipped at 1
    "batch_size": 96,
    "lr": 2e-2,
    "clip": ("norm", 1.0),
}

# Lengths grouped for the seed-spread table: short, middle, long.
LENGTH_GROUPS = {"short (4-6)": (4, 6), "middle (7-9)": (7, 9), "long (10-12)": (10, 12)}


# --------------------------------------------------------------------------- data


@functools.lru_cache(maxsize=4)
def reversal_task(seed: int = 0) -> ReversalData:
    """The notebook's strings (:func:`rnn_helpers.data.reversal.reversal_strings` with
    SETUP's sizes), cached per seed."""
    return reversal_strings(SETUP["n_train"], SETUP["n_val"], min_len=SETUP["min_len"],
                            max_len=SETUP["max_len"], seed=seed)


@dataclass
class TrainingTensors:
    """Every training string encoded once: torch int64 (T, N) ids and (N,) lengths."""

    src: torch.Tensor
    lengths: torch.Tensor
    tgt: torch.Tensor
    tgt_in: torch.Tensor

    def batch(self, idx) -> tuple[torch.Tensor, ...]:
        """Columns ``idx``, cut to the longest string among them: (src, lengths, tgt, tgt_in)."""
        idx = torch.as_tensor(idx)
        lengths = self.lengths[idx]
        T = int(lengths.max())
        return self.src[:T, idx], lengths, self.tgt[:T, idx], self.tgt_in[:T, idx]


@functools.lru_cache(maxsize=4)
def training_tensors(seed: int = 0) -> TrainingTensors:
    """:func:`reversal_task`'s training strings as padded tensors (cached per seed)."""
    task = reversal_task(seed)
    b = reversal_batch(task.train, task.alphabet)
    return TrainingTensors(*(torch.from_numpy(a) for a in (b.src, b.lengths, b.tgt, b.tgt_in)))


# --------------------------------------------------------------------------- the models


def torch_attention(q, k, v, mask=None):
    """Dot-product attention in torch, the same contract as the NumPy
    :func:`rnn_helpers.attention.dot_product_attention` (checked against it in the tests).

    Args:
        q: (B, Tq, d); k: (B, Tk, d); v: (B, Tk, dv) tensors.
        mask: None or a boolean tensor broadcastable to (B, Tq, Tk), True = the key takes
            part. The caller makes sure every query keeps a key (padding never hides a
            whole string: every string has length >= 1).

    Returns:
        out (B, Tq, dv) and weights (B, Tq, Tk) = softmax(q kᵀ / √d) over the keys.
    """
    scores = q @ k.transpose(1, 2) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


class Seq2Seq(nn.Module):
    """An encoder–decoder of GRUs that writes a string of letter ids backwards.

    Encoder: Embedding(V, E) -> bidirectional GRU with H/2 units per direction, over the
    padded source (packed, so padding is never read): states h_i (T_in, B, H).
    Decoder: Embedding(V, E) -> GRU(E, H), started from the encoder's final state (the
    forward direction's last real state beside the backward direction's, which has read
    the whole string from its end), reading ``<go>`` and then the previous letter.

    - plain: logits_t = W_out tanh(W_c s_t), from the decoder state s_t alone;
    - attention: q_t = W_q s_t asks, k_i = W_k h_i answer, the context c_t is the
      attention-weighted average of the encoder states h_i (padding masked), and
      logits_t = W_out tanh(W_c [c_t; s_t]).

    Args:
        vocab_size: ids, ``<pad>`` = 0 and ``<go>`` = 1 included.
        attention: False for the plain model, True for the attention model.
        embed_size, hidden_size: E and H (H even).
    """

    def __init__(self, vocab_size: int, attention: bool, embed_size: int = 16,
                 hidden_size: int = 64):
        super().__init__()
        if hidden_size % 2:
            raise ValueError(f"hidden_size: expected an even number (half per encoder "
                             f"direction), got {hidden_size}")
        self.attention = attention
        self.kind = "attention" if attention else "plain"
        self.hidden_size = H = hidden_size
        self.src_embedding = nn.Embedding(vocab_size, embed_size, padding_idx=PAD_ID)
        self.encoder = nn.GRU(embed_size, H // 2, bidirectional=True)
        self.tgt_embedding = nn.Embedding(vocab_size, embed_size, padding_idx=PAD_ID)
        self.decoder = nn.GRU(embed_size, H)
        if attention:
            self.query = nn.Linear(H, H, bias=False)
            self.key = nn.Linear(H, H, bias=False)
        self.combine = nn.Linear(2 * H if attention else H, H)
        self.out = nn.Linear(H, vocab_size)

    def encode(self, src, lengths):
        """Source ids (T_in, B) -> encoder states (T_in, B, H) (zeros at padding) and the
        decoder's initial state (1, B, H)."""
        packed = pack_padded_sequence(self.src_embedding(src), lengths.cpu(),
                                      enforce_sorted=False)
        states, final = self.encoder(packed)  # final: (2, B, H/2), forward and backward
        states, _ = pad_packed_sequence(states, total_length=src.shape[0])
        return states, torch.cat([final[0], final[1]], dim=-1)[None]

    def head(self, s, states, lengths):
        """Decoder states s (T_out, B, H) -> logits (T_out, B, V) and the attention
        weights (B, T_out, T_in) (None for the plain model)."""
        if not self.attention:
            return self.out(torch.tanh(self.combine(s))), None
        q = self.query(s).transpose(0, 1)  # (B, T_out, H)
        h = states.transpose(0, 1)  # (B, T_in, H)
        keep = torch.arange(h.shape[1])[None, None, :] < lengths[:, None, None]  # (B, 1, T_in)
        context, weights = torch_attention(q, self.key(h), h, keep)
        mixed = torch.tanh(self.combine(torch.cat([context, s.transpose(0, 1)], dim=-1)))
        return self.out(mixed).transpose(0, 1), weights

    def forward(self, src, lengths, tgt_in):
        """Teacher forcing: logits (T_out, B, V) for decoder inputs tgt_in (T_out, B)."""
        states, s0 = self.encode(src, lengths)
        s, _ = self.decoder(self.tgt_embedding(tgt_in), s0)
        return self.head(s, states, lengths)[0]


def make_seq2seq(kind: str, vocab_size: int, seed: int = 0, **sizes) -> Seq2Seq:
    """A :class:`Seq2Seq` ("plain" or "attention") whose initial weights depend only on
    ``seed``: torch's global generator is seeded just for the construction, then put back
    as it was. The two kinds built with one seed start with the same embeddings, encoder and
    decoder (they are created first); their heads differ (W_c has another shape, and W_q,
    W_k are drawn before W_c and W_out in the attention model)."""
    kind = check_choice("kind", kind, KINDS)
    seed = check_int("seed", seed, 0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Seq2Seq(vocab_size, kind == "attention",
                        embed_size=sizes.get("embed_size", SETUP["embed_size"]),
                        hidden_size=sizes.get("hidden_size", SETUP["hidden_size"]))
    return model


# --------------------------------------------------------------------------- training


def _loss(model: Seq2Seq, batch) -> torch.Tensor:
    src, lengths, tgt, tgt_in = batch
    logits = model(src, lengths, tgt_in)
    # Mean cross-entropy over the real letters only: padded target steps are ignored.
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1),
                                       ignore_index=PAD_ID)


def train_seq2seq(model: Seq2Seq, data: TrainingTensors, *, steps: int | None = None,
                  batch_size: int | None = None, lr: float | None = None, seed: int = 0,
                  progress: bool = True) -> History:
    """Train ``model`` in place with teacher forcing (Adam, gradient norm clipped at 1).

    Each step reads ``batch_size`` training strings (shuffled epochs from ``seed``) padded
    to the longest among them; the decoder reads ``<go>`` and then the *true* previous
    letter (teacher forcing, notebook 05), and the loss is the mean cross-entropy of the
    real letters. ``steps``, ``batch_size`` and ``lr`` default to SETUP's. Returns the
    :class:`rnn_helpers.train.History` (with a tqdm bar).
    """
    steps = SETUP["steps"] if steps is None else steps
    batch_size = SETUP["batch_size"] if batch_size is None else batch_size
    lr = SETUP["lr"] if lr is None else lr
    batches = (data.batch(idx) for idx in
               shuffled_batches(data.src.shape[1], batch_size, seed))
    return train_torch(model, _loss, batches, steps=steps, lr=lr, clip=SETUP["clip"],
                       progress=progress, desc=f"training {model.kind}")


# --------------------------------------------------------------------------- decoding


@torch.no_grad()
def greedy_decode(model: Seq2Seq, src, lengths, steps: int):
    """Write ``steps`` letters greedily: at each step feed back the most likely letter.

    Args:
        model: a trained :class:`Seq2Seq`.
        src: (T_in, B) int64 source ids, padded with 0; lengths: (B,) int64.
        steps: how many letters to write (a reversal has as many letters as its input).

    Returns:
        ids: (steps, B) int64 NumPy array, the letters written;
        weights: (B, steps, T_in) NumPy array of the attention weights at every step
        (None for the plain model).
    """
    steps = check_int("steps", steps)
    src, lengths = torch.as_tensor(src), torch.as_tensor(lengths)
    model.eval()
    states, s = model.encode(src, lengths)
    token = torch.full((src.shape[1],), GO_ID, dtype=torch.long)
    written, weights = [], []
    for _ in range(steps):
        out, s = model.decoder(model.tgt_embedding(token)[None], s)
        logits, w = model.head(out, states, lengths)
        # Greedy: the most likely letter (no sampling); <pad> and <go> are never written.
        token = logits[0, :, FIRST_LETTER_ID:].argmax(dim=-1) + FIRST_LETTER_ID
        written.append(token)
        if w is not None:
            weights.append(w[:, 0])
    ids = torch.stack(written).numpy()
    return ids, (torch.stack(weights, dim=1).numpy() if weights else None)


@dataclass
class LengthAccuracy:
    """Greedy-decoding accuracy per input length.

    Attributes:
        lengths: (n,) the input lengths.
        per_letter: (n,) the share of letters written right, over the strings of each length.
        exact: (n,) the share of strings written entirely right.
        count: (n,) how many strings of each length were decoded.
        by_step: (L,) for the longest strings (length L): the share of letters right at
            each output step t = 0 ... L-1, decoding greedily. Step t writes input letter
            L-1-t: step 0 the letter read last, step L-1 the letter read first.
        by_step_forced: (L,) the same with teacher forcing: the decoder reads the true
            previous letters, so a mistake is never fed back.
    """

    lengths: np.ndarray
    per_letter: np.ndarray
    exact: np.ndarray
    count: np.ndarray
    by_step: np.ndarray
    by_step_forced: np.ndarray

    def at(self, lo: int, hi: int, measure: str = "per_letter") -> float:
        """The mean of ``measure`` over lengths lo ... hi (each length weighted equally)."""
        values = getattr(self, measure)
        keep = (self.lengths >= lo) & (self.lengths <= hi)
        return float(values[keep].mean())


@torch.no_grad()
def forced_step_accuracy(model: Seq2Seq, strings, alphabet: str) -> np.ndarray:
    """(T,) the share of letters right at each output step with teacher forcing (the
    decoder reads the true previous letter), over ``strings`` of one length T."""
    if len({len(s) for s in strings}) != 1:
        raise ValueError("strings: expected strings of one length, got lengths "
                         f"{sorted({len(s) for s in strings})}")
    b = reversal_batch(strings, alphabet)
    model.eval()
    logits = model(*(torch.from_numpy(a) for a in (b.src, b.lengths, b.tgt_in)))
    best = logits[:, :, FIRST_LETTER_ID:].argmax(dim=-1).numpy() + FIRST_LETTER_ID
    return (best == b.tgt).mean(axis=1)


def length_accuracy(model: Seq2Seq, strings, alphabet: str) -> LengthAccuracy:
    """Decode ``strings`` greedily in one padded batch and score them by input length;
    for the longest strings also by output step, greedily and with teacher forcing."""
    src, lengths = encode_strings(strings, alphabet)
    target, _ = encode_strings([s[::-1] for s in strings], alphabet)
    written, _ = greedy_decode(model, src, lengths, src.shape[0])
    real = np.arange(src.shape[0])[:, None] < lengths[None, :]  # (T, B): real letters
    right = (written == target) & real
    per_string = right.sum(axis=0) / lengths
    exact = right.sum(axis=0) == lengths
    levels = np.unique(lengths)
    longest = lengths == levels[-1]
    return LengthAccuracy(
        lengths=levels,
        per_letter=np.array([per_string[lengths == n].mean() for n in levels]),
        exact=np.array([exact[lengths == n].mean() for n in levels]),
        count=np.array([int((lengths == n).sum()) for n in levels]),
        by_step=right[: levels[-1], longest].mean(axis=1),
        by_step_forced=forced_step_accuracy(
            model, [s for s, n in zip(strings, lengths, strict=True) if n == levels[-1]],
            alphabet),
    )


# --------------------------------------------------------------------------- the experiment


@dataclass
class RunResult:
    """One trained model and what it scored on the validation strings."""

    kind: str
    seed: int
    model: Seq2Seq
    history: History
    accuracy: LengthAccuracy


@functools.lru_cache(maxsize=24)
def train_model(kind: str, seed: int, data_seed: int | None = None, progress: bool = True,
                hidden_size: int | None = None) -> RunResult:
    """Build (seed ``seed``), train and score one model of SETUP; cached per arguments.

    Args:
        kind: "plain" or "attention".
        seed: the initial weights and the batch order; the two kinds compared in one
            experiment share it.
        data_seed: the strings (default: ``seed``).
        progress: show the tqdm bar.
        hidden_size: the decoder's state size (default SETUP's 64; even).
    """
    data_seed = seed if data_seed is None else data_seed
    task = reversal_task(data_seed)
    sizes = {} if hidden_size is None else {"hidden_size": hidden_size}
    model = make_seq2seq(kind, task.vocab_size, seed, **sizes)
    history = train_seq2seq(model, training_tensors(data_seed), seed=seed, progress=progress)
    return RunResult(kind, seed, model, history, length_accuracy(model, task.val, task.alphabet))


def group_accuracy(result: RunResult, measure: str = "per_letter") -> dict[str, float]:
    """{length group: mean accuracy} over :data:`LENGTH_GROUPS`."""
    return {name: result.accuracy.at(lo, hi, measure) for name, (lo, hi) in LENGTH_GROUPS.items()}


def spread_table(results: dict[str, list[RunResult]], measure: str = "per_letter") -> str:
    """A Markdown table: per length group and kind, the mean and the range over seeds."""
    seeds = sorted({r.seed for runs in results.values() for r in runs})
    label = "letters right" if measure == "per_letter" else "strings entirely right"
    lines = ["| input length | " + " | ".join(f"{kind}: {label} (mean, min–max over "
                                               f"{len(results[kind])} seeds)"
                                               for kind in results) + " |",
             "|---|" + "---:|" * len(results)]
    for name in LENGTH_GROUPS:
        cells = []
        for runs in results.values():
            values = np.array([group_accuracy(r, measure)[name] for r in runs])
            cells.append(f"{100 * values.mean():.0f}% ({100 * values.min():.0f}–"
                         f"{100 * values.max():.0f}%)")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append(f"\nseeds {', '.join(map(str, seeds))}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- the view's data


@dataclass
class AttentionExample:
    """One validation string through the attention model, for the "output step" view.

    Attributes:
        source: the input string (length L).
        target: the string reversed (what should be written).
        written: what the model wrote greedily (L letters).
        weights: (L, L) attention weights: row t = output step t, column i = input letter i.
    """

    source: str
    target: str
    written: str
    weights: np.ndarray

    @property
    def correct(self) -> np.ndarray:
        """(L,) True where the letter written at step t is right."""
        return np.array([a == b for a, b in zip(self.written, self.target, strict=True)])


def attention_example(model: Seq2Seq, source: str, alphabet: str) -> AttentionExample:
    """Decode ``source`` greedily with an attention model and keep its attention weights."""
    if not model.attention:
        raise ValueError("model: expected an attention model (kind 'attention'), got a "
                         "plain one, which has no attention weights")
    src, lengths = encode_strings([source], alphabet)
    ids, weights = greedy_decode(model, src, lengths, len(source))
    written = decode_ids(ids[:, 0], alphabet)
    return AttentionExample(source, source[::-1], written, weights[0])


@torch.no_grad()
def forced_attention_weights(model: Seq2Seq, strings, alphabet: str) -> np.ndarray:
    """(B, T_out, T_in) attention weights with teacher forcing: the decoder reads the true
    previous letters, so the weights show where the model looks when it has made no mistake."""
    if not model.attention:
        raise ValueError("model: expected an attention model (kind 'attention'), got a "
                         "plain one, which has no attention weights")
    b = reversal_batch(strings, alphabet)
    src, lengths, tgt_in = (torch.from_numpy(a) for a in (b.src, b.lengths, b.tgt_in))
    model.eval()
    states, s0 = model.encode(src, lengths)
    s, _ = model.decoder(model.tgt_embedding(tgt_in), s0)
    return model.head(s, states, lengths)[1].numpy()


def diagonal_share(model: Seq2Seq, strings, alphabet: str,
                   forced: bool = False) -> tuple[float, float]:
    """How closely an attention model's weights follow the reversal's anti-diagonal.

    Runs ``strings`` through the model, greedily (default: the weights mix attention with
    the effect of the model's own fed-back mistakes) or with teacher forcing (``forced``:
    the true previous letters); over every output step t of every string (length L):

    Returns:
        share: the fraction of steps whose largest weight is on input position L-1-t, the
            letter a reversal copies there;
        mass: the mean weight on that position.
    """
    if not model.attention:
        raise ValueError("model: expected an attention model (kind 'attention'), got a "
                         "plain one, which has no attention weights")
    src, lengths = encode_strings(strings, alphabet)
    if forced:
        weights = forced_attention_weights(model, strings, alphabet)
    else:
        _, weights = greedy_decode(model, src, lengths, src.shape[0])
    hits, mass = [], []
    for b, n in enumerate(lengths):
        steps = np.arange(n)
        copied = n - 1 - steps  # the input position output step t copies
        row = weights[b, :n]
        hits.append(row.argmax(axis=1) == copied)
        mass.append(row[steps, copied])
    return float(np.concatenate(hits).mean()), float(np.concatenate(mass).mean())
