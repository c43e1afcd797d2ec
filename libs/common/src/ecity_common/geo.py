"""Where Sumy is: a point outside these bounds is almost surely a mistyped coordinate."""

from __future__ import annotations

# The territory of the Sumy city territorial community, generously rounded.
SUMY_BOUNDS = {"lat": (50.80, 51.02), "long": (34.60, 35.00)}


def outside_sumy(lat: float, long: float) -> str | None:
    """Which coordinate is outside the city, or None."""
    for axis, value in (("lat", lat), ("long", long)):
        low, high = SUMY_BOUNDS[axis]
        if not low <= value <= high:
            return axis
    return None
