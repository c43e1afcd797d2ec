"""A citizen's places ("my address") and what an outage means for them.

An outage covers a place as the city reads every area (`ecity_common.areas`): its point inside the
outage's polygon, or its address in one of the outage's street ranges. A network outage has no
area: it names the sites it cuts off, each with an address, and a place is covered when it is at
one of those addresses (same street, same house).

What a citizen is told about one outage, and when, is decided here from what was known before the
event and what is known after it: that it began, that its expected end moved, that it is over.
Nothing else about an outage is news (a reworded cause, a corrected description).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ecity_common.areas import Area, parse_address


@dataclass(frozen=True)
class Place:
    place_id: str
    citizen_id: str
    address: str
    lat: float | None
    long: float | None


def address_key(address: str | None) -> tuple[str, int | None] | None:
    """('соборна', 12) for 'вул. Соборна, 12': how two addresses are compared; None when the text
    names no street."""
    if not address:
        return None
    street, house = parse_address(address)
    return (street, house) if street else None


def utility_outage_covers(area: Area, place: Place) -> bool:
    return area.covers(lat=place.lat, long=place.long, address=place.address)


def network_outage_covers(site_addresses: list[str | None], place: Place) -> bool:
    """A site cut off at the place's street and house; a site or a place without a house number
    matches nothing (a whole street is not one building)."""
    mine = address_key(place.address)
    if mine is None or mine[1] is None:
        return False
    return any(address_key(a) == mine for a in site_addresses)


class Change(StrEnum):
    BEGAN = "began"  # the outage now covers the place (reported, or its area grew to it)
    END_MOVED = "end_moved"  # its expected end changed
    ENDED = "ended"  # resolved, or its area no longer covers the place


def change_for(*, told_before: bool, covered_now: bool, resolved: bool,
               end_before: datetime | None, end_now: datetime | None) -> Change | None:
    """The news one outage event makes for one citizen, or None."""
    if resolved or (told_before and not covered_now):
        return Change.ENDED if told_before else None
    if not covered_now:
        return None
    if not told_before:
        return Change.BEGAN
    return Change.END_MOVED if end_before != end_now else None


def urgent(change: Change, planned: bool) -> bool:
    """May pass quiet hours: an unplanned outage beginning at the citizen's own address (the water
    or the heating went off in the night). Everything else can wait for the morning."""
    return change is Change.BEGAN and not planned
