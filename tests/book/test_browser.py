"""The HTML book in a real browser (Debian's Chromium driven by Playwright), served on localhost.

At desktop (1366 px), tablet (820 px) and phone widths (390 and 320 px), every page loads
without a console error or a script error, asks no other host, shows every figure, does not
scroll sideways, and axe-core finds no accessibility violation, not even a minor one; below
992 px the ☰ and "Contents" buttons open their drawer. A number's provenance and a citation's
note are popovers that screen readers get as the link's description, that stay in the window
and close with Escape; on a touch screen the first tap opens them in place. Screenshots of every
page at 390 and 1366 px, light and dark, and PNGs of the PDF's pages, are saved under
_build/screenshots/ for people to look at.
"""

import functools
import http.server
import json
import os
import re
import subprocess
import sys
import threading
from urllib.parse import urlparse

import pytest
import yaml

from borderbook import paths

from tests.conftest import HTML, PDF, toc_files

playwright = pytest.importorskip("playwright.sync_api")
SHOTS = paths.BUILD / "screenshots"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
         "--disable-background-networking", "--disable-component-update"]
WIDTHS = [1366, 820, 390, 320]
DRAWER_BELOW = 992        # the themes' breakpoint: narrower, the sidebars are drawers
SHOT_WIDTHS = {390, 1366}
FIRST_VISIT_BUDGET = 1_000_000   # bytes of the home page's first visit (2,459,998 before issue 13)


@pytest.fixture(scope="session")
def site():
    """The built HTML, served on a free localhost port."""
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = _QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A browser that drops a connection mid-file (a tab closed as a page loads) is no error
        of the site: its traceback would only clutter the test run's output."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole session; each test opens its own contexts (cheap) in it."""
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def tabs(browser, site):
    """Opens tabs of a given width (touch screens below the drawer breakpoint) that record
    console errors, uncaught script errors, failed responses and every host asked."""
    contexts = []

    def open_tab(width, dark=False):
        touch = width < DRAWER_BELOW
        context = browser.new_context(viewport={"width": width, "height": 900}, has_touch=touch,
                                      is_mobile=touch, color_scheme="dark" if dark else "light")
        contexts.append(context)
        tab = context.new_page()
        tab.errors, tab.failures, tab.hosts, tab.finished = [], [], set(), []
        tab.on("console", lambda m: tab.errors.append(f"{m.text} ({m.location['url']})")
               if m.type == "error" else None)
        tab.on("pageerror", lambda error: tab.errors.append(str(error)))
        tab.on("response", lambda r: tab.failures.append(r.url) if r.status >= 400 else None)
        tab.on("request", lambda r: tab.hosts.add(urlparse(r.url).hostname))
        tab.on("requestfinished", lambda r: tab.finished.append(r))
        tab.site = site
        return tab

    yield open_tab
    for context in contexts:
        context.close()


@pytest.fixture
def page(tabs):
    """A desktop tab."""
    return tabs(1366)


def _shot(tab, doc, width, mode):
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=SHOTS / f"{doc.replace('/', '-')}-{width}-{mode}.png", full_page=True,
                   animations="disabled")   # a full-page shot mid-transition comes out shifted


def _axe(tab):
    """axe-core's violations. Its CSS preload fetches the theme's `@import "../basic.css"`
    from the wrong folder, a 404 the page itself never asks for: the page's errors are checked
    before, and that one is dropped."""
    from axe_playwright_python.sync_playwright import Axe

    before = len(tab.errors)
    violations = Axe().run(tab).response["violations"]
    del tab.errors[before:]
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations]


def _sideways(tab):
    return tab.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("doc", toc_files())
def test_every_page_at_every_width_is_clean_accessible_and_navigable(tabs, doc, width):
    tab = tabs(width)
    tab.goto(f"{tab.site}/{doc}.html", wait_until="load")
    assert tab.failures == []
    assert tab.errors == []
    assert tab.hosts <= {"127.0.0.1"}, f"requests to other hosts: {tab.hosts - {'127.0.0.1'}}"
    broken = tab.eval_on_selector_all("img", "images => images.filter(i => !i.complete || "
                                             "i.naturalWidth === 0).map(i => i.src)")
    assert broken == []
    assert _sideways(tab) == 0, f"{doc} scrolls sideways at {width} px"
    if width in SHOT_WIDTHS:
        _shot(tab, doc, width, "light")
    assert _axe(tab) == []
    if width < DRAWER_BELOW:
        _drawer_opens_and_closes(tab, "primary", key="Escape")
        if tab.locator(".secondary-toggle:visible").count():
            _drawer_opens_and_closes(tab, "secondary", key=None)
    assert tab.errors == []


