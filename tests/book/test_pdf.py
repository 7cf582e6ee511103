"""The PDF holds the title, the credit, every chapter, the glued numbers, its footnotes and the
glossary's scripts."""

import html
import re
import statistics
import string
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
        # An appendix is lettered in the PDF: "Appendix B Every published number", not "Appendix: …".
        title = title.removeprefix("Appendix: ")
        assert title[:1].upper() + title[1:] in pdf_text, title


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
    forms = [*terms["cyrillic"].dropna(), *terms["dari"].dropna(), *places["name_local"].dropna()]
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


# --- The PDF as an edition that stands alone (issue 14) -------------------------------------

LATEX_LOG = paths.BUILD / "work" / "pdf" / "_build" / "latex" / "book.log"


def _outline() -> list[tuple[str, int]]:
    """The PDF's top-level bookmarks: (title, page index)."""
    from pypdf import PdfReader

    from tests.conftest import PDF

    reader = PdfReader(PDF)
    return [(item.title, reader.get_destination_page_number(item)) for item in reader.outline
            if not isinstance(item, list)]


def test_no_line_runs_into_the_margin():
    # An overfull \hbox is a line TeX could not break inside the text block: it sticks out
    # into the margin (there were 22, all in the register of numbers).
    log = LATEX_LOG.read_text(encoding="utf-8", errors="replace")
    overfull = re.findall(r"^Overfull \\hbox.*$", log, re.MULTILINE)
    assert overfull == []


def test_front_matter_chapters_and_lettered_appendices_with_one_bibliography():
    titles = [title for title, _ in _outline()]
    assert titles[:2] == ["Contents", "About this edition"]
    chapters = [t for t in titles if re.match(r"\d+ ", t)]
    assert [t.split(" ", 1)[0] for t in chapters] == [str(n) for n in range(1, 8)]   # the paper's sections
    assert chapters[0].endswith("Introduction") and chapters[-1].endswith("Conclusion")
    assert titles[2:2 + len(chapters)] == chapters
    # The edition's own chapters (the afterword) follow, unnumbered; then the appendices.
    rest = titles[2 + len(chapters):]
    appendices = [t for t in rest if re.match(r"[A-Z] ", t)]
    assert rest[len(rest) - len(appendices):] == appendices
    assert all(not re.match(r"\d", t) for t in rest[:len(rest) - len(appendices)])
    assert len(appendices) >= 6   # data, numbers, audit, glossary, reproducibility, bibliography
    assert [t.split(" ", 1)[0] for t in appendices] == list(string.ascii_uppercase[:len(appendices)]), appendices
    assert not any("Appendix:" in t for t in appendices)
    assert [t for t in titles if "Bibliography" in t] == [appendices[-1]]
    assert appendices[-1].endswith(" Bibliography")


def test_the_register_of_numbers_fits_in_twelve_pages(register):
    pages = dict(_outline())
    start, end = pages["B Every published number"], pages["C Auditing the paper’s figures"]
    assert end - start <= 12
    from pypdf import PdfReader

    from tests.conftest import PDF

    text = " ".join(PdfReader(PDF).pages[page].extract_text() for page in range(start, end))
    text = re.sub(r"\s+", "", text)
    missing = [name for name in register["numbers"] if re.sub(r"\s+", "", name) not in text]
    assert missing == []


def _attachments() -> dict[str, list[bytes]]:
    """Every file attachment annotation of the PDF: file name -> the embedded files' bytes."""
    from pypdf import PdfReader

    from tests.conftest import PDF

    found = {}
    for page in PdfReader(PDF).pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/FileAttachment":
                continue
            spec = annotation["/FS"].get_object()
            found.setdefault(str(spec["/F"]), []).append(spec["/EF"]["/F"].get_object().get_data())
    return found


def test_every_figure_and_the_register_travel_in_the_pdf_as_their_csv(register):
    # Each caption's "data (CSV)" link is a file attachment holding the figure's CSV, byte for
    # byte; the register's link holds numbers.csv.
    attachments = _attachments()
    expected = [*register["figures"], "numbers"]
    assert len(register["figures"]) >= 10
    for name in expected:
        csv = paths.FIGURES / f"{name}.csv"
        assert f"{name}.csv" in attachments, name
        assert all(data == csv.read_bytes() for data in attachments[f"{name}.csv"]), name


def test_document_language_and_xmp_metadata():
    from pypdf import PdfReader

    from borderbook import release
    from tests.conftest import PDF

    reader = PdfReader(PDF)
    assert reader.trailer["/Root"]["/Lang"] == "en"
    xmp = reader.xmp_metadata
    assert xmp is not None
    edition = release.edition()
    assert "Taliban at the Border" in xmp.dc_title["en"]
    assert xmp.dc_creator == ["Mélanie Sadozaï"]
    assert "CC BY 4.0" in xmp.dc_rights["en"]
    assert xmp.dc_identifier == edition["identifier"] and edition["version"] in xmp.dc_identifier
    assert [str(date)[:10] for date in xmp.dc_date] == [edition["date"]]
    raw = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert "<xmpRights:WebStatement>https://creativecommons.org/licenses/by/4.0/<" in raw


