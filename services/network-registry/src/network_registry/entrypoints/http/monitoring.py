"""The network management system reports a device or link down or up, with its X-API-Key."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.db import session
from ecity_common.inputs import LINE_PATTERN, PROSE_PATTERN, Text
from ecity_common.phrases import FieldsSaid
from ecity_common.web.problems import Problem
from network_registry.domain.monitoring import read_report
from network_registry.domain.phrases import Phrase
from network_registry.entrypoints.http.answers import StatusReported, answers
from network_registry.entrypoints.http.edge import request_id, topology_cache
from network_registry.use_cases import monitoring
from network_registry.use_cases.inventory import Context

router = APIRouter(prefix="/api/v1")

# The body is read by hand (`read_report`), after the caller's key: a stranger learns nothing about
# what a report should look like from a validation error. Its shape is documented here instead.
STATUS_REPORT = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["element_kind", "element_id", "state"],
    "properties": {
        "element_kind": {"type": "string", "enum": ["device", "fibre_link"]},
        "element_id": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": LINE_PATTERN,
                       "description": "the element's id in the registry"},
        "state": {"type": "string", "enum": ["down", "up", "maintenance"]},
        "message": {"type": "string", "maxLength": 2000, "pattern": PROSE_PATTERN,
                    "description": "what the NMS saw, for the people on call"},
    }}}}}}


@router.post("/monitoring/status", tags=["monitoring"], responses={**answers(StatusReported), 404: {"description": "no such device or link"}, 401: {"description": "no X-API-Key, or one it does not know"}}, summary="The NMS reports a device or link down/up (X-API-Key)",
             openapi_extra=STATUS_REPORT)
async def monitoring_status(request: Request, body: dict = Body(..., examples=[{"element_kind": "device", "element_id": "…", "state": "down"}]),
                            x_api_key: Text | None = Header(None, max_length=200), db: AsyncSession = Depends(session)) -> dict:
    async with db.begin():
        # Who is calling comes first: a stranger learns nothing about what a report should look like.
        system = await monitoring.monitoring_system(db, x_api_key)
        if system is None:
            raise Problem("api-key-required", Phrase("nms-key-required"),
                          headers={"WWW-Authenticate": "ApiKey"})
        report, wrong = read_report(body)
        if report is None:
            errors = [{"field": f, "message": m} for f, m in wrong]
            raise Problem("validation-error", FieldsSaid(errors), errors=errors)
        ctx = Context(actor=f"nms:{system}", request_id=request_id(request), outbox=request.app.state.outbox,
                      message=report.message)
        return await monitoring.report_status(db, ctx, topology_cache(request), report)
