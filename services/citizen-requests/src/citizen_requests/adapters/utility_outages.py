"""The utility outages companies announced (through utilities-gateway), as kept here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from citizen_requests.adapters.tables import utility_outages


async def active(db: AsyncSession | AsyncConnection, kind: str, now: datetime) -> list:
    return (await db.execute(select(utility_outages).where(
        utility_outages.c.kind == kind, utility_outages.c.resolved_at.is_(None),
        utility_outages.c.starts_at <= now))).all()


async def keep(session: AsyncSession, outage_id: str, values: dict) -> None:
    await session.execute(insert(utility_outages).values(id=outage_id, **values)
                          .on_conflict_do_update(index_elements=["id"], set_=values))


async def mark_resolved(session: AsyncSession, outage_id: str, resolved_at: datetime) -> None:
    await session.execute(update(utility_outages).where(utility_outages.c.id == outage_id).values(resolved_at=resolved_at))
