"""Every quantitative statement of the paper is accounted for, and bounds stay bounds."""

import pytest

from borderbook import data, freshness, publish, reproduce

STATEMENTS = data.load("paper_register")
SECTIONS = {  # register ids by the part of the paper that states them
    "introduction, borderland and closed border": (1, 48),
    "response, world stage, risky gamble and conclusion": (49, 92),
}


@pytest.mark.parametrize("section", SECTIONS)
def test_every_published_statement_maps_to_a_published_number(register, section):
    low, high = SECTIONS[section]
    covered = {q for number in register["numbers"].values() for q in number["register"]}
    expected = [q for q, row in STATEMENTS.iterrows()
                if low <= int(q[1:]) <= high and row["treatment"] == "published"]
    assert expected, "no statement expected: the register is empty"
    assert [q for q in expected if q not in covered] == []


def test_statements_not_published_say_why():
    skipped = STATEMENTS[STATEMENTS["treatment"] != "published"]
    assert skipped["note"].notna().all() and (skipped["note"].str.len() > 5).all()


def test_a_figure_restated_from_one_row_keeps_that_rows_bound(register, quantity_rows):
    rows = quantity_rows
    checked = 0
    for name, number in register["numbers"].items():
        if len(number["inputs"]) != 1 or number["inputs"][0] not in rows or isinstance(number["value"], list):
            continue
        row = rows[number["inputs"][0]]
        if number["value"] == row["value"]:
            checked += 1
            assert number["bound"] == row["bound"], f"{name}: {row['bound']} printed as {number['bound']}"
    assert checked >= 20


@pytest.mark.parametrize("bound", [b for b in publish.BOUND_WORDS if b not in ("exact", "range")])
def test_bounded_numbers_print_their_bound(register, bound):
    for number in register["numbers"].values():
        if number["bound"] == bound:
            assert number["text"].startswith(publish.BOUND_WORDS[bound]), number["name"]


def test_the_register_holds_exactly_the_chapters_that_run(register):
    # A chapter removed from the book, or turned into a page without code, would leave its
    # records behind, and verify would compare data against them; a chapter that runs without
    # publishing would count as stale and run at every build.
    running = {path.stem for path in reproduce.chapters()}
    publishing = freshness.publishing_chapters(register)
    assert publishing <= running, (f"figures/numbers.json holds records of {sorted(publishing - running)}, "
                                   "which no longer run: `make book` drops them")
    assert set(register["chapters"]) == running, "every chapter that runs must call publish.finish()"
