"""HTTP routes of utilities-gateway."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.auth import Principal, require_role
from ecity_common.db import session
from ecity_common.web.problems import Problem
from utilities_gateway import service

router = APIRouter(prefix="/api/v1", tags=["incoming requests"])


class IncomingRequestView(BaseModel):
    request_id: str
    service_code: str
    utility_kind: str
    address: str | None
    lat: float | None
    long: float | None
    company_id: str | None
    received_at: datetime


@router.get(
    "/incoming-requests/{request_id}",
    response_model=IncomingRequestView,
    summary="A citizen's request as the gateway received it (city integrations staff)",
)
async def read_incoming(
    request_id: str,
    _: Principal = Depends(require_role("integrations-admin")),
    db: AsyncSession = Depends(session),
) -> IncomingRequestView:
    row = await service.find_incoming(db, request_id)
    if row is None:
        raise Problem(404, "Not found", f"no incoming request {request_id}")
    return IncomingRequestView.model_validate(row, from_attributes=True)
