"""A reviewer's `make verify` and a re-executor's `make reproduce`: they pass, and they catch changes."""

import json
import os
import subprocess
import sys

import pytest

from borderbook import paths

from tests.conftest import tree_digest


def _run(root, *arguments):
    """Run the command line of the project at ``root`` (its own borderbook, data and figures)."""
    environment = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([sys.executable, "-m", "borderbook", *arguments], cwd=root, env=environment,
                          capture_output=True, text=True, timeout=900)




@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    """A scratch copy of the project, to tamper with."""
    return paths.scratch_copy(tmp_path_factory.mktemp("project"))


def test_verify_finds_everything_identical():
    result = _run(paths.ROOT, "verify")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(paths.VERIFY_REPORT.read_text())
    assert report["identical"] and report["numbers"]["count"] > 0 and report["figures"]["count"] > 0


def test_verify_names_a_changed_figure_number_and_data_cell(copy):
    register = json.loads((copy / "figures" / "numbers.json").read_text())
    figure = sorted((copy / "figures").glob("fig-*.svg"))[0]
    figure.write_bytes(figure.read_bytes().replace(b"<svg", b"<svg ", 1))          # one byte more
    register["numbers"]["length-afp"]["text"] = "about 1,301 km"                   # one number
    (copy / "figures" / "numbers.json").write_text(json.dumps(register, indent=1, ensure_ascii=False))
    lengths = copy / "data" / "raw" / "border_lengths.csv"                          # one data cell
    lengths.write_text(lengths.read_text(encoding="utf-8").replace(",19,,exact,", ",20,,exact,"),
                       encoding="utf-8")
    result = _run(copy, "verify")
    assert result.returncode == 1
    for name in (figure.name, "length-afp", "length-mfa-lake", "data/raw/border_lengths.csv"):
        assert name in result.stdout, f"{name} not named in:\n{result.stdout}"


def test_reproduce_refuses_an_unknown_parameter():
    result = _run(paths.ROOT, "reproduce", "no_such_parameter=1")
    assert result.returncode == 2 and "no chapter declares no_such_parameter" in result.stderr


def test_reproduce_with_a_parameter_changes_its_outputs_and_nothing_published(tmp_path):
    before = tree_digest(paths.FIGURES), tree_digest(paths.DATA)
    result = _run(paths.ROOT, "reproduce", "fx_date=2021-10-08", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tree_digest(paths.FIGURES), tree_digest(paths.DATA)) == before
    assert "03-closed-border" in result.stdout and "fx_date" in result.stdout
    published = json.loads((paths.FIGURES / "numbers.json").read_text())["numbers"]
    again = json.loads((tmp_path / "out" / "figures" / "numbers.json").read_text())["numbers"]
    changed = {name for name in published if published[name]["value"] != again[name]["value"]}
    # The official rate of 8 October 2021 converts the prices differently; nothing else moves.
    assert {"border-fx-rate", "border-oil-market-usd", "border-oil-shop-usd"} <= changed
    assert all(published[name]["chapter"] == "03-closed-border" for name in changed)
    assert (tmp_path / "out" / "figures" / "fig-prices.svg").read_bytes() != \
        (paths.FIGURES / "fig-prices.svg").read_bytes()
    assert len(list((tmp_path / "out").glob("*.ipynb"))) >= 7
