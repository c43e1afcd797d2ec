"""Use cases of the network registry, each in the caller's transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.events.payloads.network_registry import (
    AffectedSite,
    ElementStatusChanged,
    NetworkAssetCommissioned,
    NetworkOutageDetected,
    NetworkOutageResolved,
)
from ecity_common.messaging.outbox import Outbox
from network_registry.adapters.tables import changes, devices, links, outages, sites, topology_version
from network_registry.domain.objects import DeviceIn, LinkIn, SiteIn, TransitionRefused, check_transition
from network_registry.domain.topology import Device, Link, Topology

# An element that fails again within this many seconds of coming back is the same outage.
FLAP_WINDOW_S = 300


class RegistryError(Exception):
    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status, self.field, self.message = status, field, message


@dataclass(frozen=True)
class ObjectType:
    name: str  # site, device, link
    table: Table
    model: type[BaseModel]
    element_kind: str | None  # its kind in the graph, if it is one


TYPES = {
    "sites": ObjectType("site", sites, SiteIn, None),
    "devices": ObjectType("device", devices, DeviceIn, "device"),
    "links": ObjectType("link", links, LinkIn, "fibre_link"),
}


@dataclass
class Context:
    """Who writes, and the request id that groups one (bulk) call in the change log."""

    actor: str
    request_id: str
    outbox: Outbox
    message: str | None = None


def _row(obj) -> dict:
    return {k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in dict(obj._mapping).items()}


async def get(session: AsyncSession, kind: ObjectType, object_id: str) -> dict | None:
    row = (await session.execute(select(kind.table).where(kind.table.c.id == object_id))).first()
    return _row(row) if row else None


def _validated(kind: ObjectType, data: dict) -> dict:
    try:
        return kind.model.model_validate(data).model_dump()
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        message = first["msg"].removeprefix("Value error, ")
        field = ".".join(str(p) for p in first["loc"])
        if not field:  # an object-level rule: its message begins with the field it is about
            word = message.split(" ", 1)[0]
            field = word if word in kind.model.model_fields else kind.name
        raise RegistryError(422, field, message) from None


async def _references(session: AsyncSession, kind: ObjectType, values: dict) -> None:
    if kind.name == "device" and await session.scalar(select(sites.c.id).where(sites.c.id == values["site_id"])) is None:
        raise RegistryError(422, "site_id", f"no site {values['site_id']!r}")
    if kind.name == "link":
        for end in ("a_device_id", "b_device_id"):
            if await session.scalar(select(devices.c.id).where(devices.c.id == values[end])) is None:
                raise RegistryError(422, end, f"no device {values[end]!r}")


async def _log(session, ctx: Context, kind: ObjectType, object_id: str, action: str, before, after) -> None:
    await session.execute(insert(changes).values(
        object_type=kind.name, object_id=object_id, action=action, before=before, after=after,
        actor=ctx.actor, request_id=ctx.request_id, message=ctx.message,
    ))


async def _topology_changed(session: AsyncSession, kind: ObjectType) -> None:
    if kind.element_kind:
        await session.execute(update(topology_version).values(version=topology_version.c.version + 1))


async def _write(session: AsyncSession, kind: ObjectType, statement) -> None:
    try:
        async with session.begin_nested():
            await session.execute(statement)
    except IntegrityError as exc:
        constraint = getattr(exc.orig.__cause__, "constraint_name", None) or ""
        field = constraint.removeprefix(f"{kind.table.name}_").removesuffix("_key").removesuffix("_fkey")
        if constraint.endswith("_pkey"):
            raise RegistryError(409, "id", "that id is already taken") from None
        if constraint.endswith("_key"):
            raise RegistryError(409, field, f"another {kind.name} already has this {field}") from None
        raise RegistryError(409, kind.name, f"still in use by other objects ({constraint}): remove those first") from None


async def create(session: AsyncSession, ctx: Context, kind: ObjectType, data: dict) -> dict:
    object_id = str(data.pop("id", None) or uuid.uuid4())
    values = _validated(kind, data)
    await _references(session, kind, values)
    await _write(session, kind, insert(kind.table).values(id=object_id, **values))
    after = await get(session, kind, object_id)
    await _log(session, ctx, kind, object_id, "create", None, after)
    await _topology_changed(session, kind)
    return after


async def change(
    session: AsyncSession, ctx: Context, kind: ObjectType, object_id: str, patch: dict,
    if_match: int | None = None, topology: Topology | None = None,
) -> dict:
    before = await get(session, kind, object_id)
    if before is None:
        raise RegistryError(404, "id", f"no {kind.name} {object_id!r}")
    if if_match is not None and before["version"] != if_match:
        raise RegistryError(412, "If-Match", f"{kind.name} {object_id} is at version {before['version']}, not {if_match}: read it again")
    merged = {k: v for k, v in before.items() if k in kind.model.model_fields} | patch
    values = _validated(kind, merged)
    if "status" in values:
        try:
            check_transition(before["status"], values["status"])
        except TransitionRefused as exc:
            raise RegistryError(409, "status", str(exc)) from None
    await _references(session, kind, values)
    await _write(session, kind, update(kind.table).where(kind.table.c.id == object_id).values(
        **values, version=kind.table.c.version + 1, updated_at=func.now()))
    after = await get(session, kind, object_id)
    await _log(session, ctx, kind, object_id, "update", before, after)
    await _topology_changed(session, kind)
    if kind.element_kind and before["status"] != after["status"]:
        await _status_changed(session, ctx, kind, before, after, topology)
    return after


async def remove(session: AsyncSession, ctx: Context, kind: ObjectType, object_id: str, if_match: int | None = None) -> None:
    before = await get(session, kind, object_id)
    if before is None:
        raise RegistryError(404, "id", f"no {kind.name} {object_id!r}")
    if if_match is not None and before["version"] != if_match:
        raise RegistryError(412, "If-Match", f"{kind.name} {object_id} is at version {before['version']}, not {if_match}")
    await _write(session, kind, delete(kind.table).where(kind.table.c.id == object_id))
    await _log(session, ctx, kind, object_id, "delete", before, None)
    await _topology_changed(session, kind)


# -- status, outages, commissioning -----------------------------------------------------------

async def load_topology(session: AsyncSession) -> tuple[int, Topology]:
    version = await session.scalar(select(topology_version.c.version))
    ds = {r.id: Device(r.id, r.site_id, r.role, r.status)
          for r in await session.execute(select(devices.c.id, devices.c.site_id, devices.c.role, devices.c.status))}
    ls = {r.id: Link(r.id, r.a_device_id, r.b_device_id, r.length_m, r.status)
          for r in await session.execute(select(links.c.id, links.c.a_device_id, links.c.b_device_id, links.c.length_m, links.c.status))}
    return version, Topology(ds, ls)


async def _status_changed(session, ctx: Context, kind: ObjectType, before: dict, after: dict, topology: Topology | None) -> None:
    now = datetime.now(UTC)
    await ctx.outbox.add(session, ElementStatusChanged(
        element_kind=kind.element_kind, element_id=after["id"], name=after["name"],
        from_status=before["status"], to_status=after["status"], changed_at=now,
    ), aggregate_id=after["id"])
    if after["status"] == "failed":
        # What fails with it: answered on the network as it was just before, when it still carried traffic.
        topology = topology or (await _topology_before(session, kind, before))
        impact = topology.impact(kind.element_kind, after["id"])
        if impact.sites_cut_off:
            await _open_outage(session, ctx, kind, after, impact.sites_cut_off, now)
    elif after["status"] == "active":
        if before["status"] == "planned" and after.get("cost_kop") and after.get("measure_code") and after.get("holder_code"):
            await ctx.outbox.add(session, NetworkAssetCommissioned(
                asset_id=after["id"], asset_kind=kind.element_kind, name=after["name"], cost_kop=after["cost_kop"],
                measure_code=after["measure_code"], holder_code=after["holder_code"],
                commissioned_on=date.fromisoformat(after["commissioned_on"]) if after.get("commissioned_on") else now.date(),
            ), aggregate_id=after["id"])
        await _resolve_outage(session, ctx, kind, after, now)


async def _topology_before(session, kind: ObjectType, before: dict) -> Topology:
    _, topology = await load_topology(session)
    if kind.element_kind == "device":
        d = topology.devices[before["id"]]
        topology.devices[d.id] = Device(d.id, d.site_id, d.role, before["status"])
    else:
        link = topology.links[before["id"]]
        topology.links[link.id] = Link(link.id, link.a, link.b, link.length_m, before["status"])
    return topology


async def _open_outage(session, ctx: Context, kind: ObjectType, element: dict, site_ids, now: datetime) -> None:
    open_already = await session.scalar(select(outages.c.id).where(
        outages.c.element_kind == kind.element_kind, outages.c.element_id == element["id"], outages.c.resolved_at.is_(None)))
    if open_already:
        return  # still down: the outage it opened is still open
    # Flapping: failing again soon after coming back continues the same outage (same id), so
    # consumers keyed by outage id see one outage, not a new one per flap.
    recent = await session.scalar(select(outages.c.id).where(
        outages.c.element_kind == kind.element_kind, outages.c.element_id == element["id"],
        outages.c.resolved_at > now - timedelta(seconds=FLAP_WINDOW_S)).order_by(outages.c.resolved_at.desc()).limit(1))
    rows = (await session.execute(select(sites).where(sites.c.id.in_(site_ids)).order_by(sites.c.name))).all()
    affected = [AffectedSite(site_id=r.id, name=r.name, kind=r.kind, address=r.address, owner_holder_code=r.owner_holder_code) for r in rows]
    if recent:
        outage_id = recent
        await session.execute(update(outages).where(outages.c.id == recent).values(
            resolved_at=None, affected_sites=[a.model_dump() for a in affected]))
    else:
        outage_id = str(uuid.uuid4())
        await session.execute(insert(outages).values(
            id=outage_id, element_kind=kind.element_kind, element_id=element["id"], detected_at=now,
            affected_sites=[a.model_dump() for a in affected]))
    await ctx.outbox.add(session, NetworkOutageDetected(
        outage_id=outage_id, element_kind=kind.element_kind, element_id=element["id"], element_name=element["name"],
        detected_at=now, affected_sites=affected), aggregate_id=outage_id)


async def _resolve_outage(session, ctx: Context, kind: ObjectType, element: dict, now: datetime) -> None:
    resolved = (await session.execute(
        update(outages).where(outages.c.element_kind == kind.element_kind, outages.c.element_id == element["id"],
                              outages.c.resolved_at.is_(None)).values(resolved_at=now).returning(outages.c.id))).scalars().all()
    for outage_id in resolved:
        await ctx.outbox.add(session, NetworkOutageResolved(
            outage_id=outage_id, element_kind=kind.element_kind, element_id=element["id"], resolved_at=now), aggregate_id=outage_id)


async def site_details(session: AsyncSession, site_ids) -> dict[str, dict[str, Any]]:
    rows = await session.execute(select(sites.c.id, sites.c.name, sites.c.kind, sites.c.address).where(sites.c.id.in_(list(site_ids))))
    return {r.id: {"id": r.id, "name": r.name, "kind": r.kind, "address": r.address} for r in rows}
