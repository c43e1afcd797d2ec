"""A company reads its pull inbox from a cursor and acknowledges what it has processed. Messages
stay until acknowledged, so a crash between reading and processing loses nothing. Which messages a
page shows is domain/inbox.py's rule."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from utilities_gateway.adapters import inbox
from utilities_gateway.domain.access import Caller
from utilities_gateway.domain.inbox import Cursor


async def read(session: AsyncSession, caller: Caller, cursor: str, limit: int) -> dict:
    rows = await inbox.read_page(session, caller.company_id, Cursor.parse(cursor), limit)
    return {"messages": [{"id": r.id, **r.body} for r in rows],
            # An empty page hands the same cursor back: the next read starts where this one did.
            "next_cursor": str(Cursor(rows[-1].txid, rows[-1].seq)) if rows else cursor,
            "has_more": len(rows) == limit}


async def acknowledge(session: AsyncSession, caller: Caller, ids: list[str]) -> dict:
    acked = await inbox.acknowledge(session, caller.company_id, ids)
    return {"acknowledged": len(acked), "unknown_or_already_acknowledged": sorted(set(ids) - set(acked))}