def test_the_pdf_carries_the_editions_date_and_no_clock_time():
    # failed before: hyperxmp wrote the build's clock into the XMP (CreateDate, ModifyDate,
    # MetadataDate) and each attachment carried the time its file was copied, so two builds
    # of one edition differed in their bytes
    from pypdf import PdfReader

    from borderbook import release
    from tests.conftest import PDF

    day = release.edition()["date"]
    reader = PdfReader(PDF)
    raw = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    dates = re.findall(r"<xmp:(\w+Date)>([^<]*)<", raw)
    assert {name for name, _ in dates} == {"CreateDate", "ModifyDate", "MetadataDate"}
    assert all(value.startswith(day) for _, value in dates), dates
    info = {key: str(value) for key, value in (reader.metadata or {}).items() if key.endswith("Date")}
    assert all(value.startswith(f"D:{day.replace('-', '')}") for value in info.values()), info
    stamps = []
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") == "/FileAttachment":
                params = annotation["/FS"].get_object()["/EF"]["/F"].get_object().get("/Params", {})
                stamps += [str(params[key]) for key in ("/ModDate", "/CreationDate") if key in params]
    assert stamps and all(stamp.startswith(f"D:{day.replace('-', '')}") for stamp in stamps), set(stamps)
    # one document id for the book and one instance id per edition, not a random one per build
    import uuid

    identifier = release.edition()["identifier"]
    assert f"<xmpMM:InstanceID>uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'urn:borderbook:{identifier}')}<" in raw


def test_reading_order_in_pdftotext():
    # A reader's text extraction (screen readers, search, copy) meets the parts in the order
    # of the book: front matter, chapters, appendices, each heading before its own text.
    import subprocess

    from tests.conftest import PDF

    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(PDF), "-"], capture_output=True, text=True,
                          check=True).stdout
    marks = ["About this edition", "This book is an edition of", "Chapter 1", "Introduction",
             "Chapter 7", "Conclusion", "Appendix A", "Appendix F", "Bibliography"]
    position, found = text.find("Contents"), []
    for mark in marks:
        position = text.find(mark, position)
        found.append(position)
        assert position != -1, f"{mark!r} is not found after {marks[len(found) - 2]!r}"


def test_links_name_an_appendix_by_its_letter(pdf_text):
    # The HTML's titles ("Appendix: the data") would contradict the PDF's headings ("Appendix A").
    assert "Appendix A (the data)" in pdf_text
    assert "Appendix:" not in pdf_text


def test_each_number_in_the_text_links_to_its_row_of_the_register(register):
    # In the HTML a number is a link to its row of the register; a reader of the PDF clicks it
    # too and lands on that row: a named destination "number-<name>" in appendix B, at the
    # top of the row that names the number. (A number at the top of a page used to lose its
    # link to a footnote's citation left open across the page break.)
    import subprocess

    from pypdf import PdfReader

    from borderbook import prose
    from tests.conftest import PDF

    chapters = [path for path in chapter_sources() if re.match(r"0[1-8]-", path.name)]
    assert len(chapters) == 8
    glued = set().union(*(prose.glue_keys(path.read_text(encoding="utf-8")) for path in chapters))
    expected = sorted(name for name, number in register["numbers"].items()
                      if name in glued and re.match(r"0[1-8]-", number["chapter"]))
    assert len(expected) >= 150

    reader = PdfReader(PDF)
    pages = dict(_outline())
    start, end = pages["B Every published number"], pages["C Auditing the paper’s figures"]
    links = {}   # destination name -> the pages that link to it
    for index, page in enumerate(reader.pages):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            action = annotation.get("/A")
            target = action.get_object().get("/D") if action else annotation.get("/Dest")
            if annotation.get("/Subtype") == "/Link" and isinstance(target, str) and target.startswith("number-"):
                links.setdefault(target, set()).add(index)
    unlinked = [name for name in expected if not links.get(f"number-{name}", set()) - set(range(start, end))]
    assert unlinked == []

    destinations = reader.named_destinations
    assert sorted(name for name in expected if f"number-{name}" not in destinations) == []
    rows = {name: (reader.get_destination_page_number(destinations[f"number-{name}"]),
                   float(destinations[f"number-{name}"]["/Top"])) for name in expected}
    assert {name: page for name, (page, _) in rows.items() if not start <= page < end} == {}
    # The row's name (in the Name column, perhaps broken after a hyphen) starts just below
    # the destination: the reader sees the row at the top of the window.
    boxes = subprocess.run(["pdftotext", "-f", str(start + 1), "-l", str(end), "-bbox", str(PDF), "-"],
                           capture_output=True, text=True, check=True).stdout
    words = {}   # page index -> [(word, top of its box, from the page's bottom)]
    for number, page in enumerate(re.findall(r'<page width="[\d.]+" height="([\d.]+)">(.*?)</page>', boxes,
                                             re.DOTALL)):
        height, text = float(page[0]), page[1]
        words[start + number] = [(word, height - float(top))
                                 for top, word in re.findall(r'yMin="([\d.]+)"[^>]*>([^<]*)</word>', text)]
    misplaced = [name for name, (page, top) in rows.items()
                 if not any(word == name or word.endswith("-") and name.startswith(word)
                            for word, word_top in words[page] if 0 <= top - word_top <= 6)]
    assert misplaced == []


