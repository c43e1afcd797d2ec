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
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
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
_HOUSE = re.compile(r"(\d+)\s*(?:[-/]\s*\d+)?\s*-?\s*[а-яіїєґa-z]?\s*$", re.IGNORECASE)


def normalise_street(name: str) -> str:
    """'вул. Соборна' / 'Соборна вулиця' / 'соборна' → 'соборна'."""
    cleaned = _STREET_WORDS.sub(" ", name.replace("’", "'").replace("ʼ", "'").lower())
    return " ".join(cleaned.replace(",", " ").replace(".", " ").split())


def parse_address(address: str) -> tuple[str, int | None]:
    """('соборна', 12) from 'вул. Соборна, 12а'; a city name in front ('м. Суми, ...') is dropped."""
    parts = [p.strip() for p in address.split(",") if p.strip()]
    parts = [p for p in parts if not re.match(r"^(м\.?|місто|г\.?)\s*суми$|^суми$", p.strip().lower())]
    if not parts:
        return "", None
    house: int | None = None
    last = parts[-1]
    if len(parts) > 1 and (m := _HOUSE.fullmatch(last.strip()) or re.fullmatch(r"(?:буд\.?|будинок)\s*(\d+).*", last.strip(), re.I)):
        house = int(m.group(1))
        parts = parts[:-1]
    elif m := re.search(r"\s(\d+)\s*(?:[-/]\s*\d+)?\s*-?\s*[а-яіїєґa-z]?$", parts[-1], re.IGNORECASE):
        house = int(m.group(1))
        parts[-1] = parts[-1][: m.start()]
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
