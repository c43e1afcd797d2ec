"""The dispatcher: takes due pending deliveries and sends each through its channel.

A row is locked while it is sent and marked in the same transaction, so two replicas never send
the same one. If the service dies after the SMTP server accepted a message but before the commit,
the row is sent again on restart with the same Message-ID (at-least-once toward the SMTP server;
the receiving side can tell a repeat by its Message-ID). Nothing closer to exactly-once is possible
over SMTP."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from notifications.adapters import deliveries
from notifications.domain.channels import Channel, Outgoing, PermanentFailure, TemporaryFailure
from notifications.domain.deliveries import RequestNews, next_attempt
from notifications.domain.messages import alert_digest, local_alert, outage_news, request_news

log = logging.getLogger(__name__)


def render(row: dict[str, Any], *, request_page_url: str | None = None) -> Outgoing:
    if row["kind"] == "request_news":
        ctx = dict(row["context"])
        for moment in ("expected_at", "changed_at"):
            if ctx.get(moment):
                ctx[moment] = datetime.fromisoformat(ctx[moment])
        link = request_page_url.format(request_id=ctx["request_id"]) if request_page_url else None
        return request_news(RequestNews(**ctx), address=row["address"], message_id=row["message_id"], link=link)
    by_context = {"outage_news": outage_news, "local_alert": local_alert, "alert_digest": alert_digest}
    if row["kind"] in by_context:
        return by_context[row["kind"]](row["context"], address=row["address"], message_id=row["message_id"])
    raise ValueError(f"no message for kind {row['kind']!r}")


async def dispatch_due(session: AsyncSession, channels: dict[str, Channel], *, batch: int, max_attempts: int,
                       request_page_url: str | None = None) -> int:
    """Send what is due, in the caller's transaction; returns how many were sent."""
    sent = 0
    for row in await deliveries.take_due(session, batch):
        now = datetime.now(UTC)
        try:
            await channels[row["channel"]].send(render(row, request_page_url=request_page_url))
        except PermanentFailure as exc:
            await deliveries.mark_retry(session, row["id"], str(exc), now, failed=True)
            await deliveries.disable_contact(session, row["recipient"], row["channel"], str(exc), now)
            log.warning("delivery %s failed for good: %s", row["id"], exc)
        except TemporaryFailure as exc:
            given_up = row["attempts"] + 1 >= max_attempts
            later = next_attempt(row["attempts"] + 1, now)
            if exc.retry_after_s:  # the other side said when (a push service's Retry-After)
                later = max(later, now + timedelta(seconds=exc.retry_after_s))
            await deliveries.mark_retry(session, row["id"], str(exc), later, failed=given_up)
        else:
            await deliveries.mark_sent(session, row["id"], now)
            sent += 1
    return sent
