"""Building blocks shared by every interactive view.

Why a figure rendered into an ``ipywidgets.Image`` rather than ``plt.show()``:
the figure is created once and its artists updated, so a redraw costs ~30 ms instead
of ~130 ms for a new figure, the picture is replaced in place (no stacking, no
flicker), and it needs no extra JupyterLab extension on Binder.
"""

from __future__ import annotations

import html
import io

import ipywidgets as widgets
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from rnn_helpers.style import PALETTE  # noqa: F401 - views and notebooks read it from here too


class FigureImage:
    """A matplotlib ``Figure`` shown as an image widget that is redrawn in place.

    Args:
        figsize: (width, height) in inches.
        dpi: resolution of the rendered PNG; 80 keeps a redraw cheap and still sharp.
        alt: a sentence describing the figure. ipywidgets' Image has no alt attribute (and
            its tooltip breaks the view), so views show the same facts in their ``Message``
            line under the plot, which screen readers do read.

    Attributes:
        fig: the figure to draw on (``fig.subplots(...)`` etc.).
        widget: the ``ipywidgets.Image`` to put in a layout.
        renders: how many times the figure has been rendered (tests use it).
    """

    def __init__(self, figsize=(6.0, 3.2), dpi=80, alt=""):
        # No constrained layout: it re-solves the layout on every render (~30 ms). Views
        # call ``tight()`` once after setting up their axes instead.
        self.fig = Figure(figsize=figsize, dpi=dpi)
        self.widget = widgets.Image(format="png", layout=widgets.Layout(width="auto"))
        self.alt = alt
        self.renders = 0

    def tight(self) -> None:
        """Fix the margins once, after the axes and labels exist."""
        self.fig.tight_layout()
        # tight_layout leaves a placeholder layout engine behind, and with any engine set
        # savefig draws the figure twice; without one a redraw costs half as much.
        self.fig.set_layout_engine(None)

    def render(self) -> bytes:
        """Render the figure to PNG bytes, push them to the widget and return them."""
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png")
        png = buffer.getvalue()
        self.widget.value = png
        self.renders += 1
        return png


class BlitFigureImage(FigureImage):
    """A FigureImage that redraws only the artists that change ("blitting").

    ``FigureImage.render`` draws the whole figure, every tick label and static arrow, on
    each call; a figure with several axes and dozens of texts then costs well over the
    100 ms an analytic slider may take. Here the artists passed to :meth:`set_dynamic`
    are marked animated: the first render draws everything else once and keeps those
    pixels; later renders paste them back, draw only the dynamic artists on top, in the
    order given, and encode the PNG with fast compression.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.canvas = FigureCanvasAgg(self.fig)
        self.dynamic: list = []
        self._background = None

    def set_dynamic(self, artists) -> None:
        """The artists that updates change (drawn last, in this order, over the rest)."""
        self.dynamic = list(artists)
        for artist in self.dynamic:
            artist.set_animated(True)  # left out of the cached background
        self._background = None

    def render(self) -> bytes:
        if self._background is None:
            self.canvas.draw()  # everything except the animated artists
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            self.canvas.restore_region(self._background)
        for artist in self.dynamic:
            self.fig.draw_artist(artist)  # an invisible artist draws nothing
        width, height = self.canvas.get_width_height()
        image = PIL.Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(),
                                     "raw", "RGBA", 0, 1).convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, format="png", compress_level=1)  # fast, and small enough
        png = buffer.getvalue()
        self.widget.value = png
        self.renders += 1
        return png


class Message:
    """A one-line, plain-language message under a plot (an ``ipywidgets.HTML``)."""

    def __init__(self, text: str = ""):
        self.widget = widgets.HTML(layout=widgets.Layout(min_height="1.6em"))
        self.text = ""
        self.set(text)

    def set(self, text: str, kind: str = "info") -> None:
        """Show ``text``; ``kind`` is "info", "good" or "warn" (colour and an icon)."""
        icons = {"info": "", "good": "✓ ", "warn": "⚠ "}
        colours = {"info": "inherit", "good": "#009E73", "warn": "#D55E00"}
        if kind not in icons:
            raise ValueError(f"kind: expected one of {sorted(icons)}, got {kind!r}")
        self.text = text
        self.widget.value = (
            f'<span class="rnn-message" style="color:{colours[kind]}">'
            f"{icons[kind]}{html.escape(text)}</span>"
        )


class ViewBox(widgets.VBox):
    """The VBox that holds a view; its plain-text form tells a reader what to do.

    Notebooks are committed without widget state, so a notebook opened before its cells
    run shows each output's plain text. ipywidgets' default ("VBox(children=(...") means
    nothing to a student; this says which slider appears when the cell runs.
    """

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        labels = [w.description for w in self.children
                  if isinstance(w, widgets.widgets.widget_description.DescriptionWidget)
                  and w.description]
        named = ", ".join(f'"{label}"' for label in labels) or "its controls"
        if bundle is not None:
            bundle["text/plain"] = (f"[An interactive view with {named}: run this cell in "
                                    "JupyterLab to see it.]")
        return bundle


# How every slider of the course looks: its whole label shown, one width throughout.
SLIDER_STYLE = {"description_width": "initial"}
SLIDER_WIDTH = "32em"


def labelled_slider(label, min, max, step, value, *, integer=False, continuous_update=True,
                    readout_format=None):
    """A slider whose visible label is ``label`` (tests and students find it by that name).

    Args:
        label: words a student would search for, e.g. "memory a", "truncation k".
        min, max, step, value: the slider's range, step and start value.
        integer: an ``IntSlider`` instead of a ``FloatSlider``.
        continuous_update: False for views that train (update only on release).
    """
    if not min < max:
        raise ValueError(f"slider {label!r}: expected min < max, got min={min}, max={max}")
    if not min <= value <= max:
        raise ValueError(f"slider {label!r}: value {value} is outside [{min}, {max}]")
    cls = widgets.IntSlider if integer else widgets.FloatSlider
    kwargs = {} if readout_format is None else {"readout_format": readout_format}
    return cls(
        value=value,
        min=min,
        max=max,
        step=step,
        description=label,
        continuous_update=continuous_update,
        style=SLIDER_STYLE,
        layout=widgets.Layout(width=SLIDER_WIDTH),
        **kwargs,
    )


def labelled_selection_slider(label, options, value, *, continuous_update=True):
    """A slider over named positions (e.g. k = 0 … 9 and "full"), labelled ``label``.

    Args:
        label: the visible label, as for :func:`labelled_slider`.
        options: a list of values or of (text shown, value) pairs, in slider order.
        value: the start value, one of the options' values.
        continuous_update: False for views that train (update only on release).
    """
    return widgets.SelectionSlider(
        options=options,
        value=value,
        description=label,
        continuous_update=continuous_update,
        style=SLIDER_STYLE,
        layout=widgets.Layout(width=SLIDER_WIDTH),
    )
