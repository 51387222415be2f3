"""The real-browser test: JupyterLab in headless Chromium, as a student would use it.

For every notebook: open it, Run All, wait for the kernel, assert no error output and no
broken widget, then move each slider in ``SLIDERS`` with the keyboard (Home, a step,
End, a step back) and assert its plot changed each time the value did. Every slider a
notebook shows must be listed here, so a new slider without a browser check fails.

Without Chromium at /usr/bin/chromium the test skips with how to install it, unless
RNN_COURSE_REQUIRE_BROWSER=1 (set by .ci/run), where that is a failure.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from conftest import course_notebooks

CHROMIUM = Path("/usr/bin/chromium")

# (notebook, slider label): one row per slider of the course.
SLIDERS = [
    ("00_start_here.ipynb", "memory a"),
    ("01_hidden_state_vs_hidden_layer.ipynb", "time step"),
    ("03_backprop_through_time.ipynb", "truncation k"),
    ("04_vanishing_and_exploding_gradients.ipynb", "spectral radius"),
    ("04_vanishing_and_exploding_gradients.ipynb", "clip threshold"),
    ("05_teacher_forcing.ipynb", "teacher forcing ratio"),
    ("06_lstm.ipynb", "time step"),
    ("07_gru.ipynb", "update gate bias"),
    ("09_language_models.ipynb", "temperature"),
    ("10_seq2seq_and_attention.ipynb", "output step"),
]

NOTEBOOKS = course_notebooks()
RUN_ALL_TIMEOUT_S = 240
REDRAW_TIMEOUT_S = 60


def _require_browser():
    if CHROMIUM.exists():
        return
    message = (f"no Chromium at {CHROMIUM}: install it with "
               "`sudo apt-get install -y chromium` (Debian/Ubuntu) to run the browser test")
    if os.environ.get("RNN_COURSE_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " — RNN_COURSE_REQUIRE_BROWSER=1 requires it")
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 with a random token, serving a copy of notebooks/."""
    _require_browser()
    base = tmp_path_factory.mktemp("lab")
    root = base / "notebooks"
    shutil.copytree(Path(__file__).resolve().parent.parent / "notebooks", root,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    settings = base / "app-settings"
    settings.mkdir()
    # windowingMode "none" keeps off-screen cells in the page, so every output is there.
    (settings / "overrides.json").write_text(json.dumps({
        "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension:notification": {"checkForUpdates": False,
                                                        "fetchNews": "false"},
    }))
    token, port = secrets.token_hex(16), _free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(base / "config"),
               JUPYTER_RUNTIME_DIR=str(base / "runtime"))
    log = open(base / "server.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}", "--allow-root",
         f"--ServerApp.root_dir={root}", f"--LabApp.app_settings_dir={settings}",
         f"--LabApp.user_settings_dir={base / 'user-settings'}",
         f"--LabApp.workspaces_dir={base / 'workspaces'}"],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.time() > deadline:
                log.close()
                pytest.fail("JupyterLab did not start:\n" + (base / "server.log").read_text())
            time.sleep(0.5)
    yield {"url": url, "token": token, "root": root, "env": env}
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


