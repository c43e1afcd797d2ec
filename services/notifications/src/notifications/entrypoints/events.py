"""Kafka event handlers of notifications, keyed by the payload classes' event types."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.events import CloudEvent, spec_of
from ecity_common.events.payloads.citizen_requests import (
    CitizenRequestCommented,
    CitizenRequestStatusChanged,
    CitizenRequestSubmitted,
    CitizenRequestSubscribed,
    CitizenRequestUnsubscribed,
)
from ecity_common.events.payloads.network_registry import NetworkOutageDetected, NetworkOutageResolved
from ecity_common.events.payloads.utilities_gateway import (
    UtilityOutageReported,
    UtilityOutageResolved,
    UtilityOutageUpdated,
)
from ecity_common.messaging.consumer import BatchHandler, Handler
from notifications.domain.schedule import QuietHours, RateLimit
from notifications.settings import Settings
from notifications.use_cases import nearby, outage_news, request_news, subscriptions
from notifications.use_cases.owing import Writing


def make_handlers(settings: Settings) -> dict[str, Handler]:
    writing = Writing(settings.message_id_domain,
                      QuietHours(settings.quiet_hours_begin, settings.quiet_hours_end),
                      RateLimit(settings.messages_per_hour))

    # Who follows what: the reporter of a filed request, followers who subscribe or stop; a filed
    # request with a point is also on the map nearby and may meet local alerts.
    async def on_submitted(session: AsyncSession, event: CloudEvent, filed: CitizenRequestSubmitted) -> None:
        await subscriptions.submitted(session, filed)
        await nearby.request_submitted(session, event, filed, writing)

    async def on_subscribed(session: AsyncSession, event: CloudEvent, follows: CitizenRequestSubscribed) -> None:
        await subscriptions.subscribed(session, follows)

    async def on_unsubscribed(session: AsyncSession, event: CloudEvent, stops: CitizenRequestUnsubscribed) -> None:
        await subscriptions.unsubscribed(session, stops)

    # Status changes come at the operators' pace, and each is read by every follower: a run of them
    # is handled at once (the followers, addresses and devices read once, the deliveries written together).
    async def on_status_changes(session: AsyncSession, changes: list[tuple[CloudEvent, CitizenRequestStatusChanged]]) -> None:
        await request_news.status_changes(session, changes, writing)
        await nearby.requests_status_changed(session, [change for _, change in changes])

    async def on_commented(session: AsyncSession, event: CloudEvent, commented: CitizenRequestCommented) -> None:
        await request_news.comment(session, event, commented, writing)

    async def on_utility_outage(session: AsyncSession, event: CloudEvent,
                                outage: UtilityOutageReported | UtilityOutageUpdated) -> None:
        await outage_news.utility_outage(session, event, outage, writing)

    async def on_utility_outage_resolved(session: AsyncSession, event: CloudEvent, resolved: UtilityOutageResolved) -> None:
        await outage_news.utility_outage_resolved(session, event, resolved, writing)

    async def on_network_outage(session: AsyncSession, event: CloudEvent, outage: NetworkOutageDetected) -> None:
        await outage_news.network_outage(session, event, outage, writing)

    async def on_network_outage_resolved(session: AsyncSession, event: CloudEvent, resolved: NetworkOutageResolved) -> None:
        await outage_news.network_outage_resolved(session, event, resolved, writing)

    return {
        spec_of(CitizenRequestSubmitted).type: on_submitted,
        spec_of(CitizenRequestSubscribed).type: on_subscribed,
        spec_of(CitizenRequestUnsubscribed).type: on_unsubscribed,
        spec_of(CitizenRequestStatusChanged).type: BatchHandler(on_status_changes),
        spec_of(CitizenRequestCommented).type: on_commented,
        spec_of(UtilityOutageReported).type: on_utility_outage,
        spec_of(UtilityOutageUpdated).type: on_utility_outage,
        spec_of(UtilityOutageResolved).type: on_utility_outage_resolved,
        spec_of(NetworkOutageDetected).type: on_network_outage,
        spec_of(NetworkOutageResolved).type: on_network_outage_resolved,
    }
