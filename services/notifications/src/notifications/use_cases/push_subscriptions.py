"""A citizen's devices for Web Push: kept, listed and forgotten at the citizen's word only."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.refusals import Conflict, NotFound
from notifications.adapters import push_subscriptions
from notifications.domain.phrases import Phrase
from notifications.domain.push import DEVICES_PER_CITIZEN, push_address


async def register(session: AsyncSession, citizen_id: str, *, endpoint: str, p256dh: str, auth: str,
                   local: bool) -> dict:
    address = push_address(endpoint, p256dh, auth, local=local)
    async with session.begin():
        if await push_subscriptions.known(session, address.endpoint) != citizen_id \
                and await push_subscriptions.count_of(session, citizen_id) >= DEVICES_PER_CITIZEN:
            raise Conflict(Phrase("too-many-devices", most=DEVICES_PER_CITIZEN))
        return await push_subscriptions.register(session, uuid.uuid4().hex, citizen_id, address)


async def devices_of(session: AsyncSession, citizen_id: str) -> list[dict]:
    return await push_subscriptions.of_citizen(session, citizen_id)


async def forget(session: AsyncSession, citizen_id: str, subscription_id: str) -> None:
    """Remove one of the citizen's devices; another citizen's is not found (its id tells nothing)."""
    async with session.begin():
        if not await push_subscriptions.remove(session, citizen_id, subscription_id):
            raise NotFound("push subscription", subscription_id)
