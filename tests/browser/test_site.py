"""The built site in a real browser: every page works offline, typeset, with its images.

    make browser            # builds the site, then runs: pytest tests/browser

``build/site/`` is served on 127.0.0.1 (``http.server`` in a thread, a free port) and
each HTML page is opened in the system Chromium, headless, driven by Playwright (which
never downloads a browser of its own here). A page passes when it has no failed request,
no request to any other host (those are aborted, never sent), no web font for text (only
the theme's bundled icon font), no console error, every ``<img>`` decoded, and every
formula typeset by the local MathJax with no TeX left raw. A screenshot of each page
goes to ``build/screenshots/`` (first screen; with ``SCREENSHOTS=full`` also
``full/``, the whole page). ``CPU_SLOWDOWN=8`` throttles every tab's CPU eightfold: the
checks wait on the page's own events, never on time, and must pass that way too.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import nbformat
import pytest

from ci.build_site import CHINESE
from ci.catalog import notebook_paths
from ci.lab_check import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "build" / "site"
SHOTS = ROOT / "build" / "screenshots"
NOT_PAGES = {"_static", "_images", "_downloads", "_sources"}
NO_SITE = "no-site"
ICON_FONTS = "/_static/vendor/fontawesome/"  # the theme's icons, bundled; text: none
TIMEOUT_MS = 60_000
FULL_SHOTS = os.environ.get("SCREENSHOTS") == "full"
# A slow machine, on demand: CPU_SLOWDOWN=8 runs every tab's main thread 8 times slower
# (Chromium's own CPU throttling), the way a busy CI runner or an old laptop does.
CPU_SLOWDOWN = float(os.environ.get("CPU_SLOWDOWN") or 1)

# Typeset check, run in the page after its load event (so the deferred MathJax script
# has run) once MathJax, when the page loads it, has finished its first typesetting.
MATH_JS = """async () => {
  const loads = document.querySelector('script[src*="mathjax"]');
  const started = window.MathJax && MathJax.startup && MathJax.startup.promise;
  if (started) {
    await MathJax.startup.promise;
  }
  const math = [...document.querySelectorAll('.math')];
  const skip = 'pre, code, script, style, textarea, mjx-container, .highlight';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const raw = /\\$\\$|\\\\\\(|\\\\\\[|\\$[^\\s$][^$\\n]*\\$/;
  const left = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.parentElement.closest(skip) && raw.test(node.textContent)) {
      left.push(node.textContent.trim().slice(0, 80));
    }
  }
  return {
    count: math.length,
    untypeset: math.filter(e => !e.querySelector('mjx-container'))
                   .map(e => e.textContent.trim().slice(0, 80)),
    errors: [...document.querySelectorAll('mjx-merror, [data-mml-node="merror"]')]
                .map(e => e.textContent.slice(0, 80)),
    raw: left,
    unstarted: Boolean(loads && !started),
  };
}"""

# Image check: load every <img> now (lazy ones too) and report its natural width.
IMAGES_JS = """async () => {
  const imgs = [...document.images];
  imgs.forEach(img => { img.loading = 'eager'; });
  const settle = img => img.complete ? null : new Promise(done => {
    img.addEventListener('load', done); img.addEventListener('error', done);
  });
  const timeout = new Promise(done => setTimeout(done, 20000));
  await Promise.race([Promise.all(imgs.map(settle)), timeout]);
  return imgs.map(img => ({src: img.getAttribute('src'), width: img.naturalWidth}));
}"""


# Each worked solution's code: folded (in a closed <details>), so not displayed.
SOLUTIONS_JS = """() => [...document.querySelectorAll('div.cell.tag_solution')].map(
    cell => ({folded: !!cell.querySelector('details:not([open]) .cell_input'),
              shown: !!cell.querySelector('.cell_input pre')?.checkVisibility()}))"""


def site_pages(site: Path = SITE) -> list[str]:
    """Return every HTML page of the built site (search and index pages included)."""
    if not (site / "index.html").is_file():
        return []
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if not NOT_PAGES & set(p.relative_to(site).parts[:-1]))


PAGES = site_pages()


def require_site() -> None:
    """Fail with the command that builds the site when it is absent."""
    if not PAGES:
        pytest.fail(f"{SITE.relative_to(ROOT)}/index.html is missing: build the site "
                    "first with `make site` (or run `make browser`, which does both)",
                    pytrace=False)


class QuietHandler(SimpleHTTPRequestHandler):
    """Serve files without logging every request to stderr."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="session")
def server():
    """Serve ``build/site`` on 127.0.0.1 at a free port; yield its base URL."""
    handler = functools.partial(QuietHandler, directory=str(SITE))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture(scope="session")
