"""Citations say what the edition knows, and no more: read in the built HTML against references.bib.

An access date only where one was recorded; the page the paper pins a citation to; no year the
work does not have; no entry nothing cites; no two works behind one author-year label; every
footnote citation a link to its entry in the bibliography.
"""

import csv
import re
from collections import defaultdict
from datetime import date, datetime
from functools import cache

import pytest
from bs4 import BeautifulSoup
from pybtex.database import parse_file

from borderbook import citations, paths

from tests.conftest import HTML, chapter_sources

ENTRIES = parse_file(paths.BIBLIOGRAPHY).entries
PAPER = (paths.ROOT.parent / "shared" / "paper" / "cap-paper-267.txt")
CITE = re.compile(r"\{(?:foot)?cite(?::\w+)?\}`([^`]+)`")

#: The citations the paper pins to a page (or to a volume and issue): key → (the paper's
#: footnote, what the book must print for it).
PINNED = {
    "kreutzmann2017wakhan": (1, ["p. 239"]),
    "marsden2016trading": (7, ["p. 77"]),
    "jonson2006tajikistan": (15, ["p. 86"]),
    "mkrtchyan2021migration": (17, ["10(142)", "p. 18"]),
    "lemon2021breaks": (18, ["18(137)"]),
    "laruelle2021peripheries": (36, ["pp. 64–80"]),
    "markey2020horizon": (39, ["p. 92"]),
    "rahmon2006independence": (43, ["Tom 5", "p. 40"]),
    "akiner2001tajikistan": (60, ["p. 83"]),
}


@cache
def page(name: str) -> BeautifulSoup:
    return BeautifulSoup((HTML / "chapters" / f"{name}.html").read_text(encoding="utf-8"), "html.parser")


@cache
def bibliography() -> dict[str, str]:
    """The text of each entry on the bibliography page, by key."""
    items = page("bibliography").select("div.citation[id^=cite-]")
    assert len(items) == len(ENTRIES), "every entry of references.bib is on the bibliography page"
    return {item["id"].removeprefix("cite-"): item.p.get_text(" ", strip=True) for item in items}


@cache
def footnotes() -> dict[str, list[tuple[str, object]]]:
    """Every chapter footnote that cites a work: key → [(page name, the footnote element)]."""
    found = defaultdict(list)
    for source in chapter_sources():
        if source.stem == "bibliography":
            continue
        for note in page(source.stem).select("aside.footnote[id^=footcite-]"):
            key = next(key for key in ENTRIES if f"footcite-{key}" == note["id"])
            found[key].append((source.stem, note))
    assert found, "the chapters have footnote citations"
    return found


def printed(key: str) -> list[str]:
    """The entry as the bibliography prints it, then every footnote that cites it."""
    return [bibliography()[key]] + [note.p.get_text(" ", strip=True) for _, note in footnotes()[key]]


def _long_date(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day:%B} {day.day}, {day.year}"


#: The access dates the paper's footnotes give ("last accessed on September 29, 2021"; the year
#: is 2021 where it gives none), read from its text.
PAPER_ACCESS_DATES = {"2021-07-28", "2021-09-13", "2021-09-14", "2021-09-18", "2021-09-24",
                      "2021-09-26", "2021-09-27", "2021-09-28", "2021-09-29", "2021-09-30",
                      "2021-10-01", "2021-10-03", "2021-10-04", "2021-10-13"}


def _recorded(key: str) -> bool:
    """An access date is recorded if the paper gives it, or if the entry says this edition
    recorded it ("Accessed by this edition on YYYY-MM-DD")."""
    fields = ENTRIES[key].fields
    return (fields["urldate"] in PAPER_ACCESS_DATES
            or f"Accessed by this edition on {fields['urldate']}" in fields.get("annote", ""))


def test_the_paper_gives_these_access_dates():
    if not PAPER.exists():
        pytest.skip("the paper's text is not at hand")
    paper = " ".join(PAPER.read_text(encoding="utf-8").split())
    given = {f"2021-{datetime.strptime(day, '%B %d').month:02d}-{int(day.split()[1]):02d}"
             for day in re.findall(r"accessed on ([A-Z][a-z]+ \d+)", paper)}
    assert given == PAPER_ACCESS_DATES


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_an_access_date_is_printed_only_where_one_was_recorded(key):
    fields = ENTRIES[key].fields
    if "urldate" in fields:
        assert _recorded(key), f"{key}: urldate {fields['urldate']} is neither the paper's nor recorded"
    for text in printed(key):
        accessed = re.findall(r"last accessed on (\w+ \d+, \d{4})", text)
        if "urldate" in fields:
            assert accessed == [_long_date(fields["urldate"])], f"{key}: {text}"
        else:
            assert accessed == [], f"{key} has no recorded access date, yet prints {accessed}"


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_copies_read_and_works_not_found_are_said(key):
    fields = ENTRIES[key].fields
    text = bibliography()[key]
    assert ("Read from a copy" in text) == ("mirror" in fields), key
    if fields.get("mirror", "").startswith("http"):
        assert f"Read from a copy at {fields['mirror']}" in text
    assert ("Not consulted by this edition" in text) == (fields.get("consulted") == "no"), key
    # what the notes say the edition could not find, the book says it did not consult
    if re.search(r"not found in any stored copy", fields.get("annote", ""), re.IGNORECASE):
        assert fields.get("consulted") == "no", f"{key}: annote says not found, consulted is not 'no'"
    # a mirror's address no longer hides in the unrendered note
    assert not re.search(r"(mirror|copy)[^.]*https?://", fields.get("annote", "")), key


