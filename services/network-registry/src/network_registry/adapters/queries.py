"""The registry's reads and writes in SQL: objects by kind, their filters, the change log, the
graph, outages and the monitoring keys. Use cases call these in their caller's transaction."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.refusals import Conflict
from network_registry.adapters.tables import changes, devices, links, monitoring_keys, outages, sites, topology_version
from network_registry.domain.objects import Filter, ObjectKind
from network_registry.domain.outages import FLAP_WINDOW_S
from network_registry.domain.phrases import Phrase
from network_registry.domain.topology import Device, Link, Topology

TABLES = {"site": sites, "device": devices, "link": links}


def as_dict(row) -> dict:
    """A row as the API shows it: dates and times in ISO 8601."""
    return {k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in dict(row._mapping).items()}


# -- objects -----------------------------------------------------------------------------------

def _clause(kind: ObjectKind, f: Filter):
    column = TABLES[kind.name].c[f.field]
    match f.op:
        case "":
            return column == f.value
        case "ic":
            return column.ilike(f"%{f.value}%")
        case "in":
            return column.in_(f.value)
        case "gte":
            return column >= f.value
        case "lte":
            return column <= f.value
    raise ValueError(f.op)


async def find(session: AsyncSession, kind: ObjectKind, object_id: str) -> dict | None:
    table = TABLES[kind.name]
    row = (await session.execute(select(table).where(table.c.id == object_id))).first()
    return as_dict(row) if row else None


async def page(session: AsyncSession, kind: ObjectKind, filters: list[Filter], limit: int, offset: int) -> tuple[int, list[dict]]:
    table = TABLES[kind.name]
    where = and_(true(), *(_clause(kind, f) for f in filters))
    count = await session.scalar(select(func.count()).select_from(table).where(where))
    rows = (await session.execute(select(table).where(where).order_by(table.c.name).limit(limit).offset(offset))).all()
    return count, [as_dict(r) for r in rows]


async def every(session: AsyncSession, kind: ObjectKind, ordered: bool = False) -> list[dict]:
    table = TABLES[kind.name]
    query = select(table).order_by(table.c.name) if ordered else select(table)
    return [as_dict(r) for r in await session.execute(query)]


async def exists(session: AsyncSession, kind: ObjectKind, object_id: str) -> bool:
    table = TABLES[kind.name]
    return await session.scalar(select(table.c.id).where(table.c.id == object_id)) is not None


async def _write(session: AsyncSession, kind: ObjectKind, statement) -> None:
    """One write in a savepoint; a broken constraint is refused as a conflict naming its field."""
    table = TABLES[kind.name]
    try:
        async with session.begin_nested():
            await session.execute(statement)
    except IntegrityError as exc:
        constraint = getattr(exc.orig.__cause__, "constraint_name", None) or ""
        field = constraint.removeprefix(f"{table.name}_").removesuffix("_key").removesuffix("_fkey")
        if constraint.endswith("_pkey"):
            raise Conflict(Phrase("id-taken"), field="id") from None
        if constraint.endswith("_key"):
            raise Conflict(Phrase("value-taken", kind=kind.name, field=field), field=field) from None
        raise Conflict(Phrase("still-in-use", constraint=constraint), field=kind.name) from None


async def insert_object(session: AsyncSession, kind: ObjectKind, object_id: str, values: dict) -> None:
    await _write(session, kind, insert(TABLES[kind.name]).values(id=object_id, **values))


async def update_object(session: AsyncSession, kind: ObjectKind, object_id: str, values: dict) -> None:
    table = TABLES[kind.name]
    await _write(session, kind, update(table).where(table.c.id == object_id).values(
        **values, version=table.c.version + 1, updated_at=func.now()))


async def delete_object(session: AsyncSession, kind: ObjectKind, object_id: str) -> None:
    table = TABLES[kind.name]
    await _write(session, kind, delete(table).where(table.c.id == object_id))


# -- the change log ----------------------------------------------------------------------------

async def log_change(session: AsyncSession, *, object_type: str, object_id: str, action: str, before, after,
                     actor: str, request_id: str, message: str | None) -> None:
    await session.execute(insert(changes).values(
        object_type=object_type, object_id=object_id, action=action, before=before, after=after,
        actor=actor, request_id=request_id, message=message,
    ))


async def change_log(session: AsyncSession, *, object_type: str | None, object_id: str | None, request_id: str | None,
                     limit: int, offset: int, before_id: int | None = None) -> tuple[int, list[dict]]:
    """Newest first; `before_id`: only the entries older than that one (a cursor's page)."""
    where = [c for c in (changes.c.object_type == object_type if object_type else None,
                         changes.c.object_id == object_id if object_id else None,
                         changes.c.request_id == request_id if request_id else None) if c is not None]
    count = await session.scalar(select(func.count()).select_from(changes).where(*where))
    if before_id is not None:
        where.append(changes.c.id < before_id)
    rows = (await session.execute(select(changes).where(*where).order_by(changes.c.id.desc()).limit(limit).offset(offset))).all()
    return count, [as_dict(r) for r in rows]


# -- the graph ---------------------------------------------------------------------------------

async def topology_version_now(session: AsyncSession) -> int:
    return await session.scalar(select(topology_version.c.version))


async def topology_changed(session: AsyncSession) -> None:
    """Every replica reloads its cached graph, and draws the network again, when this moves."""
    await session.execute(update(topology_version).values(version=topology_version.c.version + 1))


async def load_topology(session: AsyncSession) -> tuple[int, Topology]:
    version = await session.scalar(select(topology_version.c.version))
    ds = {r.id: Device(r.id, r.site_id, r.role, r.status)
          for r in await session.execute(select(devices.c.id, devices.c.site_id, devices.c.role, devices.c.status))}
    ls = {r.id: Link(r.id, r.a_device_id, r.b_device_id, r.length_m, r.status)
          for r in await session.execute(select(links.c.id, links.c.a_device_id, links.c.b_device_id, links.c.length_m, links.c.status))}
    return version, Topology(ds, ls)


async def site_details(session: AsyncSession, site_ids) -> dict[str, dict[str, Any]]:
    rows = await session.execute(select(sites.c.id, sites.c.name, sites.c.kind, sites.c.address).where(sites.c.id.in_(list(site_ids))))
    return {r.id: {"id": r.id, "name": r.name, "kind": r.kind, "address": r.address} for r in rows}


async def sites_affected(session: AsyncSession, site_ids) -> list:
    return (await session.execute(select(sites).where(sites.c.id.in_(site_ids)).order_by(sites.c.name))).all()


async def site_points(session: AsyncSession) -> dict[str, tuple[float, float]]:
    return {r.id: (r.lat, r.long) for r in await session.execute(select(sites.c.id, sites.c.lat, sites.c.long)) if r.lat is not None}


async def any_site(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(func.count()).select_from(sites)))


