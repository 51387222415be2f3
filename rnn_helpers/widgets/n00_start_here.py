"""Notebook 00's views: the "memory a" explorer (a one-number memory h_t = a·h_{t-1} + x_t
hit by one impulse) and the widget check of the environment."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from rnn_helpers.lessons.n00_start_here import INSTALL_HINT, describe_memory, impulse_response
from rnn_helpers.widgets.base import PALETTE, FigureImage, Message, ViewBox, labelled_slider

__all__ = ["MemoryExplorer", "WidgetCheck", "memory_explorer", "widget_check"]


class MemoryExplorer:
    """Slider "memory a" (0 … 1.5) and a plot of h_t after a single impulse at t = 0."""

    def __init__(self, a: float = 0.8, T: int = 30):
        self.T = T
        self.slider = labelled_slider("memory a", 0.0, 1.5, 0.05, a)
        self.figure = FigureImage(figsize=(6.4, 3.0))
        self.message = Message()
        ax = self.figure.fig.subplots()
        t = np.arange(T)
        ax.axhline(1.0, color="0.6", lw=0.8, ls="--")
        ax.text(T - 1, 1.0, "size of the impulse", color="0.4", ha="right", va="bottom")
        (self.line,) = ax.plot(t, np.zeros(T), "o-", color=PALETTE[0], ms=3)
        ax.set_xlabel("time step t (impulse x_0 = 1 at t = 0)")
        ax.set_ylabel("memory h_t")
        ax.set_yscale("symlog", linthresh=1.0)
        ax.set_ylim(0, 2.0)
        ax.set_title("h_t = a·h_(t-1) + x_t")  # a placeholder, so the margins leave room for it
        self.figure.tight()
        self.ax = ax
        self.slider.observe(lambda change: self.update(change["new"]), names="value")
        self.update(a)
        self.widget = ViewBox([self.slider, self.figure.widget, self.message.widget])

    def update(self, a: float) -> None:
        """Redraw the plot and the sentence for memory factor ``a``."""
        h = impulse_response(a, self.T)
        self.line.set_ydata(h)
        self.ax.set_ylim(0, max(2.0, 1.5 * float(np.max(h))))
        self.ax.set_title(f"h_t = a·h_(t-1) + x_t with a = {a:.2f}")
        self.message.set(describe_memory(a, self.T), "warn" if a > 1.0 + 1e-9 else "info")
        self.figure.alt = f"Line plot of the memory h_t over {self.T} steps for a = {a:.2f}."
        self.figure.render()


def memory_explorer(a: float = 0.8, T: int = 30):
    """Build the "memory a" explorer and return its widget (display it in a cell)."""
    return MemoryExplorer(a, T).widget


class WidgetCheck:
    """Displays a small widget; where widgets cannot render, the fallback text says why.

    A front end that can render widgets shows the widget and hides the text; one that
    cannot (ipywidgets' JupyterLab extension missing, or a viewer such as GitHub) shows
    the plain-text fallback, which tells the student what to install.
    """

    FALLBACK = (
        "A green tick replaces this sentence when the cell runs in JupyterLab. If you have run "
        "the cell and still read it, interactive widgets are NOT rendering here: run "
        + INSTALL_HINT + ". On a static viewer (GitHub, nbviewer), open the course in "
        "JupyterLab or on Binder instead."
    )

    def _repr_mimebundle_(self, **kwargs):
        label = widgets.HTML("✓ Widgets render here: the sliders of the course will work.")
        bundle = label._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = self.FALLBACK
        return bundle


def widget_check() -> WidgetCheck:
    """Return an object to display as a cell's last line: a widget or a clear message."""
    return WidgetCheck()
