"""The HTML book in a real browser (Debian's Chromium driven by Playwright), served on localhost.

Every page loads without console errors and without a single request to another host;
every figure loads; every glued number is visible and shows its provenance on focus;
citations preview their note on hover; the search finds a term; axe-core finds no
accessibility violation, not even a minor one. Screenshots of every page, and PNGs of the
PDF's pages, are saved under _build/screenshots/ for people to look at.
"""

import functools
import http.server
import subprocess
import threading
from urllib.parse import urlparse

import pytest

from borderbook import paths

from tests.conftest import HTML, PDF, toc_files

playwright = pytest.importorskip("playwright.sync_api")
SHOTS = paths.BUILD / "screenshots"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
         "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="module")
def site():
    """The built HTML, served on a free localhost port."""
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, site):
    """A fresh page that records console errors, failed responses and every host it asks."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.console_errors, tab.failures, tab.hosts = [], [], set()
    tab.on("console", lambda m: tab.console_errors.append(m.text) if m.type == "error" else None)
    tab.on("response", lambda r: tab.failures.append(r.url) if r.status >= 400 else None)
    tab.on("request", lambda r: tab.hosts.add(urlparse(r.url).hostname))
    tab.site = site
    yield tab
    context.close()


@pytest.mark.parametrize("doc", toc_files())
def test_every_page_loads_offline_cleanly_and_accessibly(page, doc):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(f"{page.site}/{doc}.html", wait_until="networkidle")
    assert page.console_errors == []
    assert page.failures == []
    assert page.hosts <= {"127.0.0.1"}, f"requests to other hosts: {page.hosts - {'127.0.0.1'}}"
    broken = page.eval_on_selector_all("img", "images => images.filter(i => !i.complete || "
                                               "i.naturalWidth === 0).map(i => i.src)")
    assert broken == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{doc.replace('/', '-')}.png", full_page=True)
    violations = Axe().run(page).response["violations"]
    assert [(v["id"], v["impact"], len(v["nodes"])) for v in violations] == []


def test_every_glued_number_is_visible_and_shows_its_provenance_on_focus(page, register):
    for chapter in sorted({n["chapter"] for n in register["numbers"].values()}):
        page.goto(f"{page.site}/chapters/{chapter}.html", wait_until="networkidle")
        numbers = page.locator("a.bb-number")
        assert numbers.count() > 0
        for index in range(numbers.count()):
            number = numbers.nth(index)
            assert number.is_visible(), number.get_attribute("data-number")
        first = numbers.first
        first.focus()
        shown = page.evaluate("e => getComputedStyle(e, '::after').content", first.element_handle())
        name = first.get_attribute("data-number")
        assert register["numbers"][name]["formula"] in shown


def test_a_citation_links_to_its_note_and_previews_it_on_hover(page):
    page.goto(f"{page.site}/chapters/01-introduction.html", wait_until="networkidle")
    mark = page.locator("a.footnote-reference").first
    note = page.locator(mark.get_attribute("href"))
    assert note.count() == 1
    preview = page.locator("span.bb-preview").first
    assert not preview.is_visible()
    mark.hover()
    assert preview.is_visible() and "Sadozaï" in preview.inner_text()
    page.mouse.move(0, 0)
    mark.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert preview.is_visible()


def test_the_search_page_finds_a_term(page):
    page.goto(f"{page.site}/search.html?q=Badakhshan", wait_until="networkidle")
    results = page.locator("#search-results li")
    results.first.wait_for(timeout=10_000)
    assert results.count() > 0


def test_pdf_pages_are_rendered_for_people_to_look_at():
    SHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(PDF), str(SHOTS / "pdf")], check=True)
    assert len(list(SHOTS.glob("pdf-*.png"))) >= 5
