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


def _break(package, resource, old, new):
    path = package / "raw" / f"{resource}.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _refusal(package, name="border_lengths") -> str:
    with pytest.raises(data.DataError) as error:
        data.table(name, package / "datapackage.json")
    return str(error.value)


def test_text_in_a_numeric_field_names_file_row_and_field(package):
    _break(package, "border_lengths", "1344.15", "about 1344")
    message = _refusal(package)
    assert "data/raw/border_lengths.csv" in message or "border_lengths.csv" in message
    assert "row 3" in message and "field 'value'" in message and "type-error" in message


def test_a_ragged_row_is_refused(package):
    _break(package, "border_lengths", "mfa-lake,", "mfa-lake,extra,")
    assert "row 6" in _refusal(package)


def test_a_duplicate_id_is_refused(package):
    _break(package, "border_lengths", "newstj,", "afp,")
    message = _refusal(package)
    assert "field 'id'" in message and "unique" in message


def test_a_value_outside_the_allowed_set_is_refused(package):
    _break(package, "border_lengths", ",almost,", ",roughly,")
    message = _refusal(package)
    assert "field 'bound'" in message and "constraint" in message


def test_a_number_out_of_range_is_refused(package):
    _break(package, "fx_rates", ",11.3000,", ",1130.00,")   # somoni per dollar, at most 100
    message = _refusal(package, "fx_rates")
    assert "row 2, field 'rate'" in message and 'constraint "maximum"' in message


def test_a_missing_required_column_is_refused(package):
    path = package / "raw" / "border_lengths.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(",".join(line.split(",")[1:]) for line in lines) + "\n")
    assert "header" in _refusal(package) or "missing" in _refusal(package)


def test_an_unknown_source_key_is_refused(package):
    _break(package, "border_lengths", "mfatj2013border", "nosuchkey2099")
    message = _refusal(package)
    assert "'nosuchkey2099' is not a key of references.bib" in message and "row 3" in message


def test_bytes_that_are_not_utf8_are_refused(package):
    path = package / "raw" / "border_lengths.csv"
    path.write_bytes(path.read_bytes().replace("Sadozaï".encode(), "Sadoza\xef".encode("latin-1")))
    assert "not UTF-8" in _refusal(package)


def test_an_empty_file_is_refused(package):
    (package / "raw" / "border_lengths.csv").write_text("")
    assert "empty" in _refusal(package)


def test_a_missing_file_is_refused(package):
    (package / "raw" / "border_lengths.csv").unlink()
    assert "file missing" in _refusal(package)


def test_an_invalid_descriptor_is_refused(package):
    (package / "datapackage.json").write_text('{"resources": [')
    assert "invalid JSON" in _refusal(package)


def test_a_stray_comma_in_the_descriptor_names_its_line(package):
    # failed on main: the build ended with an empty "The book did not build:"
    descriptor = package / "datapackage.json"
    descriptor.write_text(descriptor.read_text().replace('"resources": [', '"resources": [,', 1))
    message = _refusal(package)
    assert "datapackage.json, line" in message and "invalid JSON" in message and "comma" in message


def test_a_stray_comma_in_a_schema_names_the_schema_and_its_line(package):
    # failed before: Frictionless's "cannot retrieve metadata", then "Correct border_lengths.csv"
    schema = package / "schemas" / "quantity.json"
    schema.write_text(schema.read_text().replace('"fields": [', '"fields": [,', 1))
    message = _refusal(package)
    assert "quantity.json, line 2, column" in message and "invalid JSON" in message, message
    assert "border_lengths.csv" not in message, message


@pytest.mark.parametrize("value", ["NaN", "INF", "-inf", "nan"])
def test_a_figure_that_is_not_a_finite_number_is_refused(package, value):
    # failed on main: the book printed "less than nan"
    _break(package, "border_lengths", "1344.15", value)
    message = _refusal(package)
    assert "row 3, field 'value'" in message
    assert "not a finite number" in message or 'constraint "minimum"' in message


def test_a_negative_length_is_refused(package):
    # failed on main: the book printed "about -1,344 km"
    _break(package, "border_lengths", ",1344,", ",-1344,")
    message = _refusal(package)
    assert "field 'value'" in message and 'constraint "minimum"' in message


def test_a_header_only_table_is_refused(package):
    # failed on main: a bare KeyError
    path = package / "raw" / "border_lengths.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    assert "only a header row" in _refusal(package)


def test_an_unknown_resource_is_refused(package):
    assert "no resource named 'nothing'" in _refusal(package, "nothing")