def _drawer_opens_and_closes(tab, kind, key):
    """Tap the visible toggle: the drawer opens with focus inside; close it with `key`
    (or its close button); focus returns to the toggle."""
    toggle = tab.locator(f".{kind}-toggle:visible")
    assert toggle.count() == 1
    toggle.tap()
    drawer = tab.locator(f"#pst-{kind}-sidebar-modal")
    drawer.locator("a").first.wait_for(state="visible", timeout=3_000)
    assert drawer.evaluate("d => d.open && d.contains(document.activeElement)")
    assert drawer.locator("a").count() > 0
    if key:
        tab.keyboard.press(key)
    else:
        drawer.locator(".bb-drawer-close").tap()
    tab.wait_for_function(f"!document.getElementById('pst-{kind}-sidebar-modal').open", timeout=3_000)
    tab.wait_for_function(f"document.activeElement === document.querySelector('.{kind}-toggle')",
                          timeout=3_000)


@pytest.mark.parametrize("doc", toc_files())
def test_every_page_in_the_dark_is_accessible(tabs, doc):
    """The dark theme (the reader's system setting) passes axe too, colour contrast included."""
    for width in sorted(SHOT_WIDTHS):
        tab = tabs(width, dark=True)
        tab.goto(f"{tab.site}/{doc}.html", wait_until="load")
        assert tab.evaluate("document.documentElement.dataset.theme") == "dark"
        _shot(tab, doc, width, "dark")
        if width == 390:
            assert _axe(tab) == []


def test_one_viewport_tag_one_search_field_the_licence_footer_and_the_home_page(page):
    footer = yaml.safe_load((paths.ROOT / "_config.yml").read_text(encoding="utf-8"))["html"]["extra_footer"]
    page.goto(f"{page.site}/chapters/02-borderland.html", wait_until="load")
    assert page.locator("meta[name=viewport]").count() == 1
    assert page.locator(".search-button-field:visible, .bd-search:visible").count() == 1
    assert page.locator(".extra_footer").inner_text().strip() == footer
    home = page.locator(".bd-sidebar-primary nav a.reference").first
    assert home.get_attribute("href") == "index.html"


def test_the_first_visit_to_the_home_page_is_light(tabs):
    """Sum of the response bodies of a first visit to the home page (redirect included)."""
    tab = tabs(1366)
    tab.goto(f"{tab.site}/index.html", wait_until="load")
    tab.wait_for_timeout(500)       # fonts the page asks for after `load`
    total = sum(request.sizes()["responseBodySize"] for request in tab.finished)
    names = {urlparse(request.url).path.rsplit("/", 1)[-1] for request in tab.finished}
    print(f"first visit of the home page: {total} bytes in {len(tab.finished)} responses")
    (paths.BUILD / "first-visit.json").write_text(json.dumps({"bytes": total}), encoding="utf-8")
    assert "fontawesome.js" not in names
    assert total < FIRST_VISIT_BUDGET


def test_every_icon_the_pages_draw_is_in_the_shipped_icon_fonts():
    """Icons come from cut-down fonts (_static/fonts): an icon missing there would be a blank."""
    from fontTools.ttLib import TTFont

    css = (HTML / "_static/styles/pydata-sphinx-theme.css").read_text(encoding="utf-8")
    code = {}
    for selectors, content in re.findall(r'((?:\.fa-[a-z0-9-]+:before,?)+)\{content:"\\([0-9a-f]+)"\}', css):
        for name in re.findall(r"\.fa-([a-z0-9-]+):before", selectors):
            code.setdefault(name, int(content, 16))
    fonts = {family: set(TTFont(HTML / f"_static/fonts/{file}").getBestCmap())
             for family, file in [("solid", "fa-solid-900-subset.woff"),
                                  ("brands", "fa-brands-400-subset.woff")]}
    missing = set()
    for html in HTML.rglob("*.html"):
        for classes in re.findall(r'<i class="([^"]*)"', html.read_text(encoding="utf-8")):
            names = [c[3:] for c in classes.split() if c.startswith("fa-") and c[3:] in code]
            family = "brands" if {"fab", "fa-brands"} & set(classes.split()) else "solid"
            missing |= {(family, n) for n in names if code[n] not in fonts[family]}
    for icon in re.findall(r'--pst-icon-[a-z-]+:"(.)"', css):
        if ord(icon) not in fonts["solid"] | fonts["brands"]:
            missing.add(("theme", hex(ord(icon))))
    assert missing == set()


