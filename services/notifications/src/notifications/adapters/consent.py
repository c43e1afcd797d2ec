"""Contacts, subscriptions and a citizen's own rows as SQL: what consent and "my data" read and write."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.adapters.tables import (
    alert_matches,
    contacts,
    deliveries,
    local_alerts,
    outage_audience,
    places,
    push_subscriptions,
    subscriptions,
)

# -- subscriptions -----------------------------------------------------------------------------


async def subscribe(session: AsyncSession, request_id: str, citizen_id: str, role: str, at: datetime) -> bool:
    """Write who follows a request; one already there stays as it is, except that a follower who
    turns out to be the reporter becomes the reporter (the reporter may have followed their own
    request before the carry-over said who filed it). True when something changed."""
    statement = insert(subscriptions).values(request_id=request_id, citizen_id=citizen_id, role=role, at=at)
    if role == "reporter":
        statement = statement.on_conflict_do_update(
            index_elements=["request_id", "citizen_id"], set_={"role": "reporter"},
            where=subscriptions.c.role == "follower")
    else:
        statement = statement.on_conflict_do_nothing()
    return (await session.execute(statement.returning(subscriptions.c.citizen_id))).first() is not None


async def unfollow(session: AsyncSession, request_id: str, citizen_id: str) -> bool:
    """A follower stops; a reporter stays (they opt out instead, and the rule knows them)."""
    gone = await session.execute(delete(subscriptions).where(
        subscriptions.c.request_id == request_id, subscriptions.c.citizen_id == citizen_id,
        subscriptions.c.role == "follower").returning(subscriptions.c.citizen_id))
    return gone.first() is not None


async def set_opted_out(session: AsyncSession, request_id: str, citizen_id: str, at: datetime | None) -> bool:
    changed = await session.execute(update(subscriptions).where(
        subscriptions.c.request_id == request_id, subscriptions.c.citizen_id == citizen_id)
        .values(opted_out_at=at).returning(subscriptions.c.citizen_id))
    return changed.first() is not None


# -- contacts ----------------------------------------------------------------------------------


async def contact(session: AsyncSession, citizen_id: str, channel: str):
    return (await session.execute(select(contacts).where(
        contacts.c.citizen_id == citizen_id, contacts.c.channel == channel))).first()


async def put_unconfirmed(session: AsyncSession, citizen_id: str, channel: str, address: str, at: datetime) -> None:
    """The citizen's address on this channel, new and unconfirmed (a new address, or one they
    unsubscribed and now give again, needs their confirmation again)."""
    values = {"address": address, "confirmed_at": None, "disabled_reason": None, "disabled_at": None, "created_at": at}
    await session.execute(insert(contacts).values(citizen_id=citizen_id, channel=channel, **values)
                          .on_conflict_do_update(index_elements=["citizen_id", "channel"], set_=values))


async def confirm(session: AsyncSession, citizen_id: str, channel: str, address: str, at: datetime):
    """Set confirmed_at if this is still the contact's address (kept as it was if already set);
    returns the contact, or None when the address is no longer theirs."""
    await session.execute(update(contacts).where(
        contacts.c.citizen_id == citizen_id, contacts.c.channel == channel, contacts.c.address == address,
        contacts.c.confirmed_at.is_(None)).values(confirmed_at=at))
    found = await contact(session, citizen_id, channel)
    return found if found is not None and found.address == address else None


async def disable(session: AsyncSession, citizen_id: str, channel: str, address: str, reason: str, at: datetime):
    """Disable the contact if it still has this address (kept as it was if already disabled), and
    give up what is still pending to it; returns the contact, or None when the address is no
    longer theirs."""
    found = await contact(session, citizen_id, channel)
    if found is None or found.address != address:
        return None
    if found.disabled_reason is None:
        await session.execute(update(contacts).where(contacts.c.citizen_id == citizen_id, contacts.c.channel == channel)
                              .values(disabled_reason=reason, disabled_at=at))
    await session.execute(update(deliveries).where(
        deliveries.c.recipient == citizen_id, deliveries.c.channel == channel, deliveries.c.status == "pending")
        .values(status="failed", last_error=reason))
    return await contact(session, citizen_id, channel)


async def remove_contact(session: AsyncSession, citizen_id: str, channel: str) -> bool:
    await session.execute(update(deliveries).where(
        deliveries.c.recipient == citizen_id, deliveries.c.channel == channel, deliveries.c.status == "pending")
        .values(status="failed", last_error="the citizen removed the address"))
    gone = await session.execute(delete(contacts).where(contacts.c.citizen_id == citizen_id, contacts.c.channel == channel)
                                 .returning(contacts.c.citizen_id))
    return gone.first() is not None


async def confirmations_since(session: AsyncSession, citizen_id: str, kind: str, since: datetime) -> int:
    return (await session.execute(select(func.count()).select_from(deliveries).where(and_(
        deliveries.c.recipient == citizen_id, deliveries.c.kind == kind, deliveries.c.created_at >= since)))).scalar_one()


# -- everything about one citizen --------------------------------------------------------------


async def held_about(session: AsyncSession, citizen_id: str) -> dict[str, list[dict]]:
    """Every row of this citizen: their contacts and devices, what they follow (requests, places,
    alerts), the outages they were told of, what was sent to them."""
    mine = {
        "contacts": select(contacts.c.channel, contacts.c.address, contacts.c.confirmed_at, contacts.c.disabled_reason,
                           contacts.c.disabled_at, contacts.c.created_at)
        .where(contacts.c.citizen_id == citizen_id).order_by(contacts.c.channel),
        "subscriptions": select(subscriptions.c.request_id, subscriptions.c.role, subscriptions.c.at,
                                subscriptions.c.opted_out_at)
        .where(subscriptions.c.citizen_id == citizen_id).order_by(subscriptions.c.at, subscriptions.c.request_id),
        "deliveries": select(deliveries.c.id, deliveries.c.kind, deliveries.c.channel, deliveries.c.address,
                             deliveries.c.context, deliveries.c.status, deliveries.c.attempts, deliveries.c.message_id,
                             deliveries.c.last_error, deliveries.c.created_at, deliveries.c.sent_at)
        .where(deliveries.c.recipient == citizen_id).order_by(deliveries.c.created_at, deliveries.c.id),
        "push_subscriptions": select(push_subscriptions.c.id, push_subscriptions.c.endpoint,
                                     push_subscriptions.c.created_at, push_subscriptions.c.disabled_reason,
                                     push_subscriptions.c.disabled_at)
        .where(push_subscriptions.c.citizen_id == citizen_id).order_by(push_subscriptions.c.created_at),
        "places": select(places.c.id, places.c.address, places.c.lat, places.c.long, places.c.created_at)
        .where(places.c.citizen_id == citizen_id).order_by(places.c.created_at, places.c.id),
        "outages_told": select(outage_audience.c.outage_key, outage_audience.c.told_at)
        .where(outage_audience.c.citizen_id == citizen_id).order_by(outage_audience.c.told_at),
        "local_alerts": select(local_alerts.c.id, local_alerts.c.lat, local_alerts.c.long, local_alerts.c.radius_m,
                               local_alerts.c.categories, local_alerts.c.digest, local_alerts.c.created_at)
        .where(local_alerts.c.citizen_id == citizen_id).order_by(local_alerts.c.created_at, local_alerts.c.id),
        "alert_matches": select(alert_matches.c.request_id, alert_matches.c.service_code, alert_matches.c.submitted_at,
                                alert_matches.c.digested_on)
        .where(alert_matches.c.citizen_id == citizen_id).order_by(alert_matches.c.submitted_at),
    }
    held = {name: [dict(r._mapping) for r in await session.execute(query)] for name, query in mine.items()}
    for row in held["deliveries"]:
        row["context"] = json.loads(row["context"])
    return held


async def erase(session: AsyncSession, citizen_id: str) -> dict[str, int]:
    """Delete every row of this citizen; how many of each."""
    erased = {}
    for name, table, column in (("contacts", contacts, contacts.c.citizen_id),
                                ("subscriptions", subscriptions, subscriptions.c.citizen_id),
                                ("deliveries", deliveries, deliveries.c.recipient),
                                ("push_subscriptions", push_subscriptions, push_subscriptions.c.citizen_id),
                                ("places", places, places.c.citizen_id),
                                ("outages_told", outage_audience, outage_audience.c.citizen_id),
                                ("local_alerts", local_alerts, local_alerts.c.citizen_id),
                                ("alert_matches", alert_matches, alert_matches.c.citizen_id)):
        erased[name] = len((await session.execute(delete(table).where(column == citizen_id).returning(column))).all())
    return erased
