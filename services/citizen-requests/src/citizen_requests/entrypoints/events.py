"""Kafka event handlers of citizen-requests: parse, call a use case."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.use_cases import company_reports as utilities
from citizen_requests.use_cases import staff as handling
from ecity_common.events import CloudEvent
from ecity_common.events.payloads.network_registry import NetworkOutageDetected, NetworkOutageResolved
from ecity_common.events.payloads.utilities_gateway import (
    RequestAcceptedByCompany,
    RequestRoutingFailed,
    RequestStatusChangedByCompany,
    UtilityOutageReported,
    UtilityOutageResolved,
    UtilityOutageUpdated,
)
from ecity_common.messaging.consumer import Handler
from ecity_common.messaging.outbox import Outbox


def make_handlers(outbox: Outbox) -> dict[str, Handler]:
    async def on_outage_detected(session: AsyncSession, event: CloudEvent, outage: NetworkOutageDetected) -> None:
        await handling.open_network_incidents(session, outage)

    async def on_outage_resolved(session: AsyncSession, event: CloudEvent, resolved: NetworkOutageResolved) -> None:
        await handling.close_network_incidents(session, outbox, resolved.outage_id)

    async def on_company_accepted(session: AsyncSession, event: CloudEvent, accepted: RequestAcceptedByCompany) -> None:
        await utilities.company_accepted(session, outbox, accepted)

    async def on_company_reported(session: AsyncSession, event: CloudEvent, report: RequestStatusChangedByCompany) -> None:
        await utilities.company_reported(session, outbox, report)

    async def on_routing_failed(session: AsyncSession, event: CloudEvent, failed: RequestRoutingFailed) -> None:
        await utilities.routing_failed(session, failed)

    async def on_utility_outage(session: AsyncSession, event: CloudEvent,
                                outage: UtilityOutageReported | UtilityOutageUpdated) -> None:
        await utilities.outage_known(session, outage)

    async def on_utility_outage_resolved(session: AsyncSession, event: CloudEvent, resolved: UtilityOutageResolved) -> None:
        await utilities.outage_resolved(session, resolved)

    gateway = "ua.sumy.ecity.utilities-gateway"
    return {
        "ua.sumy.ecity.network-registry.outage.detected.v1": on_outage_detected,
        "ua.sumy.ecity.network-registry.outage.resolved.v1": on_outage_resolved,
        f"{gateway}.request.accepted.v1": on_company_accepted,
        f"{gateway}.request.status-changed.v1": on_company_reported,
        f"{gateway}.request.routing-failed.v1": on_routing_failed,
        f"{gateway}.outage.reported.v1": on_utility_outage,
        f"{gateway}.outage.updated.v1": on_utility_outage,
        f"{gateway}.outage.resolved.v1": on_utility_outage_resolved,
    }
