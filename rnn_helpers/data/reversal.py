"""Strings to reverse: the sequence-to-sequence task of notebook 10, generated on the spot.

The input is a string of lower-case letters, "hello", the target the same letters
backwards, "olleh". The *first* letter to write is the *last* one read, and the last
letter to write is the very first one read: an encoder–decoder that passes one
fixed-size state from the encoder to the decoder must carry the whole string in it.

Conventions as in :mod:`rnn_helpers.data`: token ids are int64, time-major (T, B) and
padded with 0 after each string's end, with the true ``lengths`` (B,) beside them.

Ids: 0 = ``<pad>``, 1 = ``<go>`` (the decoder's first input), 2 ... = the letters.

- :func:`reversal_strings`: distinct random strings, split into training and validation
  strings by sequence (no string is in both), seeded;
- :func:`encode_strings` / :func:`decode_ids`: strings to padded ids and back;
- :func:`reversal_batch`: a batch ready for teacher forcing: the source ids, their
  lengths, the target ids (the reversed strings) and the decoder's inputs (``<go>``
  followed by the target shifted one step right).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rnn_helpers.validate import check_int

__all__ = [
    "ALPHABET",
    "PAD_ID",
    "GO_ID",
    "FIRST_LETTER_ID",
    "ReversalData",
    "ReversalBatch",
    "reversal_strings",
    "encode_strings",
    "decode_ids",
    "reversal_batch",
]

ALPHABET = "abcdefghijklmnopqrstuvwxyz"
PAD_ID = 0
GO_ID = 1
FIRST_LETTER_ID = 2


def _check_alphabet(alphabet) -> str:
    if not isinstance(alphabet, str) or len(alphabet) < 2 or len(set(alphabet)) != len(alphabet):
        raise ValueError(f"alphabet: expected a string of at least 2 distinct characters, "
                         f"got {alphabet!r}")
    return alphabet


@dataclass
class ReversalData:
    """Training and validation strings of the reversal task.

    Attributes:
        train: the training strings.
        val: the validation strings, none of them in ``train``; the same number of strings
            of every length min_len ... max_len (as far as ``n_val`` divides), so that
            accuracy can be compared length by length.
        alphabet: the letters used; letter ``alphabet[i]`` has id i + 2.
        min_len, max_len: the range of string lengths.
    """

    train: list[str]
    val: list[str]
    alphabet: str
    min_len: int
    max_len: int

    @property
    def vocab_size(self) -> int:
        """Number of ids: ``<pad>``, ``<go>`` and the letters."""
        return len(self.alphabet) + FIRST_LETTER_ID


def reversal_strings(n_train: int = 20_000, n_val: int = 1040, *, min_len: int = 4,
                     max_len: int = 16, alphabet: str = ALPHABET,
                     seed: int = 0) -> ReversalData:
    """Distinct random strings to reverse, split into training and validation strings.

    Letters are drawn uniformly and independently. Validation strings have every length
    min_len ... max_len equally often (lengths cycle); training lengths are uniform at
    random. All strings are distinct, so the split is by sequence: the model is judged on
    strings it never trained on.

    Args:
        n_train, n_val: how many strings of each kind (>= 1).
        min_len, max_len: the string lengths, 1 <= min_len <= max_len.
        alphabet: the letters (distinct characters).
        seed: the random seed; the same seed gives the same strings.

    Returns:
        a :class:`ReversalData`.
    """
    n_train = check_int("n_train", n_train, 1)
    n_val = check_int("n_val", n_val, 1)
    min_len = check_int("min_len", min_len, 1)
    max_len = check_int("max_len", max_len, min_len)
    alphabet = _check_alphabet(alphabet)
    n_lengths = max_len - min_len + 1
    possible = sum(len(alphabet) ** n for n in range(min_len, max_len + 1))
    if n_train + n_val > possible // 2:
        raise ValueError(f"n_train + n_val: expected at most half of the {possible} distinct "
                         f"strings of length {min_len}..{max_len}, got {n_train + n_val}")
    rng = np.random.default_rng(seed)
    letters = np.array(list(alphabet))
    seen: set[str] = set()

    def draw(lengths) -> list[str]:
        lengths = [int(n) for n in lengths]
        rows = letters[rng.integers(0, len(alphabet), size=(len(lengths), max_len))].tolist()
        out = []
        for n, row in zip(lengths, rows, strict=True):
            s = "".join(row[:n])
            while s in seen:  # redraw the rare duplicate: every string appears once
                s = "".join(letters[rng.integers(0, len(alphabet), size=n)].tolist())
            seen.add(s)
            out.append(s)
        return out

    val = draw(min_len + np.arange(n_val) % n_lengths)
    train = draw(rng.integers(min_len, max_len + 1, size=n_train))
    return ReversalData(train=train, val=val, alphabet=alphabet, min_len=min_len,
                        max_len=max_len)


def encode_strings(strings: Sequence[str],
                   alphabet: str = ALPHABET) -> tuple[np.ndarray, np.ndarray]:
    """Strings -> padded ids (T, B) int64 (0 after each string's end) and lengths (B,).

    T is the longest string's length. A character not in ``alphabet`` is a ValueError.
    """
    alphabet = _check_alphabet(alphabet)
    if isinstance(strings, str):
        raise ValueError(f"strings: expected a list of strings, got the single string "
                         f"{strings!r}")
    strings = list(strings)
    for n, s in enumerate(strings):
        if not isinstance(s, str) or not s:
            raise ValueError(f"strings[{n}]: expected a non-empty string, got {s!r}")
    if not strings:
        raise ValueError("strings: expected at least one string, got none")
    lengths = np.array([len(s) for s in strings], dtype=np.int64)
    # All characters at once, as code points, looked up in the sorted alphabet.
    codes = np.frombuffer("".join(strings).encode("utf-32-le"), dtype=np.uint32)
    letters = np.array([ord(ch) for ch in alphabet], dtype=np.uint32)
    order = np.argsort(letters)
    where = np.minimum(np.searchsorted(letters[order], codes), len(alphabet) - 1)
    known = letters[order][where] == codes
    if not known.all():
        n = int(np.searchsorted(np.cumsum(lengths), np.argmin(known), side="right"))
        unknown = "".join(sorted(set(strings[n]) - set(alphabet)))
        raise ValueError(f"strings[{n}]: expected letters of the alphabet {alphabet!r}, "
                         f"got {strings[n]!r} with {unknown!r}")
    ids = np.full((len(strings), int(lengths.max())), PAD_ID, dtype=np.int64)
    ids[np.arange(ids.shape[1])[None, :] < lengths[:, None]] = order[where] + FIRST_LETTER_ID
    return ids.T.copy(), lengths


def decode_ids(ids, alphabet: str = ALPHABET) -> str:
    """Ids (a 1-D sequence) -> the string of their letters; ``<pad>`` ends it, ``<go>``
    shows as '^', an id outside the vocabulary as '?'."""
    alphabet = _check_alphabet(alphabet)
    out = []
    for i in np.asarray(ids, dtype=np.int64).reshape(-1):
        if i == PAD_ID:
            break
        if i == GO_ID:
            out.append("^")
        elif FIRST_LETTER_ID <= i < FIRST_LETTER_ID + len(alphabet):
            out.append(alphabet[i - FIRST_LETTER_ID])
        else:
            out.append("?")
    return "".join(out)


@dataclass
class ReversalBatch:
    """A padded batch for teacher forcing (all int64 NumPy arrays, time-major).

    Attributes:
        src: (T, B) the strings' ids, padded with 0.
        lengths: (B,) the strings' lengths.
        tgt: (T, B) the reversed strings' ids (what the decoder must write), padded with 0.
        tgt_in: (T, B) what the decoder reads with teacher forcing: ``<go>`` at step 0,
            then the true previous letter ``tgt[t - 1]``.
    """

    src: np.ndarray
    lengths: np.ndarray
    tgt: np.ndarray
    tgt_in: np.ndarray


def reversal_batch(strings: Sequence[str], alphabet: str = ALPHABET) -> ReversalBatch:
    """Source, lengths, reversed target and teacher-forced decoder inputs of ``strings``."""
    src, lengths = encode_strings(strings, alphabet)
    tgt, _ = encode_strings([s[::-1] for s in strings], alphabet)
    tgt_in = np.concatenate([np.full((1, tgt.shape[1]), GO_ID, dtype=np.int64), tgt[:-1]])
    return ReversalBatch(src=src, lengths=lengths, tgt=tgt, tgt_in=tgt_in)