def _inside_window(tab, locator):
    """Whether the element is (or, within a second, comes to be) wholly inside the window."""
    try:
        tab.wait_for_function("""e => { const r = e.getBoundingClientRect();
            return r.width > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth
                   && r.bottom <= innerHeight; }""", arg=locator.element_handle(), timeout=1_000)
        return True
    except playwright.TimeoutError:
        return False


def _chapters(register):
    return sorted({n["chapter"] for n in register["numbers"].values()})


def test_every_glued_number_is_visible_and_describes_its_provenance(page, register):
    for chapter in _chapters(register):
        page.goto(f"{page.site}/chapters/{chapter}.html", wait_until="load")
        numbers = page.locator("a.bb-number")
        assert numbers.count() > 0
        # Playwright's own test of visibility, on every number in one round trip
        hidden = numbers.evaluate_all("""all => all.filter(e => { const r = e.getBoundingClientRect();
            return !(e.checkVisibility() && getComputedStyle(e).visibility === 'visible'
                     && r.width > 0 && r.height > 0); }).map(e => e.dataset.number)""")
        assert hidden == [], (chapter, hidden)
        first = numbers.first
        name = first.get_attribute("data-number")
        # What a screen reader announces (Chromium's accessibility tree): the number as the
        # link's name, its provenance as the description, even before anything is shown.
        announced = _announced(page, "a.bb-number")
        assert announced["name"] == first.inner_text().strip()
        assert register["numbers"][name]["formula"] in announced["description"]
        popover = page.locator(f"#{first.get_attribute('aria-describedby')}").locator("xpath=..")
        assert not popover.is_visible()
        first.focus()
        assert popover.is_visible() and _inside_window(page, popover)
        page.keyboard.press("Escape")
        assert not popover.is_visible()
    assert page.errors == []


def _announced(tab, selector):
    """The accessible name and description Chromium gives the first element matching `selector`."""
    cdp = tab.context.new_cdp_session(tab)
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    ax = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node, "fetchRelatives": False})["nodes"][0]
    return {key: ax.get(key, {}).get("value", "") for key in ("name", "description")}


@pytest.mark.parametrize("width", [1366, 390, 320])
def test_a_number_in_a_table_or_at_the_edge_keeps_its_popover_in_the_window(tabs, register, width):
    tab = tabs(width)
    for chapter in _chapters(register):
        tab.goto(f"{tab.site}/chapters/{chapter}.html", wait_until="load")
        numbers = tab.locator("a.bb-number")
        # every number in a table's scroll box, and the one furthest right in the text (one
        # round trip to the page for all of them, not two per number)
        placed = numbers.evaluate_all("all => all.map(e => [!!e.closest('table'), e.getBoundingClientRect().right])")
        candidates = [i for i, (in_table, _) in enumerate(placed) if in_table]
        candidates.append(max(range(len(placed)), key=lambda i: placed[i][1]))
        for index in candidates:
            number = numbers.nth(index)
            number.scroll_into_view_if_needed()
            number.focus()
            popover = tab.locator(f"#{number.get_attribute('aria-describedby')}").locator("xpath=..")
            assert popover.is_visible() and _inside_window(tab, popover), \
                (chapter, number.get_attribute("data-number"), width)
            tab.keyboard.press("Escape")
            assert not popover.is_visible()
        assert _sideways(tab) == 0
    assert tab.errors == []


