"""Parts of the city: a utility company's service area, an outage's affected area.

An area is streets with house ranges ("вул. Соборна, houses 1–45, odd side") and/or GeoJSON
polygons. Utility companies think in addresses (their customer records are addresses); maps and
emergency crews draw polygons. A place is covered when its address falls in a street range, or
its point lies in a polygon. Used by utilities-gateway (routing, outages) and citizen-requests
(linking a new request to an outage), so both read an area the same way.
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Hashable
from functools import cached_property, lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError
from shapely.geometry import Point, shape
from shapely.validation import explain_validity

from ecity_common.geo import outside_sumy
from ecity_common.inputs import Text

# Street-type words that people write in front of (or after) a name, in Ukrainian, Russian and
# English, with and without the abbreviation dot; dropped before comparing.
_STREET_WORDS = re.compile(
    r"\b(вулиця|вул|проспект|просп|пр-т|пр|провулок|пров|бульвар|бульв|б-р|площа|пл|шосе|узвіз|проїзд|тупик|"
    r"улица|ул|переулок|пер|street|st|avenue|ave|lane)\b\.?",
    re.IGNORECASE,
)
# How big a polygon may be. A dispatcher's outage area drawn on a map has tens of points, a
# district's boundary a few hundred; shapely's checks cost O(n log n) in the points, and every
# point is kept, sent in each event and served in the public GeoJSON.
MAX_VERTICES = 2_000  # positions in the whole geometry, every ring of every polygon
MAX_POLYGONS = 50  # in a MultiPolygon
MAX_RINGS = 50  # in one polygon: its outline and its holes
# How far (in degrees, about 10 m at Sumy's latitude) a polygon drawn by hand may stray over the edge
# of the area it should lie within.
DRAWING_TOLERANCE_DEG = 0.0001

# The patterns below read an address part whose whitespace is already one space at a time, and each
# quantifier is bounded (a house number has at most six digits, its letter one), so matching one
# is linear in the address whatever a citizen types. The patterns they replace ran `\s*` after `\s*`
# over the same spaces: a backtracking engine tried every split of a run of spaces, and
# "вул. Соборна, 1" + 300 spaces + "!" took seconds of the event loop (issue 15).
_CITY = re.compile(r"(?:м\.?|місто|г\.?) ?суми|суми")
_NUMBER = r"(\d{1,6})(?: ?[-/] ?\d{1,6})? ?-? ?[а-яіїєґa-z]?"  # 12, 12а, 12-а, 5/1, 5 / 1 б
_HOUSE = re.compile(_NUMBER, re.IGNORECASE)  # a part that is only the house: ", 12а"
_BUILDING = re.compile(r"(?:будинок|буд\.?) ?(\d{1,6})(?!\d)", re.IGNORECASE)  # ", буд. 20" (and anything after)
_HOUSE_AT_END = re.compile(f" {_NUMBER}$", re.IGNORECASE)  # "Соборна вулиця 7"


def normalise_street(name: str) -> str:
    """'вул. Соборна' / 'Соборна вулиця' / 'соборна' → 'соборна'."""
    cleaned = _STREET_WORDS.sub(" ", name.replace("’", "'").replace("ʼ", "'").lower())
    return " ".join(cleaned.replace(",", " ").replace(".", " ").split())


# Routing asks every company of the kind whether its area covers the address, and a filing is
# checked against every active outage: the same address is read once for all of them.
@lru_cache(maxsize=1024)
def parse_address(address: str) -> tuple[str, int | None]:
    """('соборна', 12) from 'вул. Соборна, 12а'; a city name in front ('м. Суми, ...') is dropped.
    A run of more than six digits is not a house number (it stays in the street's name)."""
    parts = [" ".join(p.split()) for p in address.split(",")]
    parts = [p for p in parts if p and not _CITY.fullmatch(p.lower())]
    if not parts:
        return "", None
    house: int | None = None
    last = parts[-1]
    if len(parts) > 1 and (m := _HOUSE.fullmatch(last) or _BUILDING.match(last)):
        house = int(m.group(1))
        parts = parts[:-1]
    elif m := _HOUSE_AT_END.search(last):
        house = int(m.group(1))
        parts[-1] = last[: m.start()]
    return normalise_street(" ".join(parts)), house


class StreetRange(BaseModel):
    """Houses of one street: all of them, or `from_house`–`to_house`, on one side or both."""

    model_config = ConfigDict(populate_by_name=True)

    street: str = Field(min_length=2, max_length=200, examples=["вул. Соборна"])
    from_house: int | None = Field(default=None, ge=1, le=10_000)
    to_house: int | None = Field(default=None, ge=1, le=10_000)
    side: Literal["both", "odd", "even"] = "both"

    @model_validator(mode="after")
    def _range_in_order(self) -> StreetRange:
        if self.from_house is not None and self.to_house is not None and self.from_house > self.to_house:
            raise ValueError("from_house must not be greater than to_house")
        return self

    @cached_property
    def key(self) -> str:
        return normalise_street(self.street)

    def contains(self, other: StreetRange) -> bool:
        """Every house of `other` is one of this range's."""
        if other.key != self.key:
            return False
        if self.from_house is not None and (other.from_house or 1) < self.from_house:
            return False
        if self.to_house is not None and (other.to_house is None or other.to_house > self.to_house):
            return False
        return self.side == "both" or self.side == other.side

    def covers(self, street: str, house: int | None) -> bool:
        if street != self.key:
            return False
        if house is None:
            # A whole street is covered by a range that spans it all; a part of it is not
            # enough to say an address without a number is inside.
            return self.from_house is None and self.to_house is None and self.side == "both"
        if self.from_house is not None and house < self.from_house:
            return False
        if self.to_house is not None and house > self.to_house:
            return False
        return self.side == "both" or (house % 2 == 1) == (self.side == "odd")


def geometry_size_problem(geometry: dict) -> str | None:
    """Why a Polygon's or MultiPolygon's coordinates are too big to take (`MAX_VERTICES`,
    `MAX_POLYGONS`, `MAX_RINGS`), or None. Only counts: what is not lists is shapely's to refuse."""
    coordinates = geometry.get("coordinates")
    polygons = coordinates if geometry.get("type") == "MultiPolygon" else [coordinates]
    if not isinstance(polygons, list):
        return None
    if len(polygons) > MAX_POLYGONS:
        return f"at most {MAX_POLYGONS} polygons in a MultiPolygon"
    vertices = 0
    for rings in polygons:
        if not isinstance(rings, list):
            continue
        if len(rings) > MAX_RINGS:
            return f"at most {MAX_RINGS} rings (the outline and its holes) in a polygon"
        vertices += sum(len(ring) for ring in rings if isinstance(ring, list))
        if vertices > MAX_VERTICES:
            return f"at most {MAX_VERTICES} points in an area's geometry"
    return None


class Area(BaseModel):
    """Streets and/or GeoJSON polygons (WGS 84, [long, lat] as GeoJSON orders them)."""

    # The whole city: every address in it and every point inside its bounds (a city-wide utility;
    # an address alone, with no coordinates, is then enough to route a request).
    whole_city: bool = False
    streets: list[StreetRange] = Field(default_factory=list, max_length=2000)
    # A GeoJSON Polygon or MultiPolygon geometry object.
    geometry: dict | None = None

    @field_validator("geometry")
    @classmethod
    def _valid_polygon(cls, geometry: dict | None) -> dict | None:
        if geometry is None:
            return None
        if geometry.get("type") not in ("Polygon", "MultiPolygon"):
            raise ValueError("geometry must be a GeoJSON Polygon or MultiPolygon")
        if too_big := geometry_size_problem(geometry):
            # Counted before shapely builds anything; said of `geometry.coordinates`.
            raise ValidationError.from_exception_data("Area", [InitErrorDetails(
                type=PydanticCustomError("geometry_too_big", too_big), loc=("coordinates",), input="…")])
        try:
            polygon = shape(geometry)
        except Exception as exc:  # shapely says what is malformed (too few points, bad nesting)
            raise ValueError(f"not a GeoJSON polygon: {exc}") from None
        if polygon.is_empty or not polygon.is_valid:
            raise ValueError(f"invalid polygon: {explain_validity(polygon)}")
        # Only what makes the polygon is kept: any other member is stored as sent, and one could
        # carry what the database refuses (a NUL) into the area's JSON.
        return {"type": geometry["type"], "coordinates": geometry["coordinates"]}

    @model_validator(mode="after")
    def _not_empty(self) -> Area:
        if not self.whole_city and not self.streets and self.geometry is None:
            raise ValueError("an area needs streets, a geometry or whole_city")
        return self

    @cached_property
    def _polygon(self):
        return shape(self.geometry) if self.geometry is not None else None

    def covers(self, *, lat: float | None = None, long: float | None = None, address: str | None = None) -> bool:
        if self.whole_city:
            return bool(address) or (lat is not None and long is not None and outside_sumy(lat, long) is None)
        if lat is not None and long is not None and self._polygon is not None:
            if self._polygon.covers(Point(long, lat)):
                return True
        if address and self.streets:
            street, house = parse_address(address)
            return any(r.covers(street, house) for r in self.streets)
        return False

    def beyond(self, served: Area) -> tuple[str, str] | None:
        """(field, why) when part of this area lies outside `served` (a company's service area), else
        None. A company speaks only for the places it serves: its outage, and the cause it gives,
        must not attach to requests in another company's district.
        - a city-wide company's outage may be anywhere; the whole city only for a city-wide company;
        - a polygon lies within the served polygon (give or take about 10 m of drawing);
        - a street range lies within a served range of the same street (the houses, and the side)."""
        if served.whole_city:
            return None
        if self.whole_city:
            return "whole_city", "your company does not serve the whole city: name the streets or draw the area"
        if self._polygon is not None:
            if served._polygon is None or not served._polygon.buffer(DRAWING_TOLERANCE_DEG).covers(self._polygon):
                return "geometry", "the area goes beyond the area your company serves"
        for i, wanted in enumerate(self.streets):
            if not any(have.contains(wanted) for have in served.streets):
                return f"streets[{i}]", f"{wanted.street}: not among the houses your company serves"
        return None

    def describe(self) -> str:
        """One line for people: 'вул. Соборна 1–45 (непарні); polygon'."""
        parts = ["усе місто"] if self.whole_city else []
        for r in self.streets[:5]:
            houses = "" if r.from_house is None and r.to_house is None else f" {r.from_house or 1}–{r.to_house or '…'}"
            side = {"odd": " (непарні)", "even": " (парні)"}.get(r.side, "")
            parts.append(f"{r.street}{houses}{side}")
        if len(self.streets) > 5:
            parts.append(f"ще {len(self.streets) - 5} вулиць")
        if self.geometry is not None:
            parts.append("територія на карті")
        return "; ".join(parts)


class KnownAreas:
    """Areas read from storage, checked once and kept: an outage's area is parsed and validated
    (shapely builds its polygons) when first met, not for every request filed or list served.

    Keyed by what names one version of an area (an outage's id and its row's version), so a
    changed area is read again. Least recently used first out, bounded by the points kept (a
    polygon's vertices, a street range counting as one) and by the number of areas. A stored area
    that no longer passes (written before a rule was tightened) is kept as None: it covers nothing.
    """

    def __init__(self, max_points: int = 500_000, max_areas: int = 2_000) -> None:
        self.max_points, self.max_areas = max_points, max_areas
        self._areas: OrderedDict[Hashable, tuple[Area | None, int]] = OrderedDict()
        self._points = 0

    def __contains__(self, key: Hashable) -> bool:
        return key in self._areas

    def get(self, key: Hashable) -> Area | None:
        area, _ = self._areas[key]  # KeyError: not known (ask `key in known` first)
        self._areas.move_to_end(key)
        return area

    def add(self, key: Hashable, raw: dict[str, Any]) -> Area | None:
        try:
            area = Area.model_validate(raw)
        except ValidationError:
            area = None
        points = 1 + (len(area.streets) + _points(area.geometry) if area is not None else 0)
        if key in self._areas:
            self._points -= self._areas.pop(key)[1]
        self._areas[key] = (area, points)
        self._points += points
        while len(self._areas) > 1 and (self._points > self.max_points or len(self._areas) > self.max_areas):
            _, (_, dropped) = self._areas.popitem(last=False)
            self._points -= dropped
        return area


def _points(geometry: dict | None) -> int:
    if geometry is None:
        return 0
    coordinates = geometry["coordinates"]
    polygons = coordinates if geometry["type"] == "MultiPolygon" else [coordinates]
    return sum(len(ring) for rings in polygons for ring in rings)
# -- what a caller sends -------------------------------------------------------------------------
# Stricter than an area read back from a row or an event: a consumer of events already published
# must keep reading them, so the rules for new input live here, not in Area (ecity_common.inputs).

class StreetRangeIn(StreetRange):
    street: Text = Field(min_length=2, max_length=200, examples=["вул. Соборна"])


def _numbers_only(nested, depth: int = 4) -> bool:
    """Lists nested at most `depth` deep (a MultiPolygon's are 4) with finite numbers at the bottom
    (shapely would take "34.7" too, and keep it as the string it is)."""
    if isinstance(nested, list):
        return depth > 0 and bool(nested) and all(_numbers_only(item, depth - 1) for item in nested)
    return isinstance(nested, (int, float)) and not isinstance(nested, bool) and math.isfinite(nested)


class AreaIn(Area):
    """An area as a company or the city's staff send it: street names of one line of text, and a
    polygon of numbers only."""

    streets: list[StreetRangeIn] = Field(default_factory=list, max_length=2000)

    @field_validator("geometry")
    @classmethod
    def _numbers(cls, geometry: dict | None) -> dict | None:
        if geometry is not None and not _numbers_only(geometry.get("coordinates")):
            raise ValueError("a polygon's coordinates are finite numbers, [long, lat], in nested lists")
        return geometry
