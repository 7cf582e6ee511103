"""The code in the built book (issue 13, items 1 and 5): code cells shown collapsed in the HTML
and kept out of the PDF, each number and figure linked to the cell that computed it, each
chapter's executed notebook and source offered for download, the repository's address, how
to cite the edition, its meta tags and the PDF link."""

import functools
import json
import re
from urllib.parse import unquote

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup

from borderbook import freshness, paths, release
from borderbook.sphinxext import cite

from tests.conftest import HTML, PDF, toc_files

CHAPTERS = sorted({n["chapter"] for n in json.loads(paths.NUMBERS.read_text())["numbers"].values()})
REPOSITORY = yaml.safe_load((paths.ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]["url"]


@functools.cache
def _page(doc: str) -> BeautifulSoup:
    return BeautifulSoup((HTML / f"{doc}.html").read_text(encoding="utf-8"), "html.parser")


def _code(cell) -> str:
    """The code a cell shows, as a reader would copy it."""
    return "\n".join(block.get_text() for block in cell.select(".cell_input pre"))


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_every_chapter_shows_the_code_of_its_numbers_collapsed(register):
    for chapter in CHAPTERS:
        page = _page(f"chapters/{chapter}")
        cells = page.select("div.cell[id^=cell-]")
        assert cells, f"{chapter}: no code cell is shown"
        for cell in cells:
            details = cell.select_one("details.hide")
            assert details is not None and "open" not in details.attrs, f"{chapter} {cell['id']}: not collapsed"
            assert re.fullmatch(r"Show the code \(cell \d+\)", details.summary.p.get_text(strip=True))
        for name, number in register["numbers"].items():
            if number["chapter"] != chapter:
                continue
            cell = page.find(id=f"cell-{number['cell']}")
            assert cell is not None, f"{name}: its cell {number['cell']} is not on {chapter}'s page"
            assert _squeezed(number["code"]) in _squeezed(_code(cell)), f"{name}: its code is not in cell {number['cell']}"
            link = page.select_one(f'a.bb-number[data-number="{name}"]')
            if link is not None:   # pasted on its page (every number is, somewhere: checks.py)
                assert link["data-code"] == f"#cell-{number['cell']}"


def test_every_figure_caption_links_to_the_cell_that_drew_it(register):
    for name, figure in register["figures"].items():
        page = _page(f"chapters/{figure['chapter']}")
        caption = page.find(id=name).find("figcaption")
        link = caption.select_one("a.bb-code-link")
        assert link is not None and link["href"] == f"#cell-{figure['cell']}", name
        cell = page.find(id=f"cell-{figure['cell']}")
        assert _squeezed(figure["code"]) in _squeezed(_code(cell)), name


def test_set_up_cells_stay_out_and_the_pdf_shows_no_code(pdf_text):
    for chapter in CHAPTERS:
        text = _page(f"chapters/{chapter}").get_text()
        assert "Parameters that papermill may change" not in text and "ch.finish()" not in text, chapter
    for code in ("ch.number(", "ch.stated(", "ch.days(", "ch.load(", "ch.figure(", "Show the code", "The code: cell"):
        assert code not in pdf_text


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_each_chapter_offers_its_executed_notebook_and_its_source(chapter):
    page = _page(f"chapters/{chapter}")
    links = {a["href"] for a in page.select("a[href]")}
    notebook = f"../_sources/chapters/{chapter}.ipynb"
    assert notebook in links and f"../_sources/chapters/{chapter}.md" in links
    node = nbformat.read(HTML / "_sources" / "chapters" / f"{chapter}.ipynb", as_version=4)
    nbformat.validate(node)
    assert any(cell.get("outputs") for cell in node.cells if cell.cell_type == "code")
    assert any("parameters" in cell.metadata.get("tags", []) for cell in node.cells)
    # no warning in what a reader downloads (one printed its kernel's process id: each build
    # wrote other bytes, and the reader saw a deprecation notice)
    warnings = [output.text for cell in node.cells for output in cell.get("outputs", [])
                if output.get("name") == "stderr"]
    assert not warnings, f"the executed notebook carries warnings: {warnings}"
    # the code the chapter runs, all of it: what `make verify` re-executes from the sources (and
    # tests/e2e/test_notebook.py re-executes from a download), a reader re-executes from here
    downloaded = [cell.source for cell in node.cells if cell.cell_type == "code"]
    # ids by place, not random (failed before: each build wrote other ids, so other bytes);
    # a code cell's id is the page's anchor of it
    assert [cell.id for cell in node.cells if cell.cell_type == "code"] == \
        [f"cell-{n}" for n in range(1, len(downloaded) + 1)]
    assert [_squeezed(code) for code in downloaded] == \
        [_squeezed(code) for code in freshness.code_cells(paths.CHAPTERS / f"{chapter}.md")]


def test_the_repository_button_and_the_run_it_yourself_box_use_the_one_address():
    for doc in toc_files():
        buttons = _page(doc).select('a[href^="https://github.com/"]')
        assert {a["href"] for a in buttons} >= {REPOSITORY}, doc
    box = _page("chapters/reproducibility").select_one(".bb-run-it-yourself")
    commands = box.get_text()
    folder = REPOSITORY.rstrip("/").rsplit("/", 1)[1]
    for command in (f"git clone {REPOSITORY}", f"cd {folder}", "make book",
                    'make reproduce PARAMS="fx_date=2021-08-25"', "jupytext --to ipynb chapters/"):
        assert command in commands


@pytest.mark.parametrize("doc", ["chapters/index", "chapters/cite"])
def test_the_citation_is_generated_from_citation_cff_with_version_date_and_pdf(doc):
    record = release.cff()
    page = _page(doc)
    block = page.select_one(".bb-cite-this-edition")
    text = " ".join(block.get_text().split())
    assert " ".join(cite.citation_text(record).split()) in text
    assert f"version {record['version']}" in text and cite.long_date(cite.released(record)) in text
    assert cite.bibtex(record) in block.get_text()
    assert cite.bibtex(record["references"][0]) in block.get_text()
    pdf = block.select_one("a.bb-pdf-link")
    assert (HTML / doc).parent.joinpath(unquote(pdf["href"])).resolve() == PDF.resolve()
    assert PDF.exists()


def test_every_page_carries_citation_and_open_graph_meta_tags():
    record = release.cff()
    for built in HTML.rglob("*.html"):
        if "_static" in built.relative_to(HTML).parts:
            continue
        text = built.read_text(encoding="utf-8")
        if built == HTML / "index.html" and "<head" not in text:
            continue   # Jupyter Book's one-line redirect to chapters/index.html
        page = BeautifulSoup(text, "html.parser")
        meta = {}
        for tag in page.select("meta[name^=citation_], meta[property^=og]"):
            meta.setdefault(tag.get("name") or tag.get("property"), []).append(tag["content"])
        where = built.relative_to(HTML)
        assert meta.get("citation_title") == [record["title"]], where
        assert meta.get("citation_author") == ["The borderbook contributors"], where
        assert meta.get("citation_publication_date") == [record["date-released"].strftime("%Y/%m/%d")], where
        assert built.parent.joinpath(meta["citation_pdf_url"][0]).resolve() == PDF.resolve(), where
        assert meta.get("og:type") == ["book"] and meta.get("og:title") and meta.get("og:site_name"), where
