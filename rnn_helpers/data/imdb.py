"""A real sentiment data set, downloaded only when asked: the IMDb movie reviews.

The course runs offline on generated data (:mod:`rnn_helpers.data`). This module is the
opt-in exception: :func:`fetch_imdb` downloads the Large Movie Review Dataset (Maas et al.,
2011; 50,000 reviews labelled positive/negative, about 84 MB) from Stanford, with a
progress bar, into a cache folder, and checks its SHA-256 before using it. Nothing here
touches the network unless a function is called with ``download=True`` (or
:func:`download_file` itself).

A failed download (offline machine, refused connection, HTTP error) raises
:class:`DownloadFailedError`; a file whose checksum or size is wrong raises
:class:`ChecksumMismatchError` (and is deleted). Both are :class:`DatasetUnavailableError`
with a one-line message meant to be printed as it is.

Loading: :func:`read_imdb_archive` reads the archive's ``aclImdb/{train,test}/{pos,neg}/
*.txt`` files straight from the ``.tar.gz`` (no extraction), :func:`tokenize` splits a
review into lowercase words, :func:`build_vocabulary` keeps the most frequent ones, and
:func:`encode_reviews` pads them into time-major id arrays like
:meth:`rnn_helpers.data.ReviewCorpus.batch`. :func:`load_imdb` does all of it.

The cache folder is ``~/.cache/rnn_course`` unless the environment variable
``RNN_COURSE_CACHE`` or a ``cache_dir=`` argument says otherwise.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import socket
import tarfile
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from rnn_helpers.data import Vocabulary, pad_sequences

__all__ = [
    "IMDB_URL",
    "IMDB_FILENAME",
    "IMDB_SIZE",
    "IMDB_SHA256",
    "CACHE_ENV",
    "DatasetUnavailableError",
    "DownloadFailedError",
    "ChecksumMismatchError",
    "default_cache_dir",
    "sha256_of",
    "download_file",
    "fetch_imdb",
    "read_imdb_archive",
    "tokenize",
    "build_vocabulary",
    "encode_reviews",
    "ImdbData",
    "load_imdb",
]

IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
IMDB_FILENAME = "aclImdb_v1.tar.gz"
# The archive's published size and SHA-256, as recorded independently by several projects
# that download it (e.g. the Hugging Face "imdb" data set card lists both numbers, Julia's
# MLDatasets and others the same hash; torchtext records its MD5 7c2ac02c...c153a). We
# could not download the file while writing this (no network), so they are to be
# confirmed on the first online download: fetch_imdb(sha256=None) skips the check and
# prints the hash it computed.
IMDB_SIZE = 84_125_825
IMDB_SHA256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"
CACHE_ENV = "RNN_COURSE_CACHE"

_CHUNK = 1 << 16
# What a failed connection or read raises (URLError covers refused connections, unknown
# hosts and missing file:// paths; ValueError an unusable URL).
_NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError,
                   TimeoutError, socket.timeout, ValueError)  # fmt: skip


class DatasetUnavailableError(RuntimeError):
    """The data set could not be provided; ``str(err)`` is a one-line explanation."""


class DownloadFailedError(DatasetUnavailableError):
    """The download did not happen: no network, connection refused, HTTP error, timeout."""


class ChecksumMismatchError(DatasetUnavailableError):
    """The downloaded (or cached) file is not the expected one: wrong SHA-256 or size."""


def default_cache_dir() -> Path:
    """``$RNN_COURSE_CACHE`` if set, else ``~/.cache/rnn_course``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "rnn_course"


