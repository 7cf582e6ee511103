"""The prose rule, applied to a text that is not a page (a figure's caption or alt text); the
tables the prose names."""

import json
import re

import pytest

from borderbook import paths, prose


@pytest.mark.parametrize("text, typed", [
    ("The 8 published lengths of the border.", ["The 8 published lengths of"]),
    ("Bars for three districts, as of 5 July 2021, in 2022.", ["Bars for three districts, as of"]),
    ("The line of 1895; 27 July; the 2010s; a “three” quote, \"three\" too.", []),
    ("Sales in billion kWh; exports (left, US$ million).", []),     # a scale naming an axis's unit
    ("More than a million workers, a billion kWh.", ["More than a million workers, a billion kWh."]),
])
def test_quantities_typed_in_a_caption_are_found_by_the_prose_rule(text, typed):
    assert prose.typed_quantities_in_text(text) == typed


TABLE_NAMED = re.compile(r"\btables? `(\w+)`|`(\w+)` tables?\b")


@pytest.mark.parametrize("page", sorted(paths.CHAPTERS.glob("*.md")), ids=lambda path: path.name)
def test_a_table_the_prose_names_is_a_table_of_the_data(page):
    # Failed before: the register's appendix sent readers to "the table `paper_register`",
    # which the redesign had renamed `statements`.
    tables = {resource["name"] for resource in
              json.loads(paths.DATAPACKAGE.read_text(encoding="utf-8"))["resources"]}
    text = re.sub(r"^(```|~~~).*?^\1", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)   # no code
    named = {a or b for a, b in TABLE_NAMED.findall(text)}
    assert named <= tables, f"{page.name} names tables the data does not have: {sorted(named - tables)}"
