"""The library's layout holds: import-linter's contracts (pyproject.toml) are kept, and
every module is one the contracts know (a concept module in a layer, a lesson or a view
named after its notebook), so a new module cannot slip past them."""

import subprocess
import sys
import tomllib

from conftest import ROOT

PACKAGE = ROOT / "rnn_helpers"
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
CONTRACTS = {c["id"]: c for c in CONFIG["contracts"]}
TOOLING = {"rnn_helpers.runner"}  # how the course is checked: executes notebooks, no lesson


def test_import_contracts_are_kept():
    lint = [sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
            "lint_imports_command()", "--no-cache"]
    result = subprocess.run(lint, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout and "KEPT" in result.stdout


def test_every_module_is_in_a_layer_or_is_a_notebooks_lesson_or_view():
    layered = {m.strip() for layer in CONTRACTS["layers"]["layers"]
               for m in layer.replace("|", ":").split(":")}
    views = set(CONTRACTS["views-independent"]["modules"])
    strays = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        top = ".".join(parts[:2])
        if name == "rnn_helpers" or name in TOOLING or top in layered - {"rnn_helpers.widgets"}:
            continue
        if top == "rnn_helpers.widgets" and (name in views or parts[-1] in ("base", "sweep")
                                             or name == "rnn_helpers.widgets"):
            continue
        strays.append(name)
    assert not strays, f"modules outside the layout (add them to a layer or move them): {strays}"


def test_every_notebook_has_its_lesson_module_and_views_are_named_alike():
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    lessons = {p.stem for p in (PACKAGE / "lessons").glob("n[0-9][0-9]_*.py")}
    views = {p.stem for p in (PACKAGE / "widgets").glob("n[0-9][0-9]_*.py")}
    assert lessons == {f"n{name}" for name in notebooks}, "one lesson module per notebook"
    assert views <= lessons, f"a view module without its lesson module: {views - lessons}"
