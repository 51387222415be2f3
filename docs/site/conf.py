"""Sphinx configuration of the course website (built by ``python docs/build_site.py``).

Everything a page needs is served from the site itself: MathJax from a local copy
(``sphinx-mathjax-offline``), no widget scripts (views show their saved picture), no fonts
or analytics from other hosts. Notebooks are shown as committed, never re-executed.
"""

import importlib.util
import os
import shutil
from pathlib import Path

project = "Recurrent neural networks, from the hidden state to attention"
author = "The RNN course team"
copyright = "the RNN course team"

extensions = ["myst_nb"]
# The build script copies the course into this folder (notebooks/, instructors.md, index.md).
exclude_patterns = ["_build", "**.ipynb_checkpoints", "conf.py"]

# --- notebooks: shown as committed --------------------------------------------------------
nb_execution_mode = "off"
# Views: the committed output carries an image/png beside the widget view; the site shows
# the picture and loads no widget JavaScript (which would come from a CDN).
nb_mime_priority_overrides = [
    ("html", "application/vnd.jupyter.widget-view+json", None),
    ("html", "application/vnd.jupyter.widget-state+json", None),
]
nb_ipywidgets_js = {}
myst_enable_extensions = ["dollarmath", "amsmath"]
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header", "misc.highlighting_failure"]

# --- look --------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "RNN course"
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,  # each notebook page has its own download link
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "navigation_with_keys": False,
    "show_prev_next": True,
}
html_static_path = []
html_last_updated_fmt = None
# No pygments-based external fonts; the search page uses Sphinx's local index.
html_copy_source = False
html_show_sourcelink = False

BINDER_REPO = os.environ.get("RNN_COURSE_BINDER_REPO", "rnn-course/rnn-course")


# --- maths: MathJax 3 from the site itself ----------------------------------------------
# The MathJax files come from the PyPI package sphinx-mathjax-offline (its folder is not an
# importable name, so it is found by path); only what tex-chtml needs is copied: the
# component, the CHTML fonts, and the TeX extensions it may load on demand.
mathjax_path = "mathjax/tex-chtml.js"
MATHJAX_PARTS = ["tex-chtml.js", "output/chtml", "input/tex/extensions", "a11y", "ui",
                 "adaptors"]


def _mathjax_source() -> Path:
    spec = importlib.util.find_spec("sphinx")
    site_packages = Path(spec.origin).parent.parent
    folder = site_packages / "sphinx-mathjax-offline" / "static" / "mathjax"
    if not (folder / "tex-chtml.js").exists():
        raise RuntimeError("MathJax not found: pip install -r requirements.txt "
                           "(it installs sphinx-mathjax-offline)")
    return folder


def _copy_mathjax(app, exception):
    if exception is not None:
        return
    source, target = _mathjax_source(), Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part, dirs_exist_ok=True)
        elif (source / part).exists():
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(source / part, target / part)


def setup(app):
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
