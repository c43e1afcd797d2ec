"""Kafka event handlers of citizen-requests: parse, call a use case."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests import handling
from ecity_common.events import CloudEvent
from ecity_common.events.payloads.network_registry import NetworkOutageDetected, NetworkOutageResolved
from ecity_common.messaging.consumer import Handler
from ecity_common.messaging.outbox import Outbox


def make_handlers(outbox: Outbox) -> dict[str, Handler]:
    async def on_outage_detected(session: AsyncSession, event: CloudEvent, outage: NetworkOutageDetected) -> None:
        await handling.open_network_incidents(session, outage)

    async def on_outage_resolved(session: AsyncSession, event: CloudEvent, resolved: NetworkOutageResolved) -> None:
        await handling.close_network_incidents(session, outbox, resolved.outage_id)

    return {
        "ua.sumy.ecity.network-registry.outage.detected.v1": on_outage_detected,
        "ua.sumy.ecity.network-registry.outage.resolved.v1": on_outage_resolved,
    }
