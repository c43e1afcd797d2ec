"""Possible duplicates in SQL: `domain/duplicates.possible_duplicates` as a subquery of the filing
statement, so that a filing at a busy spot gets back the few it may subscribe to, not fifty rows
to sift. `tests/test_rules_in_sql.py` runs both on the same rows.

The open requests of the category in a box around the point (at most `LOOKED_AT`, unordered,
through the (category, place) index), then the haversine distance decides which are within the
radius, nearest first (of two as near, the one with the lower id: the same answer every time),
at most `OFFERED`. A request a moderator hid (spam) is offered to no one.
"""

from __future__ import annotations

from citizen_requests.domain.duplicates import EARTH_RADIUS_M, LOOKED_AT, OFFERED


def distance_sql(lat1: str, long1: str, lat2: str, long2: str) -> str:
    """The haversine distance in metres between two points, as an SQL expression of four columns."""
    return (f"2 * {EARTH_RADIUS_M} * asin(sqrt(power(sin(radians({lat2} - {lat1}) / 2), 2)"
            f" + cos(radians({lat1})) * cos(radians({lat2})) * power(sin(radians({long2} - {long1}) / 2), 2)))")


def nearby_sql(new: str) -> str:
    """A JSON array of the possible duplicates of the filing `new` (a row with service_code, lat,
    long and radius); `:open` is the open states."""
    return """(SELECT coalesce(json_agg(json_build_object('service_request_id', x.id, 'distance_m', round(x.distance),
                                                   'status', x.status, 'requested_datetime', x.submitted_at)
                                 ORDER BY x.distance, x.id COLLATE "C"), '[]')
        FROM (SELECT * FROM (SELECT c.id, c.status, c.submitted_at, """ + distance_sql(f"{new}.lat", f"{new}.long", "c.lat", "c.long") + f""" AS distance
                             FROM (SELECT id, lat, long, status, submitted_at FROM citizen_requests c
                                   WHERE c.service_code = {new}.service_code AND c.status = ANY(CAST(:open AS text[]))
                                     AND NOT c.hidden
                                     AND c.lat BETWEEN {new}.lat - {new}.radius / 111320 AND {new}.lat + {new}.radius / 111320
                                     AND c.long BETWEEN {new}.long - {new}.radius / (111320 * cos(radians({new}.lat)))
                                                    AND {new}.long + {new}.radius / (111320 * cos(radians({new}.lat)))
                                   LIMIT {LOOKED_AT}) c) near
              WHERE near.distance <= {new}.radius ORDER BY near.distance, near.id COLLATE "C" LIMIT {OFFERED}) x)"""
