"""A reviewer's `make verify` and a re-executor's `make reproduce`: they pass, and they catch
changes. Each runs in a scratch copy of the project, never in the real tree: the whole book where
a test needs every chapter (everything identical, a parameter of one chapter), the small book of
the e2e layer where the changes are all in its chapters (a tampered register, a data cell), so a
run executes three chapters, not ten."""

import json

import pytest

from tests.conftest import tree_digest
from tests.e2e.conftest import Project


@pytest.fixture(scope="module")
def whole(tmp_path_factory) -> Project:
    """A scratch copy of the whole project (all chapters), as committed."""
    return Project(tmp_path_factory.mktemp("project"), small=False)


def test_verify_finds_everything_identical(whole):
    code, output = whole.run("verify")
    assert code == 0, output[-3000:]
    report = json.loads((whole.root / "_build" / "verify" / "report.json").read_text())
    assert report["identical"] and report["numbers"]["count"] > 100 and report["figures"]["count"] > 30
    assert report["data"]["count"] >= 15


def test_verify_names_a_changed_figure_number_csv_row_and_data_cell(tmp_path, built):
    # The small book publishes only its chapters' files (record.prune), all of which verify regenerates.
    copy = built.copy(tmp_path)
    figures = copy.root / "figures"
    register = json.loads((figures / "numbers.json").read_text())
    figure = sorted(figures.glob("fig-*.svg"))[0]
    assert register["figures"][figure.stem]["chapter"] == "01-introduction"
    figure.write_bytes(figure.read_bytes().replace(b"<svg", b"<svg ", 1))             # one byte more
    register["numbers"]["length-afp"]["text"] = "about 1,301 km"                      # one number
    (figures / "numbers.json").write_text(json.dumps(register, indent=1, ensure_ascii=False))
    copy.edit("figures/numbers.csv", "about 1,344 km", "about 9,999 km")               # the CSV copy
    copy.edit("data/raw/border_lengths.csv", ",19,,exact,", ",20,,exact,")            # one data cell
    code, output = copy.run("verify")
    assert code == 1
    for name in (figure.name, "length-afp", "length-mfa-lake", "numbers.csv", "data/raw/border_lengths.csv"):
        assert name in output, f"{name} not named in:\n{output}"
    # ... and says what to do. Failed before (make attack's verify-tampered-*): the report
    # stopped at the list of differences.
    assert "publish it with `make book`" in output and "git checkout -- figures/" in output


def test_reproduce_refuses_an_unknown_parameter(whole):
    code, output = whole.run("reproduce", "no_such_parameter=1")
    assert code == 2 and "no chapter declares no_such_parameter" in output


def test_reproduce_with_a_parameter_changes_its_outputs_and_nothing_published(tmp_path, whole, built):
    before = tree_digest(whole.root / "figures"), tree_digest(whole.root / "data")
    code, output = whole.run("reproduce", "fx_date=2021-10-08", "--out", str(tmp_path / "out"))
    assert code == 0, output[-2000:]
    assert (tree_digest(whole.root / "figures"), tree_digest(whole.root / "data")) == before
    assert "03-closed-border" in output and "fx_date" in output
    published = json.loads((whole.root / "figures" / "numbers.json").read_text())["numbers"]
    again = json.loads((tmp_path / "out" / "figures" / "numbers.json").read_text())["numbers"]
    changed = {name for name in published if published[name]["value"] != again[name]["value"]}
    # The official rate of 8 October 2021 converts the prices differently; nothing else moves.
    assert {"border-fx-rate", "border-oil-market-usd", "border-oil-shop-usd"} <= changed
    assert all(published[name]["chapter"] == "03-closed-border" for name in changed)
    assert (tmp_path / "out" / "figures" / "fig-prices.svg").read_bytes() != \
        (whole.root / "figures" / "fig-prices.svg").read_bytes()
    assert len(list((tmp_path / "out").glob("*.ipynb"))) >= 7
    # A folder made by reproduce is emptied and reused: by the small book's run, three chapters.
    code, output = built.run("reproduce", "--out", str(tmp_path / "out"))
    assert code == 0, "a folder made by reproduce is emptied and reused"
    assert not (tmp_path / "out" / "03-closed-border.ipynb").exists(), "the earlier run's outputs were kept"
    assert (tmp_path / "out" / "01-introduction.ipynb").exists()
