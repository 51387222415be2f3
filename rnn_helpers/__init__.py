"""rnn_helpers: the small library the RNN course builds, one module per concept.

The scratch layers are re-exported here (``from rnn_helpers import rnn_forward``); the
other modules are imported by name: ``rnn_helpers.gradcheck``, ``.data``, ``.training``,
``.checks``, ``.widgets``.
"""

import os

import numpy  # noqa: F401 - loads OpenBLAS, so that the limit below has a library to act on
from threadpoolctl import threadpool_limits

# The course's matrices are small (H <= 128). One BLAS thread is as fast on a quiet machine
# and far faster on a busy one: with both cores loaded, OpenBLAS's two threads took ~10 ms
# for a W_hh gradient product that one thread does in ~0.3 ms, which made full-BPTT
# training 20x slower. RNN_COURSE_BLAS_THREADS=<n> overrides it.
threadpool_limits(int(os.environ.get("RNN_COURSE_BLAS_THREADS", "1")), user_api="blas")

from rnn_helpers.scratch import *  # noqa: E402, F403 - the scratch API is the package's face
from rnn_helpers.scratch import __all__ as _scratch_all  # noqa: E402

__version__ = "0.1.0"
__all__ = ["__version__", *_scratch_all]
