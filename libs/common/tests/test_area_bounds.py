"""How big an area may be (points, polygons, rings: refused naming `geometry.coordinates`, before
shapely builds anything), and the areas kept once parsed (KnownAreas): by version, least recently
used out within their points, and a stored area that no longer passes covering nothing."""

from __future__ import annotations

import math

import pytest
from pydantic import BaseModel, ValidationError

from ecity_common.areas import MAX_POLYGONS, MAX_RINGS, MAX_VERTICES, Area, KnownAreas


def ring(points: int, centre=(34.80, 50.91), radius=0.01) -> list[list[float]]:
    """A closed ring of `points` positions (the first repeated last) around `centre`."""
    around = [[centre[0] + radius * math.cos(2 * math.pi * k / (points - 1)),
               centre[1] + radius * math.sin(2 * math.pi * k / (points - 1))] for k in range(points - 1)]
    return [*around, around[0]]


def square(west: float, south: float, size: float = 0.001) -> list[list[list[float]]]:
    return [[[west, south], [west + size, south], [west + size, south + size], [west, south + size], [west, south]]]


class Outage(BaseModel):
    area: Area


def _refusal(geometry: dict) -> dict:
    with pytest.raises(ValidationError) as caught:
        Outage.model_validate({"area": {"geometry": geometry}})
    (error,) = caught.value.errors()
    return error


def test_a_polygon_at_the_cap_passes_and_one_point_more_is_refused_naming_the_coordinates():
    at_cap = Area.model_validate({"geometry": {"type": "Polygon", "coordinates": [ring(MAX_VERTICES)]}})
    assert at_cap.covers(lat=50.91, long=34.80) and not at_cap.covers(lat=50.95, long=34.80)
    error = _refusal({"type": "Polygon", "coordinates": [ring(MAX_VERTICES + 1)]})
    assert error["loc"] == ("area", "geometry", "coordinates") and error["msg"] == f"at most {MAX_VERTICES} points in an area's geometry"
    # Counted over every ring of every polygon: two polygons of 1,001 are one point too many.
    two = [[ring(MAX_VERTICES // 2 + 1, centre=(34.75, 50.91))], [ring(MAX_VERTICES // 2, centre=(34.85, 50.91))]]
    assert _refusal({"type": "MultiPolygon", "coordinates": two})["loc"] == ("area", "geometry", "coordinates")


def test_too_many_polygons_or_rings_are_refused_before_shapely_reads_them():
    many = [square(34.70 + 0.002 * n, 50.90) for n in range(MAX_POLYGONS + 1)]
    assert _refusal({"type": "MultiPolygon", "coordinates": many})["msg"] == f"at most {MAX_POLYGONS} polygons in a MultiPolygon"
    holes = [ring(5, radius=0.5)] + [square(34.70 + 0.002 * n, 50.90)[0] for n in range(MAX_RINGS)]
    error = _refusal({"type": "Polygon", "coordinates": holes})
    assert error["loc"] == ("area", "geometry", "coordinates") and "rings" in error["msg"]
    # What is not lists at all is still shapely's to refuse (and said of the geometry).
    assert _refusal({"type": "Polygon", "coordinates": 5})["loc"] == ("area", "geometry")


def test_known_areas_are_parsed_once_per_version_and_bounded_by_their_points():
    known = KnownAreas(max_points=1_000, max_areas=100)
    small = {"geometry": {"type": "Polygon", "coordinates": [ring(100)]}}
    first = known.add(("out-1", "v1"), small)
    assert ("out-1", "v1") in known and known.get(("out-1", "v1")) is first
    assert ("out-1", "v2") not in known  # a new version of the outage is read again
    for n in range(2, 13):
        known.add((f"out-{n}", "v1"), small)  # 12 × 101 points: the oldest go
    assert ("out-1", "v1") not in known and ("out-12", "v1") in known
    assert known._points <= 1_000 and len(known._areas) == 9
    few = KnownAreas(max_areas=3)
    for n in range(5):
        few.add((f"out-{n}", "v1"), small)
    assert [key for key, _ in few._areas.items()] == [("out-2", "v1"), ("out-3", "v1"), ("out-4", "v1")]


def test_a_stored_area_that_no_longer_passes_covers_nothing():
    known = KnownAreas()
    too_big = {"geometry": {"type": "Polygon", "coordinates": [ring(MAX_VERTICES + 500)]}}  # stored before the cap
    assert known.add(("out-old", "v1"), too_big) is None
    assert ("out-old", "v1") in known and known.get(("out-old", "v1")) is None


def _box(s: float, n: float, w: float, e: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def test_an_area_beyond_what_a_company_serves_is_named_by_its_part():
    from ecity_common.areas import Area

    north = Area(geometry=_box(50.91, 50.95, 34.75, 34.85), streets=[{"street": "вул. Харківська", "from_house": 1, "to_house": 99}])
    city = Area(whole_city=True)
    assert Area(whole_city=True).beyond(city) is None and Area(geometry=_box(50.0, 51.5, 34.0, 35.5)).beyond(city) is None
    assert Area(whole_city=True).beyond(north)[0] == "whole_city"
    assert Area(geometry=_box(50.92, 50.94, 34.78, 34.80)).beyond(north) is None
    assert Area(geometry=_box(50.91, 50.95, 34.75, 34.85000005)).beyond(north) is None  # a hand-drawn edge
    assert Area(geometry=_box(50.88, 50.94, 34.78, 34.80)).beyond(north)[0] == "geometry"  # into the south
    assert Area(streets=[{"street": "Харківська вулиця", "from_house": 3, "to_house": 9}]).beyond(north) is None
    assert Area(streets=[{"street": "вул. Харківська", "from_house": 90, "to_house": 120}]).beyond(north)[0] == "streets[0]"
    assert Area(streets=[{"street": "вул. Харківська"}]).beyond(north)[0] == "streets[0]"  # the whole street
    assert Area(streets=[{"street": "вул. Харківська", "to_house": 5},
                         {"street": "вул. Соборна", "from_house": 1}]).beyond(north) == (
        "streets[1]", "вул. Соборна: not among the houses your company serves")
    odd = Area(streets=[{"street": "вул. Харківська", "side": "odd"}])
    assert Area(streets=[{"street": "вул. Харківська", "from_house": 1, "to_house": 9, "side": "odd"}]).beyond(odd) is None
    assert Area(streets=[{"street": "вул. Харківська", "from_house": 1, "to_house": 9}]).beyond(odd)[0] == "streets[0]"
