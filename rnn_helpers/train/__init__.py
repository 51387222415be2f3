"""Training: one NumPy loop and one torch loop, the same :class:`History` for both.

- ``history``: :class:`History` and the one clipping argument (``parse_clip``)
- ``batches``: which examples each step reads (shuffled epochs or random draws)
- ``numpy_loop``: :func:`train_numpy` and its optimisers (Adam, SGD)
- ``torch_loop``: :func:`train_torch` and ``torch_shuffled_batches`` (imported on first
  use, so NumPy-only notebooks do not pay for loading torch: about 2 s and 180 MB)
"""

from rnn_helpers.train.batches import random_batches, shuffled_batches, steps_per_epoch
from rnn_helpers.train.history import History, parse_clip
from rnn_helpers.train.numpy_loop import (
    adam_init,
    adam_update,
    global_norm,
    sgd_update,
    train_numpy,
)


def __getattr__(name: str):
    if name in ("train_torch", "torch_shuffled_batches"):
        from rnn_helpers.train import torch_loop

        return getattr(torch_loop, name)
    raise AttributeError(f"module 'rnn_helpers.train' has no attribute {name!r}")


__all__ = [
    "History",
    "adam_init",
    "adam_update",
    "global_norm",
    "parse_clip",
    "random_batches",
    "sgd_update",
    "shuffled_batches",
    "steps_per_epoch",
    "train_numpy",
]