def test_on_a_phone_a_number_opens_in_place_then_leads_to_its_highlighted_row_and_back(tabs, register):
    tab = tabs(390)
    chapter = _chapters(register)[0]
    url = f"{tab.site}/chapters/{chapter}.html"
    tab.goto(url, wait_until="load")
    number = tab.locator("a.bb-number").nth(1)
    name = number.get_attribute("data-number")
    number.scroll_into_view_if_needed()
    number.tap()
    popover = tab.locator(f"#{number.get_attribute('aria-describedby')}").locator("xpath=..")
    assert tab.url == url, "the first tap left the page"
    assert popover.is_visible() and _inside_window(tab, popover)
    register_link = popover.get_by_role("link", name="Its row in the register of numbers")
    assert register_link.get_attribute("href") == f"numbers.html#number-{name}"
    tab.locator("article.bd-article h1").first.tap()     # a tap elsewhere closes it
    assert not popover.is_visible()
    number.tap()
    assert popover.is_visible()
    with tab.expect_navigation(wait_until="load"):
        number.tap()                          # the second tap follows the link
    assert tab.url.endswith(f"numbers.html#number-{name}")
    row = tab.locator(f"tr:has(#number-{name})")
    other = tab.locator(f"tr:has(span[id^='number-']):not(:has(#number-{name}))").first
    marked = "e => getComputedStyle(e.querySelector('td')).boxShadow"
    assert row.evaluate(marked) != other.evaluate(marked), "the target row is not highlighted"
    assert _inside_window(tab, row.locator("td").first)
    back = row.locator("a.bb-back")
    assert back.count() == 1
    with tab.expect_navigation(wait_until="load"):
        back.tap()
    assert tab.url.startswith(url)
    assert _inside_window(tab, tab.locator("a.bb-number").nth(1))
    assert tab.errors == []


def test_a_citation_links_to_its_note_and_previews_it(tabs):
    page = tabs(1366)
    page.goto(f"{page.site}/chapters/01-introduction.html", wait_until="load")
    mark = page.locator("a.footnote-reference").first
    note = page.locator(mark.get_attribute("href"))
    assert note.count() == 1
    preview = page.locator("span.bb-preview").first
    assert page.locator(f"#{mark.get_attribute('aria-describedby')}").locator("xpath=..") \
        .evaluate("e => e.classList.contains('bb-preview')")
    assert not preview.is_visible()
    mark.hover()
    assert preview.is_visible() and "Sadozaï" in preview.inner_text()
    page.keyboard.press("Escape")
    assert not preview.is_visible()
    page.mouse.move(0, 0)
    mark.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert preview.is_visible()
    page.keyboard.press("Escape")
    assert not preview.is_visible()
    # On a phone the preview fits the window and the page does not widen.
    phone = tabs(390)
    phone.goto(f"{phone.site}/chapters/01-introduction.html", wait_until="load")
    marks = phone.locator("a.footnote-reference")
    for index in range(marks.count()):
        mark = marks.nth(index)
        mark.scroll_into_view_if_needed()
        mark.tap()
        preview = phone.locator(f"#{mark.get_attribute('aria-describedby')}").locator("xpath=..")
        assert preview.is_visible() and _inside_window(phone, preview)
        assert _sideways(phone) == 0
        phone.keyboard.press("Escape")
    assert page.errors == [] and phone.errors == []


def test_a_figure_fits_the_column_and_enlarges_by_click_and_keyboard(page):
    page.goto(f"{page.site}/chapters/02-borderland.html", wait_until="load")
    widths = page.eval_on_selector_all("figure img", """images => images.map(i =>
        [i.getBoundingClientRect().width, i.closest('figure').parentElement.clientWidth])""")
    assert widths and all(image >= 0.95 * column for image, column in widths), widths
    figure = page.locator("figure").first
    image = figure.locator("img")
    column = widths[0][1]
    image.click()
    lightbox = page.locator("dialog.bb-lightbox")
    assert lightbox.evaluate("d => d.open")
    assert lightbox.locator("img").evaluate("e => e.getBoundingClientRect().width") > column
    page.keyboard.press("Escape")
    lightbox.wait_for(state="detached", timeout=2_000)
    button = figure.locator("button.bb-enlarge")
    page.wait_for_function("document.activeElement.className === 'bb-enlarge'", timeout=2_000)
    button.focus()
    page.keyboard.press("Enter")
    assert page.locator("dialog.bb-lightbox").evaluate("d => d.open")
    page.locator(".bb-lightbox-close").click()
    page.locator("dialog.bb-lightbox").wait_for(state="detached", timeout=2_000)
    assert page.errors == []


CODE_CHAPTERS = ("01-introduction", "03-closed-border", "08-afterword")


