"""What anyone may see: an anonymised list and map of requests, and statistics. No personal data,
no descriptions (citizens write names and flat numbers in them), coordinates rounded to about
100 m so that a request does not point at a home."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters.tables import citizen_requests, request_history
from citizen_requests.domain.deadlines import KYIV
from citizen_requests.domain.workflow import OPEN, open311_status
from ecity_common.db import session
from ecity_common.web.problems import Problem

router = APIRouter(prefix="/api/v1/public", tags=["public"])
COUNT_CAP = 10_000


def _anonymised(row, catalogue) -> dict:
    category = catalogue.get(row.service_code)
    return {
        "service_request_id": row.id,
        "service_code": row.service_code,
        "service_name": category.name_uk if category else row.service_code,
        "status": row.status,
        "open311_status": open311_status(row.status),
        "agency_responsible": row.agency_responsible,
        "requested_datetime": row.submitted_at.astimezone(KYIV).isoformat(timespec="seconds"),
        "lat": round(row.lat, 3) if row.lat is not None else None,
        "long": round(row.long, 3) if row.long is not None else None,
    }


def _query(service_code: str | None, status: str | None):
    query = select(citizen_requests).where(citizen_requests.c.channel != "network")  # incidents are the IT department's
    if service_code:
        query = query.where(citizen_requests.c.service_code.in_(service_code.split(",")))
    if status == "open":
        query = query.where(citizen_requests.c.status.in_(OPEN))
    elif status == "closed":
        query = query.where(citizen_requests.c.status.not_in(OPEN))
    return query


@router.get("/requests", summary="Anonymised requests, newest first")
async def public_requests(request: Request, service_code: str | None = None,
                          status: str | None = Query(None, pattern="^(open|closed)$"),
                          limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0),
                          db: AsyncSession = Depends(session)) -> dict:
    query = _query(service_code, status)
    # Counted up to a cap: an exact count of a million matches costs more than the page itself.
    counted = await db.scalar(select(func.count()).select_from(query.limit(COUNT_CAP + 1).subquery()))
    rows = await db.execute(query.order_by(citizen_requests.c.submitted_at.desc()).limit(limit).offset(offset))
    return {"count": min(counted, COUNT_CAP), "count_is_exact": counted <= COUNT_CAP,
            "results": [_anonymised(r, request.app.state.catalogue.current) for r in rows]}


@router.get("/requests.geojson", summary="Anonymised requests for maps (GeoJSON)")
async def public_geojson(request: Request, service_code: str | None = None,
                         status: str | None = Query(None, pattern="^(open|closed)$"),
                         limit: int = Query(1000, ge=1, le=5000), db: AsyncSession = Depends(session)) -> JSONResponse:
    rows = await db.execute(_query(service_code, status).where(citizen_requests.c.lat.is_not(None))
                            .order_by(citizen_requests.c.submitted_at.desc()).limit(limit))
    features = []
    for r in rows:
        props = _anonymised(r, request.app.state.catalogue.current)
        lat, long = props.pop("lat"), props.pop("long")
        features.append({"type": "Feature", "id": r.id, "geometry": {"type": "Point", "coordinates": [long, lat]}, "properties": props})
    return JSONResponse({"type": "FeatureCollection", "features": features}, media_type="application/geo+json")


@router.get("/statistics", summary="Per category and period: count, median time to resolve, share overdue")
async def statistics(request: Request, date_from: date = Query(alias="from"), date_to: date = Query(alias="to"),
                     db: AsyncSession = Depends(session)) -> dict:
    catalogue = request.app.state.catalogue.current
    if date_to < date_from or date_to - date_from > timedelta(days=366):
        raise Problem(422, "Invalid period", "to must be on or after from, within a year",
                      errors=[{"field": "to", "message": "on or after from, within a year"}])
    start = datetime.combine(date_from, time.min, tzinfo=KYIV).astimezone(UTC)
    end = datetime.combine(date_to, time.max, tzinfo=KYIV).astimezone(UTC)
    resolved = (select(request_history.c.request_id, func.min(request_history.c.at).label("resolved_at"))
                .where(request_history.c.to_status == "resolved").group_by(request_history.c.request_id).subquery())
    answered_at = resolved.c.resolved_at
    now = datetime.now(UTC)
    late = case((and_(answered_at.is_(None), citizen_requests.c.status.in_(OPEN), citizen_requests.c.expected_datetime < now), 1),
                (answered_at > citizen_requests.c.expected_datetime, 1), else_=0)
    hours = func.extract("epoch", answered_at - citizen_requests.c.submitted_at) / 3600
    rows = await db.execute(
        select(citizen_requests.c.service_code, func.count(), func.percentile_cont(0.5).within_group(hours),
               func.avg(late))
        .select_from(citizen_requests.outerjoin(resolved, resolved.c.request_id == citizen_requests.c.id))
        .where(citizen_requests.c.submitted_at.between(start, end), citizen_requests.c.channel != "network")
        .group_by(citizen_requests.c.service_code).order_by(citizen_requests.c.service_code)
    )
    return {"from": date_from.isoformat(), "to": date_to.isoformat(), "categories": [
        {"service_code": code, "service_name": catalogue[code].name_uk if code in catalogue else code, "count": count,
         "median_hours_to_resolve": round(float(median), 1) if median is not None else None,
         "share_overdue_percent": round(float(share) * 100, 2)}
        for code, count, median, share in rows]}
