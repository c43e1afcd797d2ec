"""The pull inbox, for companies without a public endpoint: read from a cursor, then acknowledge.
Messages stay until acknowledged, so a crash between reading and processing loses nothing.

The cursor is (writing transaction, sequence). A page holds only messages of transactions older
than every transaction still running, so a message committed later can never sort before a
cursor already handed out (as one with a smaller sequence number could, going by sequence alone).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.db import session
from utilities_gateway.adapters.tables import company_messages
from utilities_gateway.entrypoints.http.common import company, idempotent
from utilities_gateway.use_cases.integrations_admin import Caller

router = APIRouter(prefix="/integrations/v1", tags=["pull inbox"])


class Acknowledgement(BaseModel):
    ids: list[str] = Field(min_length=1, max_length=1000, description="message ids (msg_…) you have processed")


@router.get("/inbox", summary="Unacknowledged messages after the cursor, oldest first")
async def read_inbox(cursor: str = Query("0", pattern=r"^\d{1,20}(\.\d{1,20})?$",
                                         description="the next_cursor of the previous page; 0 from the start"),
                     limit: int = Query(100, ge=1, le=1000), caller: Caller = Depends(company),
                     db: AsyncSession = Depends(session)):
    txid, _, seq = cursor.partition(".")
    settled = text("(pg_snapshot_xmin(pg_current_snapshot())::text)::bigint")
    rows = (await db.execute(
        select(company_messages.c.txid, company_messages.c.seq, company_messages.c.id, company_messages.c.body)
        .where(company_messages.c.company_id == caller.company_id, company_messages.c.acked_at.is_(None),
               company_messages.c.txid < settled,
               tuple_(company_messages.c.txid, company_messages.c.seq) > tuple_(int(txid), int(seq or 0)))
        .order_by(company_messages.c.txid, company_messages.c.seq).limit(limit))).all()
    return {"messages": [{"id": r.id, **r.body} for r in rows],
            "next_cursor": f"{rows[-1].txid}.{rows[-1].seq}" if rows else cursor, "has_more": len(rows) == limit}


@router.post("/inbox/ack", summary="Acknowledge messages: they leave the inbox")
async def acknowledge(body: Acknowledgement, request: Request, caller: Caller = Depends(company),
                      db: AsyncSession = Depends(session)):
    async def work():
        acked = (await db.execute(update(company_messages).where(
            company_messages.c.company_id == caller.company_id, company_messages.c.id.in_(body.ids),
            company_messages.c.acked_at.is_(None)).values(acked_at=func.now()).returning(company_messages.c.id))).scalars().all()
        return {"acknowledged": len(acked), "unknown_or_already_acknowledged": sorted(set(body.ids) - set(acked))}

    return await idempotent(request, db, caller.company_id, 200, work)
