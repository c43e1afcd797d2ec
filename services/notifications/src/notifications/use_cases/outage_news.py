"""Outages → the deliveries they owe to the citizens whose places they cover and to the
institutions they cut off, in the consumer's inbox transaction.

Each provider's events arrive on its own topic: a utility's outage reported, updated, resolved
(utilities-gateway), the network's outage detected and resolved (network-registry). Both end in
`_changed`: keep the outage as the event says (unless the event is older than what is kept), work
out who is covered now and who was told before, and owe each of them one message for this event
naming all of their places it covers (one message per outage change, however many of their
addresses it covers), on each channel they confirmed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.areas import Area
from ecity_common.events import CloudEvent
from ecity_common.events.payloads.network_registry import NetworkOutageDetected, NetworkOutageResolved
from ecity_common.events.payloads.utilities_gateway import (
    OutageFacts,
    UtilityOutageReported,
    UtilityOutageResolved,
    UtilityOutageUpdated,
)
from notifications.adapters import places as stored
from notifications.domain.places import (
    Change,
    Place,
    address_key,
    change_for,
    network_outage_covers,
    urgent,
    utility_outage_covers,
)
from notifications.use_cases.owing import News, Writing, owe

NETWORK = "Мультисервісна телекомунікаційна мережа міста (ІТ-відділ)"


def institution(holder_code: str) -> str:
    """An institution as a recipient: its contacts are kept under this id (use_cases.places)."""
    return f"institution:{holder_code}"


def _event_key(event: CloudEvent) -> str:
    return f"{event.source}#{event.id}"


# -- what each event says ---------------------------------------------------------------------

def _utility_row(outage: OutageFacts, as_of: datetime) -> dict:
    return {"key": f"utility:{outage.outage_id}", "provider": outage.company.name, "kind": outage.company.kind,
            "planned": outage.planned, "area": outage.area.model_dump(mode="json"), "sites": None,
            "description": outage.area_description, "starts_at": outage.starts_at,
            "expected_end": outage.expected_end, "resolved_at": None, "as_of": as_of}


def _network_row(outage: NetworkOutageDetected) -> dict:
    sites = [{"name": s.name, "address": s.address, "holder_code": s.owner_holder_code} for s in outage.affected_sites]
    return {"key": f"network:{outage.outage_id}", "provider": NETWORK, "kind": "network", "planned": False,
            "area": None, "sites": sites, "description": f"відмова: {outage.element_name}",
            "starts_at": outage.detected_at, "expected_end": None, "resolved_at": None, "as_of": outage.detected_at}


async def utility_outage(session: AsyncSession, event: CloudEvent, outage: UtilityOutageReported | UtilityOutageUpdated,
                         writing: Writing) -> int:
    as_of = outage.reported_at if isinstance(outage, UtilityOutageReported) else outage.updated_at
    return await _changed(session, event, _utility_row(outage, as_of), writing)


async def utility_outage_resolved(session: AsyncSession, event: CloudEvent, resolved: UtilityOutageResolved,
                                  writing: Writing) -> int:
    return await _resolved(session, event, f"utility:{resolved.outage_id}", resolved.resolved_at, writing)


async def network_outage(session: AsyncSession, event: CloudEvent, outage: NetworkOutageDetected, writing: Writing) -> int:
    return await _changed(session, event, _network_row(outage), writing)


async def network_outage_resolved(session: AsyncSession, event: CloudEvent, resolved: NetworkOutageResolved,
                                  writing: Writing) -> int:
    return await _resolved(session, event, f"network:{resolved.outage_id}", resolved.resolved_at, writing)


# -- who is covered ---------------------------------------------------------------------------

async def _covered(session: AsyncSession, outage: dict) -> dict[str, list[str]]:
    """Recipient → what of theirs the outage covers (their places' addresses; an institution's sites)."""
    found: dict[str, list[str]] = {}
    if outage["area"] is not None:
        area = Area.model_validate(outage["area"])
        candidates: list[Place] = await stored.places_maybe_in(session, area)
        covered = [p for p in candidates if utility_outage_covers(area, p)]
    else:
        addresses = [s["address"] for s in outage["sites"] or []]
        keys = sorted({k for a in addresses if (k := address_key(a)) and k[1] is not None})
        covered = [p for p in await stored.places_at(session, keys) if network_outage_covers(addresses, p)]
        for site in outage["sites"] or []:
            if site.get("holder_code"):
                where = f"{site['name']} ({site['address']})" if site.get("address") else site["name"]
                found.setdefault(institution(site["holder_code"]), []).append(where)
    for place in covered:  # in the order each citizen added them
        found.setdefault(place.citizen_id, []).append(place.address)
    return found


# -- the news ---------------------------------------------------------------------------------

async def _changed(session: AsyncSession, event: CloudEvent, row: dict, writing: Writing) -> int:
    before = await stored.outage(session, row["key"])
    if before is not None and (before.as_of > row["as_of"] or before.resolved_at is not None):
        return 0  # an older description arriving late, or news of an outage already over
    await stored.keep_outage(session, row)
    told = await stored.told_of(session, row["key"])
    covered_now = await _covered(session, row)
    covered_before = await _covered(session, dict(before._mapping)) if before is not None else {}
    news: dict[str, tuple[Change, list[str]]] = {}
    for recipient in sorted(told | covered_now.keys()):
        change = change_for(told_before=recipient in told, covered_now=recipient in covered_now, resolved=False,
                            end_before=before.expected_end if before is not None else None,
                            end_now=row["expected_end"])
        if change is not None:
            news[recipient] = (change, covered_now.get(recipient) or covered_before.get(recipient) or [])
    return await _owe(session, event, row, news, writing)


async def _resolved(session: AsyncSession, event: CloudEvent, key: str, at: datetime, writing: Writing) -> int:
    before = await stored.outage(session, key)
    if before is None or before.resolved_at is not None:
        return 0  # never heard of (nobody was told), or already over
    await stored.resolve_outage(session, key, at)
    row = {**before._mapping, "resolved_at": at}
    told = await stored.told_of(session, key)
    covered = await _covered(session, row)
    news = {r: (Change.ENDED, covered.get(r, [])) for r in sorted(told)}
    return await _owe(session, event, row, news, writing)


async def _owe(session: AsyncSession, event: CloudEvent, outage: dict, news: dict[str, tuple[Change, list[str]]],
               writing: Writing) -> int:
    at = outage["resolved_at"] or outage["as_of"]
    said = {recipient: News("outage_news", {
        "change": change.value, "outage": outage["key"], "provider": outage["provider"], "kind": outage["kind"],
        "planned": outage["planned"], "description": outage["description"], "places": where,
        "starts_at": _iso(outage["starts_at"]), "expected_end": _iso(outage["expected_end"]), "at": _iso(at),
    }, urgent=urgent(change, outage["planned"])) for recipient, (change, where) in news.items()}
    began = [r for r, (change, _) in news.items() if change is Change.BEGAN]
    ended = [r for r, (change, _) in news.items() if change is Change.ENDED]
    await stored.tell(session, outage["key"], began, at)
    await stored.forget(session, outage["key"], ended)
    return await owe(session, _event_key(event), said, writing)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