def test_every_footnote_mark_links_to_its_footnote():
    # A footnote that ran on to the next page kept its citation's link open there (xdvipdfmx
    # holds one breakable link at a time): the marks that came before its end lost their link
    # (footnotes 51 and 59), and its area covered the first lines of the page.
    from pypdf import PdfReader

    from tests.conftest import PDF

    reader = PdfReader(PDF)
    footnotes = {name for name in reader.named_destinations if name.startswith("Hfootnote.")}
    assert len(footnotes) >= 100
    linked = set()
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            target = action.get_object().get("/D") if action else None
            if isinstance(target, str) and target.startswith("Hfootnote."):
                linked.add(target)
    assert sorted(footnotes - linked, key=lambda name: int(name.split(".")[1])) == []


def _words(page: int) -> list[tuple[float, float, float, str]]:
    """The words of one page of the PDF: left, top, right, text (pdftotext's boxes, in points)."""
    import subprocess

    from tests.conftest import PDF

    boxes = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(PDF), "-"],
                           capture_output=True, text=True, check=True).stdout
    return [(float(left), float(top), float(right), html.unescape(word)) for left, top, right, word in
            re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', boxes)]


def test_table_cells_are_ragged_right_not_stretched():
    # The introduction's table of lengths: its cells had been justified, "official total of
    # the" set with gaps three times a space wide. A cell's words are a space apart.
    from pypdf import PdfReader

    from tests.conftest import PDF

    page = next(number for number, text in enumerate((p.extract_text() for p in PdfReader(PDF).pages), 1)
                if "How it is stated" in text)
    words = _words(page)
    gaps_on_lines = [b[0] - a[2] for a, b in zip(words, words[1:]) if abs(a[1] - b[1]) < 1]
    space = statistics.median(gap for gap in gaps_on_lines if gap > 0)
    cell = next(i for i, word in enumerate(words) if word[3] == "official")
    line = words[cell:cell + 4]
    assert [word[3] for word in line] == ["official", "total", "of", "the"]
    gaps = [b[0] - a[2] for a, b in zip(line, line[1:])]
    assert max(gaps) < 1.3 * space, f"gaps {gaps} in a table cell, a space is {space:.1f} pt"


def test_no_line_ends_between_a_figure_and_what_it_counts(register):
    # "1,400" at the end of a line and "km" at the start of the next reads as two things. Where
    # the numbers are printed: the chapters and the afterword, and the register of numbers
    # (the appendices before it and the audit quote sources, whose lines break as theirs did).
    import subprocess

    from pypdf import PdfReader

    from tests.conftest import PDF

    reader = PdfReader(PDF)
    starts = {entry.title: reader.get_destination_page_number(entry) + 1
              for entry in reader.outline if not isinstance(entry, list)}
    order = sorted(starts.values())
    ranges = [(starts["1 Introduction"], starts["A The data"] - 1),
              (starts["B Every published number"], order[order.index(starts["B Every published number"]) + 1] - 1)]
    split = []
    for first, last in ranges:
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", "-f", str(first), "-l", str(last), str(PDF), "-"],
                              capture_output=True, text=True, check=True).stdout
        for number in register["numbers"].values():
            for figure, unit in re.findall(r"(\S*\d\S*) (\S+)", number["text"]):
                if re.search(rf"(?<!\S){re.escape(figure)}\n{re.escape(unit)}(?!\S)", text):
                    split.append(f"{figure} | {unit}")
    assert not split, f"a line ends between a figure and the word after it: {sorted(set(split))}"


def test_no_link_reaches_into_the_running_header():
    # A bibliography entry split across two pages left its URL's link area over the next page's
    # running header: a click on the chapter's title opened a web page.
    from pypdf import PdfReader

    from tests.conftest import PDF

    reader = PdfReader(PDF)
    header = []
    for number, page in enumerate(reader.pages, 1):
        top = float(page.mediabox.top) - 60   # the running header sits in the top 60 pt of A4
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") == "/Link" and float(annotation["/Rect"][3]) > top:
                header.append((number, annotation.get("/A", {}).get("/URI")))
    assert not header, f"links over the running header: {header}"
