"""Who follows which request, from citizen-requests' events, in the consumer's inbox transaction:
the reporter from request.submitted, followers from request.subscribed / request.unsubscribed (and
both from the carry-over, see the service README). A redelivered event changes nothing."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.events.payloads.citizen_requests import (
    CitizenRequestSubmitted,
    CitizenRequestSubscribed,
    CitizenRequestUnsubscribed,
)
from notifications.adapters import consent


async def submitted(session: AsyncSession, filed: CitizenRequestSubmitted) -> bool:
    if filed.citizen_id is None:  # an event from before it named its reporter: the carry-over tells
        return False
    return await consent.subscribe(session, filed.request_id, filed.citizen_id, "reporter", filed.submitted_at)


async def subscribed(session: AsyncSession, follows: CitizenRequestSubscribed) -> bool:
    return await consent.subscribe(session, follows.request_id, follows.citizen_id, follows.role, follows.at)


async def unsubscribed(session: AsyncSession, stops: CitizenRequestUnsubscribed) -> bool:
    return await consent.unfollow(session, stops.request_id, stops.citizen_id)
