"""The PDF holds the title, the credit, every chapter, the glued numbers, its footnotes and the
glossary's scripts."""

import re
import unicodedata

from borderbook import data, paths

from tests.conftest import chapter_sources


def test_title_and_author_credit(pdf_text):
    assert "Taliban at the Border" in pdf_text
    assert "Mélanie Sadozaï" in pdf_text
    assert "CAP Paper No. 267" in pdf_text


def test_every_chapter_title(pdf_text):
    for chapter in chapter_sources():
        title = re.search(r"^# (.+)$", chapter.read_text(encoding="utf-8"), re.MULTILINE).group(1)
        assert title in pdf_text, title


def test_the_glued_numbers_of_the_introduction(register, pdf_text):
    numbers = [n for n in register["numbers"].values() if n["chapter"] == "01-introduction"]
    assert numbers
    for number in numbers:
        assert number["text"] in pdf_text, number["name"]


def test_footnote_citations_and_no_unresolved_reference(pdf_text):
    assert "??" not in pdf_text
    assert "Ministry of Foreign Affairs" in pdf_text
    assert re.search(r"Accessed|accessed|urldate|\d{4}-\d{2}-\d{2}", pdf_text)


def test_no_build_date_on_the_title_page(pdf_text):
    first_page = pdf_text[:1500]
    assert not re.search(r"(January|February|March|April|May|June|July|August|September|"
                         r"October|November|December) \d{1,2}, 20\d\d", first_page)
    assert str(paths.ROOT) not in pdf_text


def test_metadata_and_bookmarks():
    from pypdf import PdfReader

    from tests.conftest import PDF

    reader = PdfReader(PDF)
    assert "Taliban at the Border" in reader.metadata.title
    assert reader.metadata.author == "Mélanie Sadozaï"
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert any(t.endswith("Introduction") for t in titles) and any(t.endswith("Conclusion") for t in titles)


def test_the_glossary_prints_every_script_form(pdf_text):
    # The fonts must carry Tajik Cyrillic (ҳ, ҷ, ӣ, ӯ …) and Persian script, or the glossary prints
    # blanks. Text extraction returns Persian as presentation forms (hence NFKC), and cannot map
    # the lam-alef and Allah ligatures back to letters: words holding them are left out. It
    # also turns a zero-width non-joiner into a space, so words are compared without it.
    text = unicodedata.normalize("NFKC", pdf_text)
    terms, places = data.table("glossary")[0], data.table("places")[0]
    forms = [*terms["tajik"].dropna(), *terms["dari"].dropna(), *places["name_local"].dropna()]
    words = {word for form in forms for word in form.replace("\u200c", " ").split()}
    checked = {w for w in words if not re.search("لا|الله", w)}
    assert len(checked) >= 40
    assert sorted(w for w in checked if w not in text) == []


def test_nothing_runs_off_a_page():
    # TeX reports an overfull \vbox while shipping out a page when a table or a footnote
    # taller than the page runs off its bottom: the reader loses what it held. (Found in
    # the register of numbers, whose tables could not break across pages.)
    log = (paths.BUILD / "logs" / "pdf.log").read_text(encoding="utf-8")
    assert "Overfull \\vbox" not in log


def test_footnote_marks_in_a_row_are_separated():
    # Two marks in a row, 10 and 11, would print as "1011": a superscript comma goes between.
    tex = (paths.BUILD / "work" / "pdf" / "_build" / "latex" / "book.tex").read_text(encoding="utf-8")
    mark = r"(\\end\{footnote\}|\\sphinxfootnotemark\[\d+\])"
    assert len(re.findall(mark, tex)) > 50
    assert re.findall(mark + r"%?\s*(\\begin\{footnote\}|\\sphinxfootnotemark)", tex) == []
