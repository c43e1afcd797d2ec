"""Citizens' requests arriving from citizen-requests: which company gets each (domain/companies.py
decides), and what it is told when the citizen or the city moves the request on. Each runs in the
consumer's transaction; `check` answers the city's staff the same question without routing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.events.payloads.citizen_requests import (
    CitizenRequestCommented,
    CitizenRequestModerated,
    CitizenRequestStatusChanged,
    CitizenRequestSubmitted,
)
from ecity_common.events.payloads.utilities_gateway import CompanyRef, RequestAcceptedByCompany, RequestRoutingFailed
from ecity_common.messaging.outbox import Outbox
from utilities_gateway.adapters.notices import rewrite_unread_description, tell_company
from utilities_gateway.adapters.queries import companies_of_kind
from utilities_gateway.adapters.tables import routed_requests
from utilities_gateway.domain.companies import Routing, route
from utilities_gateway.domain.routed_requests import (
    description_after_moderation,
    notice_of_citizen_change,
    request_data,
)


async def check(session: AsyncSession, *, kind: str, service_code: str, lat: float | None, long: float | None,
                address: str | None) -> Routing:
    return route(await companies_of_kind(session, kind), kind=kind, service_code=service_code, lat=lat, long=long,
                 address=address)


async def route_citizen_request(session: AsyncSession, outbox: Outbox, submitted: CitizenRequestSubmitted) -> str | None:
    """'routed' / 'failed', or None when the request is a city department's, or was seen before."""
    if submitted.handler_kind != "utility" or submitted.utility_kind is None:
        return None
    lat = submitted.location.lat if submitted.location else None
    long = submitted.location.long if submitted.location else None
    decision = await check(session, kind=submitted.utility_kind, service_code=submitted.service_code, lat=lat,
                           long=long, address=submitted.address)
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
    """The company hears of a reopening or the closing of its request (domain: notice_of_citizen_change)."""
    type_ = notice_of_citizen_change(changed.from_status, changed.to_status)
    if type_ is None:
        return
    if company_id := await _routed_to(session, changed.request_id):
        if type_ == "request.reopened":  # the problem is back: the company works on it again
            await session.execute(update(routed_requests).where(routed_requests.c.request_id == changed.request_id)
                                  .values(status="in_progress", updated_at=changed.changed_at))
        await tell_company(session, company_id, type_, {
            "request_id": changed.request_id, "status": changed.to_status, "note": changed.public_note,
            "changed_at": changed.changed_at.isoformat()})


async def follow_moderation(session: AsyncSession, decision: CitizenRequestModerated) -> None:
    """A moderator redacted or hid a routed request's description: the company's copy changes (its
    API shows the new text), the messages it has not read yet no longer carry the old one, and it is
    told (request.description-changed)."""
    description = description_after_moderation(decision.target, decision.action, decision.public_text)
    if description is None:
        return
    changed = await session.execute(update(routed_requests).where(routed_requests.c.request_id == decision.request_id)
                                     .values(description=description).returning(routed_requests.c.company_id))
    company_id = changed.scalar()
    if company_id is None:
        return  # not a utility's, not routed, or no company serves it
    await rewrite_unread_description(session, company_id, decision.request_id, description)
    await tell_company(session, company_id, "request.description-changed", {
        "request_id": decision.request_id, "description": description, "moderation": decision.action,
        "changed_at": decision.decided_at.isoformat()})
