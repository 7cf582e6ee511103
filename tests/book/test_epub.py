"""The EPUB: valid EPUB 3 (EPUBCheck, 0 errors), with the figures, the footnotes, the glossary's
scripts and the numbers' text; the HTML links it."""

import re
import shutil
import subprocess
import unicodedata
import zipfile

import pytest

from borderbook import data, paths

EPUB = paths.BUILD / "epub" / "taliban-at-the-border.epub"


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    """The text of each XHTML page of the EPUB, by its path in the archive."""
    if not EPUB.exists():
        pytest.fail(f"{EPUB} is missing: run `make book` first")
    with zipfile.ZipFile(EPUB) as epub:
        return {name: epub.read(name).decode("utf-8") for name in epub.namelist() if name.endswith(".xhtml")}


def _text(xhtml: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", xhtml))


def test_epubcheck_finds_no_error():
    checker = shutil.which("epubcheck")
    if not checker:
        pytest.fail("epubcheck is missing: it is in apt.txt (`make system` installs it)")
    # Debian's epubcheck is an executable jar: run it with java, binfmt or not.
    result = subprocess.run(["java", "-jar", checker, str(EPUB)], capture_output=True, text=True, timeout=600)
    report = result.stdout + result.stderr
    assert re.search(r"Messages: 0 fatals / 0 errors", report), report[-3000:]
    assert result.returncode == 0


def test_every_figure_is_in_the_epub(register):
    with zipfile.ZipFile(EPUB) as epub:
        images = {name.rsplit("/", 1)[-1] for name in epub.namelist()}
    assert sorted(f"{name}.svg" for name in register["figures"] if f"{name}.svg" not in images) == []


def test_the_numbers_text_and_the_footnotes(register, pages):
    introduction = _text(pages["chapters/01-introduction.xhtml"])
    numbers = [n for n in register["numbers"].values() if n["chapter"] == "01-introduction"]
    assert numbers and [n["name"] for n in numbers if n["text"] not in introduction] == []
    assert "Ministry of Foreign Affairs" in introduction   # a footnote's citation
    assert re.search(r'class="footnote-reference', pages["chapters/01-introduction.xhtml"])
    # A number links to its row of the register, inside the EPUB.
    assert 'href="numbers.xhtml#number-' in pages["chapters/01-introduction.xhtml"]


def test_the_glossary_keeps_every_script_form(pages):
    text = unicodedata.normalize("NFC", _text(pages["chapters/glossary.xhtml"]))
    terms, places = data.table("glossary")[0], data.table("places")[0]
    forms = [*terms["cyrillic"].dropna(), *terms["dari"].dropna(), *places["name_local"].dropna()]
    assert len(forms) >= 20
    assert [form for form in forms if unicodedata.normalize("NFC", form) not in text] == []


def test_the_html_links_the_other_editions():
    page = (paths.BUILD / "html" / "chapters" / "01-introduction.html").read_text(encoding="utf-8")
    for edition in ("taliban-at-the-border.epub", "taliban-at-the-border.pdf"):
        assert f'href="../editions/{edition}"' in page
        assert (paths.BUILD / "html" / "editions" / edition).is_file()
