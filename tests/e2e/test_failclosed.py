"""Fail-closed builds: each kind of bad input stops the build with a message naming file and
place, and leaves the published figures and the previous HTML as they were; data changes
re-execute exactly the chapters that read them."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from borderbook import freshness, paths

from tests.conftest import tree_digest

TOC = """format: jb-book
root: chapters/index
chapters:
  - file: chapters/01-introduction
  - file: chapters/data
  - file: chapters/numbers
  - file: chapters/glossary
  - file: chapters/reproducibility
  - file: chapters/bibliography
"""
LINK = re.compile(r"\{doc\}`(?:([^`<]*?)\s*<)?([^`<>]+)>?`")


class Book:
    """A scratch copy of the project, with its own borderbook, data, figures and _build: a
    small book (TOC) whose links to the chapters it leaves out become plain text."""

    def __init__(self, root):
        paths.scratch_copy(root)
        (root / "_toc.yml").write_text(TOC)
        kept = {Path(line.split("file: ")[1]).name for line in TOC.splitlines() if "file: " in line}
        for page in (root / "chapters").glob("*.md"):
            text = page.read_text(encoding="utf-8")
            page.write_text(LINK.sub(lambda link: link.group(0) if Path(link.group(2)).name in kept
                                     else link.group(1) or f"`{link.group(2)}`", text), encoding="utf-8")
        self.root = root

    def build(self, kind="html"):
        environment = {**os.environ, "PYTHONPATH": str(self.root)}
        result = subprocess.run([sys.executable, "-m", "borderbook", "build", kind], cwd=self.root,
                                env=environment, capture_output=True, text=True, timeout=900)
        return result.returncode, result.stdout + result.stderr

    def edit(self, relative, old, new):
        path = self.root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A copy built once successfully, so that failures can be seen to keep its outputs."""
    book = Book(tmp_path_factory.mktemp("book"))
    code, output = book.build()
    assert code == 0, output[-3000:]
    return book


def executed(output):
    """The chapters a build's output says it executed (MyST-NB's lines or the parallel runner's)."""
    return set(re.findall(r"chapters/([\w-]+)\.md: Execut(?:ing|ed) notebook", output))


def _copy_of(built, root):
    """A fresh copy of the built book (outputs and cache included), to break one way."""
    shutil.copytree(built.root, root, dirs_exist_ok=True)
    book = Book.__new__(Book)
    book.root = root
    return book


CHAPTER = "chapters/01-introduction.md"


@pytest.mark.parametrize("change, message", [
    ((CHAPTER, "## The plan of the book", "The border is 1,344 km long.\n\n## The plan of the book"),
     r"01-introduction\.md:\d+: WARNING: quantity typed into prose"),
    ((CHAPTER, "## The plan of the book", "{glue}`no-such-number`\n\n## The plan of the book"),
     r"01-introduction\.md:\d+: WARNING: No key 'no-such-number'"),
    ((CHAPTER, "## The plan of the book", "{glue}`numbers.md::length-mfa`\n\n## The plan of the book"),
     r"01-introduction\.md:\d+: WARNING: .*pastes a value from another page"),
    ((CHAPTER, "## The plan of the book", "A claim.[^missing]\n\n## The plan of the book"),
     r"01-introduction\.md:\d+: WARNING: footnote \[\^missing\] has no definition"),
    ((CHAPTER, "a spread of {glue}`length-spread`", "a wide spread"),
     r"WARNING: published number or figure 'length-spread' \(chapter 01-introduction\) is used by no page"),
    (("data/raw/border_lengths.csv", "mfatj2013border", "nosuchkey2099"),
     r"border_lengths\.csv, row 3, field 'source': 'nosuchkey2099' is not a key of references\.bib"),
    (("data/raw/border_lengths.csv", "1344.15", "about 1344"),
     r"border_lengths\.csv: .*\n.*row 3, field 'value': type-error"),
    ((CHAPTER, "publish.finish()", "raise ValueError('boom')\npublish.finish()"),
     r"the chapter raised: ValueError: boom"),
])
def test_bad_input_stops_the_build_and_keeps_what_was_published(tmp_path, built, change, message):
    book = _copy_of(built, tmp_path)
    figures, html = tree_digest(tmp_path / "figures"), tree_digest(tmp_path / "_build" / "html")
    book.edit(*change)
    code, output = book.build()
    assert code != 0
    assert re.search(message, re.sub(r"\x1b\[[0-9;]*m", "", output)), output[-3000:]
    assert "The previous HTML is unchanged" in output
    assert tree_digest(tmp_path / "figures") == figures
    assert tree_digest(tmp_path / "_build" / "html") == html


def test_tex_missing_gives_the_packages_to_install(built):
    environment = {**os.environ, "PYTHONPATH": str(built.root), "PATH": os.path.dirname(sys.executable)}
    result = subprocess.run([sys.executable, "-m", "borderbook", "build", "pdf"], cwd=built.root,
                            env=environment, capture_output=True, text=True)
    assert result.returncode == 1
    assert "xelatex not found" in result.stderr and "texlive-xetex" in result.stderr


def test_a_data_change_re_executes_exactly_its_readers(tmp_path, built):
    book = _copy_of(built, tmp_path)
    code, output = book.build()
    assert code == 0 and executed(output) == set(), "an unchanged book executed a notebook"
    book.edit("data/raw/border_lengths.csv", ",1300,,approx,", ",1310,,approx,")
    code, output = book.build()
    assert code == 0, output[-3000:]
    assert executed(output) == {"01-introduction"}
    page = (tmp_path / "_build" / "html" / "chapters" / "01-introduction.html").read_text()
    register = (tmp_path / "_build" / "html" / "chapters" / "numbers.html").read_text()
    assert "about 1,310 km" in page and "about 1,310 km" in register
    catalogue = (tmp_path / "_build" / "html" / "chapters" / "data.html").read_text()
    assert freshness.checksum(tmp_path / "data/raw/border_lengths.csv")[:12] in catalogue


