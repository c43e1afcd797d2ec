"""Kafka event handlers of notifications, keyed by the payload classes' event types."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.events import CloudEvent, spec_of
from ecity_common.events.payloads.citizen_requests import CitizenRequestStatusChanged
from ecity_common.messaging.consumer import Handler
from notifications.settings import Settings
from notifications.use_cases import request_news


def make_handlers(settings: Settings) -> dict[str, Handler]:
    async def on_status_changed(session: AsyncSession, event: CloudEvent, changed: CitizenRequestStatusChanged) -> None:
        await request_news.status_changed(session, event, changed, message_id_domain=settings.message_id_domain)

    return {spec_of(CitizenRequestStatusChanged).type: on_status_changed}
