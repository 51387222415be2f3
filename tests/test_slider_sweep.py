"""The headless slider sweep: every slider of every notebook at its minimum, middle and
maximum, set from the kernel side; any exception or error output fails the test."""

import pytest
from conftest import course_notebooks

from rnn_helpers.runner import parse_sweep, run_notebook

NOTEBOOKS = course_notebooks()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_slider_at_min_mid_max_without_error(path):
    run = run_notebook(path, "from rnn_helpers.widgets.sweep import sweep_report\nsweep_report(3)")
    assert not run.error_outputs, run.error_outputs
    results = parse_sweep(run.extra_stdout)
    failures = [f"{r['label']} = {r['value']}: {r['error']}" for r in results if r["error"]]
    assert not failures, "\n".join(failures)
    if path.name.startswith("00_"):
        assert {r["label"] for r in results} == {"memory a"}
        assert len(results) == 3
