"""What the operator sees of the citizens' notifications, on /metrics: each attempt's outcome and how
long its channel took (counted by the dispatcher's worker), and the deliveries waiting and the
addresses disabled (counted from the database every `INTERVAL_S`: a scrape must not query it).

"Due" is what the dispatcher should have sent by now: pending with its next attempt come. A message
held by the quiet hours, or waiting out a retry's back-off, is pending but not due, so a quiet night
does not look like a stuck dispatcher (EcityNotificationsBacklog reads the oldest due one)."""

from __future__ import annotations

import asyncio

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import case, extract, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncEngine

from ecity_common import gauges
from notifications.adapters.tables import contacts, deliveries, push_subscriptions
from notifications.domain.contacts import UNSUBSCRIBED

INTERVAL_S = 15.0

ATTEMPTS = Counter(
    "ecity_notifications_deliveries_total",
    "Delivery attempts by channel and outcome: sent; temporary_failure (tried again later); "
    "permanent_failure (the address refused it and is disabled); given_up (a temporary failure on "
    "the last attempt allowed).",
    ("channel", "outcome"),
)
SEND_DURATION = Histogram(
    "ecity_notifications_send_duration_seconds",
    "How long a channel took to send a message or refuse it (an SMTP transaction, a push service's answer).",
    ("channel",),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
PENDING = Gauge(
    "ecity_notifications_pending_deliveries",
    "Deliveries not yet sent nor given up, by channel: due ones and those held (quiet hours, a back-off).",
    ("channel",),
)
DUE = Gauge(
    "ecity_notifications_due_deliveries",
    "Pending deliveries whose next attempt has come: what the dispatcher should be sending now.",
    ("channel",),
)
OLDEST_DUE = Gauge(
    "ecity_notifications_oldest_due_timestamp_seconds",
    "When the longest-waiting due delivery fell due (unix time; 0 when none is due). time() minus "
    "this is how far behind the dispatcher is.",
    ("channel",),
)
DISABLED = Gauge(
    "ecity_notifications_addresses_disabled",
    "Addresses (e-mail contacts, push devices) no longer written to, by channel and why: "
    "unsubscribed (by their owner) or refused (the mail server or push service said never).",
    ("channel", "reason"),
)


def count_attempts(attempts) -> None:
    """Count a dispatcher round's attempts (use_cases.dispatch.Attempt)."""
    for attempt in attempts:
        ATTEMPTS.labels(attempt.channel, attempt.outcome).inc()
        SEND_DURATION.labels(attempt.channel).observe(attempt.seconds)


async def waiting(engine: AsyncEngine) -> gauges.Counts:
    """{(channel,): (pending, due, when the oldest due one fell due or 0)}."""
    d = deliveries.c
    is_due = d.next_attempt_at <= func.now()
    query = (select(d.channel, func.count(), func.count().filter(is_due),
                    extract("epoch", func.min(d.next_attempt_at).filter(is_due)))
             .where(d.status == "pending").group_by(d.channel))
    async with engine.connect() as conn:
        return {(channel,): (pending, due, float(oldest or 0)) for channel, pending, due, oldest in await conn.execute(query)}


async def disabled(engine: AsyncEngine) -> gauges.Counts:
    """{(channel, reason): addresses disabled}."""
    why = lambda table: case((table.c.disabled_reason == UNSUBSCRIBED, "unsubscribed"), else_="refused")  # noqa: E731
    parts = [select(contacts.c.channel.label("channel"), why(contacts).label("reason"))
             .where(contacts.c.disabled_reason.is_not(None)),
             select(literal("push").label("channel"), why(push_subscriptions).label("reason"))
             .where(push_subscriptions.c.disabled_reason.is_not(None))]
    every = union_all(*parts).subquery()
    query = select(every.c.channel, every.c.reason, func.count()).group_by(every.c.channel, every.c.reason)
    async with engine.connect() as conn:
        return {(channel, reason): (n,) for channel, reason, n in await conn.execute(query)}


async def keep_counting(engine: AsyncEngine, interval_s: float = INTERVAL_S) -> None:
    async def waiting_now() -> gauges.Counts:
        return await waiting(engine)

    async def disabled_now() -> gauges.Counts:
        return await disabled(engine)

    await asyncio.gather(
        gauges.keep_counting(waiting_now, (PENDING, DUE, OLDEST_DUE), what="pending deliveries", interval_s=interval_s),
        gauges.keep_counting(disabled_now, (DISABLED,), what="disabled addresses", interval_s=interval_s),
    )
