"""Outages: a company announces, updates and resolves its own; anyone reads the public list."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.db import session
from ecity_common.events.payloads.common import UtilityKind
from ecity_common.inputs import Identifier, Prose
from ecity_common.web.body_limits import LARGE_JSON_BODY, body_limit
from ecity_common.web.renders import rendered
from utilities_gateway.domain.access import Caller
from utilities_gateway.domain.outages import OutageChange, OutageIn, public_outage
from utilities_gateway.entrypoints.http.answers import PUBLIC_OUTAGES, Outages, OutageView, answers
from utilities_gateway.entrypoints.http.common import company, idempotent, outbox
from utilities_gateway.use_cases import outages

router = APIRouter(prefix="/integrations/v1", tags=["outages"])
public = APIRouter(prefix="/public", tags=["public"])


class Resolution(BaseModel):
    note: Prose | None = Field(default=None, max_length=1000)


@router.post("/outages", status_code=201, responses=answers(OutageView, 201), summary="Announce an outage (planned works or an accident)")
@body_limit(LARGE_JSON_BODY)  # its area
async def report_outage(body: OutageIn, request: Request, caller: Caller = Depends(company),
                        db: AsyncSession = Depends(session)):
    return await idempotent(request, db, caller.company_id, 201, lambda: outages.report(db, outbox(request), caller, body))


@router.get("/outages", responses=answers(Outages), summary="Your company's outages")
async def own_outages(active: bool = False, caller: Caller = Depends(company), db: AsyncSession = Depends(session)):
    return {"outages": await outages.list_outages(db, company_id=caller.company_id, active_only=active)}


@router.patch("/outages/{outage_id}", responses=answers(OutageView), summary="Change an outage's area, expected end or cause")
@body_limit(LARGE_JSON_BODY)  # its area
async def change_outage(outage_id: Identifier, body: OutageChange, request: Request, caller: Caller = Depends(company),
                        db: AsyncSession = Depends(session)):
    async with db.begin():
        return await outages.change(db, outbox(request), caller, outage_id, body)


@router.post("/outages/{outage_id}/resolve", responses=answers(OutageView), summary="Supply is restored")
async def resolve_outage(outage_id: Identifier, body: Resolution, request: Request, caller: Caller = Depends(company),
                         db: AsyncSession = Depends(session)):
    return await idempotent(request, db, caller.company_id, 200,
                            lambda: outages.resolve(db, outbox(request), caller, outage_id, body.note))


@public.get("/outages", responses=PUBLIC_OUTAGES, summary="Current outages of water, heating, electricity, gas (JSON; ?format=geojson for maps)")
async def public_outages(request: Request, kind: UtilityKind | None = None,
                         format: str = Query("json", pattern="^(json|geojson)$"), db: AsyncSession = Depends(session)):
    if format == "json":
        return {"outages": [public_outage(o) for o in await outages.current_outages(db, kind, with_areas=False)]}

    # The map's GeoJSON carries every active outage's polygons (up to 2,000 points each), asked for
    # by every anonymous map: encoded once per version of the outages, then an ETag and 304.
    async def draw() -> bytes:
        found = await outages.current_outages(db, kind, with_areas=True)
        return orjson.dumps(jsonable_encoder({"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": o["id"], "geometry": o["area"].get("geometry"),  # null: streets only, no polygon
             "properties": {**public_outage(o), "streets": o["area"].get("streets", [])}} for o in found]}))

    version = await outages.outages_version(db)
    return await rendered(request, "outages.geojson", (*version, kind), "application/geo+json", draw)


@public.get("/outages.geojson", summary="Current outages as GeoJSON", include_in_schema=False)
async def public_outages_geojson(request: Request, kind: UtilityKind | None = None, db: AsyncSession = Depends(session)):
    return await public_outages(request, kind=kind, format="geojson", db=db)
