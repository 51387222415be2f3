"""Drive every live slider from the kernel side: the headless slider sweep.

Run inside a kernel after a notebook has executed. ``sweep_sliders`` sets each slider
to evenly spread values including both ends, times each redraw, and records any
exception or error output; tests fail on any, benchmarks report the timings.
"""

from __future__ import annotations

import json
import time
import traceback

import ipywidgets as widgets
import numpy as np
from ipywidgets.widgets.widget import _instances  # noqa: PLC2701 - the live widgets; no public API

SLIDER_TYPES = (widgets.IntSlider, widgets.FloatSlider, widgets.FloatLogSlider,
                widgets.SelectionSlider)


def live_sliders() -> list:
    """Every slider widget alive in this kernel, in creation order."""
    return [w for w in list(_instances.values()) if isinstance(w, SLIDER_TYPES)]


def _error_outputs() -> list[str]:
    """Error outputs captured in any Output widget (they would show a traceback)."""
    errors = []
    for w in list(_instances.values()):
        if isinstance(w, widgets.Output):
            for out in w.outputs:
                if out.get("output_type") == "error":
                    errors.append(f"{out.get('ename')}: {out.get('evalue')}")
    return errors


def slider_positions(slider, points: int = 3) -> list:
    """``points`` values spread over the slider's range: minimum, …, maximum."""
    if isinstance(slider, widgets.SelectionSlider):
        options = [o[1] if isinstance(o, tuple) else o for o in slider.options]
        idx = np.unique(np.linspace(0, len(options) - 1, points).round().astype(int))
        return [options[i] for i in idx]
    if isinstance(slider, widgets.FloatLogSlider):
        exps = np.linspace(slider.min, slider.max, points)
        return [float(slider.base**e) for e in exps]
    values = np.linspace(slider.min, slider.max, points)
    if isinstance(slider, widgets.IntSlider):
        return sorted({int(round(v)) for v in values})
    return [float(v) for v in values]


def sweep_sliders(points: int = 3) -> list[dict]:
    """Set every live slider to ``points`` positions (ends included) and record what happened.

    Returns:
        one dict per (slider, value): label, value, seconds (kernel time of the update),
        error (None, an exception's text or an error output's text), trains (True for a
        slider with ``continuous_update=False``: a view that trains on release).
    """
    results = []
    for slider in live_sliders():
        original = slider.value
        positions = slider_positions(slider, points)
        for value in positions:
            if value == slider.value:
                # Setting the same value fires no observer; step away first so every
                # position is really drawn.
                others = [v for v in positions if v != value]
                if others:
                    slider.value = others[0]
            errors_before = len(_error_outputs())
            start = time.perf_counter()
            error = None
            try:
                slider.value = value
            except Exception:  # noqa: BLE001 - the sweep reports, the test fails
                error = traceback.format_exc(limit=3)
            seconds = time.perf_counter() - start
            new_errors = _error_outputs()[errors_before:]
            if error is None and new_errors:
                error = "; ".join(new_errors)
            results.append({"label": slider.description, "value": value,
                            "seconds": seconds, "error": error,
                            "trains": not slider.continuous_update})
        try:
            slider.value = original
        except Exception:  # noqa: BLE001
            pass
    return results


def sweep_report(points: int = 3) -> None:
    """Print the sweep's results as one JSON line (read by tests and benchmarks)."""
    print("SWEEP-JSON " + json.dumps(sweep_sliders(points), default=str))
