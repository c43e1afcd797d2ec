"""A moderator's decisions as notifications follows them (citizen-requests' request.moderated), on
the real broker and database: what is still owed about a hidden comment is not sent; a request
hidden from the public leaves "what is known at this place" until it is shown again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from ecity_cli.testing import publish, serving, until
from ecity_common.events import CloudEvent, spec_of
from ecity_common.events.payloads.citizen_requests import CitizenRequestModerated, CitizenRequestSubmitted
from notifications.adapters.tables import deliveries, messaging
from notifications.domain.schedule import KYIV
from notifications.use_cases.request_news import WITHDRAWN

from .test_delivery import commented, rows, seed, status_changed

SOURCE = "/ecity/citizen-requests"


def moderated(request_id: str, target: str, action: str, *, target_id: str | None = None,
              comment_event_id: str | None = None) -> CloudEvent:
    payload = CitizenRequestModerated(decision_id="1", request_id=request_id, target=target,
                                      target_id=target_id or request_id, action=action,
                                      comment_event_id=comment_event_id, decided_at=datetime.now(UTC))
    return CloudEvent(source=SOURCE, type=spec_of(CitizenRequestModerated).type, subject=request_id,
                      data=payload.model_dump(mode="json"))


async def read_all(client, event: CloudEvent) -> None:
    inbox = messaging.inbox
    await until(lambda: rows(client, inbox, inbox.c.event_id == event.id))


async def test_a_hidden_comments_messages_not_yet_sent_are_withdrawn(services, mailbox):
    # Quiet hours around now: what is owed waits (pending) until they end.
    now_kyiv = datetime.now(KYIV)
    begin, end = (now_kyiv - timedelta(hours=1)).strftime("%H:%M"), (now_kyiv + timedelta(hours=2)).strftime("%H:%M")
    async with serving(services, "notifications", smtp_port=mailbox.port, dispatch_interval_s=0.2,
                       quiet_hours_begin=begin, quiet_hours_end=end) as client:
        now = datetime.now(UTC)
        await seed(client, contacts_rows=[
            {"citizen_id": "reporter-m", "channel": "email", "address": "m@example.org", "confirmed_at": now},
        ], subscription_rows=[{"request_id": "req-m", "citizen_id": "reporter-m", "role": "reporter"}])
        comment, change = commented("req-m", "Бригада буде завтра", by_staff=True), status_changed("req-m")
        topic = client.settings.topic("ecity.citizen-requests.v1")
        await publish(client.settings.kafka_bootstrap_servers, topic, comment, change)
        await read_all(client, change)
        owed = {d.event_id: d for d in await rows(client, deliveries)}
        assert {d.status for d in owed.values()} == {"pending"} and len(owed) == 2

        hide = moderated("req-m", "comment", "hidden", target_id="17", comment_event_id=comment.id)
        await publish(client.settings.kafka_bootstrap_servers, topic, hide, hide)  # redelivered: the same
        await read_all(client, hide)
        after = {d.event_id: d for d in await rows(client, deliveries)}
        assert (after[f"{SOURCE}#{comment.id}"].status, after[f"{SOURCE}#{comment.id}"].last_error) == ("failed", WITHDRAWN)
        assert after[f"{SOURCE}#{change.id}"].status == "pending"  # the status news is not the comment's
        await asyncio.sleep(0.5)
        assert mailbox.received == []


async def test_a_hidden_request_leaves_what_is_known_at_a_place_until_shown(services, mailbox):
    async with serving(services, "notifications", smtp_port=mailbox.port) as client:
        filed = CloudEvent(source=SOURCE, type=spec_of(CitizenRequestSubmitted).type, subject="req-spam",
                           data=CitizenRequestSubmitted(
                               request_id="req-spam", service_code="pothole", handler_kind="department",
                               department="roads", description="Яма", location={"lat": 50.9081, "long": 34.8001},
                               submitted_at=datetime.now(UTC), citizen_id="c-spam").model_dump(mode="json"))
        topic = client.settings.topic("ecity.citizen-requests.v1")

        async def nearby() -> list[str]:
            known = (await client.get("/api/v1/public/at", params={"lat": 50.908, "long": 34.80})).json()
            return [r["service_request_id"] for r in known["requests_nearby"]]

        await publish(client.settings.kafka_bootstrap_servers, topic, filed)
        await read_all(client, filed)
        assert await nearby() == ["req-spam"]
        hidden = moderated("req-spam", "request", "hidden")
        await publish(client.settings.kafka_bootstrap_servers, topic, hidden)
        await read_all(client, hidden)
        assert await nearby() == []
        shown = moderated("req-spam", "request", "shown")
        await publish(client.settings.kafka_bootstrap_servers, topic, shown)
        await read_all(client, shown)
        assert await nearby() == ["req-spam"]
