"""News → the deliveries it owes: for each recipient, one on their confirmed e-mail and one on each
of their push devices, keyed so that the same event never owes the same recipient twice on the
same address (domain.deliveries). Every kind of news (a request's, an outage's, an alert, a
digest) is written through here, in the caller's transaction, with the quiet hours and the
per-recipient rate limit applied."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from notifications.adapters import deliveries, push_subscriptions
from notifications.domain import push
from notifications.domain.deliveries import DeliveryKey, delivery_id, message_id
from notifications.domain.schedule import QuietHours, RateLimit

EMAIL = "email"


@dataclass(frozen=True)
class Writing:
    """How this service writes deliveries: its Message-ID domain, its quiet hours, its rate limit."""

    message_id_domain: str
    quiet: QuietHours = QuietHours()
    rate: RateLimit = RateLimit()


@dataclass(frozen=True)
class News:
    kind: str  # how domain.messages renders it
    context: dict  # what it renders from (JSON)
    urgent: bool = False  # may pass the quiet hours


async def owe(session: AsyncSession, event_key: str, news: dict[str, News], writing: Writing,
              *, now: datetime | None = None) -> int:
    """Write what `news` (recipient → News) owes; returns how many deliveries were new."""
    return await owe_many(session, [(event_key, news)], writing, now=now)


async def owe_many(session: AsyncSession, owed: list[tuple[str, dict[str, News]]], writing: Writing,
                   *, now: datetime | None = None) -> int:
    """The same for a run of events (the consumer's batch), in event order: every recipient's
    addresses, devices and recent messages are read once for the run, not once per event, and the
    rows are written together. Returns how many deliveries were new."""
    owed = [(event_key, news) for event_key, news in owed if news]
    if not owed:
        return 0
    now = now or datetime.now(UTC)
    recipients = sorted({recipient for _, news in owed for recipient in news})
    emails = await deliveries.usable_addresses(session, recipients, EMAIL)
    devices = await push_subscriptions.usable(session, recipients)
    recent = await deliveries.messages_since(session, recipients, now - timedelta(hours=1))
    rows = []
    for event_key, news in owed:
        for recipient, said in news.items():
            when = max(writing.quiet.not_before(now, urgent=said.urgent),
                       writing.rate.not_before(now, recent=recent.get(recipient, 0), urgent=said.urgent))
            recent[recipient] = recent.get(recipient, 0) + 1  # the run's earlier events count too
            places = [(EMAIL, emails[recipient], None)] if recipient in emails else []
            places += [(push.CHANNEL, device, device) for device in devices.get(recipient, ())]
            for channel, address, device in places:
                key = DeliveryKey(event_key, recipient, channel, device=device)
                rows.append({
                    "id": delivery_id(key), "event_id": key.event_id, "recipient": recipient, "channel": channel,
                    "address": address, "kind": said.kind, "context": said.context,
                    "message_id": message_id(key, writing.message_id_domain), "next_attempt_at": when,
                })
    return await deliveries.owe(session, rows)
