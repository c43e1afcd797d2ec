"""Outages a company announces, changes and resolves; anyone reads the current ones. Each runs in
the caller's transaction, and each change is an event citizen-requests listens to. The rules of
an outage are domain/outages.py."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.areas import Area
from ecity_common.events.payloads.utilities_gateway import (
    UtilityOutageReported,
    UtilityOutageResolved,
    UtilityOutageUpdated,
)
from ecity_common.messaging.outbox import Outbox
from utilities_gateway.adapters.queries import owned, served_area
from utilities_gateway.adapters.tables import outages
from utilities_gateway.domain.access import Caller
from utilities_gateway.domain.outages import (
    PUBLIC_FIELDS,
    OutageChange,
    OutageIn,
    check_within_service_area,
    checked_change,
)

# The newest of the current outages anyone may list at once.
MAX_PUBLIC_OUTAGES = 500
# Each outage's area described for people, once per version of the outage (every change of an
# outage moves its updated_at), rather than parsed again for each of the hundreds a list shows.
DESCRIPTIONS_KEPT = 10_000
_descriptions: OrderedDict[tuple[str, datetime], str] = OrderedDict()


def area_description(outage_id: str, updated_at: datetime, area: dict | None) -> str:
    """`Area.describe` of this version of the outage's area; `area` may be None when it is known."""
    key = (outage_id, updated_at)
    if (known := _descriptions.get(key)) is not None:
        _descriptions.move_to_end(key)
        return known
    if area is None:
        return ""  # neither known nor read (the outage is gone)
    described = _descriptions[key] = Area.model_validate(area).describe()
    if len(_descriptions) > DESCRIPTIONS_KEPT:
        _descriptions.popitem(last=False)
    return described


def outage_view(row) -> dict:
    return {"id": row.id, "company_id": row.company_id, "kind": row.kind, "planned": row.planned, "area": row.area,
            "area_description": area_description(row.id, row.updated_at, row.area), "starts_at": row.starts_at,
            "expected_end": row.expected_end, "cause": row.cause, "status": row.status, "reported_at": row.reported_at,
            "updated_at": row.updated_at, "resolved_at": row.resolved_at, "resolution_note": row.resolution_note}


def _facts(caller: Caller, row) -> dict:
    area = Area.model_validate(row.area)
    return dict(outage_id=row.id, company=caller.ref,
                planned=row.planned, area=area, area_description=area.describe(), starts_at=row.starts_at,
                expected_end=row.expected_end, cause=row.cause)


async def report(session: AsyncSession, outbox: Outbox, caller: Caller, outage: OutageIn) -> dict:
    check_within_service_area(outage.area, await served_area(session, caller.company_id))
    now = datetime.now(UTC)
    row = (await session.execute(insert(outages).values(
        id=f"out-{uuid.uuid4().hex[:12]}", company_id=caller.company_id, kind=caller.kind, planned=outage.planned,
        area=outage.area.model_dump(mode="json", exclude_none=True), starts_at=outage.starts_at,
        expected_end=outage.expected_end, cause=outage.cause, reported_at=now, updated_at=now).returning(outages))).one()
    await outbox.add(session, UtilityOutageReported(**_facts(caller, row), reported_at=now), aggregate_id=row.id)
    return outage_view(row)


async def own_outage(session: AsyncSession, caller: Caller, outage_id: str):
    return await owned(session, outages.c.id, outage_id, caller.company_id, field="path.outage_id", what="outage",
                       for_update=True)


async def change(session: AsyncSession, outbox: Outbox, caller: Caller, outage_id: str, change: OutageChange) -> dict:
    current = await own_outage(session, caller, outage_id)
    values = checked_change(current.status, current.starts_at, change)
    if change.area is not None:
        check_within_service_area(change.area, await served_area(session, caller.company_id))
    now = datetime.now(UTC)
    row = (await session.execute(update(outages).where(outages.c.id == outage_id)
                                 .values(**values, updated_at=now).returning(outages))).one()
    await outbox.add(session, UtilityOutageUpdated(**_facts(caller, row), updated_at=now), aggregate_id=row.id)
    return outage_view(row)


async def resolve(session: AsyncSession, outbox: Outbox, caller: Caller, outage_id: str, note: str | None) -> dict:
    current = await own_outage(session, caller, outage_id)
    if current.status == "resolved":
        return outage_view(current)  # said twice: the same answer, one event
    now = datetime.now(UTC)
    row = (await session.execute(update(outages).where(outages.c.id == outage_id).values(
        status="resolved", resolved_at=now, resolution_note=note, updated_at=now).returning(outages))).one()
    await outbox.add(session, UtilityOutageResolved(
        outage_id=row.id, company=caller.ref,
        resolved_at=now, note=note), aggregate_id=row.id)
    return outage_view(row)


async def list_outages(session: AsyncSession, *, company_id: str | None = None, active_only: bool = False,
                       kind: str | None = None, limit: int = 500) -> list[dict]:
    query = select(outages).order_by(outages.c.starts_at.desc()).limit(limit)
    if company_id:
        query = query.where(outages.c.company_id == company_id)
    if active_only:
        query = query.where(outages.c.status == "active")
    if kind:
        query = query.where(outages.c.kind == kind)
    return [outage_view(r) for r in await session.execute(query)]


async def outages_version(session: AsyncSession) -> tuple:
    """What the public map's drawing depends on: every announcement, change and resolution moves
    an outage's updated_at, and the count catches a row gone."""
    latest, count = (await session.execute(select(func.max(outages.c.updated_at), func.count()).select_from(outages))).one()
    return (latest.isoformat() if latest else None, count)


async def current_outages(session: AsyncSession, kind: str | None, *, with_areas: bool) -> list[dict]:
    """What anyone may read of the active outages (PUBLIC_FIELDS), the newest first, at most
    MAX_PUBLIC_OUTAGES; with their areas as stored (`area`) for a map. Without them, an area is
    read only when its description is not known yet."""
    columns = list(outages.c) if with_areas else [c for c in outages.c if c.name != "area"]
    query = select(*columns).where(outages.c.status == "active").order_by(outages.c.starts_at.desc()).limit(MAX_PUBLIC_OUTAGES)
    if kind:
        query = query.where(outages.c.kind == kind)
    rows = (await session.execute(query)).all()
    areas = {r.id: r.area for r in rows} if with_areas else {}
    if unknown := [r.id for r in rows if not with_areas and (r.id, r.updated_at) not in _descriptions]:
        areas = dict((await session.execute(select(outages.c.id, outages.c.area).where(outages.c.id.in_(unknown)))).all())
    found = []
    for r in rows:
        outage = {k: getattr(r, k) for k in PUBLIC_FIELDS if k != "area_description"}
        outage["area_description"] = area_description(r.id, r.updated_at, areas.get(r.id))
        if with_areas:
            outage["area"] = r.area
        found.append(outage)
    return found

