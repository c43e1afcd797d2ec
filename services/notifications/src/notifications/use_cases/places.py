"""A citizen's places ("my address"), institutions' contacts, and what is known at a place now."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.areas import KnownAreas
from ecity_common.geo import outside_sumy
from ecity_common.refusals import Conflict, Invalid, NotFound
from notifications.adapters import places as stored
from notifications.adapters.tables import contacts
from notifications.domain.phrases import Phrase
from notifications.domain.places import Place, address_key, network_outage_covers, utility_outage_covers
from notifications.use_cases.nearby import open_requests_near
from notifications.use_cases.outage_news import institution

# A family's flat, a parent's house, a dacha in the city, a workplace: more is someone watching
# other people's addresses.
PLACES_PER_CITIZEN = 10

# Outages' areas, read once per version of an outage (its key and as_of), not on every public query.
AREAS = KnownAreas()


def _view(row) -> dict:
    return {"place_id": row.id, "address": row.address, "lat": row.lat, "long": row.long,
            "created_at": row.created_at.isoformat()}


async def add_place(session: AsyncSession, citizen_id: str, *, address: str, lat: float | None,
                    long: float | None) -> dict:
    if (lat is None) != (long is None):
        missing = "long" if long is None else "lat"
        raise Invalid(missing, Phrase("lat-and-long-or-neither"))
    if lat is not None and (axis := outside_sumy(lat, long)):
        raise Invalid(axis, Phrase("point-outside-sumy"))
    key = address_key(address)
    if key is None or (key[1] is None and lat is None):
        # An outage is told by street and house or by a point: a street alone matches a whole street.
        raise Invalid("address", Phrase("street-and-house"))
    place_id = str(uuid.uuid4())
    async with session.begin():
        if await stored.count_places(session, citizen_id) >= PLACES_PER_CITIZEN:
            raise Conflict(Phrase("too-many-places", most=PLACES_PER_CITIZEN), code="too-many-places")
        await stored.add_place(session, place_id=place_id, citizen_id=citizen_id, address=address, lat=lat, long=long)
        [row] = [r for r in await stored.places_of_citizen(session, citizen_id) if r.id == place_id]
    return _view(row)


async def my_places(session: AsyncSession, citizen_id: str) -> list[dict]:
    return [_view(r) for r in await stored.places_of_citizen(session, citizen_id)]


async def remove_place(session: AsyncSession, citizen_id: str, place_id: str) -> None:
    async with session.begin():
        if not await stored.delete_place(session, citizen_id, place_id):
            raise NotFound("place", place_id)


async def set_institution_email(session: AsyncSession, holder_code: str, address: str) -> dict:
    """An institution's official address for network outages, set by the IT department: a work
    address the city keeps, not a citizen's, so it needs no confirmation link."""
    now = datetime.now(UTC)
    recipient = institution(holder_code)
    async with session.begin():
        await session.execute(insert(contacts).values(
            citizen_id=recipient, channel="email", address=address, confirmed_at=now).on_conflict_do_update(
            index_elements=[contacts.c.citizen_id, contacts.c.channel],
            set_={"address": address, "confirmed_at": now, "disabled_reason": None, "disabled_at": None}))
    return {"holder_code": holder_code, "email": address, "confirmed_at": now.isoformat()}


async def known_at(session: AsyncSession, *, lat: float | None, long: float | None, address: str | None) -> dict:
    """Every provider's unresolved outages (going on or planned) covering this place, soonest
    first, with their expected ends. Nothing personal: what an outage is, who runs it, and when."""
    place = Place("", "", address or "", lat, long)
    found = []
    for row in await stored.unresolved_outages(session):
        if row.area is not None:
            version = (row.key, row.as_of)
            area = AREAS.get(version) if version in AREAS else AREAS.add(version, row.area)
            covers = area is not None and utility_outage_covers(area, place)
        else:
            covers = bool(address) and network_outage_covers([s.get("address") for s in row.sites or []], place)
        if covers:
            found.append({
                "outage": row.key, "provider": row.provider, "kind": row.kind, "planned": row.planned,
                "description": row.description,
                "starts_at": row.starts_at.isoformat() if row.starts_at else None,
                "expected_end": row.expected_end.isoformat() if row.expected_end else None,
                "going_on": row.starts_at is None or row.starts_at <= datetime.now(UTC),
            })
    nearby = await open_requests_near(session, lat, long) if lat is not None and long is not None else []
    return {"lat": lat, "long": long, "address": address, "outages": found, "requests_nearby": nearby}
