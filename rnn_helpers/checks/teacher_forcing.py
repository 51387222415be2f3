"""Checker for notebook 05's exercise: closed-loop (free-running) prediction."""

from __future__ import annotations

import numpy as np

from rnn_helpers.checks.engine import Case, run_checks, tuple_unpacker
from rnn_helpers.lessons.n05_teacher_forcing import closed_loop_predict
from rnn_helpers.regressor import init_model

__all__ = ["check_closed_loop_predict"]


def _cases(seed: int = 11) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for K, B, H, horizon in [(5, 3, 4, 6), (1, 1, 2, 3), (8, 2, 5, 1), (3, 4, 3, 10)]:
        like = init_model(1, H, 1, seed=int(rng.integers(1000)))
        params = {k: 0.8 * rng.standard_normal(v.shape) for k, v in like.items()}
        cases.append(Case(f"K={K}, B={B}, H={H}, horizon={horizon}",
                          {"params": params, "context": rng.standard_normal((K, B, 1)),
                           "horizon": horizon}))
    return cases


def check_closed_loop_predict(fn) -> bool:
    """Check a student's ``generate(params, context, horizon) -> predictions (horizon, B, 1)``
    against :func:`rnn_helpers.lessons.n05_teacher_forcing.closed_loop_predict` on 4 random cases.

    Prints one verdict line (with a hint for the usual mistakes: a missing first guess, a
    state restarted after the context) and returns True or False; never raises.
    """

    def reference(case):
        return {"predictions": closed_loop_predict(**case.args)}

    def skips_first(case):
        a = case.args
        return {"predictions": closed_loop_predict(a["params"], a["context"],
                                                   a["horizon"] + 1)[1:]}

    def restarts(case):
        a = case.args
        return {"predictions": closed_loop_predict(a["params"], a["context"][-1:],
                                                   a["horizon"])}

    hints = [("it looks like the first guess (made after the last context value) is "
              "missing: it is prediction 1", skips_first),
             ("the hidden state must carry on from the context, not start again at zero",
              restarts)]
    unpack = tuple_unpacker(("predictions",), "the predictions, an array (horizon, B, 1)")
    return run_checks("closed_loop_predict", fn, _cases(), reference, unpack, hints)
