"""The course website: built offline from the committed notebooks, then opened in headless
Chromium with every request to another host blocked and recorded.

Fails on any request to another host, maths left untypeset (a raw ``$$`` or ``\\(`` in the
text), a figure that did not load, a broken internal link, a notebook page without its
Binder and download links, contents out of syllabus order, or a search that finds nothing.
Without Chromium at /usr/bin/chromium the browser part skips (fails under
RNN_COURSE_REQUIRE_BROWSER=1, as in CI).
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import os
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")

spec = importlib.util.spec_from_file_location("build_site", ROOT / "docs" / "build_site.py")
build_site = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_site)

README = (ROOT / "README.md").read_text()
ROWS = build_site.syllabus_rows(README)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "html"
    build_site.build(out)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.handle_error = lambda *args: None  # a page left mid-download is not a failure
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"out": out, "url": f"http://127.0.0.1:{server.server_address[1]}"}
    server.shutdown()


def test_every_syllabus_notebook_has_a_page_with_binder_and_download_links(site):
    repo = build_site.binder_repo(README)
    for _, _, notebook, _ in ROWS:
        page = site["out"] / "notebooks" / notebook.replace(".ipynb", ".html")
        assert page.exists(), f"no page for {notebook}"
        html = page.read_text()
        assert build_site.binder_url(repo, notebook).replace("&", "&amp;") in html, notebook
        downloads = [p for p in (site["out"] / "_downloads").rglob(notebook)]
        assert downloads, f"{notebook}: no downloadable copy in _downloads/"
        assert f"{downloads[0].parent.name}/{notebook}" in html, f"{notebook}: no download link"


def test_contents_follow_the_syllabus(site):
    html = (site["out"] / "index.html").read_text()
    positions = [html.find(f'href="notebooks/{Path(nb).stem}.html"') for _, _, nb, _ in ROWS]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)


def _require_browser():
    if CHROMIUM.exists():
        return
    message = f"no Chromium at {CHROMIUM}: `sudo apt-get install -y chromium` to run this test"
    if os.environ.get("RNN_COURSE_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " — RNN_COURSE_REQUIRE_BROWSER=1 requires it")
    pytest.skip(message)


UNTYPESET = """() => {
  const main = document.querySelector('main') || document.body;
  const copy = main.cloneNode(true);
  copy.querySelectorAll('pre, code, mjx-container, script, style, .highlight')
      .forEach(e => e.remove());
  const text = copy.textContent;
  return ['$$', '\\\\(', '\\\\['].filter(s => text.includes(s));
}"""

BROKEN_IMAGES = """() => Array.from(document.images)
  .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src'))"""

LINKS = """() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"""


def test_pages_offline_typeset_with_figures_and_working_links(site):
    _require_browser()
    from playwright.sync_api import sync_playwright

    origin = site["url"]
    pages = ["index.html", "instructors.html"] + [
        f"notebooks/{Path(nb).stem}.html" for _, _, nb, _ in ROWS]
    foreign, problems, internal = [], [], set()

    def route(r):
        if r.request.url.startswith(origin + "/"):
            r.continue_()
        else:
            foreign.append(r.request.url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        context = browser.new_context()
        context.route("**/*", route)
        page = context.new_page()
        for name in pages:
            page.goto(f"{origin}/{name}", wait_until="load")
            page.wait_for_function("() => !window.MathJax || (window.MathJax.startup && "
                                   "window.MathJax.startup.promise)", timeout=30_000)
            page.evaluate("() => window.MathJax ? MathJax.startup.promise : null")
            if left := page.evaluate(UNTYPESET):
                problems.append(f"{name}: untypeset maths {left}")
            if broken := page.evaluate(BROKEN_IMAGES):
                problems.append(f"{name}: figures not shown {broken[:3]}")
            if name.startswith("notebooks/") and not page.locator("mjx-container").count():
                if "$" in (site["out"] / name).read_text():
                    problems.append(f"{name}: no typeset maths")
            for href in page.evaluate(LINKS):
                if href.startswith(origin + "/"):
                    internal.add(urllib.parse.urldefrag(href)[0])
        # Search works offline: Sphinx's own index finds a word from the course.
        page.goto(f"{origin}/search.html?q=truncation", wait_until="load")
        page.locator("#search-results li").first.wait_for(timeout=30_000)
        browser.close()

    for url in sorted(internal):
        try:
            urllib.request.urlopen(url, timeout=10).close()
        except urllib.error.HTTPError as err:
            problems.append(f"broken internal link {url}: {err.code}")
    assert not foreign, f"pages requested other hosts: {sorted(set(foreign))[:10]}"
    assert not problems, "\n".join(problems)
    assert len(internal) > len(pages)  # the link check really ran
