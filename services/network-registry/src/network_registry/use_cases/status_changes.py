"""What a device's or link's change of status sets off: the status event, an outage opened when
the failure cuts sites off (one per failure, flaps included) and resolved when it is back, and the
budget ledger told when a paid asset is commissioned. In the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.events.payloads.network_registry import (
    AffectedSite,
    ElementStatusChanged,
    NetworkAssetCommissioned,
    NetworkOutageDetected,
    NetworkOutageResolved,
)
from ecity_common.messaging.outbox import Outbox
from network_registry.adapters import queries
from network_registry.domain.lifecycle import is_commissioning
from network_registry.domain.objects import ObjectKind
from network_registry.domain.topology import Device, Link, Topology


async def status_changed(session: AsyncSession, outbox: Outbox, kind: ObjectKind, before: dict, after: dict,
                         topology: Topology | None) -> None:
    now = datetime.now(UTC)
    await outbox.add(session, ElementStatusChanged(
        element_kind=kind.element_kind, element_id=after["id"], name=after["name"],
        from_status=before["status"], to_status=after["status"], changed_at=now,
    ), aggregate_id=after["id"])
    if after["status"] == "failed":
        # What fails with it: answered on the network as it was just before, when it still carried traffic.
        topology = topology or (await _topology_before(session, kind, before))
        impact = topology.impact(kind.element_kind, after["id"])
        if impact.sites_cut_off:
            await _open_outage(session, outbox, kind, after, impact.sites_cut_off, now)
    elif after["status"] == "active":
        if is_commissioning(before, after):
            await outbox.add(session, NetworkAssetCommissioned(
                asset_id=after["id"], asset_kind=kind.element_kind, name=after["name"], cost_kop=after["cost_kop"],
                measure_code=after["measure_code"], holder_code=after["holder_code"],
                commissioned_on=date.fromisoformat(after["commissioned_on"]) if after.get("commissioned_on") else now.date(),
            ), aggregate_id=after["id"])
        await _resolve_outage(session, outbox, kind, after, now)


async def _topology_before(session: AsyncSession, kind: ObjectKind, before: dict) -> Topology:
    _, topology = await queries.load_topology(session)
    if kind.element_kind == "device":
        d = topology.devices[before["id"]]
        topology.devices[d.id] = Device(d.id, d.site_id, d.role, before["status"])
    else:
        link = topology.links[before["id"]]
        topology.links[link.id] = Link(link.id, link.a, link.b, link.length_m, before["status"])
    return topology


async def _open_outage(session: AsyncSession, outbox: Outbox, kind: ObjectKind, element: dict, site_ids, now: datetime) -> None:
    if await queries.open_outage(session, kind.element_kind, element["id"]):
        return  # still down: the outage it opened is still open
    # Flapping (domain.outages): failing again soon after coming back continues the same outage.
    recent = await queries.recent_outage(session, kind.element_kind, element["id"], now)
    rows = await queries.sites_affected(session, site_ids)
    affected = [AffectedSite(site_id=r.id, name=r.name, kind=r.kind, address=r.address, owner_holder_code=r.owner_holder_code) for r in rows]
    if recent:
        outage_id = recent
        await queries.reopen_outage(session, recent, [a.model_dump() for a in affected])
    else:
        outage_id = str(uuid.uuid4())
        await queries.add_outage(session, outage_id, kind.element_kind, element["id"], now, [a.model_dump() for a in affected])
    await outbox.add(session, NetworkOutageDetected(
        outage_id=outage_id, element_kind=kind.element_kind, element_id=element["id"], element_name=element["name"],
        detected_at=now, affected_sites=affected), aggregate_id=outage_id)


async def _resolve_outage(session: AsyncSession, outbox: Outbox, kind: ObjectKind, element: dict, now: datetime) -> None:
    for outage_id in await queries.resolve_outages(session, kind.element_kind, element["id"], now):
        await outbox.add(session, NetworkOutageResolved(
            outage_id=outage_id, element_kind=kind.element_kind, element_id=element["id"], resolved_at=now), aggregate_id=outage_id)
