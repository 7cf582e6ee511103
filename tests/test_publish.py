"""Publishing keeps bounds, refuses untraceable numbers and figures, and writes reproducible bytes."""

import json

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from borderbook import data, publish


@pytest.fixture
def chapter(tmp_path):
    """A chapter publishing into a scratch folder, with the border lengths loaded."""
    publish.start("99-test", tmp_path)
    data.load("border_lengths")
    yield tmp_path
    publish._current = None


def test_bounds_are_printed_as_bounds(chapter):
    row = ["border_lengths:paper"]
    assert publish.number("a", 1_000_000, "{:.0f} million", "persons", "f", row,
                          bound="more_than", scale=1e6).text == "more than 1 million"
    assert publish.number("b", 810_000, "{:,.0f}", "persons", "f", row,
                          bound="less_than").text == "less than 810,000"
    assert publish.number("c", (4, 5), "{:d}", "ratio", "f", row, bound="range").text == "4–5"
    assert publish.number("d", 50, "{:d}", "vehicles", "f", row, bound="up_to").text == "up to 50"


def test_a_number_records_its_sources_and_statements_from_its_rows(chapter):
    number = publish.number("n", 1344, "{:,d} km", "km", "as stated", ["border_lengths:paper"],
                            bound="approx")
    assert number.sources == ["sadozai2021taliban"]
    assert number.register == ["Q003"]
    assert number.text == "about 1,344 km"


def test_numpy_values_are_published_as_plain_numbers(chapter):
    value = data.load("border_lengths")["value"].sum()
    number = publish.number("s", value, "{:,.0f}", "km", "sum", ["border_lengths:paper"])
    assert type(number.value) is float


@pytest.mark.parametrize("inputs", [[], ["border_lengths:no-such-row"], ["prices:x"]])
def test_a_number_without_traceable_inputs_is_refused(chapter, inputs):
    with pytest.raises(publish.PublishError):
        publish.number("x", 1, "{}", "km", "f", inputs)


def _figure():
    fig, ax = plt.subplots()
    ax.bar(["a", "b"], [1, 2])
    return fig


@pytest.mark.parametrize("caption, alt", [("", "alt"), ("caption", " ")])
def test_a_figure_needs_caption_and_alt_text(chapter, caption, alt):
    with pytest.raises(publish.PublishError):
        publish.figure("fig-x", _figure(), caption, alt, pd.DataFrame({"v": [1]}),
                       ["border_lengths:paper"])


def test_figures_are_byte_identical_across_runs_and_written_only_by_finish(chapter, tmp_path):
    outputs = []
    for run in range(2):
        publish.start("99-test", tmp_path / str(run))
        data.load("border_lengths")
        publish.figure("fig-x", _figure(), "Caption.", "Alt.", pd.DataFrame({"v": [1.5]}),
                       ["border_lengths:paper"])
        assert not (tmp_path / str(run)).exists()  # nothing published before finish()
        publish.finish()
        outputs.append({p.name: p.read_bytes() for p in (tmp_path / str(run)).iterdir()})
    assert set(outputs[0]) >= {"fig-x.svg", "fig-x.pdf", "fig-x.csv", "numbers.json"}
    assert outputs[0] == outputs[1]


def test_finish_replaces_only_its_own_chapter(chapter):
    publish.number("kept", 1, "{}", "km", "f", ["border_lengths:paper"])
    publish.finish()
    publish.start("98-other", chapter)
    data.load("border_lengths")
    publish.number("other", 2, "{}", "km", "f", ["border_lengths:paper"])
    publish.finish()
    publish.start("99-test", chapter)
    publish.finish()
    numbers = json.loads((chapter / "numbers.json").read_text())["numbers"]
    assert set(numbers) == {"other"}


def test_a_row_published_as_stated_keeps_its_bound_and_cites_its_row(chapter):
    lengths = data.load("border_lengths")
    number = publish.stated("stated", lengths, "rahmon-unga", "{:,.0f} km")
    assert number.text == "almost 1,400 km" and number.inputs == ["border_lengths:rahmon-unga"]
    assert number.formula == "as stated by Emomali Rahmon"


def test_an_interval_is_computed_from_the_events(chapter):
    events = data.load("events")
    number = publish.days("held", events, "east-badakhshan-taken", "kabul-taken")
    assert number.value == 41 and number.text == "41 days"  # 5 July to 15 August 2021
    assert number.inputs == ["events:east-badakhshan-taken", "events:kabul-taken"]
