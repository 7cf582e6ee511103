"""The afterword (what happened after the paper, November 2021): it stands on dated, cited
events, draws its electricity series from cited rows, publishes its numbers, says it is the
edition's and not the author's, and is in the HTML and the PDF."""

import re

import pandas as pd
import pytest
from pybtex.database import parse_file

from borderbook import data, paths

from tests.conftest import HTML, toc_files

CHAPTER = "08-afterword"
SOURCE = paths.CHAPTERS / f"{CHAPTER}.md"
PAPER_ENDS = pd.Timestamp("2021-11-30")
GLUE = re.compile(r"\{glue\}`([\w-]+)`")


@pytest.fixture(scope="module")
def after_events():
    events = data.table("events")[0]
    return events[events.index.str.startswith("after-")]


def test_the_afterword_follows_the_conclusion_in_the_book():
    files = toc_files()
    assert f"chapters/{CHAPTER}" in files, "the afterword is not in _toc.yml"
    assert files.index(f"chapters/{CHAPTER}") == files.index("chapters/07-conclusion") + 1


def test_it_says_plainly_that_it_is_the_editions_not_the_authors():
    opening = SOURCE.read_text(encoding="utf-8").split("```")[0]
    assert "addition of this edition, not part of Mélanie Sadozaï's paper" in opening


def test_at_least_twelve_dated_events_after_the_paper_each_cited(after_events):
    keys = set(parse_file(paths.BIBLIOGRAPHY).entries)
    later = after_events[pd.to_datetime(after_events["date"].astype(str), format="ISO8601") > PAPER_ENDS]
    assert len(later) >= 12, f"only {len(later)} afterword events are dated after November 2021"
    for event_id, row in after_events.iterrows():
        assert row["source"] in keys, f"events.csv, row {event_id}: source {row['source']!r} not in references.bib"
        assert isinstance(row["locator"], str) and len(row["locator"]) > 10, \
            f"events.csv, row {event_id}: the locator must quote or point into the source"


def test_every_source_of_the_afterword_is_cited_in_its_text(after_events):
    # A reader of the chapter must be able to reach every work its events and figures rest on.
    text = SOURCE.read_text(encoding="utf-8")
    cited = {key.strip() for group in re.findall(r"\{footcite\}`([^`]+)`", text) for key in group.split(",")}
    rows = [after_events, data.table("electricity_after")[0], data.table("border_after")[0]]
    sources = {source for table in rows for source in table["source"]}
    assert sources - cited == set(), f"sources never cited in the afterword: {sorted(sources - cited)}"


def test_the_electricity_figure_is_drawn_from_cited_rows(register):
    figure = register["figures"].get("fig-after-electricity")
    assert figure and figure["chapter"] == CHAPTER, "fig-after-electricity is not published by the afterword"
    for ext in ("svg", "pdf", "csv"):
        assert (paths.FIGURES / f"fig-after-electricity.{ext}").stat().st_size > 0
    plotted = pd.read_csv(paths.FIGURES / "fig-after-electricity.csv")
    tables = {name: data.table(name)[0] for name in ("electricity", "electricity_after")}
    assert len(plotted) >= 5 and plotted["year"].is_unique
    for _, bar in plotted.iterrows():
        resource, row_id = bar["input"].split(":")
        row = tables[resource].loc[row_id]
        assert bar["input"] in figure["inputs"]
        assert (bar["kwh_billion"], bar["bound"], bar["source"]) == (row["value"], row["bound"], row["source"]), \
            f"fig-after-electricity, {bar['year']}: not the value, bound and source of {bar['input']}"
        assert row["unit"] == "billion kWh" and row["locator"]
    delivered = plotted[plotted["status"] == "delivered"]
    assert {2021, 2025} <= set(delivered["year"]), "the series must run from the paper's year to the latest"


def test_every_number_of_the_afterword_is_in_the_register(register):
    names = set(GLUE.findall(SOURCE.read_text(encoding="utf-8")))
    assert len(names) >= 20
    missing = [name for name in names
               if name not in register["numbers"] or register["numbers"][name]["chapter"] != CHAPTER]
    assert missing == [], f"glued by the afterword but not in figures/numbers.json: {sorted(missing)}"
    assert register["numbers"]["after-events-count"]["value"] == len(
        [i for i in data.table("events")[0].index if i.startswith("after-")])


def test_the_afterword_is_in_the_html_and_the_pdf(pdf_text):
    page = (HTML / "chapters" / f"{CHAPTER}.html").read_text(encoding="utf-8")
    assert "Afterword: the border after 2021" in page and "fig-after-electricity" in page
    assert "Afterword: the border after 2021" in pdf_text
    assert "not part of Mélanie Sadozaï’s paper" in pdf_text or "not part of Mélanie Sadozaï's paper" in pdf_text
