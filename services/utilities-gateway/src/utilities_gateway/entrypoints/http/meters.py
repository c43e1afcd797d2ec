"""Meter readings in batches, and a meter's history for the company that owns it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.db import session
from ecity_common.inputs import Identifier, Moment, Text, page_size
from ecity_common.web.body_limits import MiB, body_limit
from utilities_gateway.domain.access import Caller
from utilities_gateway.domain.meters import MAX_BATCH
from utilities_gateway.entrypoints.http.answers import Readings, ReadingsReport, answers
from utilities_gateway.entrypoints.http.common import company, idempotent, outbox
from utilities_gateway.use_cases import meter_readings

router = APIRouter(prefix="/integrations/v1", tags=["meter readings"])
# A batch of MAX_BATCH readings: 1.6 MB as an uploader sends it (bench/utilities.py), 3.3 MB at
# the widest the reading model accepts, pretty-printed with a 4-space indent (measured in
# tests/test_bounds.py, which sends that batch).
METER_BATCH_BODY = 4 * MiB


class ReadingsBatch(BaseModel):
    # Items are checked one by one (see domain.meters.parse) so that one bad reading rejects itself only.
    readings: list[Any] = Field(min_length=1, max_length=MAX_BATCH, description="up to 10,000 readings")


@router.post("/meter-readings", responses=answers(ReadingsReport), summary="Send up to 10,000 readings; the answer lists every rejected one and why")
@body_limit(METER_BATCH_BODY)
async def send_readings(body: ReadingsBatch, request: Request, caller: Caller = Depends(company),
                        db: AsyncSession = Depends(session)):
    async def work():
        report = await meter_readings.ingest(db, outbox(request), caller, body.readings)
        request.state.audit_summary = (f"{report['received']} readings: {report['accepted']} accepted, "
                                       f"{len(report['duplicates'])} duplicates, {len(report['rejected'])} rejected")
        return report

    return await idempotent(request, db, caller.company_id, 200, work)


@router.get("/meters/{meter_id}/readings", responses=answers(Readings), summary="A meter's readings (yours only), oldest first")
async def meter_history(meter_id: Identifier, reading_type: Text | None = Query(None, max_length=40),
                        since: Moment | None = None, limit: page_size(10_000) = 1000, caller: Caller = Depends(company),
                        db: AsyncSession = Depends(session)):
    return await meter_readings.meter_history(db, caller, meter_id, reading_type=reading_type, since=since, limit=limit)
