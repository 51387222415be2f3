"""Training: one NumPy loop and one torch loop, the same :class:`History` for both.

- ``history``: :class:`History` and the one clipping argument (``parse_clip``)
- ``batches``: which examples each step reads (shuffled epochs or random draws)
- ``numpy_loop``: :func:`train_numpy` and its optimisers (Adam, SGD)
- ``torch_loop``: :func:`train_torch`
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
from rnn_helpers.train.torch_loop import train_torch

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
    "train_torch",
]
