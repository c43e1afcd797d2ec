"""A request's public news (a status change, news without a move, a staff comment) → the deliveries it
owes, in the consumer's inbox transaction:
the rows commit with the inbox entry or not at all, so a redelivered event writes none again."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.events import CloudEvent
from ecity_common.events.payloads.citizen_requests import CitizenRequestCommented, CitizenRequestStatusChanged
from notifications.adapters import deliveries
from notifications.domain.deliveries import RequestNews, audience_of_request_news, news_of_comment, news_of_status_change
from notifications.use_cases.owing import News, Writing, owe_many


def event_key(event: CloudEvent) -> str:
    # CloudEvents ids are unique per source, as the inbox keys them.
    return f"{event.source}#{event.id}"


async def status_changes(session: AsyncSession, changes: list[tuple[CloudEvent, CitizenRequestStatusChanged]],
                         writing: Writing) -> int:
    """Owe whoever hears of each change (its reporter unless opted out, its followers) one message
    per address (use_cases.owing), for the consumer's run of status changes at once: the requests'
    followers read in one query. Returns how many deliveries were new."""
    told = []
    for event, change in changes:
        news = news_of_status_change(
            request_id=change.request_id, from_status=change.from_status, to_status=change.to_status,
            open311_status=change.open311_status, public_note=change.public_note,
            expected_datetime=change.expected_datetime, changed_at=change.changed_at)
        if news is not None:
            told.append((event, change.request_id, news))
    return await _tell(session, told, writing)


async def comment(session: AsyncSession, event: CloudEvent, commented: CitizenRequestCommented, writing: Writing) -> int:
    """A staff member's comment: owed to the request's reporter and followers as its other news is."""
    news = news_of_comment(request_id=commented.request_id, by_staff=commented.by_staff, text=commented.text,
                           commented_at=commented.commented_at)
    return await _tell(session, [(event, commented.request_id, news)] if news else [], writing)


async def _tell(session: AsyncSession, told: list[tuple[CloudEvent, str, RequestNews]], writing: Writing) -> int:
    if not told:
        return 0
    followers = await deliveries.followers_of_requests(session, sorted({request_id for _, request_id, _ in told}))
    return await owe_many(session, [
        (event_key(event), {citizen_id: News("request_news", news.__dict__)
                            for citizen_id in audience_of_request_news(followers.get(request_id, []))})
        for event, request_id, news in told], writing)
