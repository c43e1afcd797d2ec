"""Meter readings in batches, and a meter's history for the company that owns it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.db import session
from utilities_gateway.adapters.tables import meter_readings, meters
from utilities_gateway.domain.meters import MAX_BATCH, stored_prefix
from utilities_gateway.entrypoints.http.common import company, idempotent, outbox
from utilities_gateway.use_cases import meter_readings as readings
from utilities_gateway.use_cases.integrations_admin import Caller, GatewayRefused

router = APIRouter(prefix="/integrations/v1", tags=["meter readings"])


class ReadingsBatch(BaseModel):
    # Items are checked one by one (see readings.parse) so that one bad reading rejects itself only.
    readings: list[Any] = Field(min_length=1, max_length=MAX_BATCH, description="up to 10,000 readings")


@router.post("/meter-readings", summary="Send up to 10,000 readings; the answer lists every rejected one and why")
async def send_readings(body: ReadingsBatch, request: Request, caller: Caller = Depends(company),
                        db: AsyncSession = Depends(session)):
    async def work():
        report = await readings.ingest(db, outbox(request), caller, body.readings)
        request.state.audit_summary = (f"{report['received']} readings: {report['accepted']} accepted, "
                                       f"{len(report['duplicates'])} duplicates, {len(report['rejected'])} rejected")
        return report

    return await idempotent(request, db, caller.company_id, 200, work)


@router.get("/meters/{meter_id}/readings", summary="A meter's readings (yours only), oldest first")
async def meter_history(meter_id: str, reading_type: str | None = None, since: datetime | None = None,
                        limit: int = Query(1000, ge=1, le=10_000), caller: Caller = Depends(company),
                        db: AsyncSession = Depends(session)):
    stored_id = stored_prefix(caller.kind, caller.company_id) + meter_id
    owner = await db.scalar(select(meters.c.company_id).where(meters.c.meter_id == stored_id))
    if owner is None:
        raise GatewayRefused(404, "meter_id", f"no readings of meter {meter_id}")
    if owner != caller.company_id:
        raise GatewayRefused(403, "meter_id", "this meter belongs to another company")
    query = select(meter_readings).where(meter_readings.c.meter_id == stored_id)
    if reading_type:
        query = query.where(meter_readings.c.reading_type == reading_type)
    if since:
        query = query.where(meter_readings.c.taken_at >= since)
    rows = await db.execute(query.order_by(meter_readings.c.taken_at).limit(limit))
    return {"meter_id": meter_id, "readings": [
        {"reading_type": r.reading_type, "value": r.value, "taken_at": r.taken_at, "source": r.source,
         "batch_id": r.batch_id} for r in rows]}
