"""Which examples each training step reads: shuffled epochs, or independent random draws."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from rnn_helpers.validate import check_int


def shuffled_batches(n: int, batch_size: int, seed: int) -> Iterator[np.ndarray]:
    """Endless mini-batches of indices into n examples, epoch after epoch.

    Each epoch visits all n examples once in a fresh random order (from ``seed``); its last
    batch may be smaller. Yields int arrays of length <= batch_size.
    """
    n, batch_size = check_int("n", n), check_int("batch_size", batch_size)
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            yield order[start : start + batch_size]


def random_batches(n: int, batch_size: int, seed: int) -> Iterator[np.ndarray]:
    """Endless mini-batches of ``batch_size`` indices drawn independently (with replacement)."""
    n, batch_size = check_int("n", n), check_int("batch_size", batch_size)
    rng = np.random.default_rng(seed)
    while True:
        yield rng.integers(0, n, batch_size)


def steps_per_epoch(n: int, batch_size: int) -> int:
    """How many :func:`shuffled_batches` make one pass over n examples."""
    return -(-check_int("n", n) // check_int("batch_size", batch_size))
