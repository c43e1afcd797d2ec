"""A request's public status change → the deliveries it owes, in the consumer's inbox transaction:
the rows commit with the inbox entry or not at all, so a redelivered event writes none again."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.events import CloudEvent
from ecity_common.events.payloads.citizen_requests import CitizenRequestStatusChanged
from notifications.adapters import deliveries
from notifications.domain.deliveries import audience_of_request_news, news_of_status_change
from notifications.use_cases.owing import News, Writing, owe


def event_key(event: CloudEvent) -> str:
    # CloudEvents ids are unique per source, as the inbox keys them.
    return f"{event.source}#{event.id}"


async def status_changed(session: AsyncSession, event: CloudEvent, change: CitizenRequestStatusChanged,
                         writing: Writing) -> int:
    """Owe whoever hears of it one message per address (use_cases.owing); returns how many were new."""
    news = news_of_status_change(
        request_id=change.request_id, from_status=change.from_status, to_status=change.to_status,
        open311_status=change.open311_status, public_note=change.public_note,
        expected_datetime=change.expected_datetime, changed_at=change.changed_at)
    if news is None:
        return 0
    audience = audience_of_request_news(await deliveries.followers_of(session, change.request_id))
    said = News("request_news", news.__dict__)
    return await owe(session, event_key(event), {citizen_id: said for citizen_id in audience}, writing)
