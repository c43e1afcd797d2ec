"""The pull inbox, for companies without a public endpoint: read from a cursor, then acknowledge
(use_cases/inbox.py; which messages a page shows: domain/inbox.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.db import session
from ecity_common.inputs import Identifier, page_size
from utilities_gateway.domain.access import Caller
from utilities_gateway.domain.inbox import CURSOR_PATTERN
from utilities_gateway.entrypoints.http.answers import Acknowledged, InboxPage, answers
from utilities_gateway.entrypoints.http.common import company, idempotent
from utilities_gateway.use_cases import inbox

router = APIRouter(prefix="/integrations/v1", tags=["pull inbox"])


class Acknowledgement(BaseModel):
    ids: list[Identifier] = Field(min_length=1, max_length=1000, description="message ids (msg_…) you have processed")


@router.get("/inbox", responses=answers(InboxPage), summary="Unacknowledged messages after the cursor, oldest first")
async def read_inbox(cursor: str = Query("0", pattern=CURSOR_PATTERN,
                                         description="the next_cursor of the previous page; 0 from the start"),
                     limit: page_size(1000) = 100, caller: Caller = Depends(company),
                     db: AsyncSession = Depends(session)):
    return await inbox.read(db, caller, cursor, limit)


@router.post("/inbox/ack", responses=answers(Acknowledged), summary="Acknowledge messages: they leave the inbox")
async def acknowledge(body: Acknowledgement, request: Request, caller: Caller = Depends(company),
                      db: AsyncSession = Depends(session)):
    return await idempotent(request, db, caller.company_id, 200, lambda: inbox.acknowledge(db, caller, body.ids))
