"""Telling a company something: one message in its pull inbox and one webhook delivery per
endpoint subscribed to the type (domain/notices.py says which). Runs in the caller's transaction,
so a routed request and the company's notice of it commit together."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from utilities_gateway.adapters.tables import company_messages, deliveries, webhook_endpoints
from utilities_gateway.domain.notices import message_body, subscribes


def message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


async def tell_company(session: AsyncSession, company_id: str, type_: str, data: dict, *,
                       endpoint_id: str | None = None, now: datetime | None = None) -> str:
    """The message's id (its `webhook-id`). `endpoint_id`: deliver to that endpoint only."""
    now = now or datetime.now(UTC)
    msg = message_id()
    seq = await session.scalar(insert(company_messages).values(
        id=msg, company_id=company_id, type=type_, body=message_body(type_, data, now), created_at=now,
    ).returning(company_messages.c.seq))
    if endpoint_id is not None:
        targets = [endpoint_id]
    else:  # a company has a handful of endpoints: read them all, let the domain say which hear of it
        endpoints = await session.execute(select(webhook_endpoints.c.id, webhook_endpoints.c.event_types)
                                          .where(webhook_endpoints.c.company_id == company_id))
        targets = [e.id for e in endpoints if subscribes(list(e.event_types), type_)]
    if targets:
        await session.execute(insert(deliveries), [
            {"message_seq": seq, "endpoint_id": e, "next_attempt_at": now} for e in targets])
    return msg