def browser():
    """Launch the system Chromium headless: a fresh profile, no background requests."""
    if not Path(CHROMIUM).is_file() and not shutil.which(CHROMIUM):
        pytest.exit(f"Chromium not found at {CHROMIUM}. Install it with "
                    "`sudo apt-get install -y chromium` (Debian/Ubuntu; or run "
                    "`bash ci/ensure_chromium.sh` as root), or point CHROMIUM= at a "
                    "Chromium binary.", returncode=1)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def slowed(tab):
    """The tab, its CPU throttled by ``CPU_SLOWDOWN`` when that is set."""
    if CPU_SLOWDOWN != 1:
        session = tab.context.new_cdp_session(tab)
        session.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    return tab


def shot_name(page: str) -> str:
    """Return the screenshot file stem of a page: ``01_tensors``, ``search``."""
    return page.removesuffix(".html").replace("/", "__")


@pytest.mark.parametrize("page", PAGES or [NO_SITE])
def test_page_loads_offline_with_math_and_images(page, server, browser):
    require_site()
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  service_workers="block")
    outside, failed, errors, fonts = [], [], [], []

    def route(request_route):
        url = request_route.request.url
        if url.startswith(server):
            request_route.continue_()
        else:
            outside.append(url)
            request_route.abort("blockedbyclient")

    context.route("**/*", route)
    tab = slowed(context.new_page())
    tab.on("requestfailed", lambda r: r.url.startswith(server)
           and failed.append(f"{r.url} ({r.failure})"))
    tab.on("response", lambda r: r.status >= 400
           and failed.append(f"{r.url} ({r.status})"))
    tab.on("request", lambda r: r.resource_type == "font" and fonts.append(r.url))
    tab.on("console", lambda m: m.type == "error" and errors.append(m.text))
    tab.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    try:
        # "load", not "networkidle": on a busy machine the network can be idle for
        # 500 ms while the page is still parsing, before its deferred scripts ran.
        tab.goto(server + page, wait_until="load", timeout=TIMEOUT_MS)
        tab.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
        math = tab.evaluate(MATH_JS)
        images = tab.evaluate(IMAGES_JS)
        solutions = tab.evaluate(SOLUTIONS_JS)
        tab.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / "full").mkdir(exist_ok=True)
        tab.screenshot(path=SHOTS / f"{shot_name(page)}.png")
        if FULL_SHOTS:  # whole pages are long: a third of this test's time
            tab.screenshot(path=SHOTS / "full" / f"{shot_name(page)}.png",
                           full_page=True)
    finally:
        context.close()

    broken = [img["src"] for img in images if not img["width"]]
    text_fonts = [url for url in fonts if ICON_FONTS not in url]
    problems = [f"requests to other hosts (blocked): {outside}" * bool(outside),
                f"failed requests: {failed}" * bool(failed),
                f"web fonts for text: {text_fonts}" * bool(text_fonts),
                f"console errors: {errors}" * bool(errors),
                f"images that did not load: {broken}" * bool(broken),
                "MathJax did not start after the page loaded" * math["unstarted"],
                f"math left untypeset: {math['untypeset']}" * bool(math["untypeset"]),
                f"TeX errors from MathJax: {math['errors']}" * bool(math["errors"]),
                f"raw TeX delimiters in the text: {math['raw']}" * bool(math["raw"])]
    open_solutions = [i for i, s in enumerate(solutions, 1)
                      if not s["folded"] or s["shown"]]
    problems.append(f"solutions whose code is not folded: {open_solutions}"
                    * bool(open_solutions))
    notebook = ROOT / "notebooks" / Path(page).with_suffix(".ipynb").name
    if notebook.is_file():
        nb = nbformat.read(notebook, 4)
        expected = sum("solution" in c.metadata.get("tags", []) for c in nb.cells)
        problems.append(f"{len(solutions)} solution cells on the page, {expected} "
                        "in the notebook" * (len(solutions) != expected))
    problems = [problem for problem in problems if problem]
    assert not problems, f"{page}:\n  " + "\n  ".join(problems)


