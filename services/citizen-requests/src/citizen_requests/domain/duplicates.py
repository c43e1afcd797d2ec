"""Possible duplicates: the open requests of the same category within the category's radius.

A citizen filing a pothole where three are already reported is offered those three (nearest
first, at most `OFFERED`; of two as near, the one with the lower id), so that they may follow one instead. The distance is the great-circle
one (haversine: exact enough at city scale). The filing statement finds them in SQL
(`adapters/duplicates.py`, tested to agree with `possible_duplicates` on the same rows): it looks
at no more than `LOOKED_AT` open requests of the category in a box around the point, so that a hot
spot with thousands of reports costs no more than a quiet street.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from math import asin, cos, radians, sin, sqrt

from citizen_requests.domain.workflow import OPEN

EARTH_RADIUS_M = 6_371_000
OFFERED = 10  # at most this many are offered
LOOKED_AT = 50  # at most this many candidates in the box are measured (any 50: a cap, not an order)


@dataclass(frozen=True)
class Reported:
    """A request already filed, as the search for duplicates sees it."""

    id: str
    service_code: str
    status: str
    lat: float | None
    long: float | None
    submitted_at: datetime
    hidden: bool = False  # by a moderator (spam): offered to no one


def distance_m(lat1: float, long1: float, lat2: float, long2: float) -> float:
    """The haversine distance in metres between two points."""
    return 2 * EARTH_RADIUS_M * asin(sqrt(sin(radians(lat2 - lat1) / 2) ** 2
                                          + cos(radians(lat1)) * cos(radians(lat2)) * sin(radians(long2 - long1) / 2) ** 2))


def possible_duplicates(service_code: str, lat: float, long: float, radius_m: float, reported: Iterable[Reported]) -> list[dict]:
    """The open requests of `service_code` within `radius_m` of the point, nearest first, at most
    `OFFERED`, as the citizen is offered them."""
    near = []
    for r in reported:
        if r.service_code != service_code or r.status not in OPEN or r.lat is None or r.long is None or r.hidden:
            continue
        distance = distance_m(lat, long, r.lat, r.long)
        if distance <= radius_m:
            near.append((distance, r))
    near.sort(key=lambda pair: (pair[0], pair[1].id))  # of two as near, the lower id first: the same answer every time
    return [{"service_request_id": r.id, "distance_m": round(d), "status": r.status, "requested_datetime": r.submitted_at}
            for d, r in near[:OFFERED]]