def _footnote(number: int) -> str:
    """The text of the paper's footnote ``number``."""
    lines = PAPER.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{number} "))
    text = []
    for line in lines[start:]:
        if text and re.match(rf"{number + 1} \S", line):
            break
        text.append(line.strip())
    return " ".join(text)


@pytest.mark.parametrize("key", sorted(PINNED))
def test_every_citation_the_paper_pins_to_a_page_prints_it(key):
    number, expected = PINNED[key]
    if PAPER.exists():
        paper = _footnote(number).replace(" ", "")
        for shown in expected:
            assert re.sub(r"^pp?\.", "", shown).replace(" ", "") in paper, f"footnote {number}: {shown}"
    texts = printed(key)
    assert len(texts) > 1, f"{key} is cited in a chapter footnote"
    for text in texts:
        for shown in expected:
            assert shown in text, f"{key}: {shown!r} missing from {text!r}"


def test_no_entry_prints_the_plain_style_pages_word():
    assert [key for key, text in bibliography().items() if re.search(r"\bpages \d", text)] == []


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_no_work_is_dated_2026_unless_it_is_from_2026(key):
    item = page("bibliography").select_one(f"div.citation#cite-{key} p")
    for link in item.select("a.reference.external"):
        link.decompose()   # addresses may hold any number
    year = str(ENTRIES[key].fields.get("year", ""))
    if not year.startswith("2026"):
        assert "2026" not in item.get_text(), f"{key}: {item.get_text()}"
    if not year:
        assert re.search(r"\bn\.d\.", item.get_text()), f"{key} is undated: it prints n.d."


def test_no_entry_is_left_uncited():
    """Every entry is cited by the prose ({footcite}, {cite}) or by a data row, whose sources the
    data appendix renders; and in the built book, a page other than the bibliography links to it."""
    cited = {key.strip() for source in chapter_sources()
             for group in CITE.findall(source.read_text(encoding="utf-8")) for key in group.split(",")}
    for table in sorted((paths.ROOT / "data" / "raw").glob("*.csv")):
        with table.open(encoding="utf-8", newline="") as rows:
            cited |= {row["source"] for row in csv.DictReader(rows) if row.get("source")}
    assert sorted(set(ENTRIES) - cited) == []
    linked = set()
    for built in (HTML / "chapters").glob("*.html"):
        if built.stem != "bibliography":
            linked |= set(re.findall(r'href="bibliography\.html#cite-([^"]+)"', built.read_text(encoding="utf-8")))
    assert sorted(set(ENTRIES) - linked) == []


def test_no_two_works_share_an_author_year_label():
    """In the built book: every in-text citation ("President.tj [2021a]") names one work."""
    works = defaultdict(set)
    for built in (HTML / "chapters").glob("*.html"):
        soup = BeautifulSoup(built.read_text(encoding="utf-8"), "html.parser")
        for citation in soup.select("span.bibtex-citation"):
            for link in citation.select('a[href*="#cite-"]'):
                works[citation.get_text(strip=True)].add(link["href"].split("#cite-")[1])
    assert len(works) > 50
    shared = {label: sorted(keys) for label, keys in works.items() if len(keys) > 1}
    assert shared == {}


def test_the_year_suffixes_tell_every_work_apart():
    """The same rule on references.bib itself, for every entry, cited in the text or not."""
    shown = citations.labels(ENTRIES)
    from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle

    style = AuthorYearReferenceStyle()
    author = style.person.author_or_editor_or_title(full=False)
    labels = defaultdict(list)
    for key, entry in ENTRIES.items():
        labels[str(author.format_data({"entry": entry, "style": style})), shown[key]].append(key)
    assert {label: keys for label, keys in labels.items() if len(keys) > 1} == {}
    assert shown["presidenttj2021massud"] != shown["presidenttj2021rabbani"]


def test_every_chapter_footnote_links_to_its_bibliography_entry():
    count = 0
    for key, notes in footnotes().items():
        for name, note in notes:
            links = note.select("a.bb-bibliography-link")
            assert [link["href"] for link in links] == [f"bibliography.html#cite-{key}"], f"{name}: {key}"
            assert links[0].get_text(strip=True), f"{name}: {key}: the link has text"
            assert not links[0].select("a"), "no link inside the link"
            count += 1
    every = sum(len(page(source.stem).select("aside.footnote")) for source in chapter_sources()
                if source.stem != "bibliography")
    assert count == every, "every footnote of the chapters is a citation that links to its entry"
    targets = {item["id"] for item in page("bibliography").select("div.citation[id]")}
    assert {f"cite-{key}" for key in footnotes()} <= targets
