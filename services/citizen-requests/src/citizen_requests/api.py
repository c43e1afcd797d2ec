"""The native API `/api/v1` (JWT bearer). Parse, call a use case, shape the answer."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests import service
from citizen_requests.domain import Location, RequestRejected
from ecity_common.auth import Principal, require_role
from ecity_common.db import session
from ecity_common.web.problems import Problem

router = APIRouter(prefix="/api/v1", tags=["citizen requests"])


class NewRequest(BaseModel):
    service_code: str = Field(min_length=1, max_length=64, examples=["water_leak"])
    description: str = Field(default="", max_length=4000)
    lat: float | None = Field(default=None, ge=-90, le=90)
    long: float | None = Field(default=None, ge=-180, le=180)
    address: str | None = Field(default=None, max_length=500)
    attributes: dict[str, str | list[str]] = Field(default_factory=dict, description="answers to the category's attributes")


class RequestView(BaseModel):
    service_request_id: str
    service_code: str
    description: str
    status: str
    agency_responsible: str | None
    lat: float | None
    long: float | None
    address: str | None
    requested_datetime: datetime


def _view(row) -> RequestView:
    return RequestView(
        service_request_id=row.id,
        service_code=row.service_code,
        description=row.description,
        status=row.status,
        agency_responsible=row.agency_responsible,
        lat=row.lat,
        long=row.long,
        address=row.address,
        requested_datetime=row.submitted_at,
    )


@router.post("/requests", status_code=201, response_model=RequestView, summary="File a request")
async def create_request(
    body: NewRequest,
    request: Request,
    citizen: Principal = Depends(require_role("citizen")),
    db: AsyncSession = Depends(session),
) -> RequestView:
    if (body.lat is None) != (body.long is None):
        missing = "long" if body.long is None else "lat"
        raise Problem(422, "Invalid request", f"{missing} is required with the other coordinate",
                      type_="validation-error", errors=[{"field": missing, "message": "give both lat and long"}])
    try:
        location = Location(body.lat, body.long) if body.lat is not None else None
        filed = await service.submit_request(
            db,
            request.app.state.outbox,
            category_code=body.service_code,
            description=body.description,
            citizen_id=citizen.subject,
            location=location,
            address=body.address,
            answers={k: v if isinstance(v, list) else [v] for k, v in body.attributes.items()},
        )
    except RequestRejected as exc:
        raise Problem(422, "Invalid request", exc.message, type_="validation-error",
                      errors=[{"field": exc.field, "message": exc.message}]) from exc
    return _view(await service.find_request(db, filed.id))


@router.get("/requests/{request_id}", response_model=RequestView, summary="Read one of my requests")
async def read_request(
    request_id: str,
    citizen: Principal = Depends(require_role("citizen", "operator")),
    db: AsyncSession = Depends(session),
) -> RequestView:
    row = await service.find_request(db, request_id)
    # A citizen sees only their own requests; a stranger's id is simply not found.
    if row is None or (not citizen.has("operator") and row.citizen_id != citizen.subject):
        raise Problem(404, "Not found", f"no request {request_id}")
    return _view(row)
