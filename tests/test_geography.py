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
COUNTRIES = data.geometry("countries")
BORDER = data.geometry("border")["af-tj"][1]
PLACES = data.load("places")


def km(a: Point, b: Point) -> float:
    return GEOD.inv(a.x, a.y, b.x, b.y)[2] / 1000


def test_the_border_line_is_the_whole_boundary_the_two_countries_share():
    tajikistan, afghanistan = COUNTRIES["762"][1], COUNTRIES["004"][1]
    vertices = [Point(xy) for xy in BORDER.coords]
    for country in (tajikistan, afghanistan):
        assert max(km(v, nearest_points(country.boundary, v)[0]) for v in vertices) < 2
    shared = [Point(xy) for polygon in getattr(tajikistan, "geoms", [tajikistan])
              for xy in polygon.exterior.coords if afghanistan.distance(Point(xy)) < 1e-6]
    assert len(shared) > 100, "the two countries do not touch"
    assert max(km(v, nearest_points(BORDER, v)[0]) for v in shared) < 2


def test_the_border_line_has_a_plausible_length():
    # A line generalised for world maps cuts the river's bends: shorter than the surveyed
    # border, but not by much, and never longer.
    official = data.load("border_lengths").loc["mfa-total", "value"]
    length = GEOD.geometry_length(BORDER) / 1000
    assert 0.8 * official < length < official


@pytest.mark.parametrize("place", PLACES.index)
def test_every_place_lies_in_or_near_its_country(place):
    row = PLACES.loc[place]
    point, country = Point(row["lon"], row["lat"]), COUNTRIES[COUNTRY[row["country"]]][1]
    assert country.contains(point) or km(point, nearest_points(country, point)[0]) < 50, \
        f"{place} ({row['lat']}, {row['lon']}) is not in {row['country']}: latitude and longitude swapped?"


def test_the_map_draws_every_place_and_states_the_measured_length(register):
    with open(paths.FIGURES / "fig-map.csv", encoding="utf-8", newline="") as table:
        drawn = {row["id"] for row in csv.DictReader(table)}
    assert drawn == set(PLACES.dropna(subset=["lat", "lon"]).index)
    assert register["numbers"]["borderland-geodesic-km"]["text"] in register["figures"]["fig-map"]["caption"]
