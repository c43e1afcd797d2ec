"""Citizens' requests arriving from citizen-requests: which company gets each, and what it is told
when the citizen or the city moves the request on. Each runs in the consumer's transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.areas import Area
from ecity_common.events.payloads.citizen_requests import (
    CitizenRequestCommented,
    CitizenRequestStatusChanged,
    CitizenRequestSubmitted,
)
from ecity_common.events.payloads.utilities_gateway import CompanyRef, RequestAcceptedByCompany, RequestRoutingFailed
from ecity_common.messaging.outbox import Outbox
from utilities_gateway.adapters.notices import tell_company
from utilities_gateway.adapters.tables import companies, routed_requests
from utilities_gateway.domain.companies import Company, route


async def companies_of_kind(session: AsyncSession, kind: str) -> list[Company]:
    rows = await session.execute(select(companies).where(companies.c.kind == kind, companies.c.active))
    return [Company(id=r.id, name=r.name, kind=r.kind, area=Area.model_validate(r.area),
                    service_codes=frozenset(r.service_codes), priority=r.priority) for r in rows]


def request_data(row) -> dict:
    """A routed request as the company sees it (API answers and webhooks alike)."""
    return {
        "request_id": row.request_id, "service_code": row.service_code, "utility_kind": row.utility_kind,
        "description": row.description, "address": row.address,
        "location": {"lat": row.lat, "long": row.long} if row.lat is not None else None,
        "submitted_at": row.submitted_at.isoformat(), "answer_due": row.answer_due.isoformat() if row.answer_due else None,
        "status": row.status, "planned_for": row.planned_for.isoformat() if row.planned_for else None,
        "public_note": row.public_note,
    }


async def route_citizen_request(session: AsyncSession, outbox: Outbox, submitted: CitizenRequestSubmitted) -> str | None:
    """'routed' / 'failed', or None when the request is a city department's, or was seen before."""
    if submitted.handler_kind != "utility" or submitted.utility_kind is None:
        return None
    lat = submitted.location.lat if submitted.location else None
    long = submitted.location.long if submitted.location else None
    decision = route(await companies_of_kind(session, submitted.utility_kind), kind=submitted.utility_kind,
                     service_code=submitted.service_code, lat=lat, long=long, address=submitted.address)
    now = datetime.now(UTC)
    company = decision.company
    inserted = await session.execute(insert(routed_requests).values(
        request_id=submitted.request_id, company_id=company.id if company else None,
        service_code=submitted.service_code, utility_kind=submitted.utility_kind, description=submitted.description,
        address=submitted.address, lat=lat, long=long, submitted_at=submitted.submitted_at,
        answer_due=submitted.expected_datetime, status="routed" if company else "unrouted",
        routing_failure=decision.reason, routed_at=now, updated_at=now,
    ).on_conflict_do_nothing(index_elements=["request_id"]).returning(routed_requests))
    row = inserted.first()
    if row is None:
        return None  # the same request again (a replay, another event id): routed once
    if company is None:
        await outbox.add(session, RequestRoutingFailed(
            request_id=submitted.request_id, utility_kind=submitted.utility_kind, reason=decision.reason,
            failed_at=now), aggregate_id=submitted.request_id)
        return "failed"
    await outbox.add(session, RequestAcceptedByCompany(
        request_id=submitted.request_id, company=CompanyRef(company_id=company.id, name=company.name, kind=company.kind),
        accepted_at=now), aggregate_id=submitted.request_id)
    await tell_company(session, company.id, "request.routed", request_data(row), now=now)
    return "routed"


async def _routed_to(session: AsyncSession, request_id: str) -> str | None:
    return await session.scalar(select(routed_requests.c.company_id).where(routed_requests.c.request_id == request_id))


async def relay_comment(session: AsyncSession, commented: CitizenRequestCommented) -> None:
    if company_id := await _routed_to(session, commented.request_id):
        await tell_company(session, company_id, "request.commented", {
            "request_id": commented.request_id, "by_staff": commented.by_staff, "text": commented.text,
            "commented_at": commented.commented_at.isoformat()})


async def relay_status(session: AsyncSession, changed: CitizenRequestStatusChanged) -> None:
    """The company hears of what the citizen or the city did to its request: a reopening (the
    problem is back) or the closing. Its own reports come back here too and are not echoed."""
    if changed.from_status == "resolved" and changed.to_status == "in_progress":
        type_ = "request.reopened"
    elif changed.to_status == "closed":
        type_ = "request.closed"
    else:
        return
    if company_id := await _routed_to(session, changed.request_id):
        if type_ == "request.reopened":  # the problem is back: the company works on it again
            await session.execute(update(routed_requests).where(routed_requests.c.request_id == changed.request_id)
                                  .values(status="in_progress", updated_at=changed.changed_at))
        await tell_company(session, company_id, type_, {
            "request_id": changed.request_id, "status": changed.to_status, "note": changed.public_note,
            "changed_at": changed.changed_at.isoformat()})