def _lands_on_code(tab, cell, code):
    """The cell the link led to is in view, its code shown, and the code is the one recorded."""
    target = tab.locator(f"#cell-{cell}")
    tab.wait_for_function("id => location.hash === '#' + id", arg=f"cell-{cell}", timeout=2_000)
    source = target.locator(".cell_input")
    assert source.is_visible(), f"cell {cell}: its code is still collapsed"
    assert _inside_window(tab, target.locator("summary")), f"cell {cell}: not brought into view"
    assert re.sub(r"\s+", "", code) in re.sub(r"\s+", "", source.inner_text())


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("chapter", CODE_CHAPTERS)
def test_a_numbers_code_link_opens_the_cell_that_computed_it(tabs, register, chapter, width):
    tab = tabs(width)
    numbers = [(name, n) for name, n in sorted(register["numbers"].items()) if n["chapter"] == chapter]
    url = f"{tab.site}/chapters/{chapter}.html"
    tab.goto(url, wait_until="load")
    assert tab.locator("div.cell .cell_input").first.is_hidden(), "code cells start collapsed"
    for name, number in (numbers[0], numbers[-1]):
        tab.goto(url, wait_until="load")
        link = tab.locator(f'a.bb-number[data-number="{name}"]').first
        link.scroll_into_view_if_needed()
        link.focus()
        popover = tab.locator(f"#{link.get_attribute('aria-describedby')}").locator("xpath=..")
        code_link = popover.get_by_role("link", name="The code that computed it")
        assert code_link.get_attribute("href") == f"#cell-{number['cell']}"
        code_link.click()
        _lands_on_code(tab, number["cell"], number["code"])
        assert tab.evaluate("document.activeElement.tagName") == "SUMMARY"   # the keyboard follows
    # The pointer leaves the text: a link the jump put under it would take the theme's hover
    # colour, which axe would then judge (the full-page shot moves the page under it too).
    tab.mouse.move(0, 0)
    assert _axe(tab) == [], "with a code cell open"
    _shot(tab, f"chapters/{chapter}", width, "code-open")
    assert _sideways(tab) == 0
    assert tab.errors == []


@pytest.mark.parametrize("chapter", CODE_CHAPTERS)
def test_a_figures_code_link_opens_the_cell_that_drew_it(page, register, chapter):
    figures = [(name, f) for name, f in sorted(register["figures"].items()) if f["chapter"] == chapter]
    page.goto(f"{page.site}/chapters/{chapter}.html", wait_until="load")
    for name, figure in figures:
        link = page.locator(f"#{name} figcaption a.bb-code-link")
        link.scroll_into_view_if_needed()
        link.click()
        _lands_on_code(page, figure["cell"], figure["code"])
    assert page.errors == []


def test_persian_script_is_tagged_and_set_in_the_shipped_font(tabs):
    tab = tabs(390)
    tab.goto(f"{tab.site}/chapters/glossary.html", wait_until="load")
    dari = tab.locator("dd span[lang='fa-AF'][dir='rtl']")
    assert dari.count() > 0
    tab.wait_for_function("document.fonts.status === 'loaded'")
    assert any(r.url.endswith("NotoNaskhArabic-Regular.ttf") for r in tab.finished)
    assert tab.evaluate("document.fonts.check('16px \"Noto Naskh Arabic Web\"', 'بدخشان')")


def test_the_search_page_finds_a_term(page):
    page.goto(f"{page.site}/search.html?q=Badakhshan", wait_until="load")
    results = page.locator("#search-results li")
    results.first.wait_for(timeout=10_000)
    assert results.count() > 0


def test_pdf_pages_are_rendered_for_people_to_look_at():
    """One pdftoppm per core, each rendering its share of the pages (file names are the same
    as one run's: pdftoppm pads page numbers to the document's page count)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("pdf-*.png"):     # an earlier, longer PDF's pages
        old.unlink()
    pages = int(re.search(r"^Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(PDF)], check=True, capture_output=True,
                                                              text=True).stdout, re.M).group(1))
    shares = min(os.cpu_count() or 1, pages)
    bounds = [(1 + pages * k // shares, pages * (k + 1) // shares) for k in range(shares)]
    runs = [subprocess.Popen(["pdftoppm", "-png", "-r", "60", "-f", str(first), "-l", str(last), str(PDF),
                              str(SHOTS / "pdf")]) for first, last in bounds]
    assert [run.wait() for run in runs] == [0] * len(runs)
    assert pages >= 5 and len(list(SHOTS.glob("pdf-*.png"))) == pages
