"""No quantity is typed by hand into a chapter's prose; the scanner itself catches one; a claim
reads as its claimant's, with its source."""

import html
import re

import pytest

from borderbook import paths
from borderbook.prose import running_text, typed_quantities

from tests.conftest import HTML, chapter_sources


@pytest.mark.parametrize("chapter", chapter_sources(), ids=lambda p: p.name)
def test_no_quantity_is_typed_into_prose(chapter):
    assert typed_quantities(chapter) == []


def test_the_scanner_flags_typed_numbers_and_spares_dates_and_glue(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "On 5 July 2021 and on August 15, 2021, in the 1990s and in 1936–1991,\n"
        "{glue}`length-mfa` with {footcite}`key2021`, see CAP Paper No. 267.\n"
        "```{code-cell} python\nx = 1344\n```\n"
        "The border is 1,344 km long.\n"
        "Prices rose by 56%.\n", encoding="utf-8")
    assert [line for line, _ in typed_quantities(page)] == [6, 7]


def test_a_claim_is_printed_beside_its_claimant_and_its_source(register, quantity_rows):
    # A figure someone asserts in their own interest (kind "claimed") must not read as a fact:
    # the paragraph that prints it names the claimant and cites where the claim was made.
    checked = 0
    for name, number in register["numbers"].items():
        rows = [quantity_rows[ref] for ref in number["inputs"] if ref in quantity_rows]
        claims = [row for row in rows if row["kind"] == "claimed" and row["value"] == number["value"]]
        if not claims:
            continue
        source = (paths.CHAPTERS / f"{number['chapter']}.md").read_text(encoding="utf-8")
        paragraphs = [p for p in re.split(r"\n\s*\n", source) if f"`{name}`" in p]
        for claim in claims:
            names = re.findall(r"[A-Z][\w'’-]{3,}", re.split(r"[(,]", claim["claimant"])[0])
            assert any(any(n in p for n in names) and re.search(r"\{(foot)?cite", p) for p in paragraphs), \
                f"{name}: the claim of {claim['claimant']} is printed without its claimant or source"
            checked += 1
    assert checked >= 10


def _glossary_entries() -> list[str]:
    """The entries of the built glossary, as the reader sees them."""
    page = (HTML / "chapters" / "glossary.html").read_text(encoding="utf-8")
    return [html.unescape(term) for term in re.findall(r'<dt id="term-[^"]*"[^>]*>([^<]+)', page)]


def _prose(source: str) -> str:
    """A chapter's running text, headings aside."""
    return re.sub(r"^#.*$", "", running_text(source), flags=re.MULTILINE)


def test_every_glossary_entry_is_linked_where_the_chapters_first_name_it():
    entries = _glossary_entries()
    assert len(entries) >= 20
    text = "\n".join(_prose(p.read_text(encoding="utf-8")) for p in chapter_sources()
                     if re.match(r"\d\d-", p.name))
    links = {m.start(): (m.end(), m.group(2) or m.group(1))      # {term}`Nusai <Nusai (Darwaz-e Bala)>`
             for m in re.finditer(r"\{term\}`([^`<]*?)\s*(?:<([^`>]+)>)?`", text)}
    unlinked = []
    for entry in entries:
        word = re.sub(r"\s*\(.*\)$", "", entry)             # "Nusai (Darwaz-e Bala)" is named Nusai
        first = re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)
        if first and not any(start < first.start() < end and target == entry
                             for start, (end, target) in links.items()):
            unlinked.append(f"{entry}: …{text[max(0, first.start() - 50):first.end()]}")
    assert unlinked == [], "first named without a link to the glossary:\n" + "\n".join(unlinked)
