"""Checker for notebook 00's first exercise: the one-number memory step."""

from __future__ import annotations

import numpy as np

from rnn_helpers.checks.engine import Case, run_checks, tuple_unpacker
from rnn_helpers.lessons.n00_start_here import memory_step

__all__ = ["check_memory_step"]


def check_memory_step(fn) -> bool:
    """Check a student's ``memory_step(h_prev, x_t, a) -> h_t`` against the library's.

    Prints one line ("✓ …" or "✗ not yet: …") and returns True/False; never raises.
    """
    rng = np.random.default_rng(0)
    cases = [Case(f"{n} value(s), a = {a}",
                  {"h_prev": rng.normal(size=n), "x_t": rng.normal(size=n), "a": float(a)})
             for n, a in [(1, 0.5), (3, 1.0), (5, 1.5), (4, 0.0)]]

    def reference(case):
        return {"h_t": memory_step(**case.args)}

    hints = [("a multiplies the old state h_prev, not the input",
              lambda c: {"h_t": c.args["a"] * c.args["x_t"] + c.args["h_prev"]})]
    return run_checks("memory_step", fn, cases, reference,
                      tuple_unpacker(("h_t",), "the new state h_t"), hints)
