"""Copy the weights of a torch recurrent layer into the scratch parameter dicts.

torch keeps two biases per layer, b_ih and b_hh. For the RNN and the LSTM they are only
ever added together, so the scratch layers keep their sum. The GRU multiplies the
candidate's hidden bias b_hn by the reset gate, so the two biases are not
interchangeable there and both are kept.
"""

import numpy as np


def params_from_torch(module):
    """Scratch parameters equal to a torch nn.RNN, nn.LSTM or nn.GRU layer's.

    Inputs:
    - module: a single-layer, unidirectional nn.RNN / nn.LSTM / nn.GRU (any dtype; with
      or without bias; batch_first does not change the weights, but the scratch
      functions always take time-major x)

    Returns a dict of float64 NumPy copies:
    - nn.RNN: W_xh (H, D), W_hh (H, H), b_h (H,) = b_ih + b_hh
      (use the module's nonlinearity, module.nonlinearity, for rnn_forward)
    - nn.LSTM: W_xh (4H, D), W_hh (4H, H), b (4H,) = b_ih + b_hh, gate order i, f, g, o
    - nn.GRU: W_xh (3H, D), W_hh (3H, H), b_xh (3H,), b_hh (3H,), gate order r, z, n
    """
    # No torch import: the scratch layers need numpy only. torch's recurrent layers say
    # what they are in ``mode`` ("RNN_TANH", "RNN_RELU", "LSTM", "GRU").
    mode = getattr(module, "mode", None)
    if mode == "LSTM":
        kind, n_gates = "lstm", 4
    elif mode == "GRU":
        kind, n_gates = "gru", 3
    elif mode in ("RNN_TANH", "RNN_RELU"):
        kind, n_gates = "rnn", 1
    else:
        raise TypeError(
            f"module: expected a torch nn.RNN, nn.LSTM or nn.GRU, got {type(module).__name__}"
        )
    if module.num_layers != 1:
        raise ValueError(f"module: expected num_layers=1, got num_layers={module.num_layers}")
    if module.bidirectional:
        raise ValueError("module: expected bidirectional=False, got bidirectional=True")
    if getattr(module, "proj_size", 0):
        raise ValueError(f"module: expected proj_size=0, got proj_size={module.proj_size}")

    def numpy(name):
        # A copy, so that training either side never changes the other.
        return getattr(module, name).detach().cpu().double().numpy().copy()

    W_xh, W_hh = numpy("weight_ih_l0"), numpy("weight_hh_l0")
    if module.bias:
        b_ih, b_hh = numpy("bias_ih_l0"), numpy("bias_hh_l0")
    else:
        b_ih = b_hh = np.zeros(n_gates * module.hidden_size)
    if kind == "gru":
        return {"W_xh": W_xh, "W_hh": W_hh, "b_xh": b_ih, "b_hh": b_hh.copy()}
    bias_name = "b" if kind == "lstm" else "b_h"
    return {"W_xh": W_xh, "W_hh": W_hh, bias_name: b_ih + b_hh}
