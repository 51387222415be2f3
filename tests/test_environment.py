"""Notebook 00's environment check says what to install when something is missing."""

import sys

from rnn_helpers.lessons.n00_start_here import environment_report
from rnn_helpers.widgets.n00_start_here import widget_check


def test_report_lists_versions_and_nothing_missing(capsys):
    assert environment_report() == []
    out = capsys.readouterr().out
    assert "numpy" in out and "torch" in out and "All set" in out


def test_missing_widgets_say_what_to_install(capsys, monkeypatch):
    # None in sys.modules makes every `import ipywidgets` fail, as on a machine without it.
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    missing = environment_report()
    out = capsys.readouterr().out
    assert missing == ["ipywidgets"]
    assert "MISSING" in out and "pip install -r requirements.txt" in out
    assert "sliders" in out


def test_widget_check_falls_back_to_a_clear_sentence():
    bundle = widget_check()._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "NOT rendering" in bundle["text/plain"]
