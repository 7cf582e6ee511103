"""Fail-closed builds: each kind of bad input stops the build with a message naming file and
place, and leaves the published figures and the previous HTML as they were; data changes
re-execute exactly the chapters that read them."""

import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import pytest

from borderbook import freshness, record
from tests.conftest import tree_digest
from tests.e2e.conftest import executed

CHAPTER = "chapters/01-introduction.md"
EDITIONS = ("html", "pdf", "epub")


#: Bad prose, each caught by Sphinx with its own warning; all go into one build (-W --keep-going
#: reports every one), which costs one Sphinx run instead of one per kind.
PROSE = [
    ("The border is 1,344 km long.", r"WARNING: quantity typed into prose.*1,344 km"),
    ("{glue}`no-such-number`", r"WARNING: No key 'no-such-number'"),
    ("{glue}`numbers.md::length-mfa`", r"WARNING: .*numbers\.md::length-mfa.* pastes a value from another page"),
    ("A claim.[^missing]", r"WARNING: footnote \[\^missing\] has no definition"),
    # failed on main: a year-like count, number words and the glue directive's :doc: passed
    ("More than 2000 workers came.", r"WARNING: quantity typed into prose.*2000 workers"),
    ("It has three districts.", r"WARNING: quantity typed into prose.*three districts"),
    ("```{glue} length-mfa\n:doc: numbers.md\n```", r"WARNING: .*:doc: numbers\.md.* pastes a value from another page"),
]


def _refused(project, message):
    """Build, and check the build failed with ``message`` and left figures/ and the HTML as they were."""
    figures, html = tree_digest(project.root / "figures"), tree_digest(project.root / "_build" / "html")
    code, output = project.build()
    output = re.sub(r"\x1b\[[0-9;]*m", "", output)
    assert code != 0
    assert re.search(message, output), output[-3000:]
    assert "The previous HTML is unchanged" in output or "Nothing was published" in output
    assert tree_digest(project.root / "figures") == figures
    assert tree_digest(project.root / "_build" / "html") == html
    return output


def test_bad_prose_stops_the_build_naming_each_place(project):
    project.edit(CHAPTER, "## The plan of the book",
                 "\n\n".join(text for text, _ in PROSE) + "\n\n## The plan of the book")
    project.edit(CHAPTER, "a spread of {glue}`length-spread`", "a wide spread")
    output = _refused(project, r"01-introduction\.md:\d+: WARNING")
    for _, message in PROSE:
        assert re.search(rf"01-introduction\.md:\d+: {message}", output), message
    assert re.search(r"WARNING: published number or figure 'length-spread' \(chapter 01-introduction\) "
                     r"is used by no page", output)


@pytest.mark.parametrize("change, message", [
    (("data/raw/border_lengths.csv", "mfatj2013border", "nosuchkey2099"),
     r"border_lengths\.csv, row 3, field 'source': 'nosuchkey2099' is not a key of references\.bib"),
    (("data/raw/border_lengths.csv", "1344.15", "about 1344"),
     r"border_lengths\.csv: .*\n.*row 3, field 'value': type-error"),
    ((CHAPTER, "ch.finish()", "raise ValueError('boom')\nch.finish()"),
     r"01-introduction\.md: ValueError: boom"),
    # failed on main: a schema edit was not an input, and the book kept printing 1,344 km
    (("data/schemas/quantity.json", '"minimum": 0}},', '"minimum": 0, "maximum": 1000}},'),
     r"border_lengths\.csv: .*\n.*row \d+, field 'value': constraint-error"),
    # failed on main: an empty "The book did not build:"
    (("data/datapackage.json", '"resources": [', '"resources": [,'),
     r"data/datapackage\.json, line \d+, column \d+: invalid JSON"),
    # failed before: a quantity typed into a figure's caption in a chapter's code was published
    ((CHAPTER, 'caption="Published lengths', 'caption="The 8 published lengths'),
     r"01-introduction\.md: PublishError: figure 'fig-border-lengths' of chapter 01-introduction: a "
     r"quantity typed by hand in its caption \('The 8 published lengths.*Glue a number with ch\.number\(\)"),
    # failed before: a misspelt page in _toc.yml ended in Sphinx's warnings, a bad key in a traceback
    (("_toc.yml", "chapters/glossary\n", "chapters/glosary\n"),
     r"_toc\.yml, entry 'chapters/glosary': no file chapters/glosary\.md; did you mean 'chapters/glossary'\? "
     r"correct the name in _toc\.yml"),
    (("_toc.yml", "- file: chapters/glossary\n", "- fiel: chapters/glossary\n"),
     r"_toc\.yml, entry 'fiel: chapters/glossary': entry does not contain one of \{'file', 'glob', 'url'\}; "
     r"write each entry as '- file: chapters/name'"),
])
def test_bad_input_stops_the_build_and_keeps_what_was_published(project, change, message):
    project.edit(*change)
    _refused(project, message)