@pytest.fixture(scope="module")
def browser(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


def _panel(page):
    """The one notebook open in the page (the tests open each in a reset workspace)."""
    return page.locator(".jp-NotebookPanel")


def _prompts(page) -> list[str]:
    return _panel(page).locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()


def _run_all_and_wait(page, n_code_cells: int) -> None:
    # Clear first: the committed notebook already shows numbered prompts, which would
    # look like a finished run before the kernel has started on the first cell.
    page.get_by_role("menuitem", name="Edit", exact=True).click()
    page.get_by_role("menuitem", name="Clear Outputs of All Cells", exact=True).click()
    deadline = time.time() + 30
    while any(p.strip("[]: ") for p in _prompts(page)):
        if time.time() > deadline:
            pytest.fail(f"outputs were not cleared before Run All: {_prompts(page)}")
        time.sleep(0.2)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    deadline, quiet, started = time.time() + RUN_ALL_TIMEOUT_S, 0, False
    while time.time() < deadline:
        prompts = _prompts(page)
        numbered = [p for p in prompts if p.strip("[]: ").isdigit()]
        busy = any("*" in p for p in prompts)
        started = started or busy or bool(numbered)
        if len(numbered) == n_code_cells and not busy:
            return
        # Run All stops at an error: then the kernel idles with cells left unnumbered.
        indicator = page.locator(".jp-Notebook-ExecutionIndicator").first
        status = indicator.get_attribute("data-status")
        quiet = quiet + 1 if (started and not busy and status == "idle") else 0
        if quiet >= 6:
            return
        time.sleep(0.5)
    pytest.fail(f"Run All did not finish within {RUN_ALL_TIMEOUT_S} s: prompts {_prompts(page)}")


def _saved_errors(page, path: Path) -> list[str]:
    """Save the notebook from the browser and list error outputs / unrun cells in it."""
    page.keyboard.press("Control+s")
    time.sleep(1.0)
    nb = nbformat.read(path, as_version=4)
    problems = []
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        if cell.execution_count is None:
            problems.append(f"code cell {i} did not run")
        for out in cell.outputs:
            if out.output_type == "error":
                problems.append(f"code cell {i}: {out.ename}: {out.evalue}")
    return problems


def _widget_errors(page) -> list[str]:
    errors = _panel(page).locator(".jupyter-widgets-error-widget")
    texts = []
    for i in range(errors.count()):
        errors.nth(i).click()
        texts.append(errors.nth(i).inner_text()[:400])
    traceback = _panel(page).get_by_text("Traceback (most recent call last)")
    if traceback.count():
        texts.append("a traceback is shown on the page")
    return texts


def _slider(page, label):
    return _panel(page).locator(
        ".widget-slider", has=page.locator(".widget-label", has_text=label)).first


def _images(container) -> list[str]:
    return [img.get_attribute("src") or "" for img in container.locator("img").all()]


def _move(page, slider, container, key: str, label: str) -> bool:
    """Press ``key`` on the slider's handle; if its value changed, its plot must change."""
    readout = slider.locator(".widget-readout")
    before_value, before_images = readout.inner_text(), _images(container)
    slider.locator(".noUi-handle").first.focus()
    page.keyboard.press(key)
    time.sleep(0.3)
    after_value = readout.inner_text()
    if after_value == before_value:
        return False
    deadline = time.time() + REDRAW_TIMEOUT_S
    while _images(container) == before_images:
        if time.time() > deadline:
            pytest.fail(f"slider {label!r}: moved {before_value} → {after_value} with {key}, "
                        "but its plot did not change")
        time.sleep(0.2)
    return True


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_and_sliders_redraw_in_browser(lab, browser, path):
    labels = [label for name, label in SLIDERS if name == path.name]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        # ?reset: a fresh workspace, so the previous test's notebook is not reopened beside it.
        page.goto(f"{lab['url']}/lab/tree/{path.name}?reset&token={lab['token']}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        # The kernel is ready when the status bar says so (the indicator idles earlier).
        page.locator(".jp-StatusBar-TextItem", has_text="Idle").first.wait_for(timeout=90_000)
        n_code = sum(c.cell_type == "code" for c in nbformat.read(path, as_version=4).cells)
        _run_all_and_wait(page, n_code)
        problems = _saved_errors(page, lab["root"] / path.name) + _widget_errors(page)
        assert not problems, f"{path.name}: " + "; ".join(problems)

        assert _panel(page).count() == 1, "exactly one notebook must be open"
        shown = set(_panel(page).locator(".widget-slider .widget-label").all_inner_texts())
        assert shown == set(labels), (f"{path.name}: sliders on the page {sorted(shown)} differ "
                                      f"from the table in tests/test_browser.py {sorted(labels)}")
        for label in labels:
            slider = _slider(page, label)
            container = slider.locator(
                "xpath=ancestor::div[contains(@class,'jupyter-widgets')][.//img][1]")
            assert container.count() == 1, f"slider {label!r}: no plot next to it"
            moved = [_move(page, slider, container, key, label)
                     for key in ["Home", "ArrowRight", "End", "ArrowLeft"]]
            # From any start at most one of these four keys can leave the value unchanged.
            assert sum(moved) >= 3, f"slider {label!r} did not follow the keyboard: {moved}"
            assert not _widget_errors(page), f"{path.name}: slider {label!r} broke a widget"
    finally:
        page.close()
        _shutdown_kernels(lab)


def _shutdown_kernels(lab) -> None:
    """Free each notebook's kernel before the next (Binder-sized memory in mind)."""
    base, token = lab["url"], lab["token"]
    with urllib.request.urlopen(f"{base}/api/kernels?token={token}", timeout=10) as r:
        kernels = json.load(r)
    for kernel in kernels:
        req = urllib.request.Request(f"{base}/api/kernels/{kernel['id']}?token={token}",
                                     method="DELETE")
        urllib.request.urlopen(req, timeout=10)


# Notebooks opened WITHOUT running them: every view must show its picture, both when the
# notebook is untrusted (a fresh clone, Binder: JupyterLab shows the output's image/png)
# and when it is trusted (JupyterLab draws the widget from the saved widget state).
UNRUN = ["00_start_here.ipynb", "04_vanishing_and_exploding_gradients.ipynb"]


def _view_cells(path: Path) -> list[int]:
    """Indices (among code cells) of the cells whose output is an interactive view."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    return [i for i, c in enumerate(code) for o in c.outputs
            if "interactive view" in o.get("data", {}).get("text/plain", "")]


@pytest.mark.parametrize("trusted", [False, True], ids=["untrusted", "trusted"])
@pytest.mark.parametrize("name", UNRUN)
def test_views_show_their_picture_without_running(lab, browser, name, trusted):
    # A fresh copy of the committed notebook: the run-all tests above save theirs in place.
    copy = f"unrun-{'trusted' if trusted else 'untrusted'}-{name}"
    path = lab["root"] / copy
    shutil.copy(Path(__file__).resolve().parent.parent / "notebooks" / name, path)
    if trusted:
        subprocess.run([sys.executable, "-m", "jupyter", "trust", str(path)], check=True,
                       capture_output=True, env=lab["env"])
    cells = _view_cells(path)
    assert cells, f"{name}: no interactive view in the committed outputs"
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{lab['url']}/lab/tree/{copy}?reset&token={lab['token']}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        page.locator(".jp-StatusBar-TextItem", has_text="Idle").first.wait_for(timeout=90_000)
        time.sleep(2.0)  # saved widget state is restored after the kernel is ready
        code_cells = _panel(page).locator(".jp-CodeCell")
        for index in cells:
            cell = code_cells.nth(index)
            cell.scroll_into_view_if_needed()
            deadline = time.time() + 30
            while True:
                widths = [img.evaluate("i => i.complete ? i.naturalWidth : 0")
                          for img in cell.locator(".jp-OutputArea-output img").all()]
                if any(w > 100 for w in widths):
                    break
                if time.time() > deadline:
                    text = cell.locator(".jp-OutputArea").inner_text()[:300]
                    pytest.fail(f"{name} ({'trusted' if trusted else 'untrusted'}): code cell "
                                f"{index} shows no picture of its view; it shows {text!r}")
                time.sleep(0.5)
            assert not cell.get_by_text("Error displaying widget").count(), \
                f"{name}: code cell {index} shows a widget error"
            assert "VBox(" not in cell.inner_text(), f"{name}: code cell {index} shows a repr"
    finally:
        page.close()
        _shutdown_kernels(lab)


# Slides: the notebook is run in JupyterLab, then presented as slides with the Deck button of
# jupyterlab-slideshow (the same live notebook, so its widgets stay live); the instructor
# clicks forward to the live demo's slide and moves the slider.
SLIDE_DEMO = ("00_start_here.ipynb", "memory a")


def _visible_slider(page, label):
    sliders = _panel(page).locator(".widget-slider",
                                   has=page.locator(".widget-label", has_text=label))
    return next((s for s in sliders.all() if s.is_visible()), None)


def test_slide_mode_reaches_the_slider_demo_and_it_redraws(lab, browser):
    name, label = SLIDE_DEMO
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{lab['url']}/lab/tree/{name}?reset&token={lab['token']}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        page.locator(".jp-StatusBar-TextItem", has_text="Idle").first.wait_for(timeout=90_000)
        path = lab["root"] / name
        n_code = sum(c.cell_type == "code" for c in nbformat.read(path, as_version=4).cells)
        _run_all_and_wait(page, n_code)
        _panel(page).locator(".jp-Cell").first.click()  # the deck starts at the title slide
        page.locator('[data-command="deck:toggle"]').first.click()
        forward = page.locator(".jp-deck-mod-direction-forward")
        forward.wait_for(timeout=30_000)
        slides = 0
        while (slider := _visible_slider(page, label)) is None:
            if slides > 20 or "jp-mod-disabled" in (forward.get_attribute("class") or ""):
                pytest.fail(f"{name}: no slide of the deck shows the slider {label!r}")
            forward.click()
            slides += 1
            time.sleep(0.8)
        container = slider.locator(
            "xpath=ancestor::div[contains(@class,'jupyter-widgets')][.//img][1]")
        moved = [_move(page, slider, container, key, label) for key in ["End", "Home"]]
        assert all(moved), f"slide mode: slider {label!r} did not move with the keyboard"
        assert not _widget_errors(page), f"slide mode: {name}'s view broke"
        assert 1 <= slides <= 10, f"{name}: the demo is {slides} clicks into the deck"
    finally:
        stop = page.locator(".jp-deck-mod-stop")
        if stop.count() and stop.first.is_visible():
            stop.first.click()  # leave slide mode: it is a saved setting of JupyterLab
            time.sleep(1.0)
        page.close()
        _shutdown_kernels(lab)
