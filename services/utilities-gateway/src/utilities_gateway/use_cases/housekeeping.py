"""What the gateway stops keeping, so that its tables do not grow for ever (entrypoints/workers.py
runs this sweep once an hour):

- idempotency keys after their 48 hours (a key is otherwise only dropped when it is reused);
- delivered or given-up webhook deliveries, with their attempts, after `delivery_retention_days`;
- messages after `message_retention_days` once nothing is pending for them (a company that pulls
  and never acknowledges loses what is older: its inbox is not an archive);
- audit entries after `audit_retention_days` (a year by default: audits ask about the last one).
Pending deliveries are never deleted; those waiting for an endpoint disabled for the whole message
retention are given up (failed), then dropped like the others.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, delete, exists, select, update

from ecity_common.web.idempotency import RETENTION
from utilities_gateway.adapters.tables import (
    audit_log,
    company_messages,
    deliveries,
    delivery_attempts,
    idempotency_keys,
    webhook_endpoints,
)


async def sweep(sessions, settings, now: datetime | None = None) -> dict[str, int]:
    now = now or datetime.now(UTC)
    done_before = now - timedelta(days=settings.delivery_retention_days)
    message_before = now - timedelta(days=settings.message_retention_days)
    finished = select(deliveries.c.id).where(deliveries.c.status != "pending", deliveries.c.finished_at < done_before)
    counts = {}
    async with sessions() as session, session.begin():
        # Deliveries waiting for an endpoint that has stayed disabled for the whole retention.
        counts["given_up"] = (await session.execute(update(deliveries).where(
            deliveries.c.status == "pending", deliveries.c.created_at < message_before,
            deliveries.c.endpoint_id.in_(select(webhook_endpoints.c.id).where(~webhook_endpoints.c.enabled)),
        ).values(status="failed", finished_at=now, last_error="the endpoint stayed disabled"))).rowcount
        counts["idempotency_keys"] = (await session.execute(
            delete(idempotency_keys).where(idempotency_keys.c.created_at < now - RETENTION))).rowcount
        await session.execute(delete(delivery_attempts).where(delivery_attempts.c.delivery_id.in_(finished)))
        counts["deliveries"] = (await session.execute(delete(deliveries).where(deliveries.c.id.in_(finished)))).rowcount
        counts["messages"] = (await session.execute(delete(company_messages).where(
            company_messages.c.created_at < message_before,
            ~exists().where(and_(deliveries.c.message_seq == company_messages.c.seq))))).rowcount
        counts["audit_log"] = (await session.execute(delete(audit_log).where(
            audit_log.c.at < now - timedelta(days=settings.audit_retention_days)))).rowcount
    return counts

