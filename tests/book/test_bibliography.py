"""The bibliography parses, is complete enough, and every citation resolves."""

import re

import pytest
from pybtex.database import parse_file

from borderbook import paths

from tests.conftest import chapter_sources

ENTRIES = parse_file(paths.BIBLIOGRAPHY).entries
CITE = re.compile(r"\{(?:foot)?cite(?::\w+)?\}`([^`]+)`")


def test_the_bibliography_holds_every_source_of_the_paper():
    # The paper's 62 footnotes cite about 55 distinct works; the edition adds its own sources.
    assert len(ENTRIES) >= 50
    assert "sadozai2021taliban" in ENTRIES


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_a_recorded_access_date_is_a_date_on_a_web_entry(key):
    # No placeholder: where no access date was recorded there is none (tests/test_citations.py
    # checks that the book then prints none).
    fields = ENTRIES[key].fields
    if "urldate" in fields:
        assert "url" in fields or "mirror" in fields, f"{key}: urldate without an address"
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", fields["urldate"]), f"{key}: urldate is not YYYY-MM-DD"


@pytest.mark.parametrize("chapter", chapter_sources(), ids=lambda p: p.name)
def test_every_citation_names_an_entry(chapter):
    cited = {key.strip() for group in CITE.findall(chapter.read_text(encoding="utf-8"))
             for key in group.split(",")}
    assert cited <= set(ENTRIES), f"unknown keys: {sorted(cited - set(ENTRIES))}"
