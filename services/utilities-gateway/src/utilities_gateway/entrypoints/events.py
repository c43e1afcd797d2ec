"""Kafka event handlers of utilities-gateway, keyed by the payload classes' event types: each
parses nothing itself (the consumer hands it the payload) and calls one use case."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.events import CloudEvent
from ecity_common.events.catalogue import spec_of
from ecity_common.events.payloads.citizen_requests import (
    CitizenRequestCommented,
    CitizenRequestModerated,
    CitizenRequestStatusChanged,
    CitizenRequestSubmitted,
)
from ecity_common.messaging.consumer import Handler
from ecity_common.messaging.outbox import Outbox
from utilities_gateway.use_cases import routing


def make_handlers(outbox: Outbox) -> dict[str, Handler]:
    async def on_submitted(session: AsyncSession, event: CloudEvent, submitted: CitizenRequestSubmitted) -> None:
        await routing.route_citizen_request(session, outbox, submitted)

    async def on_commented(session: AsyncSession, event: CloudEvent, commented: CitizenRequestCommented) -> None:
        await routing.relay_comment(session, commented)

    async def on_status_changed(session: AsyncSession, event: CloudEvent, changed: CitizenRequestStatusChanged) -> None:
        await routing.relay_status(session, changed)

    async def on_moderated(session: AsyncSession, event: CloudEvent, decision: CitizenRequestModerated) -> None:
        await routing.follow_moderation(session, decision)

    return {
        spec_of(CitizenRequestSubmitted).type: on_submitted,
        spec_of(CitizenRequestModerated).type: on_moderated,
        spec_of(CitizenRequestCommented).type: on_commented,
        spec_of(CitizenRequestStatusChanged).type: on_status_changed,
    }
