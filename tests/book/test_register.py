"""Every quantitative statement of the paper is accounted for, bounds stay bounds, and every
published number carries the code that computed it."""

import pytest

from borderbook import bounds, data, execute, freshness, paths, record


@pytest.fixture(scope="module")
def statements():
    return data.table("statements")[0]


def test_every_published_statement_maps_to_a_published_number(register, statements):
    # The statements come from data/raw/statements.csv, not from a hard-coded range of ids.
    covered = {q for number in register["numbers"].values() for q in number["statements"]}
    expected = list(statements.index[statements["treatment"] == "published"])
    assert len(expected) > len(statements) / 2, "most of the paper's statements are published"
    assert [q for q in expected if q not in covered] == []


def test_statements_not_published_say_why(statements):
    skipped = statements[statements["treatment"] != "published"]
    assert skipped["note"].notna().all() and (skipped["note"].str.len() > 5).all()


def test_a_figure_restated_from_one_row_keeps_that_rows_bound(register, quantity_rows):
    checked = 0
    for name, number in register["numbers"].items():
        if len(number["inputs"]) != 1 or number["inputs"][0] not in quantity_rows or isinstance(number["value"], list):
            continue
        row = quantity_rows[number["inputs"][0]]
        if number["value"] == row["value"]:
            checked += 1
            assert number["bound"] == row["bound"], f"{name}: {row['bound']} printed as {number['bound']}"
    assert checked >= 20


@pytest.mark.parametrize("bound", [b for b in bounds.WORDS if b not in ("exact", "range")])
def test_bounded_numbers_print_their_bound(register, bound):
    for number in register["numbers"].values():
        if number["bound"] == bound:
            assert number["text"].startswith(bounds.WORDS[bound]), number["name"]


def test_the_register_holds_exactly_the_chapters_that_run(register):
    # A chapter removed from the book, or turned into a page without code, would leave its
    # records behind, and verify would compare data against them; a chapter that runs without
    # publishing would count as stale and run at every build.
    running = {path.stem for path in execute.chapters()}
    publishing = record.chapters(register)
    assert publishing <= running, (f"figures/numbers.json holds records of {sorted(publishing - running)}, "
                                   "which no longer run: `make book` drops them")
    assert set(register["chapters"]) == running, "every chapter that runs must call ch.finish()"


def test_the_register_csv_is_the_json_sorted():
    assert (paths.FIGURES / "numbers.csv").read_bytes() == record.as_csv(record.read()["numbers"])


def _named(number: dict, code: str) -> list[str]:
    """The input rows a number claims that its chapter's code neither names nor selects from a
    table it loads by name (rows picked by a parameter or a computation, such as idxmax)."""
    return [ref for ref in number["inputs"] if ref.partition(":")[2] not in code
            and f'ch.load("{ref.partition(":")[0]}")' not in code
            and f'ch.geometry("{ref.partition(":")[0]}")' not in code]


def test_every_number_records_the_code_that_computed_it(register):
    cells = {path.stem: freshness.code_cells(path) for path in execute.chapters()}
    missing = {}
    for name, item in {**register["numbers"], **register["figures"]}.items():
        code = cells[item["chapter"]]
        assert 1 <= item["cell"] <= len(code), f"{name}: no code cell recorded"
        assert item["code"] and item["code"].strip() in code[item["cell"] - 1], f"{name}: code not in its cell"
        unnamed = _named(item, "\n".join(code))
        if unnamed:
            missing[name] = unnamed
    assert missing == {}, "numbers whose code does not name the rows they claim"
