"""The dispatcher: claims due pending deliveries, sends each through its channel, records the outcome.

A row is claimed (its next attempt moved a lease ahead) in a short transaction, sent with no
transaction open, and its outcome recorded in another: a slow SMTP server or push service holds no
lock, and two replicas never claim the same row at once. Sends run side by side up to a bound."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecity_common.events.payloads.notifications import NotificationFailed, NotificationSent
from ecity_common.messaging.outbox import Outbox
from notifications.adapters import deliveries
from notifications.domain.channels import Channel, Outgoing, PermanentFailure, TemporaryFailure
from notifications.domain.deliveries import RequestNews, next_attempt
from notifications.domain.messages import alert_digest, contact_confirmation, local_alert, outage_news, request_news

log = logging.getLogger(__name__)


def render(row: dict[str, Any], *, request_page_url: str | None = None) -> Outgoing:
    if row["kind"] == "request_news":
        ctx = dict(row["context"])
        for moment in ("expected_at", "changed_at"):
            if ctx.get(moment):
                ctx[moment] = datetime.fromisoformat(ctx[moment])
        link = request_page_url.format(request_id=ctx["request_id"]) if request_page_url else None
        return request_news(RequestNews(**ctx), address=row["address"], message_id=row["message_id"], link=link)
    if row["kind"] == "contact_confirmation":  # use_cases/contacts.py give_email
        ctx = row["context"]
        return contact_confirmation(address=row["address"], link=ctx["link"], message_id=row["message_id"],
                                    valid_until=datetime.fromisoformat(ctx["valid_until"]))
    by_context = {"outage_news": outage_news, "local_alert": local_alert, "alert_digest": alert_digest}
    if row["kind"] in by_context:
        return by_context[row["kind"]](row["context"], address=row["address"], message_id=row["message_id"])
    raise ValueError(f"no message for kind {row['kind']!r}")


@dataclass(frozen=True)
class Dispatching:
    batch: int  # claimed at once
    max_attempts: int  # temporary failures before a delivery is given up
    lease_s: float  # how long a claim holds: longer than a send may take
    concurrency: int  # sends in flight at once (SMTP sessions, push requests)
    request_page_url: str | None = None


# What became of one attempt: sent; a temporary failure, tried again later; a permanent one (the
# address refused it); or a temporary failure on the last attempt allowed, after which it is given up.
SENT, TEMPORARY, PERMANENT, GIVEN_UP = "sent", "temporary_failure", "permanent_failure", "given_up"


@dataclass(frozen=True)
class Attempt:
    channel: str
    outcome: str  # SENT, TEMPORARY, PERMANENT or GIVEN_UP
    seconds: float  # how long the channel took to send or refuse it


@dataclass
class Dispatched:
    """One round's claims and what became of each: what the dispatcher's metrics count."""

    claimed: int = 0
    attempts: list[Attempt] = field(default_factory=list)


async def dispatch_due(sessions: async_sessionmaker[AsyncSession], channels: dict[str, Channel], outbox: Outbox,
                       how: Dispatching) -> Dispatched:
    """Claim what is due, send it with no transaction open, and record each outcome with its event
    (notification.sent / notification.failed) in one transaction; returns how many were claimed and
    how each attempt went.

    A crash after a server accepted a message but before the outcome is recorded sends it again
    once the claim's lease runs out, with the same Message-ID (e-mail) or to the same device: SMTP
    and Web Push cannot do better than at-least-once, and the stable ids let the other side see
    the repeat."""
    async with sessions() as session, session.begin():
        rows = await deliveries.claim_due(session, how.batch, how.lease_s)
    if not rows:
        return Dispatched()
    for name, channel in channels.items():
        await channel.prepare([row["address"] for row in rows if row["channel"] == name])
    gate = asyncio.Semaphore(how.concurrency)

    took: dict[str, float] = {}

    async def send(row: dict) -> Exception | None:
        async with gate:
            started = time.perf_counter()
            try:
                # The recipient names whose one-click unsubscribe link an e-mail carries.
                message = replace(render(row, request_page_url=how.request_page_url), recipient=row["recipient"])
                await channels[row["channel"]].send(message)
            except (PermanentFailure, TemporaryFailure) as failure:
                return failure
            except Exception as unexpected:  # noqa: BLE001 - a bug in one message must not stop the others
                log.warning("delivery %s could not be sent", row["id"], exc_info=True)
                return TemporaryFailure(f"{type(unexpected).__name__}: {unexpected}"[:500])
            finally:
                took[row["id"]] = time.perf_counter() - started
        return None

    outcomes = await asyncio.gather(*(send(row) for row in rows))
    dispatched = Dispatched(claimed=len(rows))
    now = datetime.now(UTC)
    events: list[tuple[BaseModel, str]] = []
    async with sessions() as session, session.begin():
        # Sent is nearly every row: one statement for all of them, not one each.
        await deliveries.mark_sent(session, [row["id"] for row, outcome in zip(rows, outcomes, strict=True)
                                             if outcome is None], now)
        for row, outcome in zip(rows, outcomes, strict=True):
            facts = {"delivery_id": row["id"], "cause_event_id": row["event_id"], "kind": row["kind"],
                     "channel": row["channel"], "attempts": row["attempts"] + 1, "owed_at": row["created_at"]}
            if outcome is None:
                events.append((NotificationSent(**facts, sent_at=now), row["id"]))
                said = SENT
            elif isinstance(outcome, PermanentFailure):
                said = PERMANENT
                await deliveries.mark_retry(session, row["id"], str(outcome), now, failed=True)
                if outcome.address_gone:
                    await deliveries.disable_contact(session, row["recipient"], row["channel"], str(outcome), now)
                log.warning("delivery %s failed for good: %s", row["id"], outcome)
                events.append((NotificationFailed(**facts, failed_at=now, permanent=True, reason=str(outcome)[:500]), row["id"]))
            else:
                given_up = row["attempts"] + 1 >= how.max_attempts
                said = GIVEN_UP if given_up else TEMPORARY
                later = next_attempt(row["attempts"] + 1, now)
                if outcome.retry_after_s:  # the other side said when (a push service's Retry-After)
                    later = max(later, now + timedelta(seconds=outcome.retry_after_s))
                await deliveries.mark_retry(session, row["id"], str(outcome), later, failed=given_up)
                if given_up:
                    events.append((NotificationFailed(**facts, failed_at=now, permanent=False,
                                                      reason=str(outcome)[:500]), row["id"]))
            dispatched.attempts.append(Attempt(row["channel"], said, took[row["id"]]))
        await outbox.add_many(session, events)
    return dispatched
