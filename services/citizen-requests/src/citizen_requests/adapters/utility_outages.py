"""The utility outages companies announce (through utilities-gateway), as kept here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import literal_column, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from citizen_requests.adapters.tables import utility_outages

# Which version of an outage's row this is: PostgreSQL's xmin, the transaction that wrote it.
# Every event about an outage rewrites its row (`keep`), so a changed area comes with a new one;
# it names the version of the area a parsed copy was made from, with no column to maintain.
_ROW_VERSION = literal_column("utility_outages.xmin::text").label("row_version")
_WITHOUT_AREA = [c for c in utility_outages.c if c.name != "area"]


async def active(db: AsyncSession | AsyncConnection, kind: str, now: datetime, *, limit: int) -> list:
    """The active outages of a kind, the soonest to end first, at most `limit`; without their
    areas (`areas` reads those not yet known), with their `row_version`."""
    return (await db.execute(
        select(*_WITHOUT_AREA, _ROW_VERSION)
        .where(utility_outages.c.kind == kind, utility_outages.c.resolved_at.is_(None), utility_outages.c.starts_at <= now)
        .order_by(utility_outages.c.expected_end.asc().nulls_last(), utility_outages.c.id)
        .limit(limit))).all()


async def areas(db: AsyncSession | AsyncConnection, outage_ids: list[str]) -> dict[str, tuple[str, dict]]:
    """outage id → (its row_version, its area as stored)."""
    rows = await db.execute(select(utility_outages.c.id, _ROW_VERSION, utility_outages.c.area)
                            .where(utility_outages.c.id.in_(outage_ids)))
    return {r.id: (r.row_version, r.area) for r in rows}


async def keep(session: AsyncSession, outage_id: str, values: dict) -> None:
    await session.execute(insert(utility_outages).values(id=outage_id, **values)
                          .on_conflict_do_update(index_elements=["id"], set_=values))


async def mark_resolved(session: AsyncSession, outage_id: str, resolved_at: datetime) -> None:
    await session.execute(update(utility_outages).where(utility_outages.c.id == outage_id).values(resolved_at=resolved_at))
