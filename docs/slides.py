"""Give every notebook a short slide path for presenting it (jupyterlab-slideshow's Deck).

    python docs/slides.py             # write the slide metadata into notebooks/*.ipynb
    python docs/slides.py --check     # exit 1 if a notebook's metadata is out of date

The deck of a notebook is: its title and learning goals; its first and last key figures;
each interactive view (the live demo of docs/instructors.md) with the text that
introduces it; and the summary. Every other cell is marked "skip", so the deck stays
short while the notebook still reads top to bottom. Only cell metadata changes: no cell
is run, no output touched.

The metadata is the standard ``slideshow.slide_type`` that nbconvert, RISE and
jupyterlab-slideshow all read. A cell shown on the same slide as the text before it is a
"fragment" (it appears on the next click): jupyterlab-slideshow does not show a
continuation cell ("-") below a slide's first cell.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
VIEW_TEXT = "interactive view"  # the plain-text line of every view's output


def is_view(cell) -> bool:
    return cell.cell_type == "code" and any(
        VIEW_TEXT in o.get("data", {}).get("text/plain", "") for o in cell.get("outputs", []))


def is_figure(cell) -> bool:
    return cell.cell_type == "code" and not is_view(cell) and any(
        "image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {})
        for o in cell.get("outputs", []))


def slide_types(nb) -> list[str]:
    """The slide type of every cell: "slide", "fragment" (same slide, next click) or "skip"."""
    cells = nb.cells
    types = ["skip"] * len(cells)
    types[0] = "slide"

    def show(index: int) -> None:
        # A cell on the path opens a slide with the markdown that introduces it, if any.
        before = index - 1
        if before > 0 and cells[before].cell_type == "markdown" and types[before] == "skip":
            types[before], types[index] = "slide", "fragment"
        elif types[index] == "skip":
            types[index] = "slide"

    figures = [i for i, c in enumerate(cells) if is_figure(c)]
    for index in sorted({figures[0], figures[-1]} if figures else set()):
        show(index)
    for index in (i for i, c in enumerate(cells) if is_view(c)):
        show(index)
    summary = [i for i, c in enumerate(cells)
               if c.cell_type == "markdown" and c.source.lstrip().startswith("## Summary")]
    if summary:
        types[summary[0]] = "slide"
        for index in range(summary[0] + 1, len(cells)):
            types[index] = "fragment"
    return types


def apply(path: Path, write: bool = True) -> bool:
    """Set the slide metadata of ``path``; return True if anything changed."""
    nb = nbformat.read(path, as_version=4)
    changed = False
    for cell, kind in zip(nb.cells, slide_types(nb), strict=True):
        if cell.metadata.get("slideshow", {}).get("slide_type") != kind:
            cell.metadata["slideshow"] = {"slide_type": kind}
            changed = True
    if changed and write:
        nbformat.write(nb, path)
    return changed


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        if apply(path, write=not check):
            stale.append(path.name)
    if check and stale:
        print("slide metadata out of date (run python docs/slides.py): " + ", ".join(stale))
        return 1
    print(("slide metadata written: " + ", ".join(stale)) if stale else "slides up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
