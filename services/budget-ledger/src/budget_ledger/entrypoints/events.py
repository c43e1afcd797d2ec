"""Kafka event handlers of the budget ledger: parse, call one use case. Keyed by the payload
classes' event types, so a renamed type cannot leave a handler behind."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.use_cases import network_assets
from ecity_common.events import CloudEvent
from ecity_common.events.catalogue import spec_of
from ecity_common.events.payloads.network_registry import NetworkAssetCommissioned
from ecity_common.messaging.consumer import BatchHandler, Handler
from ecity_common.messaging.outbox import Outbox


def make_handlers(outbox: Outbox) -> dict[str, Handler]:
    async def on_assets_commissioned(session: AsyncSession, events: list[tuple[CloudEvent, NetworkAssetCommissioned]]) -> None:
        await network_assets.propose_commissioned(session, outbox, events)

    return {spec_of(NetworkAssetCommissioned).type: BatchHandler(on_assets_commissioned)}
