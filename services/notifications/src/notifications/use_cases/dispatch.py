"""The dispatcher: takes due pending deliveries and sends each through its channel.

A row is locked while it is sent and marked in the same transaction, so two replicas never send
the same one. If the service dies after the SMTP server accepted a message but before the commit,
the row is sent again on restart with the same Message-ID (at-least-once toward the SMTP server;
the receiving side can tell a repeat by its Message-ID). Nothing closer to exactly-once is possible
over SMTP."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from notifications.adapters import deliveries
from notifications.domain.channels import Channel, Outgoing, PermanentFailure, TemporaryFailure
from notifications.domain.deliveries import RequestNews, next_attempt
from notifications.domain.messages import contact_confirmation, request_news

log = logging.getLogger(__name__)


def render(row: dict[str, Any]) -> Outgoing:
    if row["kind"] == "request_news":
        ctx = dict(row["context"])
        for moment in ("expected_at", "changed_at"):
            if ctx.get(moment):
                ctx[moment] = datetime.fromisoformat(ctx[moment])
        return request_news(RequestNews(**ctx), address=row["address"], message_id=row["message_id"])
    if row["kind"] == "contact_confirmation":  # use_cases/contacts.py give_email
        ctx = row["context"]
        return contact_confirmation(address=row["address"], link=ctx["link"], message_id=row["message_id"],
                                    valid_until=datetime.fromisoformat(ctx["valid_until"]))
    raise ValueError(f"no message for kind {row['kind']!r}")


async def dispatch_due(session: AsyncSession, channels: dict[str, Channel], *, batch: int, max_attempts: int) -> int:
    """Send what is due, in the caller's transaction; returns how many were sent."""
    sent = 0
    for row in await deliveries.take_due(session, batch):
        now = datetime.now(UTC)
        try:
            # The recipient names whose one-click unsubscribe link the message carries.
            await channels[row["channel"]].send(replace(render(row), recipient=row["recipient"]))
        except PermanentFailure as exc:
            await deliveries.mark_retry(session, row["id"], str(exc), now, failed=True)
            await deliveries.disable_contact(session, row["recipient"], row["channel"], str(exc), now)
            log.warning("delivery %s failed for good: %s", row["id"], exc)
        except TemporaryFailure as exc:
            given_up = row["attempts"] + 1 >= max_attempts
            await deliveries.mark_retry(session, row["id"], str(exc), next_attempt(row["attempts"] + 1, now), failed=given_up)
        else:
            await deliveries.mark_sent(session, row["id"], now)
            sent += 1
    return sent
