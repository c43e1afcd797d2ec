"""Citizens' requests: what they are and the rules they follow. No I/O, no framework.

This is the first cut that the foundation needs (file a request, say who handles it); the full
catalogue, workflow and legal deadlines come with the citizen-requests issue.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from ecity_common.geo import SUMY_BOUNDS, outside_sumy

_HTML = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")


class RequestRejected(ValueError):
    """A rule of the domain refused the request; `field` says which input is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Category:
    code: str
    name_uk: str
    name_en: str
    handler_kind: Literal["department", "utility"]
    utility_kind: str | None = None
    department: str | None = None


# A starting catalogue (illustrative) until staff manage categories through the API.
CATEGORIES: dict[str, Category] = {
    c.code: c
    for c in (
        Category("water_leak", "Витік води", "Water leak", "utility", utility_kind="water"),
        Category("no_hot_water", "Немає гарячої води", "No hot water", "utility", utility_kind="heating"),
        Category("waste_collection", "Не вивезено сміття", "Waste not collected", "utility", utility_kind="waste"),
        Category("pothole", "Вибоїна на дорозі", "Pothole", "department", department="city_infrastructure"),
        Category("street_light", "Не світить ліхтар", "Street light out", "department", department="city_infrastructure"),
    )
}


@dataclass(frozen=True)
class Location:
    lat: float
    long: float

    def __post_init__(self) -> None:
        # A point outside is almost surely a mistyped coordinate (or a phone's last fix elsewhere).
        axis = outside_sumy(self.lat, self.long)
        if axis:
            low, high = SUMY_BOUNDS[axis]
            raise RequestRejected(f"location.{axis}", f"{axis} must be within the city of Sumy ({low}..{high})")


@dataclass
class CitizenRequest:
    category: Category
    description: str
    citizen_id: str
    location: Location | None = None
    address: str | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = "submitted"
    submitted_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def file_request(
    *,
    category_code: str,
    description: str,
    citizen_id: str,
    location: Location | None,
    address: str | None,
) -> CitizenRequest:
    category = CATEGORIES.get(category_code)
    if category is None:
        raise RequestRejected("service_code", f"unknown category {category_code!r}")
    if len(description) > 4000:
        raise RequestRejected("description", "at most 4,000 characters")
    if _HTML.search(description):
        raise RequestRejected("description", "HTML is not allowed")
    if location is None and not (address and address.strip()):
        raise RequestRejected("location", "give a location (lat/long) or an address")
    return CitizenRequest(
        category=category,
        description=description.strip(),
        citizen_id=citizen_id,
        location=location,
        address=address.strip() if address else None,
    )