def test_a_bare_jupyter_book_build_re_executes_the_importers_of_a_changed_helper(tmp_path, built):
    # The extension acts inside Sphinx, so it holds without borderbook's build command too.
    book = _copy_of(built, tmp_path)
    book.edit("borderbook/style.py", '"""', '"""Edited. ')
    jupyter_book = os.path.join(os.path.dirname(sys.executable), "jupyter-book")
    result = subprocess.run([jupyter_book, "build", ".", "-n", "-W", "--keep-going"], cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(tmp_path)}, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert executed(result.stdout + result.stderr) == {"01-introduction", "glossary", "reproducibility"}


def test_reverting_a_code_edit_republishes_what_the_code_computes(tmp_path, built):
    # A cache hit restores old outputs without running the chapter; the register must follow.
    book = _copy_of(built, tmp_path)
    register = tmp_path / "figures" / "numbers.json"
    book.edit(CHAPTER, '"river + land + lake"', '"land + lake + river"')
    code, output = book.build()
    assert code == 0 and executed(output) == {"01-introduction"}
    assert '"land + lake + river"' in register.read_text()
    book.edit(CHAPTER, '"land + lake + river"', '"river + land + lake"')
    code, output = book.build()
    assert code == 0 and executed(output) == {"01-introduction"}
    assert '"river + land + lake"' in register.read_text()


def test_an_unchanged_book_is_not_rebuilt_and_a_missing_output_is(tmp_path, built):
    book = _copy_of(built, tmp_path)
    html = tmp_path / "_build" / "html"
    before = tree_digest(html), (html / "index.html").stat().st_mtime_ns
    code, output = book.build()
    assert code == 0 and "nothing to do" in output and "Running Sphinx" not in output
    assert (tree_digest(html), (html / "index.html").stat().st_mtime_ns) == before
    shutil.rmtree(html)
    code, output = book.build()
    assert code == 0 and "Running Sphinx" in output and (html / "index.html").exists()


def test_the_reproducibility_page_shows_the_latest_verification(tmp_path):
    book = Book(tmp_path)
    report = tmp_path / "_build" / "verify" / "report.json"
    page = tmp_path / "_build" / "html" / "chapters" / "reproducibility.html"
    for identical, verdict in ((False, "differences found"), (True, "everything identical")):
        report.parent.mkdir(parents=True, exist_ok=True)
        parts = {part: {"count": 3, "differences": [] if identical else ["x"]}
                 for part in ("numbers", "figures", "data")}
        report.write_text(json.dumps({**parts, "identical": identical}))
        code, output = book.build()
        assert code == 0, output[-3000:]
        assert f"last reported {verdict}" in page.read_text(encoding="utf-8")


def test_a_new_page_reaches_the_sidebar_of_every_page(tmp_path, built):
    book = _copy_of(built, tmp_path)
    # A first build in the copy writes every page (Sphinx sees a new folder); an edit makes it run.
    book.edit(CHAPTER, "## The plan of the book", "## The plan of this book")
    assert book.build()[0] == 0
    (tmp_path / "chapters" / "extra.md").write_text("# An extra appendix\n\nSome words.\n", encoding="utf-8")
    book.edit("_toc.yml", "  - file: chapters/bibliography",
              "  - file: chapters/extra\n  - file: chapters/bibliography")
    code, output = book.build()
    assert code == 0, output[-3000:]
    for page in ("01-introduction", "numbers", "glossary"):
        html = (tmp_path / "_build" / "html" / "chapters" / f"{page}.html").read_text(encoding="utf-8")
        assert "An extra appendix" in html, f"{page} does not list the new page in its sidebar"


def test_an_edit_to_the_extension_reaches_every_page(tmp_path, built):
    book = _copy_of(built, tmp_path)
    # A first build in the copy writes every page (Sphinx sees a new folder); an edit makes it run.
    book.edit(CHAPTER, "## The plan of the book", "## The plan of this book")
    assert book.build()[0] == 0
    book.edit("borderbook/sphinxext.py", 'dataset.mode ||= "auto";', 'dataset.mode ||= "auto"; /* edited */')
    code, output = book.build()
    assert code == 0, output[-3000:]
    pages = sorted((tmp_path / "_build" / "html" / "chapters").glob("*.html"))
    assert pages and [p.name for p in pages if "/* edited */" not in p.read_text(encoding="utf-8")] == []


def test_deleting_figures_republishes_them_although_the_cache_is_warm(tmp_path, built):
    book = _copy_of(built, tmp_path)
    shutil.rmtree(tmp_path / "figures")
    code, output = book.build()
    assert code == 0, output[-3000:]
    assert executed(output) == {"01-introduction", "glossary", "reproducibility"}
    published = json.loads((tmp_path / "figures" / "numbers.json").read_text(encoding="utf-8"))
    assert set(published["chapters"]) == {"01-introduction", "glossary", "reproducibility"}
    assert (tmp_path / "figures" / "fig-border-lengths.svg").exists()


def test_a_chapter_that_no_longer_runs_leaves_the_register(tmp_path, built):
    book = _copy_of(built, tmp_path)
    (tmp_path / "chapters" / "reproducibility.md").write_text(
        "# Appendix: reproducibility\n\nA page without code now.\n", encoding="utf-8")
    code, output = book.build()
    assert code == 0, output[-3000:]
    assert "reproducibility no longer runs" in output
    published = json.loads((tmp_path / "figures" / "numbers.json").read_text(encoding="utf-8"))
    assert freshness.publishing_chapters(published) == {"01-introduction", "glossary"}
