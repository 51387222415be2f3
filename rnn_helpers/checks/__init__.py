"""Exercise checkers: compare a student's function with the library's on random inputs.

``engine`` is the one checker engine (``run_checks``: cases, a reference, hints, one ✓/✗
line); each topic's checkers live in their own module and are re-exported here, so a
notebook calls ``checks.check_rnn_step(rnn_step)``. ``show_solution`` shows the library's
reference code.
"""

from rnn_helpers.checks.attention import check_dot_product_attention
from rnn_helpers.checks.engine import ATOL, RTOL, Case, NotYetError, run_checks
from rnn_helpers.checks.memory import check_memory_step
from rnn_helpers.checks.packing import check_last_real_state
from rnn_helpers.checks.sampling import check_softmax_with_temperature
from rnn_helpers.checks.scratch_layers import (
    check_clip_by_norm,
    check_clip_by_value,
    check_gru_step,
    check_lstm_step,
    check_rnn_forward,
    check_rnn_step,
    check_rnn_step_backward,
)
from rnn_helpers.checks.solutions import show_solution
from rnn_helpers.checks.teacher_forcing import check_closed_loop_predict

__all__ = [
    "ATOL",
    "RTOL",
    "Case",
    "NotYetError",
    "check_clip_by_norm",
    "check_clip_by_value",
    "check_closed_loop_predict",
    "check_dot_product_attention",
    "check_gru_step",
    "check_last_real_state",
    "check_memory_step",
    "check_lstm_step",
    "check_rnn_forward",
    "check_rnn_step",
    "check_rnn_step_backward",
    "check_softmax_with_temperature",
    "run_checks",
    "show_solution",
]
