"""Build the course website from the committed, executed notebooks — offline, one command.

    python docs/build_site.py            # -> build/site/index.html
    python docs/build_site.py OUT_DIR

Copies the notebooks, the instructors' guide and a home page made from the README's
syllabus into a scratch source folder, adds to each notebook a first cell with a "Launch on
Binder" link (to that notebook) and a download link for its .ipynb, and runs Sphinx with
MyST-NB (configuration: docs/site/conf.py). Nothing is executed and nothing is fetched.
"""

from __future__ import annotations

import re
import shutil
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SITE_CONF = ROOT / "docs" / "site"
DEFAULT_OUT = ROOT / "build" / "site"


def binder_repo(readme: str) -> str:
    """The <owner>/<repo> named on the README's ``BINDER_REPO:`` line."""
    match = re.search(r"^BINDER_REPO: `([^`]+)`", readme, flags=re.MULTILINE)
    if not match:
        raise ValueError("README.md: no line 'BINDER_REPO: `<owner>/<repo>`' found")
    return match.group(1)


def syllabus_rows(readme: str) -> list[tuple[str, str, str, str]]:
    """(number, title, notebook file, what you learn) for each row of the README's syllabus."""
    rows = []
    pattern = re.compile(r"^\| (\d\d) \| \[([^\]]+)\]\(notebooks/([^)]+\.ipynb)\) \| (.+) \|$")
    for line in readme.splitlines():
        match = pattern.match(line.strip())
        if match:
            rows.append(match.groups())
    if not rows:
        raise ValueError("README.md: no syllabus rows '| NN | [Title](notebooks/NN_x.ipynb) | … |'")
    return rows


def binder_url(repo: str, notebook: str) -> str:
    return (f"https://mybinder.org/v2/gh/{repo}/HEAD"
            f"?urlpath=lab/tree/notebooks/{notebook}")


def links_cell(repo: str, notebook: str):
    """The first cell each notebook page gets: launch on Binder, download the notebook."""
    return nbformat.v4.new_markdown_cell(
        f"[🚀 Launch this notebook on Binder]({binder_url(repo, notebook)}) · "
        f"{{download}}`⬇ Download {notebook} <{notebook}>`"
    )


def home_page(readme: str, rows) -> str:
    intro = readme.split("\n## ", 1)[0]
    intro = re.sub(r"^\[!\[Launch on Binder\].*$", "", intro, flags=re.MULTILINE)
    intro = re.sub(r"^(The repository's|BINDER_REPO|— a fork).*$", "", intro, flags=re.MULTILINE)
    intro = re.sub(r"^\[binder\]:.*$", "", intro, flags=re.MULTILINE)
    lines = [intro.strip(), "", "## Syllabus", "",
             "| # | notebook | what you learn |", "|---|---|---|"]
    for number, title, notebook, what in rows:
        lines.append(f"| {number} | [{title}](notebooks/{notebook}) | {what} |")
    lines += ["", "Read each notebook here as committed (run top to bottom); to move the "
              "sliders, launch it on Binder or run the course locally (see the README).", "",
              "```{toctree}", ":caption: Course", ":maxdepth: 1", ""]
    lines += [f"notebooks/{Path(notebook).stem}" for _, _, notebook, _ in rows]
    lines += ["```", "", "```{toctree}", ":caption: Teaching", ":maxdepth: 1", "",
              "instructors", "```", ""]
    return "\n".join(lines)


def prepare_sources(source: Path) -> list[str]:
    """Fill ``source`` with conf.py, index.md, instructors.md and the notebooks."""
    readme = (ROOT / "README.md").read_text()
    repo, rows = binder_repo(readme), syllabus_rows(readme)
    if source.exists():
        shutil.rmtree(source)
    (source / "notebooks").mkdir(parents=True)
    shutil.copy(SITE_CONF / "conf.py", source / "conf.py")
    (source / "index.md").write_text(home_page(readme, rows))
    guide = (ROOT / "docs" / "instructors.md").read_text()
    (source / "instructors.md").write_text(guide)
    pages = []
    for _, _, notebook, _ in rows:
        nb = nbformat.read(ROOT / "notebooks" / notebook, as_version=4)
        nb.cells.insert(0, links_cell(repo, notebook))
        nbformat.write(nb, source / "notebooks" / notebook)
        pages.append(notebook)
    figures = ROOT / "notebooks" / "figures"
    if figures.exists():
        shutil.copytree(figures, source / "notebooks" / "figures")
    return pages


def build(out: Path = DEFAULT_OUT, quiet: bool = True) -> Path:
    """Build the site into ``out`` (replaced); return the path of its index.html."""
    from sphinx.cmd.build import build_main

    out = Path(out)
    source = out.parent / (out.name + "-src")
    prepare_sources(source)
    if out.exists():
        shutil.rmtree(out)
    args = ["-b", "html", "-q", "--keep-going", "-j", "2", str(source), str(out)]
    if not quiet:
        args.remove("-q")
    status = build_main(args)
    if status != 0:
        raise RuntimeError(f"sphinx-build failed with status {status} (see the messages above)")
    return out / "index.html"


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else DEFAULT_OUT
    start = time.perf_counter()
    index = build(out)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"built {index} in {time.perf_counter() - start:.1f} s ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
