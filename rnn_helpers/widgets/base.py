"""Building blocks shared by every interactive view.

Why a figure rendered into an ``ipywidgets.Image`` rather than ``plt.show()``:
the figure is created once and its artists updated, so a redraw costs ~30 ms instead
of ~130 ms for a new figure, the picture is replaced in place (no stacking, no
flicker), and it needs no extra JupyterLab extension on Binder.
"""

from __future__ import annotations

import base64
import html
import io

import ipywidgets as widgets
import PIL.Image
import PIL.ImageDraw
import PIL.ImageFont
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
    """The VBox that holds a view; displayed, it also carries a picture of its first state.

    A notebook opened without a kernel (JupyterLab before Run All, GitHub, nbviewer, the
    course website) cannot draw a live widget. So the display bundle holds, beside the
    widget view, an ``image/png``: the view's figure as first drawn, with a caption naming
    each slider's starting value, and a plain-text line saying what to do. A live
    JupyterLab prefers the widget view, so a running notebook shows the live view only;
    viewers that cannot run widgets show the picture.
    """

    def controls(self) -> list:
        """The labelled controls (sliders, toggles) of the view, in display order."""
        return [w for w in self.children
                if isinstance(w, widgets.widgets.widget_description.DescriptionWidget)
                and w.description and hasattr(w, "value")]

    def settings_text(self) -> str:
        """'memory a = 0.8, clipping = norm': each control's label and current value."""
        return ", ".join(f"{w.description} = {_value_text(w)}" for w in self.controls())

    def static_picture(self) -> bytes | None:
        """PNG bytes: the view's (first) figure with a caption of the controls' values."""
        images = [w for w in self.children if isinstance(w, widgets.Image) and w.value]
        if not images:
            return None
        return captioned_png(bytes(images[0].value),
                             f"Interactive view at {self.settings_text() or 'its start'} "
                             "(run the cell to move the slider)")

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        labels = [f'"{w.description}"' for w in self.controls()]
        named = ", ".join(labels) or "its controls"
        bundle["text/plain"] = (f"[An interactive view with {named}: run this cell in "
                                "JupyterLab to move it.]")
        png = self.static_picture()
        if png is not None:
            bundle["image/png"] = base64.b64encode(png).decode("ascii")
        return bundle


def _value_text(widget) -> str:
    value = widget.value
    if isinstance(widget, widgets.SelectionSlider):
        return str(widget.label)
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def captioned_png(png: bytes, caption: str) -> bytes:
    """``png`` with a one-line ``caption`` strip added under it (white, dark grey text)."""
    picture = PIL.Image.open(io.BytesIO(png)).convert("RGB")
    font = PIL.ImageFont.load_default(size=13)
    strip = 24
    out = PIL.Image.new("RGB", (picture.width, picture.height + strip), "white")
    out.paste(picture, (0, 0))
    PIL.ImageDraw.Draw(out).text((8, picture.height + 5), caption, fill=(60, 60, 60), font=font)
    buffer = io.BytesIO()
    out.save(buffer, format="png", optimize=True)
    return buffer.getvalue()


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
