"""The prose rule, applied to a text that is not a page: a figure's caption or alt text."""

import pytest

from borderbook import prose


@pytest.mark.parametrize("text, typed", [
    ("The 8 published lengths of the border.", ["The 8 published lengths of"]),
    ("Bars for three districts, as of 5 July 2021, in 2022.", ["Bars for three districts, as of"]),
    ("The line of 1895; 27 July; the 2010s; a “three” quote, \"three\" too.", []),
    ("Sales in billion kWh; exports (left, US$ million).", []),     # a scale naming an axis's unit
    ("More than a million workers, a billion kWh.", ["More than a million workers, a billion kWh."]),
])
def test_quantities_typed_in_a_caption_are_found_by_the_prose_rule(text, typed):
    assert prose.typed_quantities_in_text(text) == typed