def test_a_figure_caption_computed_from_a_published_number_is_published(project):
    # Digits a chapter's code computes into a caption are not typed: only its literals are checked.
    project.edit(CHAPTER, 'caption="Published lengths of the Tajik–Afghan border. ',
                 'caption=f"Published lengths of the Tajik–Afghan border, {ch.numbers[\'length-mfa\']} '
                 'officially, as of 5 July 2021. "\n            "')
    code, output = project.build()
    assert code == 0, output[-3000:]
    assert "Published lengths of the Tajik–Afghan border, 1,344.15 km officially, as of 5 July 2021." \
        in html.unescape(re.sub(r"<[^>]+>", "", project.page("01-introduction")))


def test_a_register_edited_by_hand_is_never_printed(project):
    # failed before (make attack's build-tampered-register): the appendix printed the edit
    project.edit("figures/numbers.json", '"text": "about 1,300 km"', '"text": "about 9,999 km"')
    code, output = project.build()
    assert code == 0, output[-3000:]
    assert executed(output) == {"01-introduction"} and "edited by hand" in output
    for page in ("01-introduction", "numbers"):
        text = html.unescape(re.sub(r"<[^>]+>", "", project.page(page)))
        assert "about 1,300 km" in text and "9,999" not in text
    assert "9,999" not in (project.root / "figures" / "numbers.json").read_text()


def test_tex_missing_gives_the_packages_to_install(built):
    environment = {**os.environ, "PYTHONPATH": str(built.root), "PATH": os.path.dirname(sys.executable)}
    result = subprocess.run([sys.executable, "-m", "borderbook", "build", "pdf"], cwd=built.root,
                            env=environment, capture_output=True, text=True)
    assert result.returncode == 1
    assert "xelatex not found" in result.stderr and "texlive-xetex" in result.stderr


@pytest.fixture(scope="module")
def data_edited(tmp_path_factory, built):
    """A copy of the small book built unchanged, then with one cell of a data file edited, and
    built again, each time in its three editions: the outputs of both builds. Tests that only
    read it share it; the one that goes on from it (reverting the edit) comes last in this file."""
    book = built.copy(tmp_path_factory.mktemp("data-edited"))
    (book.root / "_build" / "html" / "index.html").unlink()   # the HTML builds (and reads) too
    unchanged = book.run("build", *EDITIONS)
    book.edit("data/raw/border_lengths.csv", ",1300,,approx,", ",1310,,approx,")
    return book, unchanged, book.run("build", *EDITIONS)


def test_a_data_change_re_executes_exactly_its_readers(data_edited):
    book, (code, output), edited = data_edited
    assert code == 0 and executed(output) == set(), "an unchanged book executed a notebook"
    code, output = edited
    assert code == 0, output[-3000:]
    assert executed(output) == {"01-introduction"}
    page = (book.root / "_build" / "html" / "chapters" / "01-introduction.html").read_text()
    register = (book.root / "_build" / "html" / "chapters" / "numbers.html").read_text()
    assert "about 1,310 km" in page and "about 1,310 km" in register
    catalogue = (book.root / "_build" / "html" / "chapters" / "data.html").read_text()
    assert freshness.checksum(book.root / "data/raw/border_lengths.csv")[:12] in catalogue


