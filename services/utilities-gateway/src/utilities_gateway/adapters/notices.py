"""Telling a company something: one message in its pull inbox and one webhook delivery per
enabled endpoint subscribed to the type. Runs in the caller's transaction, so a routed request
and the company's notice of it commit together."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from utilities_gateway.adapters.tables import company_messages, deliveries, webhook_endpoints

# What a company can be told (and subscribe its endpoints to).
MESSAGE_TYPES = {
    "request.routed": "a citizen's request is now yours",
    "request.commented": "the citizen (or the city) commented on a request of yours",
    "request.reopened": "the citizen reopened a request you resolved",
    "request.closed": "the city closed a request of yours",
    "endpoint.test": "a test message you asked for",
}


def message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


async def tell_company(session: AsyncSession, company_id: str, type_: str, data: dict, *,
                       endpoint_id: str | None = None, now: datetime | None = None) -> str:
    """The message's id (its `webhook-id`). `endpoint_id`: deliver to that endpoint only."""
    assert type_ in MESSAGE_TYPES, type_
    now = now or datetime.now(UTC)
    msg = message_id()
    body = {"type": type_, "timestamp": now.isoformat().replace("+00:00", "Z"), "data": data}
    seq = await session.scalar(insert(company_messages).values(
        id=msg, company_id=company_id, type=type_, body=body, created_at=now).returning(company_messages.c.seq))
    # Disabled endpoints get their deliveries too: they wait (the dispatcher skips them) and go
    # when the company enables the endpoint again.
    endpoints = select(webhook_endpoints.c.id).where(
        webhook_endpoints.c.company_id == company_id,
        or_(webhook_endpoints.c.event_types == [], webhook_endpoints.c.event_types.any(type_)))
    if endpoint_id is not None:
        endpoints = select(webhook_endpoints.c.id).where(webhook_endpoints.c.id == endpoint_id)
    targets = (await session.scalars(endpoints)).all()
    if targets:
        await session.execute(insert(deliveries), [
            {"message_seq": seq, "endpoint_id": e, "next_attempt_at": now} for e in targets])
    return msg
