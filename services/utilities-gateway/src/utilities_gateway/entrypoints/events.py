"""Kafka event handlers of utilities-gateway: parse, call a use case."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.events import CloudEvent
from ecity_common.events.payloads.citizen_requests import (
    CitizenRequestCommented,
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

    return {
        "ua.sumy.ecity.citizen-requests.request.submitted.v1": on_submitted,
        "ua.sumy.ecity.citizen-requests.request.commented.v1": on_commented,
        "ua.sumy.ecity.citizen-requests.request.status-changed.v1": on_status_changed,
    }