# -- outages -----------------------------------------------------------------------------------

async def open_outage(session: AsyncSession, element_kind: str, element_id: str) -> str | None:
    return await session.scalar(select(outages.c.id).where(
        outages.c.element_kind == element_kind, outages.c.element_id == element_id, outages.c.resolved_at.is_(None)))


async def recent_outage(session: AsyncSession, element_kind: str, element_id: str, failed_at: datetime) -> str | None:
    """The latest outage of this element that a failure at `failed_at` continues: the SQL of
    `domain.outages.continues_outage` (test_outage_rules checks both agree)."""
    return await session.scalar(select(outages.c.id).where(
        outages.c.element_kind == element_kind, outages.c.element_id == element_id,
        outages.c.resolved_at > failed_at - timedelta(seconds=FLAP_WINDOW_S)).order_by(outages.c.resolved_at.desc()).limit(1))


async def reopen_outage(session: AsyncSession, outage_id: str, affected_sites: list[dict]) -> None:
    await session.execute(update(outages).where(outages.c.id == outage_id).values(resolved_at=None, affected_sites=affected_sites))


async def add_outage(session: AsyncSession, outage_id: str, element_kind: str, element_id: str, detected_at: datetime,
                     affected_sites: list[dict]) -> None:
    await session.execute(insert(outages).values(
        id=outage_id, element_kind=element_kind, element_id=element_id, detected_at=detected_at, affected_sites=affected_sites))


async def resolve_outages(session: AsyncSession, element_kind: str, element_id: str, resolved_at: datetime) -> list[str]:
    return list((await session.execute(
        update(outages).where(outages.c.element_kind == element_kind, outages.c.element_id == element_id,
                              outages.c.resolved_at.is_(None)).values(resolved_at=resolved_at).returning(outages.c.id))).scalars().all())


# -- the network management system's keys ------------------------------------------------------

async def monitoring_key(session: AsyncSession, key_id: str):
    """The key's row (name, hash) while it is not revoked."""
    return (await session.execute(select(monitoring_keys).where(
        monitoring_keys.c.key_id == key_id, monitoring_keys.c.revoked_at.is_(None)))).first()


async def add_monitoring_key(session: AsyncSession, key_id: str, key_hash: str, name: str) -> bool:
    if await session.scalar(select(monitoring_keys.c.key_id).where(monitoring_keys.c.key_id == key_id)) is not None:
        return False
    await session.execute(insert(monitoring_keys).values(key_id=key_id, key_hash=key_hash, name=name))
    return True
