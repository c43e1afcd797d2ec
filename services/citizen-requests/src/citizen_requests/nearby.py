"""Possible duplicates: open requests of the same category within the category's radius."""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_000


def distance_m(lat1: float, long1: float, lat2: float, long2: float) -> float:
    """Great-circle distance (haversine): exact enough at city scale."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(long2 - long1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def within(location, radius_m: int, candidates: list[tuple], limit: int = 10) -> list[dict]:
    """The candidates (id, lat, long, status, submitted at) really within the radius, nearest first.
    The database picked them from a box around the point; the great-circle distance decides."""
    found = []
    for rid, lat, long, status, at in candidates:
        d = distance_m(location.lat, location.long, lat, long)
        if d <= radius_m:
            found.append({"service_request_id": rid, "distance_m": round(d), "status": status, "requested_datetime": at})
    return sorted(found, key=lambda f: f["distance_m"])[:limit]
