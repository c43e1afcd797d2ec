"""Possible duplicates: open requests of the same category within the category's radius."""

from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.db import citizen_requests
from citizen_requests.workflow import OPEN

EARTH_RADIUS_M = 6_371_000


def distance_m(lat1: float, long1: float, lat2: float, long2: float) -> float:
    """Great-circle distance (haversine): exact enough at city scale."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(long2 - long1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


async def possible_duplicates(session: AsyncSession, *, service_code: str, lat: float, long: float, radius_m: int,
                              exclude: str | None = None, limit: int = 10) -> list[dict]:
    # A box around the point first (cheap, indexed), nearest first by a flat-earth distance in SQL
    # (exact enough within a box this small), a bounded number of them, then the real distance.
    dlat = radius_m / 111_320
    scale = math.cos(math.radians(lat))
    dlong = radius_m / (111_320 * scale)
    flat = (citizen_requests.c.lat - lat) * (citizen_requests.c.lat - lat) + \
        (citizen_requests.c.long - long) * (citizen_requests.c.long - long) * (scale * scale)
    query = (
        select(citizen_requests.c.id, citizen_requests.c.lat, citizen_requests.c.long, citizen_requests.c.status,
               citizen_requests.c.submitted_at)
        .where(citizen_requests.c.service_code == service_code, citizen_requests.c.status.in_(OPEN),
               citizen_requests.c.lat.between(lat - dlat, lat + dlat), citizen_requests.c.long.between(long - dlong, long + dlong))
        .order_by(flat)
        .limit(limit + 1)
    )
    if exclude:
        query = query.where(citizen_requests.c.id != exclude)
    found = []
    for r in await session.execute(query):
        d = distance_m(lat, long, r.lat, r.long)
        if d <= radius_m:
            found.append({"service_request_id": r.id, "distance_m": round(d), "status": r.status,
                          "requested_datetime": r.submitted_at.isoformat()})
    return found[:limit]
