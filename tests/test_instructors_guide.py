"""docs/instructors.md quotes only figures the notebooks show: every decimal number or
percentage in a notebook's section appears in that notebook (its text, code or outputs)."""

import re

import nbformat
import pytest
from conftest import ROOT, course_notebooks

GUIDE = (ROOT / "docs" / "instructors.md").read_text()
NOTEBOOKS = {p.name[:2]: p for p in course_notebooks()}
# A quoted figure: a decimal (0.13, 2.5), a power of ten (1e-8, 2e-08) or a percentage.
FIGURE = re.compile(r"(?<![\w.])(\d+\.\d+(?:e[-+]?\d+)?|\d+e[-+]?\d+|\d+(?:\.\d+)? ?%)(?![\w.])")


def sections() -> dict[str, str]:
    """{'03': text of the guide's section '### 03 · …'} for every notebook section."""
    parts = re.split(r"^### (\d\d) · ", GUIDE, flags=re.MULTILINE)
    return {number: text.split("\n## ", 1)[0] for number, text in zip(parts[1::2], parts[2::2],
                                                                         strict=True)}


def notebook_text(path) -> str:
    nb = nbformat.read(path, as_version=4)
    texts = []
    for cell in nb.cells:
        texts.append(cell.source)
        for out in cell.get("outputs", []):
            texts.append(out.get("text", ""))
            texts.append(str(out.get("data", {}).get("text/plain", "")))
            texts.append(str(out.get("data", {}).get("text/markdown", "")))
    return "\n".join(texts)


def test_every_notebook_has_a_section():
    assert set(sections()) == set(NOTEBOOKS)


@pytest.mark.parametrize("number", sorted(NOTEBOOKS))
def test_quoted_figures_appear_in_the_notebook(number):
    text = sections().get(number, "")
    book = notebook_text(NOTEBOOKS[number])
    missing = []
    for figure in sorted(set(FIGURE.findall(text))):
        variants = {figure, figure.replace(" %", "%"), figure.replace("%", " %")}
        if not any(v in book for v in variants):
            missing.append(figure)
    assert not missing, (f"docs/instructors.md, section {number}, quotes {missing}, which "
                         f"{NOTEBOOKS[number].name} does not show")
