"""The chapter object keeps bounds, refuses untraceable or non-finite numbers, records the code
that published each number, and publishes reproducible bytes only when it finishes."""

import json
import math

import matplotlib.pyplot as plt
import pandas as pd
import pytest

import borderbook
from borderbook import bounds, record
from borderbook.publishing import PublishError


@pytest.fixture
def ch(tmp_path):
    """A chapter publishing into a scratch folder."""
    return borderbook.chapter("99-test", tmp_path)


@pytest.fixture
def lengths(ch):
    return ch.load("border_lengths")


def test_bounds_are_printed_as_bounds(ch, lengths):
    row = lengths.loc["paper"]
    assert ch.number("a", 1_000_000, "{:.0f} million", "persons", "f", row,
                     bound="more_than", scale=1e6).text == "more than 1 million"
    assert ch.number("b", 810_000, "{:,.0f}", "persons", "f", row, bound="less_than").text == "less than 810,000"
    assert ch.number("c", (4, 5), "{:d}", "ratio", "f", row, bound="range").text == "4–5"
    assert ch.number("d", 50, "{:d}", "vehicles", "f", row, bound="up_to").text == "up to 50"


@pytest.mark.parametrize("bound, fmt, value, printed", [
    ("at_least", "{:.1f} times", 2.99, "at least 2.9 times"),      # a floor never rounds up
    ("more_than", "{:.0f}%", 55.9, "more than 55%"),
    ("at_most", "{:.1f}", 2.01, "at most 2.1"),                     # a ceiling never rounds down
    ("almost", "US${:.0f} million", 124.2e6, "almost US$125 million"),
    ("at_least", "{:.2f}", 1.1, "at least 1.10"),                   # float noise is not a fraction
    ("approx", "{:.0f}", 2.6, "about 3"),                           # a point rounds to nearest
])
def test_a_bound_is_rounded_in_its_safe_direction(ch, lengths, bound, fmt, value, printed):
    scale = 1e6 if "million" in fmt else 1
    assert ch.number("n", value, fmt, "u", "f", lengths.loc["paper"], bound=bound, scale=scale).text == printed


def test_every_bound_of_the_schema_has_words_a_family_and_a_sign():
    assert list(bounds.WORDS) == bounds.schema_bounds()
    assert set(bounds.FAMILY) == set(bounds.WORDS) == set(bounds.SIGNS)
    # a sign never says more than the words: a strict bound gets a strict sign, a floor points up
    assert bounds.SIGNS["more_than"] == ">" and bounds.SIGNS["less_than"] == "<"
    assert all(bounds.SIGNS[bound] in ("≥", ">") for bound, family in bounds.FAMILY.items() if family == "floor")
    assert all(bounds.SIGNS[bound] in ("≤", "<") for bound, family in bounds.FAMILY.items() if family == "ceiling")


def test_a_number_takes_its_sources_and_statements_from_its_rows(ch, lengths):
    number = ch.number("n", 1344, "{:,d} km", "km", "as stated", lengths.loc["paper"], bound="approx")
    assert number.sources == ["sadozai2021taliban"]
    assert number.statements == ["Q003"]
    assert number.inputs == ["border_lengths:paper"]
    assert number.text == "about 1,344 km"


def test_a_number_records_the_code_that_published_it(ch, lengths):
    number = ch.number("recorded", lengths.loc["mfa-land", "value"], "{:,g} km", "km", "as stated",
                       lengths.loc["mfa-land"])
    assert 'ch.number("recorded", lengths.loc["mfa-land", "value"]' in number.code


def test_rows_selected_together_are_each_an_input(ch, lengths):
    parts = lengths.loc[["mfa-river", "mfa-land", "mfa-lake"]]
    number = ch.number("sum", parts["value"].sum(), "{:,.2f}", "km", "sum", parts)
    assert number.inputs == ["border_lengths:mfa-lake", "border_lengths:mfa-land", "border_lengths:mfa-river"]
    assert type(number.value) is float     # numpy scalars are published as plain numbers


@pytest.mark.parametrize("inputs", [[], "border_lengths:paper", pd.Series({"value": 1}, name="x")])
def test_a_number_without_traceable_input_rows_is_refused(ch, lengths, inputs):
    with pytest.raises(PublishError):
        ch.number("x", 1, "{}", "km", "f", inputs)


def test_a_row_of_a_table_the_chapter_did_not_load_is_refused(tmp_path, lengths):
    other = borderbook.chapter("98-other", tmp_path)
    with pytest.raises(PublishError, match="not a row of a table this chapter loaded"):
        other.number("x", 1, "{}", "km", "f", lengths.loc["paper"])


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_number_that_is_not_finite_is_refused(ch, lengths, value):
    with pytest.raises(PublishError, match="not a finite number"):
        ch.number("x", value, "{:.0f} km", "km", "f", lengths.loc["paper"])


def test_a_format_that_prints_nan_is_refused(ch, lengths):
    with pytest.raises(PublishError, match="not a finite number"):
        ch.number("x", 1, "{:.0f} km and nan", "km", "f", lengths.loc["paper"])


def _figure():
    fig, ax = plt.subplots()
    ax.bar(["a", "b"], [1, 2])
    return fig


@pytest.mark.parametrize("caption, alt", [("", "alt"), ("caption", " ")])
def test_a_figure_needs_caption_and_alt_text(ch, lengths, caption, alt):
    with pytest.raises(PublishError):
        ch.figure("fig-x", _figure(), caption, alt, pd.DataFrame({"v": [1]}), lengths.loc["paper"])


