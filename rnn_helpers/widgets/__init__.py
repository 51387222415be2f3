"""Interactive views of the course: thin widget shells over pure compute functions.

Every view is a class with a pure ``compute`` part (tested directly), one figure
created once and redrawn in place, a slider labelled in a student's words, and a
plain-language message under the plot. A notebook cell is one call, e.g.
``memory_explorer()``.
"""

from rnn_helpers.widgets.base import FigureImage, Message, labelled_slider
from rnn_helpers.widgets.memory import MemoryExplorer, impulse_response, memory_explorer

__all__ = [
    "FigureImage",
    "MemoryExplorer",
    "Message",
    "impulse_response",
    "labelled_slider",
    "memory_explorer",
]
