"""Exercise checkers: compare a student's function with the library's on random inputs.

``engine`` holds the one checker engine (``run_checks``: cases, a reference, hints, one
✓/✗ line); every exercise's checker is built on it and re-exported here, so a notebook
calls ``checks.check_rnn_step(rnn_step)``.
"""

from rnn_helpers.checks.engine import *  # noqa: F403
from rnn_helpers.checks.engine import __all__ as _engine_all

__all__ = [*_engine_all]
