"""Checker for notebook 08's exercise: each sequence's last real state in a padded batch."""

from __future__ import annotations

import numpy as np
import torch

from rnn_helpers.checks.engine import Case, NotYetError, run_checks
from rnn_helpers.models import last_real_state

__all__ = ["check_last_real_state"]

# (T, B, H) of the cases: B = 1, T = 1 and H = 1 each appear.
_SHAPES = [(6, 4, 3), (5, 1, 2), (7, 5, 4), (1, 3, 2), (9, 6, 1)]


def _cases(seed: int = 8) -> list[Case]:
    """Random padded batches: h (T, B, H) float64, lengths (B,) with 1 and T both present."""
    rng = np.random.default_rng(seed)
    cases = []
    for T, B, H in _SHAPES:
        lengths = rng.integers(1, T + 1, size=B)
        lengths[0] = T  # the longest one: there h[-1] *is* right
        if B > 1:
            lengths[-1] = 1 if T > 1 else T
        lengths = rng.permutation(lengths)
        h = torch.as_tensor(rng.standard_normal((T, B, H)))
        cases.append(Case(f"T={T}, B={B}, H={H}, lengths={lengths.tolist()}",
                          {"h": h, "lengths": torch.as_tensor(lengths, dtype=torch.int64)}))
    return cases


def _unpack(out):
    if isinstance(out, torch.Tensor):
        return {"last": out.detach().cpu().double().numpy()}
    if isinstance(out, tuple | list | str) or not hasattr(out, "__array__"):
        raise NotYetError(f"your function returned a {type(out).__name__}, expected a tensor "
                          "of shape (B, H)")
    return {"last": np.asarray(out, dtype=np.float64)}


def _numpy(fn):
    """A reference built from ``fn(h, lengths)`` on the case, as a NumPy array."""
    return lambda c: {"last": np.asarray(fn(c.args["h"], c.args["lengths"]), dtype=np.float64)}


def check_last_real_state(fn) -> bool:
    """Check a student's ``last_real_state(h, lengths) -> (B, H)``.

    Cases: 5 random padded batches, h a float64 tensor (T, B, H), lengths an int64 tensor
    (B,) that always contains T and (when B > 1) 1, shapes including B = 1, T = 1 and
    H = 1. The answer may be a tensor or a NumPy array. Prints one verdict line (with a
    hint for the usual mistakes); never raises because of the student's code.
    """
    hints = [
        ("that is h[-1], the padded last step; sequence b ends at step lengths[b] - 1",
         _numpy(lambda h, n: h[-1])),
        ("that is h[0], the first step; sequence b ends at step lengths[b] - 1",
         _numpy(lambda h, n: h[0])),
        ("off by one: the last real step of a sequence of length L is L - 1",
         _numpy(lambda h, n: h[torch.clamp(n, max=h.shape[0] - 1), torch.arange(h.shape[1])])),
        ("h[lengths - 1] picks B whole time steps; index the batch too: "
         "h[lengths - 1, torch.arange(B)]", _numpy(lambda h, n: h[n - 1])),
    ]

    def error_advice(err: Exception) -> str:
        if isinstance(err, IndexError):
            return "the last real step of a sequence of length L is at index L - 1"
        return ""

    return run_checks("last_real_state", fn, _cases(),
                      lambda c: {"last": last_real_state(**c.args).numpy()}, _unpack, hints,
                      error_advice=error_advice, success="random padded batches")
