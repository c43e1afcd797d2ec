"""Outages the utility companies announce (through utilities-gateway): kept, so that a request
filed inside one is linked to it and the citizen is told when supply should return
(`domain/utilities.py`); when one is resolved, the open requests linked to it get a public note.
Each use case runs in the consumer's transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from citizen_requests.adapters import requests, utility_outages
from citizen_requests.domain.utilities import covering_outage, local_time
from ecity_common.areas import Area, KnownAreas
from ecity_common.events.payloads.utilities_gateway import OutageFacts, UtilityOutageResolved

GATEWAY = "utilities-gateway"
# How many of a utility's active outages a filing looks at, the soonest to end first: a city has a
# few at a time, a storm a few dozen. Without a bound, a company announcing thousands would make
# every filing of its utility read and test them all.
MAX_OUTAGES_CONSIDERED = 200
# The outages' areas, parsed once per version of each (not for every filing). Sized to hold the
# outages considered at their largest (200 × areas.MAX_VERTICES points).
KNOWN_AREAS = KnownAreas(max_points=500_000)


async def outage_known(session: AsyncSession, outage: OutageFacts) -> None:
    await utility_outages.keep(session, outage.outage_id, dict(
        kind=outage.company.kind, company_name=outage.company.name, planned=outage.planned,
        area=outage.area.model_dump(mode="json", exclude_none=True), area_description=outage.area_description,
        starts_at=outage.starts_at, expected_end=outage.expected_end, cause=outage.cause))


async def outage_resolved(session: AsyncSession, resolved: UtilityOutageResolved) -> None:
    await utility_outages.mark_resolved(session, resolved.outage_id, resolved.resolved_at)
    for row in await requests.open_in_outage(session, resolved.outage_id):
        await requests.add_history(
            session, row.id, actor=GATEWAY, from_status=row.status, to_status=row.status, public=True,
            note=f"{resolved.company.name}: постачання відновлено {local_time(resolved.resolved_at)}.")


async def outage_here(db: AsyncSession | AsyncConnection, kind: str, lat: float | None, long: float | None,
                      address: str | None, now: datetime | None = None):
    """The active outage of this kind that covers the place, if any (the soonest to end)."""
    outages = await utility_outages.active(db, kind, now or datetime.now(UTC), limit=MAX_OUTAGES_CONSIDERED)
    return covering_outage(outages, await _areas(db, outages), lat=lat, long=long, address=address)


async def _areas(db: AsyncSession | AsyncConnection, outages: list) -> dict[str, Area | None]:
    """The outages' areas: those known from KNOWN_AREAS, the others read and parsed once."""
    areas, missing = {}, []
    for outage in outages:
        key = (outage.id, outage.row_version)
        if key in KNOWN_AREAS:
            areas[outage.id] = KNOWN_AREAS.get(key)
        else:
            missing.append(outage.id)
    if missing:  # (one changed since the first read comes with its newer version: that one is kept)
        for outage_id, (version, raw) in (await utility_outages.areas(db, missing)).items():
            areas[outage_id] = KNOWN_AREAS.add((outage_id, version), raw)
    return areas
