"""Recurrent layers from scratch in NumPy: the code the course builds and then imports.

Conventions (as torch's defaults): float64, time-major. x is (T, B, D), states are
(B, H), sequences of states are (T, B, H). Forward functions return (outputs, cache);
backward functions take the upstream gradient and the cache and return a dict of
gradients keyed like the parameters and inputs. Nothing modifies its arguments.

- rnn: rnn_step, rnn_step_backward, rnn_forward, rnn_backward (full or truncated BPTT)
- lstm: lstm_step, lstm_step_backward, lstm_forward, lstm_backward (gates i, f, g, o)
- gru: gru_step, gru_step_backward, gru_forward, gru_backward (gates r, z, n)
- linear: linear_forward, linear_backward (the output layer)
- softmax: softmax, log_softmax, softmax_cross_entropy_forward, softmax_cross_entropy_backward
- init: init_rnn_params, init_linear_params; GATES (the cell kinds and their gate blocks),
  gate_rows, set_gate_bias, force_gates (copies with chosen gate biases or constant gates)
- clip: clip_by_value, clip_by_norm
- convert: params_from_torch
"""

from .activations import NONLINEARITIES, sigmoid
from .clip import clip_by_norm, clip_by_value
from .convert import params_from_torch
from .gru import gru_backward, gru_forward, gru_step, gru_step_backward
from .init import (
    GATES,
    force_gates,
    gate_rows,
    init_linear_params,
    init_rnn_params,
    set_gate_bias,
)
from .linear import linear_backward, linear_forward
from .lstm import lstm_backward, lstm_forward, lstm_step, lstm_step_backward
from .rnn import rnn_backward, rnn_forward, rnn_step, rnn_step_backward
from .softmax import (
    log_softmax,
    softmax,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
)

__all__ = [
    "GATES",
    "NONLINEARITIES",
    "clip_by_norm",
    "clip_by_value",
    "force_gates",
    "gate_rows",
    "gru_backward",
    "gru_forward",
    "gru_step",
    "gru_step_backward",
    "init_linear_params",
    "init_rnn_params",
    "linear_backward",
    "linear_forward",
    "log_softmax",
    "lstm_backward",
    "lstm_forward",
    "lstm_step",
    "lstm_step_backward",
    "params_from_torch",
    "rnn_backward",
    "rnn_forward",
    "rnn_step",
    "rnn_step_backward",
    "set_gate_bias",
    "sigmoid",
    "softmax",
    "softmax_cross_entropy_backward",
    "softmax_cross_entropy_forward",
]