def _read(output: str, kind: str) -> list[str]:
    """The documents the ``kind`` build read, from the build's output (its lines are prefixed)."""
    return re.findall(rf"^\[{kind}\] (?:\x1b\[[0-9;]*m)*reading sources\.\.\. .*?\[\s*\d+%\]\s*"
                      r"(?:\x1b\[[0-9;]*m)*([\w/-]+)", output, re.MULTILINE)


def test_a_first_build_reads_once_for_the_three_editions_and_each_follows_a_data_edit(data_edited):
    # borderbook.build: the copy's PDF and EPUB have no read of their own; the HTML reads every
    # page (its copied read names another folder), and the PDF and the EPUB are written from
    # that read, reading nothing themselves.
    book, (code, output), (edited_code, edited) = data_edited
    assert code == 0, output[-3000:]
    assert "chapters/01-introduction" in _read(output, "html")
    assert _read(output, "pdf") == [] and _read(output, "epub") == []
    # After the edit each edition reads the page that shows the number again (side by side),
    # and prints the new value.
    assert edited_code == 0, edited[-3000:]
    assert all("chapters/01-introduction" in _read(edited, kind) for kind in EDITIONS)
    with zipfile.ZipFile(book.root / "_build" / "epub" / "taliban-at-the-border.epub") as epub:
        page = epub.read("chapters/01-introduction.xhtml").decode()
    assert "about 1,310 km" in page and "about 1,300 km" not in page
    pdf = subprocess.run(["pdftotext", str(book.root / "_build" / "pdf" / "taliban-at-the-border.pdf"), "-"],
                         capture_output=True, text=True, check=True).stdout
    assert "about 1,310 km" in pdf and "about 1,300 km" not in pdf


def test_a_bare_jupyter_book_build_re_executes_the_importers_of_a_changed_helper(tmp_path, built):
    # The extension acts inside Sphinx, so it holds without borderbook's build command too.
    book = built.copy(tmp_path)
    book.edit("borderbook/style.py", '"""', '"""Edited. ')
    jupyter_book = os.path.join(os.path.dirname(sys.executable), "jupyter-book")
    result = subprocess.run([jupyter_book, "build", ".", "-n", "-W", "--keep-going"], cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(tmp_path)}, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert executed(result.stdout + result.stderr) == {"01-introduction", "glossary", "reproducibility"}


def test_reverting_a_code_edit_republishes_what_the_code_computes(tmp_path, built):
    # A cache hit restores old outputs without running the chapter; the register must follow.
    book = built.copy(tmp_path)
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
    book = built.copy(tmp_path)
    html = tmp_path / "_build" / "html"
    before = tree_digest(html), (html / "index.html").stat().st_mtime_ns
    code, output = book.build()
    assert code == 0 and "nothing to do" in output and "Running Sphinx" not in output
    assert (tree_digest(html), (html / "index.html").stat().st_mtime_ns) == before
    shutil.rmtree(html)
    code, output = book.build()
    assert code == 0 and "Running Sphinx" in output and (html / "index.html").exists()


def test_the_reproducibility_page_shows_the_latest_verification(tmp_path, built):
    book = built.copy(tmp_path)
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


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory, built):
    """A copy of the small book built once after a prose edit: a first build in a copy writes
    every page (Sphinx sees a new folder), so what the next build writes is its own doing. The
    two tests that change it (a new page, then an edit to the extension) go on from each other's
    state; each checks every page its change must reach."""
    book = built.copy(tmp_path_factory.mktemp("rebuilt"))
    book.edit(CHAPTER, "## The plan of the book", "## The plan of this book")
    code, output = book.build()
    assert code == 0, output[-3000:]
    return book


def test_a_new_page_reaches_the_sidebar_of_every_page(rebuilt):
    book, tmp_path = rebuilt, rebuilt.root
    (tmp_path / "chapters" / "extra.md").write_text("# An extra appendix\n\nSome words.\n", encoding="utf-8")
    book.edit("_toc.yml", "  - file: chapters/bibliography",
              "  - file: chapters/extra\n  - file: chapters/bibliography")
    code, output = book.build()
    assert code == 0, output[-3000:]
    for page in ("01-introduction", "numbers", "glossary"):
        html = (tmp_path / "_build" / "html" / "chapters" / f"{page}.html").read_text(encoding="utf-8")
        assert "An extra appendix" in html, f"{page} does not list the new page in its sidebar"


