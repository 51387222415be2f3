"""rnn_helpers: the small library the RNN course builds, one module per concept.

The scratch layers are re-exported here (``from rnn_helpers import rnn_forward``); the
other modules are imported by name: ``rnn_helpers.gradcheck``, ``.data``, ``.training``,
``.checks``, ``.widgets``.
"""

from rnn_helpers.scratch import *  # noqa: F403 - the scratch API is the package's face
from rnn_helpers.scratch import __all__ as _scratch_all

__version__ = "0.1.0"
__all__ = ["__version__", *_scratch_all]
