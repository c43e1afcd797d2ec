"""A company's requests: the ones routed to it, and its progress reports on them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.db import session
from ecity_common.inputs import Identifier, page_size
from utilities_gateway.domain.access import Caller
from utilities_gateway.domain.routed_requests import ProgressReport
from utilities_gateway.entrypoints.http.answers import RoutedRequest, RoutedRequests, answers
from utilities_gateway.entrypoints.http.common import company, idempotent, outbox
from utilities_gateway.use_cases import company_reports

router = APIRouter(prefix="/integrations/v1", tags=["requests"])


@router.get("/requests", responses={**answers(RoutedRequests), 404: {"description": "`after` names no request of yours"}}, summary="Requests routed to your company (page with `after`=the last request_id)")
async def list_requests(status: str | None = Query(None, pattern="^(routed|in_progress|planned|resolved|rejected)$"),
                        after: Identifier | None = Query(None, max_length=64), limit: page_size(500) = 100,
                        caller: Caller = Depends(company), db: AsyncSession = Depends(session)):
    return await company_reports.list_own(db, caller, status=status, after=after, limit=limit)


@router.get("/requests/{request_id}", responses=answers(RoutedRequest), summary="One request routed to your company")
async def get_request(request_id: Identifier, caller: Caller = Depends(company), db: AsyncSession = Depends(session)):
    return await company_reports.own_request(db, caller, request_id)


@router.post("/requests/{request_id}/status", responses=answers(RoutedRequest), summary="Report progress: in_progress, planned, resolved, rejected")
async def report_progress(request_id: Identifier, body: ProgressReport, request: Request,
                          caller: Caller = Depends(company), db: AsyncSession = Depends(session)):
    return await idempotent(request, db, caller.company_id, 200,
                            lambda: company_reports.report(db, outbox(request), caller, request_id, body,
                                                           request.app.state.report_photos))