def test_an_edit_to_the_extension_reaches_every_page(rebuilt):
    book, tmp_path = rebuilt, rebuilt.root
    book.edit("borderbook/sphinxext/html.py", 'dataset.mode ||= "auto";', 'dataset.mode ||= "auto"; /* edited */')
    code, output = book.build()
    assert code == 0, output[-3000:]
    pages = sorted((tmp_path / "_build" / "html" / "chapters").glob("*.html"))
    assert pages and [p.name for p in pages if "/* edited */" not in p.read_text(encoding="utf-8")] == []


def test_deleting_figures_republishes_them_although_the_cache_is_warm(tmp_path, built):
    book = built.copy(tmp_path)
    shutil.rmtree(tmp_path / "figures")
    code, output = book.build()
    assert code == 0, output[-3000:]
    assert executed(output) == {"01-introduction", "glossary", "reproducibility"}
    published = json.loads((tmp_path / "figures" / "numbers.json").read_text(encoding="utf-8"))
    assert set(published["chapters"]) == {"01-introduction", "glossary", "reproducibility"}
    assert (tmp_path / "figures" / "fig-border-lengths.svg").exists()


def test_a_chapter_that_no_longer_runs_leaves_the_register(tmp_path, built):
    book = built.copy(tmp_path)
    (tmp_path / "chapters" / "reproducibility.md").write_text(
        "# Appendix: reproducibility\n\nA page without code now.\n", encoding="utf-8")
    code, output = book.build()
    assert code == 0, output[-3000:]
    assert "reproducibility no longer runs" in output
    assert record.chapters(record.read(tmp_path / "figures")) == {"01-introduction", "glossary"}


# Fail closed, round two (issue 12): each of these failed on main before the redesign.

def test_a_reverted_data_edit_never_leaves_its_values_in_the_book(data_edited):
    # main: the revert restored the register's old run, the cache served the edit's execution,
    # and the HTML printed the discarded value while numbers.json said the right one.
    project, _, (code, output) = data_edited      # the last test to use it: it changes it
    assert code == 0 and "about 1,310 km" in project.page("01-introduction"), output[-3000:]
    project.edit("data/raw/border_lengths.csv", ",1310,,approx,", ",1300,,approx,")
    code, output = project.run("build", *EDITIONS)
    assert code == 0, output[-3000:]
    assert executed(output) == {"01-introduction"}
    assert "about 1,300 km" in project.page("01-introduction") and "1,310" not in project.page("01-introduction")
    # Each edition reads again only the pages the HTML reads. Failed before: the EPUB's version,
    # set after its read was loaded, told Sphinx at each later build that the configuration had
    # changed, and the EPUB read the whole book again.
    assert set(_read(output, "epub")) == set(_read(output, "pdf")) == set(_read(output, "html"))
    assert "chapters/glossary" not in _read(output, "epub")
    code, output = project.build()
    assert code == 0 and executed(output) == set()


def test_a_failed_build_publishes_nothing_of_the_chapters_that_succeeded(project):
    # main: the chapters that ran before the failing one had already rewritten figures/.
    figures = tree_digest(project.root / "figures")
    project.edit("data/raw/border_lengths.csv", ",1300,,approx,", ",1310,,approx,")     # 01 runs fine
    project.edit("chapters/glossary.md", "ch.finish()", "raise AssertionError('glossary check')\nch.finish()")
    code, output = project.build()
    assert code != 0 and "glossary.md: AssertionError: glossary check" in output, output[-3000:]
    assert tree_digest(project.root / "figures") == figures


def test_a_damaged_execution_cache_is_repaired(project):
    # main: every later build failed until the cache was deleted by hand.
    executed_notebooks = sorted((project.root / "_build" / ".jupyter_cache" / "executed").glob("*/base.ipynb"))
    executed_notebooks[0].unlink()
    project.edit(CHAPTER, "## The plan of the book", "## The plan of this book")   # a build to do
    code, output = project.build()
    assert code == 0, output[-3000:]
    assert "was damaged; dropped, the chapter runs again" in output and len(executed(output)) == 1


