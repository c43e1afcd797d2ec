"""Use cases of utilities-gateway."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.events.payloads.citizen_requests import CitizenRequestSubmitted
from utilities_gateway.db import incoming_requests


async def receive_citizen_request(session: AsyncSession, submitted: CitizenRequestSubmitted) -> bool:
    """Keep a citizen's request that a utility handles; others are the city departments' own.

    Runs inside the consumer's transaction. Returns whether it was one of ours.
    """
    if submitted.handler_kind != "utility" or submitted.utility_kind is None:
        return False
    await session.execute(
        insert(incoming_requests)
        .values(
            request_id=submitted.request_id,
            service_code=submitted.service_code,
            utility_kind=submitted.utility_kind,
            address=submitted.address,
            lat=submitted.location.lat if submitted.location else None,
            long=submitted.location.long if submitted.location else None,
        )
        .on_conflict_do_nothing(index_elements=["request_id"])
    )
    return True


async def find_incoming(session: AsyncSession, request_id: str):
    return (
        await session.execute(select(incoming_requests).where(incoming_requests.c.request_id == request_id))
    ).first()
