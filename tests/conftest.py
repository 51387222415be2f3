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


def pytest_collection_modifyitems(config, items):
    """Under a course seed other than 0, nbval compares no outputs: `# NBVAL_CHECK_OUTPUT`
    cells print the committed run's figures, which belong to seed 0. The notebooks' own
    asserts still run and must hold for every seed."""
    from rnn_helpers.seed import SEED

    if SEED == 0:
        return
    for item in items:
        options = getattr(item, "options", None)
        if type(item).__name__ == "IPyNbCell" and isinstance(options, dict):
            options["check"] = False
