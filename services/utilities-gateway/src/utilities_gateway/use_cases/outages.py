"""Outages a company announces: planned works or an accident, in an area, until an expected end.
Use cases in the caller's transaction; each change is an event citizen-requests listens to."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, Field, model_validator
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.areas import Area
from ecity_common.events.payloads.utilities_gateway import (
    UtilityOutageReported,
    UtilityOutageResolved,
    UtilityOutageUpdated,
)
from ecity_common.messaging.outbox import Outbox
from utilities_gateway.adapters.tables import outages
from utilities_gateway.use_cases.integrations_admin import Caller, GatewayRefused, owned


class OutageIn(BaseModel):
    planned: bool = Field(description="planned works (announced ahead) or an accident")
    area: Area
    starts_at: AwareDatetime
    expected_end: AwareDatetime | None = None
    cause: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _ends_after_start(self) -> OutageIn:
        if self.expected_end is not None and self.expected_end <= self.starts_at:
            raise ValueError("expected_end must be after starts_at")
        return self


class OutageChange(BaseModel):
    area: Area | None = None
    expected_end: AwareDatetime | None = None
    cause: str | None = Field(default=None, max_length=1000)


def outage_view(row) -> dict:
    return {"id": row.id, "company_id": row.company_id, "kind": row.kind, "planned": row.planned, "area": row.area,
            "area_description": Area.model_validate(row.area).describe(), "starts_at": row.starts_at,
            "expected_end": row.expected_end, "cause": row.cause, "status": row.status, "reported_at": row.reported_at,
            "updated_at": row.updated_at, "resolved_at": row.resolved_at, "resolution_note": row.resolution_note}


def _facts(caller: Caller, row) -> dict:
    area = Area.model_validate(row.area)
    return dict(outage_id=row.id, company=caller.ref,
                planned=row.planned, area=area, area_description=area.describe(), starts_at=row.starts_at,
                expected_end=row.expected_end, cause=row.cause)


async def report(session: AsyncSession, outbox: Outbox, caller: Caller, outage: OutageIn) -> dict:
    now = datetime.now(UTC)
    row = (await session.execute(insert(outages).values(
        id=f"out-{uuid.uuid4().hex[:12]}", company_id=caller.company_id, kind=caller.kind, planned=outage.planned,
        area=outage.area.model_dump(mode="json", exclude_none=True), starts_at=outage.starts_at,
        expected_end=outage.expected_end, cause=outage.cause, reported_at=now, updated_at=now).returning(outages))).one()
    await outbox.add(session, UtilityOutageReported(**_facts(caller, row), reported_at=now), aggregate_id=row.id)
    return outage_view(row)


async def own_outage(session: AsyncSession, caller: Caller, outage_id: str):
    return await owned(session, outages.c.id, outage_id, caller.company_id, field="outage_id", what="outage",
                       for_update=True)


async def change(session: AsyncSession, outbox: Outbox, caller: Caller, outage_id: str, change: OutageChange) -> dict:
    current = await own_outage(session, caller, outage_id)
    if current.status == "resolved":
        raise GatewayRefused(409, "status", "this outage is resolved; report a new one")
    values = change.model_dump(exclude_unset=True, exclude_none=True)
    if change.area is not None:
        values["area"] = change.area.model_dump(mode="json", exclude_none=True)
    if not values:
        raise GatewayRefused(422, "body", "nothing to change: send area, expected_end or cause")
    if "expected_end" in values and change.expected_end <= current.starts_at:
        raise GatewayRefused(422, "expected_end", "expected_end must be after starts_at")
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
