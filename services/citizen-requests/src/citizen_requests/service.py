"""Use cases of citizen-requests: one function per thing a user does, in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.catalogue import Category
from citizen_requests.db import citizen_requests, open311_clients, request_history
from citizen_requests.domain import CitizenRequest, Location, file_request
from ecity_common.auth import api_key_matches, parse_api_key
from ecity_common.events.payloads.citizen_requests import CitizenRequestSubmitted
from ecity_common.events.payloads.common import GeoPoint
from ecity_common.messaging.outbox import Outbox


@dataclass(frozen=True)
class Contact:
    """Personal data: the citizen and staff see it; public answers and events never carry it."""

    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None


async def submit_request(
    session: AsyncSession,
    outbox: Outbox,
    *,
    catalogue: Mapping[str, Category],
    category_code: str,
    description: str,
    citizen_id: str,
    location: Location | None,
    address: str | None,
    answers: dict[str, list[str]] | None = None,
    contact: Contact = Contact(),
    media_url: str | None = None,
    address_id: str | None = None,
    channel: str = "app",
) -> CitizenRequest:
    request = file_request(catalogue=catalogue, category_code=category_code, description=description, citizen_id=citizen_id,
                           location=location, address=address, answers=answers)
    # Filed inside a utility outage the company announced: linked to it, and the citizen is told
    # at once when supply should return (the answer's status_notes).
    outage = None
    if request.category.utility_kind is not None:
        from citizen_requests.utilities import outage_here, outage_note

        outage = await outage_here(session, request.category.utility_kind, location.lat if location else None,
                                   location.long if location else None, request.address)
    # Runs in the caller's transaction, which may also hold the request's Idempotency-Key. The
    # request and its first history entry go in one statement (a data-modifying CTE): one round trip.
    row = dict(
        id=request.id, service_code=request.category.code, description=request.description,
        citizen_id=request.citizen_id, lat=location.lat if location else None,
        long=location.long if location else None, address=request.address, status=request.status,
        submitted_at=request.submitted_at, expected_datetime=request.expected_datetime, updated_at=request.submitted_at,
        attributes=request.attributes, media_url=media_url, address_id=address_id, channel=channel,
        email=contact.email, phone=contact.phone, first_name=contact.first_name, last_name=contact.last_name,
        outage_id=outage.id if outage else None, status_notes=outage_note(outage) if outage else None,
    )
    filed = insert(citizen_requests).values(**row).returning(citizen_requests.c.id).cte("filed")
    await session.execute(insert(request_history).from_select(
        ["request_id", "actor", "to_status", "public", "note"],
        select(filed.c.id, literal(citizen_id), literal(request.status), literal(True), literal(row["status_notes"], Text)),
    ))
    request.stored = row
    await outbox.add(
        session,
        CitizenRequestSubmitted(
            request_id=request.id,
            service_code=request.category.code,
            handler_kind=request.category.handler_kind,
            utility_kind=request.category.utility_kind,
            department=request.category.department,
            description=request.description,
            location=GeoPoint(lat=location.lat, long=location.long) if location else None,
            address=request.address,
            submitted_at=request.submitted_at,
            expected_datetime=request.expected_datetime,
        ),
        aggregate_id=request.id,
    )
    return request


async def find_request(session: AsyncSession, request_id: str):
    return (await session.execute(select(citizen_requests).where(citizen_requests.c.id == request_id))).first()


async def open311_client(session: AsyncSession, api_key: str | None) -> str | None:
    """The name of the client app whose key this is, or None."""
    key_id = parse_api_key(api_key or "")
    if key_id is None:
        return None
    row = (await session.execute(select(open311_clients).where(
        open311_clients.c.key_id == key_id, open311_clients.c.revoked_at.is_(None)))).first()
    return row.name if row is not None and api_key_matches(api_key, row.key_hash) else None


async def search(
    session: AsyncSession, *, ids: list[str] | None, service_codes: list[str] | None, start: datetime, end: datetime,
    status_states: set[str] | None, limit: int, offset: int,
) -> list:
    query = select(citizen_requests)
    if ids:
        query = query.where(citizen_requests.c.id.in_(ids))  # a list of ids overrides every other filter
    else:
        query = query.where(citizen_requests.c.submitted_at >= start, citizen_requests.c.submitted_at <= end)
        if service_codes:
            query = query.where(citizen_requests.c.service_code.in_(service_codes))
        if status_states is not None:
            query = query.where(citizen_requests.c.status.in_(status_states))
    query = query.order_by(citizen_requests.c.submitted_at.desc(), citizen_requests.c.id).limit(limit).offset(offset)
    return (await session.execute(query)).all()


async def count_requests(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(citizen_requests))


async def recent_creations(session: AsyncSession, *, citizen_id: str | None = None, prefix: str | None = None,
                           window_s: int) -> int:
    """How many requests this citizen (or every citizen of a client app) filed in the window."""
    since = func.now() - func.make_interval(0, 0, 0, 0, 0, 0, window_s)
    query = select(func.count()).select_from(citizen_requests).where(citizen_requests.c.submitted_at > since)
    query = query.where(citizen_requests.c.citizen_id == citizen_id) if citizen_id else query.where(
        citizen_requests.c.citizen_id.startswith(prefix, autoescape=True))
    return await session.scalar(query)


async def list_requests(session: AsyncSession, *, citizen_id: str | None, status: str | None, needs_dispatcher: bool,
                        limit: int, offset: int) -> list:
    query = select(citizen_requests)
    if citizen_id is not None:
        query = query.where(citizen_requests.c.citizen_id == citizen_id)
    if status:
        query = query.where(citizen_requests.c.status == status)
    if needs_dispatcher:
        query = query.where(citizen_requests.c.dispatch_flag.is_not(None))
    query = query.order_by(citizen_requests.c.submitted_at.desc(), citizen_requests.c.id).limit(limit).offset(offset)
    return (await session.execute(query)).all()