def sha256_of(path) -> str:
    """The SHA-256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _reason(err: BaseException) -> str:
    """A short human reason for a failed urlopen/read."""
    if isinstance(err, urllib.error.HTTPError):
        return f"the server answered HTTP {err.code} {err.reason}"
    inner = err.reason if isinstance(err, urllib.error.URLError) else err
    if isinstance(inner, ConnectionRefusedError):
        return "connection refused"
    if isinstance(inner, socket.gaierror):
        return "the host name could not be resolved"
    if isinstance(inner, TimeoutError | socket.timeout):
        return "the connection timed out"
    text = str(inner).strip().splitlines()[0] if str(inner).strip() else type(inner).__name__
    return text


def download_file(
    url: str,
    dest,
    *,
    sha256: str | None = None,
    size: int | None = None,
    progress: bool = True,
    timeout: float = 30.0,
) -> Path:
    """Download ``url`` to ``dest`` with a progress bar, then check its size and SHA-256.

    The bytes go to ``dest`` + ".part" first and are renamed to ``dest`` only after the
    checks pass, so an interrupted or wrong download never looks like a cached file.

    Args:
        url: an http(s):// or file:// URL.
        dest: the file to write (its folder is created).
        sha256: expected SHA-256 hex digest; None skips the check.
        size: expected size in bytes; None skips the check.
        progress: show a tqdm bar (bytes).
        timeout: seconds to wait for the server before giving up.

    Returns:
        ``dest`` as a Path.

    Raises:
        DownloadFailedError: the URL could not be read (offline, refused, HTTP error...).
        ChecksumMismatchError: wrong size or SHA-256 (the download is deleted).
    """
    dest = Path(dest)
    name = dest.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")

    def failed(err: BaseException) -> DownloadFailedError:
        part.unlink(missing_ok=True)
        return DownloadFailedError(
            f"Could not download {name} from {url} ({_reason(err)}): is this machine "
            "offline? The course runs without it."
        )

    try:
        response = urllib.request.urlopen(url, timeout=timeout)
    except _NETWORK_ERRORS as err:
        raise failed(err) from None
    digest = hashlib.sha256()
    received = 0
    length = response.headers.get("Content-Length")
    total = int(length) if length and length.isdigit() else size
    bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=name,
               disable=not progress, leave=True)  # fmt: skip
    with response, open(part, "wb") as f, bar:
        while True:
            try:
                chunk = response.read(_CHUNK)
            except _NETWORK_ERRORS as err:
                f.close()
                raise failed(err) from None
            if not chunk:
                break
            f.write(chunk)
            digest.update(chunk)
            received += len(chunk)
            bar.update(len(chunk))
    if size is not None and received != size:
        part.unlink(missing_ok=True)
        raise ChecksumMismatchError(
            f"{name} from {url} has {received:,} bytes, expected {size:,}: the download was "
            "incomplete or the file has changed; it was deleted, try again."
        )
    got = digest.hexdigest()
    if sha256 is not None and got != sha256.lower():
        part.unlink(missing_ok=True)
        raise ChecksumMismatchError(
            f"{name} from {url} failed its checksum (sha256 {got[:12]}…, expected "
            f"{sha256[:12]}…): the download was deleted; try again, or pass sha256=None if "
            "the file has changed upstream."
        )
    os.replace(part, dest)
    return dest


def fetch_imdb(
    cache_dir=None,
    *,
    download: bool = True,
    url: str = IMDB_URL,
    sha256: str | None = IMDB_SHA256,
    size: int | None = IMDB_SIZE,
    progress: bool = True,
) -> Path:
    """The path of the IMDb archive in the cache, downloading it first if needed.

    A cached file is checked against ``sha256`` (about a second for 84 MB); a wrong one is
    deleted and downloaded again.

    Args:
        cache_dir: folder of the cache; None uses :func:`default_cache_dir`.
        download: allow the network; False raises DownloadFailedError when not cached.
        url: where to download from (tests pass a file:// or local http:// URL).
        sha256, size: the expected checksum and size (None skips that check; with
            sha256=None the computed hash is printed so it can be confirmed).
        progress: show a progress bar while downloading.

    Returns:
        Path to ``aclImdb_v1.tar.gz`` (or the URL's file name) in the cache.
    """
    folder = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    dest = folder / (url.rstrip("/").rsplit("/", 1)[-1] or IMDB_FILENAME)
    if dest.exists():
        if sha256 is None or sha256_of(dest) == sha256.lower():
            return dest
        dest.unlink()  # a stale or corrupted copy: fetch it again
    if not download:
        raise DownloadFailedError(
            f"{dest.name} is not in the cache {folder} and downloading is off: set "
            "DOWNLOAD_IMDB = True (needs the internet, about 84 MB)."
        )
    path = download_file(url, dest, sha256=sha256, size=size, progress=progress)
    if sha256 is None:
        print(f"{dest.name}: sha256 {sha256_of(path)} (not checked: sha256=None)")
    return path


# --------------------------------------------------------------------------- loading

_MEMBER = re.compile(r"^(?:\./)?aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")


def read_imdb_archive(
    path, split: str = "train", *, max_per_class: int | None = None, seed: int | None = None
) -> tuple[list[str], np.ndarray]:
    """Read the labelled reviews of one split straight from the ``.tar.gz`` archive.

    The archive holds ``aclImdb/{train,test}/{pos,neg}/<id>_<stars>.txt``, one review per
    file (``train/unsup`` and the other files are skipped). Reviews come out in a fixed
    order: negatives then positives, each by increasing ``<id>``.

    Args:
        path: the archive (``aclImdb_v1.tar.gz`` or one in the same layout).
        split: "train" or "test".
        max_per_class: keep at most this many reviews of each label (None = all).
        seed: which ones. None keeps the first ``max_per_class`` by ``<id>``, which need
            not be representative: the data set holds up to 30 reviews per film, and nothing
            promises that the ids are in a random order, so the first ones may over-represent
            a few films. An int
            keeps a random sample of each label, drawn from that seed and the split
            (still listed by increasing ``<id>``).

    Returns:
        texts: list of N review strings; labels: int64 array (N,), 1 = pos, 0 = neg.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if max_per_class is not None and max_per_class < 1:
        raise ValueError(f"max_per_class must be >= 1 or None, got {max_per_class}")
    if seed is not None and not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int or None, got {type(seed).__name__}")
    found: dict[int, list[tuple[int, str]]] = {0: [], 1: []}
    with tarfile.open(path, "r:*") as archive:
        for member in archive:
            m = _MEMBER.match(member.name)
            if not (member.isfile() and m and m.group(1) == split):
                continue
            label = 1 if m.group(2) == "pos" else 0
            f = archive.extractfile(member)
            text = f.read().decode("utf-8", errors="replace") if f is not None else ""
            found[label].append((int(m.group(3)), text))
    texts: list[str] = []
    labels: list[int] = []
    # One stream per split, so the train and test samples are drawn independently.
    rng = None if seed is None else np.random.default_rng([seed, ("train", "test").index(split)])
    for label in (0, 1):
        reviews = sorted(found[label])
        if rng is not None and max_per_class is not None and max_per_class < len(reviews):
            keep = np.sort(rng.choice(len(reviews), size=max_per_class, replace=False))
            reviews = [reviews[i] for i in keep]
        reviews = reviews[:max_per_class]
        texts += [t for _, t in reviews]
        labels += [label] * len(reviews)
    if not texts:
        raise ValueError(f"{path} holds no aclImdb/{split}/pos or neg *.txt reviews")
    return texts, np.array(labels, dtype=np.int64)


_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokenize(text: str) -> list[str]:
    """Lowercase words of a review: HTML line breaks dropped, "don't" kept whole.

    >>> tokenize("Loved it!<br /><br />Don't miss it.")
    ['loved', 'it', "don't", 'miss', 'it']
    """
    return _WORD.findall(_BREAK.sub(" ", text).lower())


def build_vocabulary(
    token_lists: Iterable[Sequence[str]], *, max_size: int = 10_000, min_count: int = 2
) -> Vocabulary:
    """A :class:`~rnn_helpers.data.Vocabulary` of the most frequent tokens.

    Args:
        token_lists: tokenised reviews (build it on the training split only).
        max_size: at most this many ids in total, ``<pad>`` and ``<unk>`` included (>= 3).
        min_count: drop tokens seen fewer times than this.

    Returns:
        A Vocabulary; ids 2, 3, ... go to tokens by decreasing count, ties alphabetically.
    """
    if max_size < 3:
        raise ValueError(f"max_size must be >= 3 (<pad>, <unk> and one token), got {max_size}")
    counts = Counter(tok for tokens in token_lists for tok in tokens)
    ranked = sorted((t for t, c in counts.items() if c >= min_count),
                    key=lambda t: (-counts[t], t))  # fmt: skip
    ranked = [t for t in ranked if t not in (Vocabulary.PAD, Vocabulary.UNK)]
    return Vocabulary(ranked[: max_size - 2])


def encode_reviews(
    token_lists: Sequence[Sequence[str]], vocab: Vocabulary, *, max_len: int = 200
) -> tuple[np.ndarray, np.ndarray]:
    """Encode and pad tokenised reviews: ids (T, N) time-major, lengths (N,).

    Each review keeps its first ``max_len`` tokens (unknown ones become ``<unk>``); an
    empty review becomes a single ``<unk>`` (a sequence needs length >= 1).
    """
    if max_len < 1:
        raise ValueError(f"max_len must be >= 1, got {max_len}")
    encoded = [vocab.encode(list(tokens[:max_len])) if len(tokens) else
               np.array([vocab.unk_id], dtype=np.int64) for tokens in token_lists]  # fmt: skip
    return pad_sequences(encoded, pad_id=vocab.pad_id)


@dataclass
class ImdbData:
    """IMDb reviews ready for a classifier: padded ids (T, N), lengths (N,), labels (N,)
    for train and test, the vocabulary, and the raw test texts (to look at)."""

    train: tuple[np.ndarray, np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray, np.ndarray]
    vocab: Vocabulary
    test_texts: list[str]


def load_imdb(
    cache_dir=None,
    *,
    download: bool = False,
    max_per_class: int | None = 1000,
    seed: int | None = None,
    max_len: int = 200,
    vocab_size: int = 10_000,
    url: str = IMDB_URL,
    sha256: str | None = IMDB_SHA256,
    size: int | None = IMDB_SIZE,
    progress: bool = True,
) -> ImdbData:
    """Fetch (only if ``download``) and prepare the IMDb reviews in one call.

    Args:
        cache_dir, download, url, sha256, size, progress: as in :func:`fetch_imdb`.
        max_per_class: reviews of each label per split (1000 keeps a CPU run short;
            None = all 12,500).
        seed: None keeps the first ``max_per_class`` reviews of each label by id (not a
            random sample: see :func:`read_imdb_archive`); an int draws a random sample of
            each label from it, independently for the two splits (the notebook passes the
            course seed).
        max_len: tokens kept from the start of each review.
        vocab_size: ids in the vocabulary built on the training reviews.

    Returns:
        An :class:`ImdbData`.
    """
    path = fetch_imdb(cache_dir, download=download, url=url, sha256=sha256, size=size,
                      progress=progress)  # fmt: skip
    train_texts, train_labels = read_imdb_archive(path, "train", max_per_class=max_per_class,
                                                  seed=seed)  # fmt: skip
    test_texts, test_labels = read_imdb_archive(path, "test", max_per_class=max_per_class,
                                                seed=seed)  # fmt: skip
    train_tokens = [tokenize(t) for t in train_texts]
    vocab = build_vocabulary(train_tokens, max_size=vocab_size)
    train_ids, train_lengths = encode_reviews(train_tokens, vocab, max_len=max_len)
    test_ids, test_lengths = encode_reviews([tokenize(t) for t in test_texts], vocab,
                                            max_len=max_len)  # fmt: skip
    return ImdbData(
        train=(train_ids, train_lengths, train_labels),
        test=(test_ids, test_lengths, test_labels),
        vocab=vocab,
        test_texts=test_texts,
    )
