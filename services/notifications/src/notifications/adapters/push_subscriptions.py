"""The citizens' push subscriptions (their devices) as SQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.adapters.tables import push_subscriptions as table
from notifications.domain.push import PushAddress

SHOWN = (table.c.id, table.c.endpoint, table.c.created_at, table.c.disabled_reason, table.c.disabled_at)


async def register(session: AsyncSession, subscription_id: str, citizen_id: str, address: PushAddress) -> dict:
    """Keep this device for this citizen. An endpoint already known (the browser subscribed again,
    or another citizen now signs in on it) keeps its id and moves to this citizen with the new keys,
    enabled again: the browser just proved it is live."""
    row = await session.execute(
        insert(table).values(id=subscription_id, citizen_id=citizen_id, endpoint=address.endpoint,
                             p256dh=address.p256dh, auth=address.auth)
        .on_conflict_do_update(index_elements=[table.c.endpoint], set_={
            "citizen_id": citizen_id, "p256dh": address.p256dh, "auth": address.auth,
            "disabled_reason": None, "disabled_at": None})
        .returning(*SHOWN))
    return dict(row.one()._mapping)


async def count_of(session: AsyncSession, citizen_id: str) -> int:
    return (await session.execute(select(func.count()).where(table.c.citizen_id == citizen_id))).scalar_one()


async def known(session: AsyncSession, endpoint: str) -> str | None:
    """Whose this endpoint is, if anyone's."""
    return (await session.execute(select(table.c.citizen_id).where(table.c.endpoint == endpoint))).scalar_one_or_none()


async def of_citizen(session: AsyncSession, citizen_id: str) -> list[dict]:
    rows = await session.execute(select(*SHOWN).where(table.c.citizen_id == citizen_id).order_by(table.c.created_at, table.c.id))
    return [dict(r._mapping) for r in rows]


async def remove(session: AsyncSession, citizen_id: str, subscription_id: str) -> bool:
    gone = await session.execute(delete(table).where(table.c.id == subscription_id, table.c.citizen_id == citizen_id)
                                 .returning(table.c.id))
    return gone.first() is not None


async def usable(session: AsyncSession, citizen_ids: list[str]) -> dict[str, list[str]]:
    """The enabled devices of these citizens: citizen id → subscription ids."""
    if not citizen_ids:
        return {}
    rows = await session.execute(select(table.c.citizen_id, table.c.id).where(
        table.c.citizen_id.in_(citizen_ids), table.c.disabled_reason.is_(None)).order_by(table.c.id))
    devices: dict[str, list[str]] = {}
    for r in rows:
        devices.setdefault(r.citizen_id, []).append(r.id)
    return devices


async def load_many(session: AsyncSession, subscription_ids: list[str]) -> dict[str, dict]:
    rows = await session.execute(select(table).where(table.c.id.in_(subscription_ids)))
    return {r.id: dict(r._mapping) for r in rows}


async def load(session: AsyncSession, subscription_id: str) -> dict | None:
    row = (await session.execute(select(table).where(table.c.id == subscription_id))).first()
    return dict(row._mapping) if row else None


async def disable(session: AsyncSession, subscription_id: str, reason: str, at: datetime) -> None:
    await session.execute(update(table).where(table.c.id == subscription_id, table.c.disabled_reason.is_(None))
                          .values(disabled_reason=reason, disabled_at=at))
