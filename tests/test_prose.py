"""No quantity is typed by hand into a chapter's prose; the scanner itself catches one."""

import pytest

from borderbook.prose import typed_quantities

from .conftest import chapter_sources


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
