"""Every notebook carries a short slide path: title and goals, key figures, its live demo,
the summary; everything else skipped (docs/slides.py writes it, --check verifies it)."""

import importlib.util

import nbformat
import pytest
from conftest import ROOT, course_notebooks

spec = importlib.util.spec_from_file_location("slides", ROOT / "docs" / "slides.py")
slides = importlib.util.module_from_spec(spec)
spec.loader.exec_module(slides)

NOTEBOOKS = course_notebooks()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_slide_path(path):
    nb = nbformat.read(path, as_version=4)
    kinds = [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells]
    assert kinds == slides.slide_types(nb), f"{path.name}: run python docs/slides.py"
    assert kinds[0] == "slide" and "Learning goals" in nb.cells[0].source
    summary = [i for i, c in enumerate(nb.cells) if c.source.lstrip().startswith("## Summary")]
    assert summary and kinds[summary[0]] == "slide", f"{path.name}: summary not a slide"
    views = [i for i, c in enumerate(nb.cells) if slides.is_view(c)]
    assert all(kinds[i] != "skip" for i in views), f"{path.name}: a live view is skipped"
    assert 3 <= kinds.count("slide") <= 10, f"{path.name}: {kinds.count('slide')} slides"
    assert kinds.count("skip") > len(kinds) / 2, f"{path.name}: the deck is not short"


def test_rule_on_a_small_notebook():
    md = nbformat.v4.new_markdown_cell
    view_output = nbformat.v4.new_output(
        "display_data", data={"text/plain": "[An interactive view with 'k': run it]"})
    figure_output = nbformat.v4.new_output("display_data", data={"image/png": "iVBOR"})
    view = nbformat.v4.new_code_cell("view()", outputs=[view_output])
    figure = nbformat.v4.new_code_cell("plot()", outputs=[figure_output])
    nb = nbformat.v4.new_notebook(cells=[
        md("# 01 · Title\n\nLearning goals"), md("text"), nbformat.v4.new_code_cell("x = 1"),
        md("about the figure"), figure, md("try the slider"), view, md("## Summary\n- a"),
        md("Next: 02")])
    assert slides.slide_types(nb) == ["slide", "skip", "skip", "slide", "fragment", "slide",
                                      "fragment", "slide", "fragment"]
