"""rnn_helpers: the small library the RNN course builds, one module per concept."""

__version__ = "0.1.0"
