"""Notebook 00's environment check: versions, and whether widgets can render."""

from __future__ import annotations

import importlib
import platform

PACKAGES = ["numpy", "torch", "matplotlib", "ipywidgets", "tqdm"]
INSTALL_HINT = "pip install -r requirements.txt  (from the course folder, then restart JupyterLab)"


def package_versions(packages=PACKAGES) -> dict[str, str | None]:
    """{package: version} for Python and each package; None where it cannot be imported."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = importlib.import_module(name).__version__
        except ImportError:
            versions[name] = None
    return versions


def environment_report(packages=PACKAGES) -> list[str]:
    """Print one line per package and what to do about any that is missing.

    Returns:
        the names of the missing packages (empty when all is well).
    """
    versions = package_versions(packages)
    missing = [name for name, version in versions.items() if version is None]
    for name, version in versions.items():
        shown = version if version is not None else f"MISSING — install it: {INSTALL_HINT}"
        print(f"{name:<11} {shown}")
    if "ipywidgets" in missing:
        print("Without ipywidgets the sliders of this course cannot appear. " + INSTALL_HINT)
    if not missing:
        print("All set: every package the course needs is here.")
    return missing


class WidgetCheck:
    """Displays a small widget; where widgets cannot render, the fallback text says why.

    A front end that can render widgets shows the widget and hides the text; one that
    cannot (ipywidgets' JupyterLab extension missing, or a viewer such as GitHub) shows
    the plain-text fallback, which tells the student what to install.
    """

    FALLBACK = (
        "A green tick replaces this sentence when the cell runs in JupyterLab. If you have run "
        "the cell and still read it, interactive widgets are NOT rendering here: run "
        + INSTALL_HINT + ". On a static viewer (GitHub, nbviewer), open the course in "
        "JupyterLab or on Binder instead."
    )

    def _repr_mimebundle_(self, **kwargs):
        try:
            import ipywidgets as widgets
        except ImportError:
            return {"text/plain": "ipywidgets is not installed. " + INSTALL_HINT}
        label = widgets.HTML("✓ Widgets render here: the sliders of the course will work.")
        bundle = label._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = self.FALLBACK
        return bundle


def widget_check() -> WidgetCheck:
    """Return an object to display as a cell's last line: a widget or a clear message."""
    return WidgetCheck()
