"""The audit log of the integration API: written once per call, read by the city's staff."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from utilities_gateway.adapters.tables import audit_log


async def write_entry(sessions: async_sessionmaker[AsyncSession], entry: dict) -> None:
    """In a transaction of its own: an audit write can neither change nor delay the call's result."""
    async with sessions() as session, session.begin():
        await session.execute(insert(audit_log).values(**entry))


async def entries(session: AsyncSession, *, company_id: str | None, limit: int, before_id: int | None = None) -> list[dict]:
    """Newest first; a page after `before_id` (keyset: the log grows by thousands of calls a day)."""
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(audit_log.c.id < before_id)
    if company_id:
        query = query.where(audit_log.c.company_id == company_id)
    return [dict(r._mapping) for r in await session.execute(query)]