def test_two_builds_at_once_take_turns(project):
    # main: both executed and one failed with a clobbered book.aux.
    project.edit("data/raw/border_lengths.csv", ",1300,,approx,", ",1310,,approx,")
    environment = {**os.environ, "PYTHONPATH": str(project.root)}
    first, second = (subprocess.Popen([sys.executable, "-m", "borderbook", "build", "html"], cwd=project.root,
                                      env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                     for _ in range(2))
    outputs = [process.communicate(timeout=900)[0] for process in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outputs
    assert any("Another build of this project is running" in output for output in outputs)
    assert sum(len(executed(output)) for output in outputs) == 1


@pytest.mark.parametrize("moment, wait", [
    ("executing (", 2),            # main: a raw BrokenProcessPool traceback
    # failed before (make attack's sigterm-to-parent-shell, once builds got faster): stopped
    # while Sphinx ran, the build said "nothing published" and left the chapters' new figures
    ("[html] Running Jupyter-Book", 0),
])
def test_an_interrupted_build_says_so_and_publishes_nothing(project, moment, wait):
    figures = tree_digest(project.root / "figures")
    project.edit("data/raw/border_lengths.csv", ",1300,,approx,", ",1310,,approx,")
    # The build hears Ctrl-C even when the tests run as a background job (nohup, a script's `&`),
    # which ignores SIGINT: an ignored signal stays ignored in every child (a clean-clone run
    # started with nohup failed here, the build never interrupted).
    process = subprocess.Popen([sys.executable, "-m", "borderbook", "build", "html"], cwd=project.root,
                               env={**os.environ, "PYTHONPATH": str(project.root), "PYTHONUNBUFFERED": "1"},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    started = []
    for line in process.stdout:          # interrupt at that moment (each line as it is printed)
        started.append(line)
        if moment in line:
            break
    time.sleep(wait)
    os.killpg(process.pid, signal.SIGINT)
    output = "".join(started) + process.communicate(timeout=120)[0]
    assert process.returncode == 130, output[-2000:]
    assert "Interrupted; nothing published" in output and "Traceback" not in output
    assert tree_digest(project.root / "figures") == figures
    code, output = project.build()
    assert code == 0 and "about 1,310 km" in project.page("01-introduction")


@pytest.mark.parametrize("out", [".", "chapters", "_build", ".git", "..", "figures"])
def test_reproduce_never_deletes_a_folder_it_did_not_make(project, out):
    # main: `make reproduce PARAMS="--out ."` deleted the whole repository.
    (project.root / ".git").mkdir(exist_ok=True)
    (project.root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    before = tree_digest(project.root)
    code, output = project.run("reproduce", "--out", out)
    assert code == 2 and "--out" in output and "choose" in output, output
    assert tree_digest(project.root) == before


def test_an_edit_to_the_static_files_alone_reaches_the_published_html(project):
    # Sphinx found "no targets out of date", copied no static file, and the published HTML
    # kept the old script.
    with (project.root / "_static" / "borderbook.css").open("a", encoding="utf-8") as css:
        css.write("\n/* edited */\n")
    code, output = project.build()
    assert code == 0, output[-3000:]
    assert "/* edited */" in (project.root / "_build" / "html" / "_static" / "borderbook.css").read_text()


def test_a_build_that_fails_after_its_chapters_ran_publishes_none_of_them(project):
    # The attack catalogue found it: the chapters ran and published, then Sphinx refused the
    # prose, and figures/ said 1,310 while the HTML kept 1,300.
    project.edit("data/raw/border_lengths.csv", ",1300,,approx,", ",1310,,approx,")
    project.edit(CHAPTER, "## The plan of the book", "The border is 1,344 km long.\n\n## The plan of the book")
    _refused(project, r"WARNING: quantity typed into prose")
    project.edit(CHAPTER, "The border is 1,344 km long.\n\n", "")
    code, output = project.build()
    assert code == 0 and executed(output) == {"01-introduction"}, output[-3000:]
    assert "about 1,310 km" in project.page("01-introduction")
    assert "1,310" in (project.root / "figures" / "numbers.csv").read_text(encoding="utf-8")
