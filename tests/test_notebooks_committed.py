"""Every notebook is committed as "Restart & Run All" left it: in order, without errors."""

import nbformat
import pytest
from conftest import course_notebooks

NOTEBOOKS = course_notebooks()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_executed_in_order_without_errors(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: execution counts {counts}"
    errors = [i for i, c in enumerate(code) for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: error outputs in code cells {errors}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_learning_goals_summary_and_navigation(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "Learning goals" in nb.cells[0].source, f"{path.name}: no learning goals at the top"
    assert "## Summary" in text, f"{path.name}: no summary"
    number = int(path.name[:2])
    if number < len(NOTEBOOKS) - 1 or number < 8:
        assert f"{number + 1:02d}_" in text, f"{path.name}: no link to the next notebook"
    if number > 0:
        assert f"{number - 1:02d}_" in text, f"{path.name}: no link to the previous notebook"


def short_title(path) -> str:
    """'Hidden state vs hidden layer' from the first line '# 01 · Hidden state vs hidden layer'."""
    first = nbformat.read(path, as_version=4).cells[0].source.splitlines()[0]
    return first.split("·", 1)[1].split(":", 1)[0].strip()


def test_syllabus_in_readme_and_course_map_match_the_notebooks():
    readme = (NOTEBOOKS[0].parent.parent / "README.md").read_text()
    course_map = nbformat.read(NOTEBOOKS[0], as_version=4).cells[1].source
    assert NOTEBOOKS[0].name == "00_start_here.ipynb"
    for path in NOTEBOOKS:
        title = short_title(path)
        assert f"[{title}](notebooks/{path.name})" in readme, f"README: no row for {title!r}"
        if path is not NOTEBOOKS[0]:
            entry = f"[{path.name[:2]} · {title}]({path.name})"
            assert entry in course_map, f"00's course map: no {entry}"
