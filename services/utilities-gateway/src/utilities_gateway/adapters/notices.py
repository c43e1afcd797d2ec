"""Telling a company something: one message in its pull inbox and one webhook delivery per
endpoint subscribed to the type (domain/notices.py says which). Runs in the caller's transaction,
so a routed request and the company's notice of it commit together."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import ARRAY, Text, cast, func, insert, literal, select, update
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


async def rewrite_unread_description(session: AsyncSession, company_id: str, request_id: str, description: str) -> int:
    """The company's messages about a request that it has not acknowledged and that carry its
    description (the routing) carry `description` instead: a moderator hid or redacted it, and a
    webhook still to be (re)tried or a page not yet read must not bring the old text. What was read
    is read. How many were rewritten."""
    m = company_messages
    rewritten = await session.execute(update(m).where(
        m.c.company_id == company_id, m.c.acked_at.is_(None), m.c.type == "request.routed",
        m.c.body["data"]["request_id"].astext == request_id,
    ).values(body=func.jsonb_set(m.c.body, literal(["data", "description"], ARRAY(Text)),
                                 func.to_jsonb(cast(description, Text)))).returning(m.c.seq))
    return len(rewritten.all())
