"""Kafka event handlers of citizen-requests: each calls one use case, keyed by the type of the
payload it takes (as the event catalogue declares it)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.use_cases import company_reports, network_incidents, utility_outages
from ecity_common.events import CloudEvent
from ecity_common.events.catalogue import spec_of
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
        await network_incidents.open_network_incidents(session, outage)

    async def on_outage_resolved(session: AsyncSession, event: CloudEvent, resolved: NetworkOutageResolved) -> None:
        await network_incidents.close_network_incidents(session, outbox, resolved.outage_id)

    async def on_company_accepted(session: AsyncSession, event: CloudEvent, accepted: RequestAcceptedByCompany) -> None:
        await company_reports.company_accepted(session, outbox, accepted)

    async def on_company_reported(session: AsyncSession, event: CloudEvent, report: RequestStatusChangedByCompany) -> None:
        await company_reports.company_reported(session, outbox, report)

    async def on_routing_failed(session: AsyncSession, event: CloudEvent, failed: RequestRoutingFailed) -> None:
        await company_reports.routing_failed(session, failed)

    async def on_utility_outage(session: AsyncSession, event: CloudEvent,
                                outage: UtilityOutageReported | UtilityOutageUpdated) -> None:
        await utility_outages.outage_known(session, outage)

    async def on_utility_outage_resolved(session: AsyncSession, event: CloudEvent, resolved: UtilityOutageResolved) -> None:
        await utility_outages.outage_resolved(session, resolved)

    return {
        spec_of(NetworkOutageDetected).type: on_outage_detected,
        spec_of(NetworkOutageResolved).type: on_outage_resolved,
        spec_of(RequestAcceptedByCompany).type: on_company_accepted,
        spec_of(RequestStatusChangedByCompany).type: on_company_reported,
        spec_of(RequestRoutingFailed).type: on_routing_failed,
        spec_of(UtilityOutageReported).type: on_utility_outage,
        spec_of(UtilityOutageUpdated).type: on_utility_outage,
        spec_of(UtilityOutageResolved).type: on_utility_outage_resolved,
    }
