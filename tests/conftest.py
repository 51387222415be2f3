"""Shared test set-up: the repository's paths and the list of course notebooks."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # tests never open windows

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def course_notebooks() -> list[Path]:
    """The course's notebooks, in order (checkpoint copies excluded)."""
    return sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


_BROWSER_RESULTS: list[tuple[str, str]] = []


def pytest_runtest_logreport(report):
    """Remember the real-browser cases' outcomes, so the run's summary names each one."""
    if "test_browser.py" in report.nodeid and (report.when == "call" or report.outcome != "passed"):
        case = report.nodeid.split("[", 1)[-1].rstrip("]")
        _BROWSER_RESULTS.append((case, report.outcome))


def pytest_terminal_summary(terminalreporter):
    if not _BROWSER_RESULTS:
        return
    terminalreporter.section("real-browser test (JupyterLab in headless Chromium)")
    for case, outcome in _BROWSER_RESULTS:
        terminalreporter.write_line(f"{outcome.upper():8} {case}")
