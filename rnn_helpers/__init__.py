"""rnn_helpers: the small library the RNN course builds, one module per concept.

The scratch layers are re-exported here (``from rnn_helpers import rnn_forward``); the
other modules are imported by name: ``rnn_helpers.gradcheck``, ``.data``, ``.training``,
``.checks``, ``.widgets``.
"""

import os
import sys

import numpy  # noqa: F401 - loads OpenBLAS, so that the limit below has a library to act on
from threadpoolctl import threadpool_limits

# One thread for NumPy's BLAS and for torch. The course's models are small (H <= 128), so a
# second thread buys nothing on a quiet machine and costs a lot on a busy one (a shared
# Binder node, or a laptop running JupyterLab and a browser): measured on 2 cores, a W_hh
# gradient product took ~10 ms with two OpenBLAS threads vs ~0.3 ms with one, and 100 steps
# of torch nn.RNN training took 18 s with torch's two threads vs 0.9 s with one.
# RNN_COURSE_THREADS=<n> overrides it.
THREADS = int(os.environ.get("RNN_COURSE_THREADS", "1"))
threadpool_limits(THREADS, user_api="blas")
if "torch" in sys.modules:
    sys.modules["torch"].set_num_threads(THREADS)
else:
    os.environ["OMP_NUM_THREADS"] = str(THREADS)  # read by torch when it is imported

from rnn_helpers.scratch import *  # noqa: E402, F403 - the scratch API is the package's face
from rnn_helpers.scratch import __all__ as _scratch_all  # noqa: E402
from rnn_helpers.seed import SEED  # noqa: E402 - the course seed (RNN_COURSE_SEED, default 0)

__version__ = "0.1.0"
__all__ = ["SEED", "__version__", *_scratch_all]
