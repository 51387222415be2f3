"""How many numbers a model trains: the formulas for one recurrent or dense layer, and one
counter for a torch module or a dict of NumPy arrays (notebooks 01, 02, 07, 08)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rnn_helpers.scratch.init import GATES
from rnn_helpers.validate import check_choice, check_int

# Weight blocks per layer, from the library's one list of cell kinds (scratch.init.GATES):
# the RNN has one, the LSTM four (i, f, g, o), the GRU three (r, z, n).
N_GATES = {kind: len(blocks) for kind, blocks in GATES.items()}
KINDS = tuple(GATES)


def recurrent_parameter_count(kind: str, input_size: int, hidden_size: int, *,
                              torch_biases: bool = False) -> int:
    """Parameters of one recurrent layer: per block (the RNN has 1, the GRU 3, the LSTM 4)
    an input matrix (H, D), a recurrent matrix (H, H) and its bias vectors.

    The count does not involve T: the same weights serve every step.

    Args:
        kind: "rnn", "lstm" or "gru".
        input_size: D.
        hidden_size: H.
        torch_biases: True counts as torch does, with two bias vectors per block (b_ih and
            b_hh). The scratch RNN and LSTM keep their sum, one vector, since the two are
            only ever added; the GRU's two are different parameters (b_hn sits inside the
            reset gate), so the scratch GRU keeps both either way.
    """
    blocks = N_GATES[check_choice("kind", kind, KINDS)]
    D, H = check_int("input_size", input_size), check_int("hidden_size", hidden_size)
    biases = 2 if (torch_biases or kind == "gru") else 1
    return blocks * (H * D + H * H + biases * H)


def linear_parameter_count(in_features: int, out_features: int) -> int:
    """Parameters of a dense layer y = h W^T + b: out·in + out (as ``torch.nn.Linear``)."""
    n_in, n_out = check_int("in_features", in_features), check_int("out_features", out_features)
    return n_out * n_in + n_out


def count_parameters(model) -> int:
    """How many numbers ``model`` trains: a torch module (the sum of ``numel()`` over the
    parameters that require a gradient) or a dict of NumPy arrays (the sum of their sizes)."""
    if isinstance(model, Mapping):
        return int(sum(np.size(v) for v in model.values()))
    if not hasattr(model, "parameters"):
        raise TypeError(f"model: expected a torch module or a dict of arrays, got "
                        f"{type(model).__name__}")
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))
