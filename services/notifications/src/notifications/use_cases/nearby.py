"""Public requests near a place, and local alerts: "tell me of new requests of these categories
within this radius of this point", at once or in a morning digest. The public requests are kept
from citizen-requests' own events, with only what its public list shows."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.events import CloudEvent
from ecity_common.events.payloads.citizen_requests import CitizenRequestStatusChanged, CitizenRequestSubmitted
from ecity_common.geo import outside_sumy
from ecity_common.refusals import Conflict, Invalid, NotFound
from notifications.adapters import places as stored
from notifications.domain.nearby import alerted, box_around, distance_m, rounded
from notifications.domain.phrases import Phrase
from notifications.domain.schedule import KYIV
from notifications.use_cases.owing import News, Writing, owe

ALERTS_PER_CITIZEN = 10
NEARBY_M = 300  # "near my house": a few minutes' walk
DIGEST_SOURCE = "/ecity/notifications#digest"


def _event_key(event: CloudEvent) -> str:
    return f"{event.source}#{event.id}"


async def request_submitted(session: AsyncSession, event: CloudEvent, filed: CitizenRequestSubmitted,
                            writing: Writing) -> int:
    """Keep it for the map nearby; owe a message to each citizen whose alert it meets (or gather it
    for their digest). A request without a point is on no map and meets no alert."""
    if filed.location is None:
        return 0
    lat, long = filed.location.lat, filed.location.long
    await stored.keep_public_request(session, {
        "request_id": filed.request_id, "service_code": filed.service_code, "service_name": filed.service_name,
        "lat": lat, "long": long, "status": "submitted", "open": True, "submitted_at": filed.submitted_at})
    met = alerted(await stored.alerts_around(session, lat, long), service_code=filed.service_code, lat=lat, long=long,
                  reporter=filed.citizen_id)
    later = [{"citizen_id": c, "request_id": filed.request_id, "service_code": filed.service_code,
              "service_name": filed.service_name, "submitted_at": filed.submitted_at} for c, alert in met.items() if alert.digest]
    await stored.gather_for_digest(session, later)
    said = {citizen_id: News("local_alert", {
        "request_id": filed.request_id, "service_code": filed.service_code, "service_name": filed.service_name,
        "lat": rounded(lat), "long": rounded(long),
        "submitted_at": filed.submitted_at.isoformat(), "distance_m": round(distance_m(alert.lat, alert.long, lat, long)),
    }) for citizen_id, alert in met.items() if not alert.digest}
    return await owe(session, _event_key(event), said, writing)


async def requests_status_changed(session: AsyncSession, changes: list[CitizenRequestStatusChanged]) -> None:
    """The map's requests follow their status: a closed one is no longer open nearby."""
    await stored.request_statuses(session, [{"request_id": c.request_id, "status": c.to_status,
                                             "open": c.open311_status != "closed"} for c in changes])


async def write_digests(session: AsyncSession, writing: Writing, *, now: datetime, limit: int = 5000) -> int:
    """One message per citizen of the matches gathered since their last digest, keyed by the Kyiv
    date: written at most once a day per citizen and channel, however often this runs."""
    today: date = now.astimezone(KYIV).date()
    gathered: dict[str, list] = defaultdict(list)
    for row in await stored.undigested(session, limit):
        gathered[row.citizen_id].append(row)
    said = {citizen_id: News("alert_digest", {"on": today.isoformat(), "requests": [
        {"request_id": m.request_id, "service_code": m.service_code, "service_name": m.service_name,
         "submitted_at": m.submitted_at.isoformat()}
        for m in matches]}) for citizen_id, matches in gathered.items()}
    await stored.digested(session, [(m.citizen_id, m.request_id) for ms in gathered.values() for m in ms], today)
    # The digest goes now: it is written once the quiet hours are over.
    return await owe(session, f"{DIGEST_SOURCE}-{today.isoformat()}", said, writing, now=now)


# -- the citizen's alerts ---------------------------------------------------------------------

def _view(row) -> dict:
    return {"alert_id": row.id, "lat": row.lat, "long": row.long, "radius_m": row.radius_m,
            "categories": sorted(row.categories), "digest": row.digest, "created_at": row.created_at.isoformat()}


async def add_alert(session: AsyncSession, citizen_id: str, *, lat: float, long: float, radius_m: int,
                    categories: list[str], digest: bool) -> dict:
    if axis := outside_sumy(lat, long):
        raise Invalid(axis, Phrase("point-outside-sumy"))
    box = box_around(lat, long, radius_m)
    alert_id = str(uuid.uuid4())
    async with session.begin():
        if await stored.count_alerts(session, citizen_id) >= ALERTS_PER_CITIZEN:
            raise Conflict(Phrase("too-many-alerts", most=ALERTS_PER_CITIZEN), code="too-many-alerts")
        await stored.add_alert(session, {
            "id": alert_id, "citizen_id": citizen_id, "lat": lat, "long": long, "radius_m": radius_m,
            "south": box.south, "north": box.north, "west": box.west, "east": box.east,
            "categories": sorted(set(categories)), "digest": digest})
        [row] = [r for r in await stored.alerts_of(session, citizen_id) if r.id == alert_id]
    return _view(row)


async def my_alerts(session: AsyncSession, citizen_id: str) -> list[dict]:
    return [_view(r) for r in await stored.alerts_of(session, citizen_id)]


async def remove_alert(session: AsyncSession, citizen_id: str, alert_id: str) -> None:
    async with session.begin():
        if not await stored.delete_alert(session, citizen_id, alert_id):
            raise NotFound("alert", alert_id)


async def open_requests_near(session: AsyncSession, lat: float, long: float, radius_m: int = NEARBY_M) -> list[dict]:
    """Open public requests within `radius_m`, newest first, as the public list shows them."""
    found = []
    for row in await stored.open_requests_in(session, box_around(lat, long, radius_m)):
        if distance_m(lat, long, row.lat, row.long) <= radius_m:
            found.append({"service_request_id": row.request_id, "service_code": row.service_code,
                          "service_name": row.service_name,
                          "status": row.status, "requested_datetime": row.submitted_at.astimezone(KYIV).isoformat(),
                          "lat": rounded(row.lat), "long": rounded(row.long)})
    return found
