"""Use cases of citizen-requests: one function per thing a user does, in one transaction."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.db import citizen_requests
from citizen_requests.domain import CitizenRequest, Location, file_request
from ecity_common.events.payloads.citizen_requests import CitizenRequestSubmitted
from ecity_common.events.payloads.common import GeoPoint
from ecity_common.messaging.outbox import Outbox


async def submit_request(
    session: AsyncSession,
    outbox: Outbox,
    *,
    category_code: str,
    description: str,
    citizen_id: str,
    location: Location | None,
    address: str | None,
) -> CitizenRequest:
    request = file_request(
        category_code=category_code,
        description=description,
        citizen_id=citizen_id,
        location=location,
        address=address,
    )
    async with session.begin():
        await session.execute(
            insert(citizen_requests).values(
                id=request.id,
                service_code=request.category.code,
                description=request.description,
                citizen_id=request.citizen_id,
                lat=location.lat if location else None,
                long=location.long if location else None,
                address=request.address,
                status=request.status,
                submitted_at=request.submitted_at,
            )
        )
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
            ),
            aggregate_id=request.id,
        )
    return request


async def find_request(session: AsyncSession, request_id: str):
    return (await session.execute(select(citizen_requests).where(citizen_requests.c.id == request_id))).first()