def test_a_quantity_typed_in_a_figure_caption_is_refused_naming_chapter_figure_and_text(ch, lengths):
    with pytest.raises(PublishError) as error:
        ch.figure("fig-x", _figure(), caption="The border is 1,344 km long.", alt="A bar chart.",
                  table=pd.DataFrame({"v": [1]}), inputs=lengths.loc["paper"])
    message = str(error.value)
    assert "fig-x" in message and "99-test" in message and "caption" in message
    assert "1,344 km" in message and "ch.number()" in message


@pytest.mark.parametrize("alt", ["A chart of three districts.", "Bars for the 12 sources."])
def test_a_quantity_typed_in_a_figure_alt_text_is_refused(ch, lengths, alt):
    with pytest.raises(PublishError, match=r"fig-x.*alt text"):
        ch.figure("fig-x", _figure(), "Lengths, 5 July 2021.", alt, pd.DataFrame({"v": [1]}), lengths.loc["paper"])


def test_a_caption_typed_into_a_variable_is_refused_too(ch, lengths):
    caption = "Published lengths: " + "about 1300 km"
    with pytest.raises(PublishError, match="about 1300 km"):
        ch.figure("fig-x", _figure(), caption, "A bar chart.", pd.DataFrame({"v": [1]}), lengths.loc["paper"])
    texts = {"fig-x": "Bars for the 12 sources."}
    with pytest.raises(PublishError, match="12 sources"):
        ch.figure("fig-x", _figure(), "Lengths.", texts["fig-x"], pd.DataFrame({"v": [1]}), lengths.loc["paper"])


def test_a_caption_computed_from_published_numbers_dates_and_years_is_accepted(ch, lengths):
    length = ch.number("n", 1344, "{:,d} km", "km", "as stated", lengths.loc["paper"], bound="approx")
    sources = len(lengths)
    ch.figure("fig-x", _figure(), caption=f"The border, {length} long, as of 5 July 2021 and in 2022; "
                                          f"{sources:02d} sources, {length.value / 1000:.1f} units.",
              alt="Bars: {} long, {:.0f} sources.".format(length, sources),
              table=pd.DataFrame({"v": [1]}), inputs=lengths.loc["paper"])
    assert "1,344 km" in ch.figures["fig-x"]["caption"]


def test_figures_are_byte_identical_across_runs_and_written_only_by_finish(tmp_path):
    outputs = []
    for run in range(2):
        ch = borderbook.chapter("99-test", tmp_path / str(run))
        lengths = ch.load("border_lengths")
        ch.figure("fig-x", _figure(), "Caption.", "Alt.", pd.DataFrame({"v": [1.5]}), lengths.loc["paper"])
        assert not (tmp_path / str(run)).exists()  # nothing published before finish()
        ch.finish()
        outputs.append({p.name: p.read_bytes() for p in (tmp_path / str(run)).iterdir()})
    assert set(outputs[0]) >= {"fig-x.svg", "fig-x.pdf", "fig-x.csv", "numbers.json", "numbers.csv"}
    assert outputs[0] == outputs[1]


def test_finish_replaces_only_its_own_chapter(tmp_path):
    first = borderbook.chapter("99-test", tmp_path)
    first.number("kept", 1, "{}", "km", "f", first.load("border_lengths").loc["paper"])
    first.finish()
    other = borderbook.chapter("98-other", tmp_path)
    other.number("other", 2, "{}", "km", "f", other.load("border_lengths").loc["paper"])
    other.finish()
    borderbook.chapter("99-test", tmp_path).finish()
    numbers = json.loads((tmp_path / "numbers.json").read_text())["numbers"]
    assert set(numbers) == {"other"}


def test_the_register_csv_is_sorted_whatever_order_chapters_finish_in(tmp_path):
    # failed on main: a chapter that ran again moved its rows to the end of numbers.csv
    files = []
    for order in (("98-b", "99-a"), ("99-a", "98-b")):
        folder = tmp_path / "-".join(order)
        for name in order:
            ch = borderbook.chapter(name, folder)
            row = ch.load("border_lengths").loc["paper"]
            for number in ("z", "a"):
                ch.number(f"{name}-{number}", 1, "{}", "km", "f", row)
            ch.finish()
        files.append(((folder / "numbers.csv").read_bytes(), (folder / "numbers.json").read_bytes()))
    assert files[0] == files[1]
    names = [line.split(",")[1] for line in files[0][0].decode().splitlines()[1:]]
    assert names == ["98-b-a", "98-b-z", "99-a-a", "99-a-z"]


def test_a_staged_chapter_publishes_nothing_until_the_build_commits(tmp_path, monkeypatch):
    monkeypatch.setenv(record.STAGING, str(tmp_path / "staging"))
    ch = borderbook.chapter("99-test", tmp_path / "figures")
    ch.number("n", 1, "{}", "km", "f", ch.load("border_lengths").loc["paper"])
    ch.finish()
    assert not (tmp_path / "figures").exists()
    record.commit(record.staged(tmp_path / "staging"), tmp_path / "figures")
    assert set(record.read(tmp_path / "figures")["numbers"]) == {"n"}


def test_a_row_published_as_stated_keeps_its_bound_and_cites_its_row(ch, lengths):
    number = ch.stated("stated", lengths.loc["rahmon-unga"], "{:,.0f} km")
    assert number.text == "almost 1,400 km" and number.inputs == ["border_lengths:rahmon-unga"]
    assert number.formula == "as stated by Emomali Rahmon"


def test_an_interval_is_computed_from_the_events(ch):
    events = ch.load("events")
    number = ch.days("held", events.loc["east-badakhshan-taken"], events.loc["kabul-taken"])
    assert number.value == 41 and number.text == "41 days"  # 5 July to 15 August 2021
    assert number.inputs == ["events:east-badakhshan-taken", "events:kabul-taken"]