class _Links(HTMLParser):
    """Collect a page's element ids and its link targets (href and src)."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.targets: list[str] = []
        self.switches: list[str] = []  # the links to the other edition

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(found["id"])
        for key in ("href", "src"):
            if found.get(key):
                self.targets.append(found[key])
        if tag == "a" and "language-switch" in (found.get("class") or "").split():
            self.switches.append(found.get("href") or "")


def test_every_internal_link_and_anchor_resolves():
    """A link to a missing page, file or anchor anywhere in the site fails here too."""
    require_site()
    parsed = {}
    for page in PAGES:
        parser = _Links()
        parser.feed((SITE / page).read_text(encoding="utf-8"))
        parsed[page] = parser
    broken = []
    for page, parser in parsed.items():
        for target in parser.targets:
            url = urljoin(f"http://site/{page}", target)
            parts = urlsplit(url)
            if parts.netloc != "site":
                continue  # a link out (pytorch.org docs) is followed only when clicked
            path = unquote(parts.path).lstrip("/") or "index.html"
            if not (SITE / path).is_file():
                broken.append(f"{page}: {target} (no file {path})")
            elif parts.fragment and path in parsed \
                    and unquote(parts.fragment) not in parsed[path].ids:
                broken.append(f"{page}: {target} (no id #{unquote(parts.fragment)})")
    assert not broken, "broken internal links:\n" + "\n".join(broken)


def test_every_notebook_has_a_page_and_a_download():
    """The site covers each ``notebooks/NN_*.ipynb`` in both editions and offers its
    .ipynb: the English page the notebook itself, the Chinese page the same notebook
    with its markdown translated (code cells and outputs identical)."""
    require_site()
    for path in notebook_paths():
        for edition in ("", f"{CHINESE}/"):
            html = SITE / f"{edition}{path.stem}.html"
            assert html.is_file(), f"no page {html.name}: rebuild with `make site`"
            downloads = list((SITE / edition / "_downloads").glob(f"*/{path.name}"))
            assert downloads, f"no download of {path.name} in {edition or 'en'}"
            href = downloads[0].relative_to(SITE / edition).as_posix()
            assert f'href="{href}"' in html.read_text(encoding="utf-8"), \
                f"{edition}{html.name} has no download link to {href}"
            if not edition:
                assert downloads[0].read_bytes() == path.read_bytes(), \
                    f"the site's {path.name} differs from notebooks/: `make site`"
                continue
            english, chinese = nbformat.read(path, 4), nbformat.read(downloads[0], 4)
            assert [(c.cell_type, c.get("outputs")) for c in english.cells] == \
                [(c.cell_type, c.get("outputs")) for c in chinese.cells]
            pairs = list(zip(english.cells, chinese.cells, strict=True))
            assert all(e.source == c.source for e, c in pairs if e.cell_type == "code")
            prose = [(e, c) for e, c in pairs if e.cell_type == "markdown"]
            same = [e.source[:60] for e, c in prose if e.source == c.source
                    and not e.source.lstrip().startswith("$$")]
            assert not same, f"{path.name} in Chinese keeps English cells: {same}"


def test_every_page_links_to_the_same_page_in_the_other_edition():
    """Each page says its language and has one link to its counterpart, which
    exists."""
    require_site()
    for page in PAGES:
        chinese = page.startswith(f"{CHINESE}/")
        other = page.removeprefix(f"{CHINESE}/") if chinese else f"{CHINESE}/{page}"
        parser = _Links()
        html = (SITE / page).read_text(encoding="utf-8")
        parser.feed(html)
        lang = "zh-CN" if chinese else "en"
        assert f'<html lang="{lang}"' in html, f"{page} is not marked lang={lang}"
        switches = parser.switches
        assert len(switches) == 1, f"{page}: {len(switches)} language links"
        target = urljoin(f"http://site/{page}", switches[0]).removeprefix("http://site/")
        assert target == other, f"{page} links to {target}, not {other}"
        assert (SITE / other).is_file(), f"{page}: its counterpart {other} is missing"


SEARCHES = {"张量": "01_tensors", "学习率": "07_lr_schedulers",
            "优化器": "08_optimizers", "门控循环单元": "05_gru"}

# Sphinx's search page writes its summary line (empty until then) only once it has
# listed the last result, a few milliseconds apart each.
FINISHED_JS = """() => {
  const summary = document.querySelector('#search-results p.search-summary');
  return summary && summary.textContent.trim() !== '';
}"""

# The result list once the search page has finished.
RESULTS_JS = """() => [...document.querySelectorAll('#search-results li a')]
    .map(a => a.getAttribute('href'))"""


@pytest.mark.parametrize("term", SEARCHES)
def test_chinese_search_finds_the_notebook_that_teaches_it(term, server, browser):
    require_site()
    tab = slowed(browser.new_page())
    try:
        tab.goto(f"{server}{CHINESE}/search.html?q={term}", wait_until="networkidle",
                 timeout=TIMEOUT_MS)
        tab.wait_for_function(FINISHED_JS, timeout=TIMEOUT_MS)
        hrefs = tab.evaluate(RESULTS_JS)
        SHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=SHOTS / f"search_{SEARCHES[term]}.png")
    finally:
        tab.close()
    pages = [href.split("#")[0].split("?")[0] for href in hrefs]
    assert f"{SEARCHES[term]}.html" in pages, f"search {term}: {pages}"
