"""What anyone may see, without a token: an anonymised list and map of requests, and statistics
(`domain/publication.py` decides what of a request)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.entrypoints.http.answers import MAP_ANSWER, GeoJSON, PublicPage, Statistics, answers
from citizen_requests.use_cases import public
from ecity_common.db import session
from ecity_common.inputs import Cursor, Offset, Text, page_size

router = APIRouter(prefix="/api/v1/public", tags=["public"])


# Category codes, comma-separated.
CODES = Query(None, max_length=1000, description="category codes, comma-separated")


@router.get("/requests", responses=answers(PublicPage), summary="Anonymised requests, newest first (page on with `after`=the page's next_cursor)")
async def public_requests(request: Request, service_code: Text | None = CODES,
                          status: str | None = Query(None, pattern="^(open|closed)$"),
                          limit: page_size(500) = 50, offset: Offset = 0,
                          after: Cursor | None = Query(None, description="the next_cursor of the previous page"),
                          db: AsyncSession = Depends(session)) -> dict:
    return await public.public_list(db, request.app.state.catalogue.current, service_code=service_code, status=status,
                                    limit=limit, offset=offset, after=after)


@router.get("/requests.geojson", response_class=GeoJSON, responses=MAP_ANSWER, summary="Anonymised requests for maps (GeoJSON)")
async def public_geojson(request: Request, service_code: Text | None = CODES,
                         status: str | None = Query(None, pattern="^(open|closed)$"),
                         limit: page_size(5000) = 1000, db: AsyncSession = Depends(session)) -> JSONResponse:
    return JSONResponse(await public.public_map(db, request.app.state.catalogue.current, service_code=service_code,
                                                status=status, limit=limit), media_type="application/geo+json")


@router.get("/statistics", responses=answers(Statistics), summary="Per category and period: count, median time to resolve, share overdue")
async def statistics(request: Request, date_from: date = Query(alias="from"), date_to: date = Query(alias="to"),
                     db: AsyncSession = Depends(session)) -> dict:
    return await public.statistics(db, request.app.state.catalogue.current, date_from, date_to)
