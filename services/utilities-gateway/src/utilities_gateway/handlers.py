"""Kafka event handlers of utilities-gateway: parse, call a use case."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.events import CloudEvent
from ecity_common.events.payloads.citizen_requests import CitizenRequestSubmitted
from ecity_common.messaging.consumer import Handler
from utilities_gateway import service


async def on_citizen_request_submitted(session: AsyncSession, event: CloudEvent, payload: CitizenRequestSubmitted) -> None:
    await service.receive_citizen_request(session, payload)


HANDLERS: dict[str, Handler] = {
    "ua.sumy.ecity.citizen-requests.request.submitted.v1": on_citizen_request_submitted,
}
