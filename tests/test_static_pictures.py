"""Every view shows a picture without a kernel: its display bundle carries an image/png,
and the committed notebooks carry both that picture and the saved widget state."""

import base64
import io

import nbformat
import PIL.Image
import pytest
from conftest import course_notebooks

from rnn_helpers.runner import WIDGET_STATE, WIDGET_VIEW
from rnn_helpers.widgets.n00_start_here import MemoryExplorer

NOTEBOOKS = course_notebooks()


def test_a_view_bundle_has_widget_picture_and_words():
    view = MemoryExplorer(a=0.5)
    bundle = view.widget._repr_mimebundle_()
    assert WIDGET_VIEW in bundle
    picture = PIL.Image.open(io.BytesIO(base64.b64decode(bundle["image/png"])))
    figure = PIL.Image.open(io.BytesIO(bytes(view.figure.widget.value)))
    assert picture.width == figure.width and picture.height > figure.height  # + caption
    assert '"memory a"' in bundle["text/plain"] and "VBox" not in bundle["text/plain"]
    assert view.widget.settings_text() == "memory a = 0.5"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_views_carry_a_picture_and_their_saved_state(path):
    nb = nbformat.read(path, as_version=4)
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    views = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
             if WIDGET_VIEW in o.get("data", {}) and "interactive view" in
             o["data"].get("text/plain", "")]
    for output in views:
        png = base64.b64decode(output["data"]["image/png"])
        assert PIL.Image.open(io.BytesIO(png)).width > 100, f"{path.name}: empty picture"
        model_id = output["data"][WIDGET_VIEW]["model_id"]
        assert model_id in state, f"{path.name}: view {model_id} has no saved widget state"
        children = " ".join(state[model_id]["state"].get("children", []))
        images = [m for m, s in state.items() if s["model_name"] == "ImageModel"
                  and f"IPY_MODEL_{m}" in children]
        assert images and all(state[m].get("buffers") for m in images), \
            f"{path.name}: the saved view has no picture in its state"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_progress_bars_read_as_finished(path):
    """A reader without a kernel sees where each progress bar ended, not its 0 % start."""
    nb = nbformat.read(path, as_version=4)
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in (c for c in nb.cells if c.cell_type == "code"):
        for output in cell.outputs:
            model = state.get(output.get("data", {}).get(WIDGET_VIEW, {}).get("model_id"))
            if not model or model["model_name"] != "HBoxModel":
                continue
            bars = [state[c.removeprefix("IPY_MODEL_")]["state"] for c in
                    model["state"]["children"]
                    if state[c.removeprefix("IPY_MODEL_")]["model_name"] == "FloatProgressModel"]
            if bars and bars[0].get("value") == bars[0].get("max"):
                assert "100%" in output["data"]["text/plain"], \
                    f"{path.name}: a finished bar reads {output['data']['text/plain']!r}"
