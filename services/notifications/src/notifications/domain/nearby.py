"""What is near a point: the public requests around it, and whose local alerts a new request meets.

Distances are great-circle distances on a sphere of the Earth's mean radius: within a city the
error is centimetres. A bounding box is worked out first so that the database finds candidates by
index, and the distance then decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8
# The public list's precision (citizen-requests' domain.publication): about 100 m, so a request
# does not point at a home.
COORDINATE_DIGITS = 3


def distance_m(lat1: float, long1: float, lat2: float, long2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(long2 - long1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Box:
    south: float
    north: float
    west: float
    east: float


def box_around(lat: float, long: float, radius_m: float) -> Box:
    """Every point within `radius_m` of (lat, long) is inside; a little more is too (the corners)."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlong = math.degrees(radius_m / (EARTH_RADIUS_M * max(math.cos(math.radians(lat)), 1e-6)))
    return Box(lat - dlat, lat + dlat, long - dlong, long + dlong)


@dataclass(frozen=True)
class LocalAlert:
    alert_id: str
    citizen_id: str
    lat: float
    long: float
    radius_m: int
    categories: frozenset[str]
    digest: bool


def alerted(alerts: list[LocalAlert], *, service_code: str, lat: float, long: float,
            reporter: str | None = None) -> dict[str, LocalAlert]:
    """Citizen → the alert a new request meets (one per citizen however many of theirs it meets);
    the reporter is not alerted of their own request."""
    met: dict[str, LocalAlert] = {}
    for alert in alerts:
        if alert.citizen_id == reporter or alert.citizen_id in met or service_code not in alert.categories:
            continue
        if distance_m(alert.lat, alert.long, lat, long) <= alert.radius_m:
            met[alert.citizen_id] = alert
    return met


def rounded(value: float) -> float:
    return round(value, COORDINATE_DIGITS)
