"""The map's geometry is the Tajik–Afghan border: two countries sharing one line of plausible
length, every place of places.csv where its country is, and a map that draws them all."""

import csv

import pyproj
import pytest
from shapely.geometry import Point
from shapely.ops import nearest_points

from borderbook import data, paths

GEOD = pyproj.Geod(ellps="WGS84")
COUNTRY = {"TJ": "762", "AF": "004"}   # places.csv country -> ISO 3166 numeric code of the geometry


@pytest.fixture(scope="module")
def geometry():
    """The countries, the border line and the places (read when the tests run, not collected)."""
    countries = data.geometry("countries")[0]
    return countries, data.geometry("border")[0]["af-tj"][1], data.table("places")[0]


def km(a: Point, b: Point) -> float:
    return GEOD.inv(a.x, a.y, b.x, b.y)[2] / 1000


def test_the_border_line_is_the_whole_boundary_the_two_countries_share(geometry):
    countries, border, _ = geometry
    tajikistan, afghanistan = countries["762"][1], countries["004"][1]
    vertices = [Point(xy) for xy in border.coords]
    for country in (tajikistan, afghanistan):
        assert max(km(v, nearest_points(country.boundary, v)[0]) for v in vertices) < 2
    shared = [Point(xy) for polygon in getattr(tajikistan, "geoms", [tajikistan])
              for xy in polygon.exterior.coords if afghanistan.distance(Point(xy)) < 1e-6]
    assert len(shared) > 100, "the two countries do not touch"
    assert max(km(v, nearest_points(border, v)[0]) for v in shared) < 2


def test_the_border_line_has_a_plausible_length(geometry):
    # A line generalised for world maps cuts the river's bends: shorter than the surveyed
    # border, but not by much, and never longer.
    border = geometry[1]
    official = data.table("border_lengths")[0].loc["mfa-total", "value"]
    length = GEOD.geometry_length(border) / 1000
    assert 0.8 * official < length < official


def test_every_place_lies_in_or_near_its_country(geometry):
    countries, _, places = geometry
    astray = []
    for place, row in places.dropna(subset=["lat", "lon"]).iterrows():
        point, country = Point(row["lon"], row["lat"]), countries[COUNTRY[row["country"]]][1]
        if not (country.contains(point) or km(point, nearest_points(country, point)[0]) < 50):
            astray.append(f"{place} ({row['lat']}, {row['lon']}) is not in {row['country']}")
    assert len(places) > 10 and astray == [], "latitude and longitude swapped?"


def test_the_map_draws_every_place_and_states_the_measured_length(geometry, register):
    with open(paths.FIGURES / "fig-map.csv", encoding="utf-8", newline="") as table:
        drawn = {row["id"] for row in csv.DictReader(table)}
    places = geometry[2]
    assert drawn == set(places.dropna(subset=["lat", "lon"]).index)
    assert register["numbers"]["borderland-geodesic-km"]["text"] in register["figures"]["fig-map"]["caption"]


def test_the_map_draws_the_crossings_and_bridges_of_the_data(geometry):
    with open(paths.FIGURES / "fig-map.csv", encoding="utf-8", newline="") as table:
        drawn = {row["id"]: row for row in csv.DictReader(table)}
    places = geometry[2]
    crossings = places.index[places["kind"] == "crossing"]
    bridges = places.index[places["kind"] == "bridge"]
    assert len(crossings) >= 5 and len(bridges) >= 4
    assert {drawn[p]["symbol"] for p in crossings} == {"crossing"}
    assert {drawn[p]["symbol"] for p in bridges} == {"bridge"}


def test_every_spelling_of_a_place_leads_to_it_in_the_glossary():
    # A reader who searches "Shughnan" or "Kuf Ab" finds the place under the book's spelling.
    page = (paths.BUILD / "html" / "chapters" / "glossary.html").read_text(encoding="utf-8")
    names = data.table("place_names")[0]
    for _, row in names.iterrows():
        assert row["variant"] in page, f"{row['variant']} (for {row['name']}) is not in the glossary"
