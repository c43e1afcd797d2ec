"""Kafka event handlers of notifications, keyed by the payload classes' event types."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.events import CloudEvent, spec_of
from ecity_common.events.payloads.citizen_requests import (
    CitizenRequestStatusChanged,
    CitizenRequestSubmitted,
    CitizenRequestSubscribed,
    CitizenRequestUnsubscribed,
)
from ecity_common.messaging.consumer import Handler
from notifications.settings import Settings
from notifications.use_cases import request_news, subscriptions


def make_handlers(settings: Settings) -> dict[str, Handler]:
    async def on_status_changed(session: AsyncSession, event: CloudEvent, changed: CitizenRequestStatusChanged) -> None:
        await request_news.status_changed(session, event, changed, message_id_domain=settings.message_id_domain)

    # Who follows what: the reporter of a filed request, followers who subscribe or stop.
    async def on_submitted(session: AsyncSession, event: CloudEvent, filed: CitizenRequestSubmitted) -> None:
        await subscriptions.submitted(session, filed)

    async def on_subscribed(session: AsyncSession, event: CloudEvent, follows: CitizenRequestSubscribed) -> None:
        await subscriptions.subscribed(session, follows)

    async def on_unsubscribed(session: AsyncSession, event: CloudEvent, stops: CitizenRequestUnsubscribed) -> None:
        await subscriptions.unsubscribed(session, stops)

    return {
        spec_of(CitizenRequestStatusChanged).type: on_status_changed,
        spec_of(CitizenRequestSubmitted).type: on_submitted,
        spec_of(CitizenRequestSubscribed).type: on_subscribed,
        spec_of(CitizenRequestUnsubscribed).type: on_unsubscribed,
    }
