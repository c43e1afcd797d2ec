"""The deliveries, subscriptions and contacts as SQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import ARRAY, Text, and_, any_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.adapters.tables import contacts, deliveries, subscriptions
from notifications.domain.deliveries import Follower


async def followers_of_requests(session: AsyncSession, request_ids: list[str]) -> dict[str, list[Follower]]:
    rows = await session.execute(
        select(subscriptions.c.request_id, subscriptions.c.citizen_id, subscriptions.c.role, subscriptions.c.opted_out_at)
        .where(subscriptions.c.request_id.in_(request_ids)))
    found: dict[str, list[Follower]] = {}
    for r in rows:
        found.setdefault(r.request_id, []).append(Follower(r.citizen_id, r.role, r.opted_out_at is not None))
    return found


async def usable_addresses(session: AsyncSession, citizen_ids: list[str], channel: str) -> dict[str, str]:
    """The confirmed, not disabled addresses of these citizens on this channel."""
    if not citizen_ids:
        return {}
    rows = await session.execute(
        select(contacts.c.citizen_id, contacts.c.address).where(
            contacts.c.citizen_id.in_(citizen_ids), contacts.c.channel == channel,
            contacts.c.confirmed_at.is_not(None), contacts.c.disabled_reason.is_(None)))
    return {r.citizen_id: r.address for r in rows}


OWED_AT_ONCE = 1000


async def messages_since(session: AsyncSession, recipients: list[str], since: datetime) -> dict[str, int]:
    """How many messages (events' news, on however many addresses) each recipient was owed since then."""
    rows = await session.execute(
        select(deliveries.c.recipient, func.count(deliveries.c.event_id.distinct()).label("n"))
        .where(deliveries.c.recipient.in_(recipients), deliveries.c.created_at > since)
        .group_by(deliveries.c.recipient))
    return {r.recipient: r.n for r in rows}


async def owe(session: AsyncSession, rows: list[dict]) -> int:
    """Write the deliveries owed; those already written (same event, recipient, channel) are left
    as they are. Returns how many are new."""
    new = 0
    # In slices: one statement binds each column of each row, and PostgreSQL takes at most 32,767
    # parameters (an outage over a district owes thousands of messages at once).
    for start in range(0, len(rows), OWED_AT_ONCE):
        part = rows[start:start + OWED_AT_ONCE]
        written = await session.execute(
            insert(deliveries).values([{**r, "context": json.dumps(r["context"], ensure_ascii=False, default=str)} for r in part])
            .on_conflict_do_nothing(constraint="deliveries_once").returning(deliveries.c.id))
        new += len(written.all())
    return new


async def claim_due(session: AsyncSession, limit: int, lease_s: float) -> list[dict]:
    """Due pending deliveries, claimed for `lease_s`: their next attempt moved past the time a send
    takes, in a transaction of its own. The sends happen after it commits, holding no lock; a
    replica that dies mid-send leaves its claims to be taken again once the lease runs out.
    SKIP LOCKED lets replicas claim side by side."""
    due = (select(deliveries.c.id).where(and_(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= func.now()))
           .order_by(deliveries.c.next_attempt_at).limit(limit).with_for_update(skip_locked=True))
    rows = await session.execute(
        update(deliveries).where(deliveries.c.id.in_(due.scalar_subquery()))
        .values(next_attempt_at=func.now() + timedelta(seconds=lease_s)).returning(deliveries))
    return [{**r._mapping, "context": json.loads(r.context)} for r in rows]


async def mark_sent(session: AsyncSession, delivery_ids: list[str], at: datetime) -> None:
    if delivery_ids:
        await session.execute(update(deliveries).where(deliveries.c.id == any_(bindparam("ids", delivery_ids, type_=ARRAY(Text))))
                              .values(status="sent", sent_at=at, attempts=deliveries.c.attempts + 1, last_error=None))


async def mark_retry(session: AsyncSession, delivery_id: str, error: str, at: datetime, failed: bool) -> None:
    await session.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(
        status="failed" if failed else "pending", attempts=deliveries.c.attempts + 1, last_error=error, next_attempt_at=at))


async def disable_contact(session: AsyncSession, citizen_id: str, channel: str, reason: str, at: datetime) -> None:
    await session.execute(update(contacts).where(contacts.c.citizen_id == citizen_id, contacts.c.channel == channel)
                          .values(disabled_reason=reason, disabled_at=at))


async def withdraw(session: AsyncSession, event_key: str, reason: str) -> int:
    """Give up what is still owed because of one event (its news was withdrawn), as an address
    removed gives up what is owed to it: `failed` with the reason. What a dispatcher is sending
    at this moment may still go (its outcome is recorded after). How many were withdrawn."""
    withdrawn = await session.execute(update(deliveries).where(deliveries.c.event_id == event_key,
                                                               deliveries.c.status == "pending")
                                      .values(status="failed", last_error=reason).returning(deliveries.c.id))
    return len(withdrawn.all())
