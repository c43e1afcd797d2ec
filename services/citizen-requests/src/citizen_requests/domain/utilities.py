"""What utility companies' outages mean for a citizen's request. No I/O.

A request of a utility category filed at a place inside an active outage of its utility is linked
to it, and the citizen is told at once what happened and when supply should return.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from citizen_requests.domain.deadlines import KYIV
from ecity_common.areas import Area


def local_time(when: datetime) -> str:
    """A time as people in Sumy read it."""
    return when.astimezone(KYIV).strftime("%d.%m.%Y %H:%M")


def covering_outage(outages: Iterable[Any], areas: Mapping[str, Area | None], *, lat: float | None, long: float | None,
                    address: str | None):
    """Of the active outages of the request's utility, the one that covers the place (the soonest
    to end), if any. `areas`: each outage's area by its id (None, or missing: it covers nothing)."""
    covering = [o for o in outages if (area := areas.get(o.id)) is not None
                and area.covers(lat=lat, long=long, address=address)]
    return min(covering, key=lambda o: o.expected_end or datetime.max.replace(tzinfo=UTC), default=None)


def outage_note(outage) -> str:
    what = "Планові роботи" if outage.planned else "Аварійне відключення"
    until = f" Орієнтовне відновлення: {local_time(outage.expected_end)}." if outage.expected_end else ""
    cause = f" Причина: {outage.cause}." if outage.cause else ""
    return f"{what} ({outage.company_name}, {outage.area_description}).{cause}{until}"


def planned_note(expected: datetime | None, public_note: str | None) -> str | None:
    """A company's report of planned work: when it is planned, then the company's own note."""
    if expected is None:
        return public_note
    planned = f"Роботи заплановано на {local_time(expected)}"
    return f"{planned}. {public_note}" if public_note else planned
