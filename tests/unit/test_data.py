"""The data package validates, every row names a known source, and bad input is refused clearly."""

import json
import shutil

import frictionless
import pytest

from borderbook import bib, data, paths

DESCRIPTOR = json.loads(paths.DATAPACKAGE.read_text(encoding="utf-8"))["resources"]
RESOURCES = [r["name"] for r in DESCRIPTOR if r["format"] == "csv"]
GEOMETRY = [r["name"] for r in DESCRIPTOR if r["format"] == "geojson"]


def test_the_data_package_validates():
    report = frictionless.Package(str(paths.DATAPACKAGE)).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


@pytest.mark.parametrize("name", RESOURCES)
def test_every_row_cites_a_key_of_the_bibliography(name):
    table, _ = data.table(name)
    assert len(table) > 0
    assert set(table["source"]) <= bib.keys()
    assert table["locator"].str.strip().str.len().min() > 0


@pytest.mark.parametrize("name", GEOMETRY)
def test_every_geometry_cites_its_source_and_has_features(name):
    features, source, _ = data.geometry(name)
    assert features and all(not shape.is_empty for _, shape in features.values())
    assert source in bib.keys()


def test_a_table_says_which_files_it_was_read_from():
    # the data file, its schema and the package descriptor: a chapter's outputs depend on all three
    _, reads = data.table("border_lengths")
    assert set(reads) == {"data/raw/border_lengths.csv", "data/schemas/quantity.json", "data/datapackage.json"}


def test_numbers_come_back_as_plain_floats():
    lengths, _ = data.table("border_lengths")
    assert lengths["value"].dtype == "float64"
    assert lengths.loc["mfa-total", "value"] == pytest.approx(1344.15)  # the Ministry's figure


@pytest.fixture
def package(tmp_path):
    """A copy of the data package to break, one way per test."""
    shutil.copytree(paths.DATA, tmp_path / "data")
    return tmp_path / "data"


def _replace(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} no longer holds {old!r}: the attack needs a new target"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _edit(old, new, resource="border_lengths"):
    """An attack that replaces ``old`` by ``new`` once in ``data/raw/<resource>.csv``."""
    return lambda package: _replace(package / "raw" / f"{resource}.csv", old, new)


def _write(relative, text):
    return lambda package: (package / relative).write_text(text, encoding="utf-8")


def _drop_first_column(package):
    path = package / "raw" / "border_lengths.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(",".join(line.split(",")[1:]) for line in lines) + "\n")


def _latin1(package):
    path = package / "raw" / "border_lengths.csv"
    path.write_bytes(path.read_bytes().replace("Sadozaï".encode(), "Sadoza\xef".encode("latin-1")))


def _header_only(package):
    path = package / "raw" / "border_lengths.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")


#: (what is wrong, how to break the package, the table read, what the message must say).
#: Comments say what a case did before it was fixed.
REFUSALS = [
    ("text in a numeric field", _edit("1344.15", "about 1344"), "border_lengths",
     ["border_lengths.csv", "row 3", "field 'value'", "type-error"]),
    ("a ragged row", _edit("mfa-lake,", "mfa-lake,extra,"), "border_lengths", ["row 6"]),
    ("a duplicate id", _edit("newstj,", "afp,"), "border_lengths", ["field 'id'", "unique"]),
    ("a bound outside the allowed set", _edit(",almost,", ",roughly,"), "border_lengths",
     ["field 'bound'", "constraint"]),
    ("a rate out of range (at most 100 somoni per dollar)", _edit(",11.3000,", ",1130.00,", "fx_rates"),
     "fx_rates", ["row 2, field 'rate'", 'constraint "maximum"']),
    ("a missing required column", _drop_first_column, "border_lengths", ["missing", "id"]),
    ("an unknown source key", _edit("mfatj2013border", "nosuchkey2099"), "border_lengths",
     ["'nosuchkey2099' is not a key of references.bib", "row 3"]),
    ("bytes that are not UTF-8", _latin1, "border_lengths", ["not UTF-8"]),
    ("an empty file", _write("raw/border_lengths.csv", ""), "border_lengths", ["empty"]),
    ("a missing file", lambda package: (package / "raw" / "border_lengths.csv").unlink(), "border_lengths",
     ["file missing"]),
    ("an invalid descriptor", _write("datapackage.json", '{"resources": ['), "border_lengths",
     ["invalid JSON"]),
    # before: an empty "The book did not build:"
    ("a stray comma in the descriptor",
     lambda package: _replace(package / "datapackage.json", '"resources": [', '"resources": [,'),
     "border_lengths", ["datapackage.json, line", "invalid JSON", "comma"]),
    # before: Frictionless's "cannot retrieve metadata", then "Correct border_lengths.csv"
    ("a stray comma in a schema",
     lambda package: _replace(package / "schemas" / "quantity.json", '"fields": [', '"fields": [,'),
     "border_lengths", ["quantity.json, line 2, column", "invalid JSON"]),
    # before: the book printed "less than nan" and "about -1,344 km"
    *[(f"{value} as a figure", _edit("1344.15", value), "border_lengths", ["row 3, field 'value'"])
      for value in ("NaN", "INF", "-inf", "nan")],
    ("a negative length", _edit(",1344,", ",-1344,"), "border_lengths",
     ["field 'value'", 'constraint "minimum"']),
    # before: a bare KeyError
    ("a header-only table", _header_only, "border_lengths", ["only a header row"]),
    ("an unknown resource", lambda package: None, "nothing", ["no resource named 'nothing'"]),
]


@pytest.mark.parametrize("attack, table, expected", [case[1:] for case in REFUSALS],
                         ids=[case[0] for case in REFUSALS])
def test_bad_input_is_refused_with_a_message_that_names_where(package, attack, table, expected):
    attack(package)
    with pytest.raises(data.DataError) as error:
        data.table(table, package / "datapackage.json")
    message = str(error.value)
    assert [part for part in expected if part not in message] == [], message


def test_a_stray_comma_in_a_schema_does_not_blame_the_table(package):
    _replace(package / "schemas" / "quantity.json", '"fields": [', '"fields": [,')
    with pytest.raises(data.DataError) as error:
        data.table("border_lengths", package / "datapackage.json")
    assert "border_lengths.csv" not in str(error.value)


def test_a_figure_that_is_not_finite_is_refused_as_such(package):
    _edit("1344.15", "NaN")(package)
    with pytest.raises(data.DataError) as error:
        data.table("border_lengths", package / "datapackage.json")
    assert "not a finite number" in str(error.value) or 'constraint "minimum"' in str(error.value)
