"""A request's public status change → the deliveries it owes, in the consumer's inbox transaction:
the rows commit with the inbox entry or not at all, so a redelivered event writes none again."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.events import CloudEvent
from ecity_common.events.payloads.citizen_requests import CitizenRequestStatusChanged
from notifications.adapters import deliveries, push_subscriptions
from notifications.domain import push
from notifications.domain.deliveries import (
    DeliveryKey,
    audience_of_request_news,
    delivery_id,
    message_id,
    news_of_status_change,
)

CHANNELS = ("email",)


def event_key(event: CloudEvent) -> str:
    # CloudEvents ids are unique per source, as the inbox keys them.
    return f"{event.source}#{event.id}"


async def status_changed(session: AsyncSession, event: CloudEvent, change: CitizenRequestStatusChanged,
                         *, message_id_domain: str) -> int:
    """Write one pending delivery per (event, recipient, channel) for whoever hears of it; returns
    how many were new."""
    news = news_of_status_change(
        request_id=change.request_id, from_status=change.from_status, to_status=change.to_status,
        open311_status=change.open311_status, public_note=change.public_note,
        expected_datetime=change.expected_datetime, changed_at=change.changed_at)
    if news is None:
        return 0
    audience = audience_of_request_news(await deliveries.followers_of(session, change.request_id))
    rows = []
    for channel in CHANNELS:
        addresses = await deliveries.usable_addresses(session, audience, channel)
        for citizen_id in audience:
            if citizen_id not in addresses:
                continue  # no confirmed address on this channel: nothing is owed there
            key = DeliveryKey(event_key(event), citizen_id, channel)
            rows.append({
                "id": delivery_id(key), "event_id": key.event_id, "recipient": citizen_id, "channel": channel,
                "address": addresses[citizen_id], "kind": "request_news", "context": news.__dict__,
                "message_id": message_id(key, message_id_domain),
            })
    # Web Push: each of a citizen's devices is owed its own message (a phone and a laptop both ring).
    devices = await push_subscriptions.usable(session, audience)
    for citizen_id in audience:
        for device in devices.get(citizen_id, ()):
            key = DeliveryKey(event_key(event), citizen_id, push.CHANNEL, device=device)
            rows.append({
                "id": delivery_id(key), "event_id": key.event_id, "recipient": citizen_id, "channel": push.CHANNEL,
                "address": device, "kind": "request_news", "context": news.__dict__,
                "message_id": message_id(key, message_id_domain),
            })
    return await deliveries.owe(session, rows)
