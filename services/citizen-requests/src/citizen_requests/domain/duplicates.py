"""Possible duplicates: open requests of the same category within the category's radius.

Found by the filing statement itself (`service.py`): the open requests of the category in a box
around the point (at most 50, unordered, so a hot spot with thousands of reports costs no more
than a quiet street), then the great-circle distance (haversine: exact enough at city scale)
decides which are within the radius, nearest first, at most `OFFERED` of them. In SQL, so a filing
at a busy spot gets back the few it may subscribe to, not fifty rows to sift.
"""

EARTH_RADIUS_M = 6_371_000
OFFERED = 10


def distance_sql(lat1: str, long1: str, lat2: str, long2: str) -> str:
    """The haversine distance in metres between two points, as an SQL expression of four columns."""
    return (f"2 * {EARTH_RADIUS_M} * asin(sqrt(power(sin(radians({lat2} - {lat1}) / 2), 2)"
            f" + cos(radians({lat1})) * cos(radians({lat2})) * power(sin(radians({long2} - {long1}) / 2), 2)))")
