"""Who reports and who follows a request, told to notifications (issue 17): request.submitted names
its reporter, the subscribe route publishes request.subscribed and request.unsubscribed in the
same transaction as its row, on the real broker and database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from citizen_requests.adapters.tables import messaging, subscriptions
from ecity_cli.testing import bearer, read_topic, serving, until
from ecity_common.events import CloudEvent, spec_of
from ecity_common.events.payloads.citizen_requests import (
    CitizenRequestSubmitted,
    CitizenRequestSubscribed,
    CitizenRequestUnsubscribed,
)

HOLE = {"service_code": "pothole", "attributes": {"size": "medium"}, "description": "Яма", "lat": 50.9, "long": 34.8}


@pytest.fixture
async def app_client(services):
    async with serving(services, "citizen-requests") as client:
        yield client


async def test_the_reporter_and_each_follow_and_unfollow_are_published_once(app_client):
    client = app_client
    reporter, follower = bearer(client.settings, "citizen-41", "citizen"), bearer(client.settings, "citizen-42", "citizen")
    rid = (await client.post("/api/v1/requests", headers=reporter, json=HOLE)).json()["service_request_id"]
    for _ in range(2):  # the second follow changes nothing and says nothing
        assert (await client.post(f"/api/v1/requests/{rid}/subscribe", headers=follower)).status_code == 204
    for _ in range(2):
        assert (await client.delete(f"/api/v1/requests/{rid}/subscribe", headers=follower)).status_code == 204
    assert (await client.post("/api/v1/requests/nope/subscribe", headers=follower)).status_code == 404
    assert (await client.delete(f"/api/v1/requests/{rid}/subscribe")).status_code == 401

    async def outbox():
        async with client.app.state.engine.connect() as conn:
            return (await conn.execute(select(messaging.outbox.c.type).order_by(messaging.outbox.c.id))).scalars().all()
    types = [spec_of(m).type for m in (CitizenRequestSubmitted, CitizenRequestSubscribed, CitizenRequestUnsubscribed)]
    assert await outbox() == types
    records = await read_topic(client.settings.kafka_bootstrap_servers, client.settings.topic("ecity.citizen-requests.v1"), 3)
    events = [CloudEvent.from_kafka(r.headers, r.value) for r in records]
    assert [e.type for e in events] == types and {r.key for r in records} == {rid.encode()}
    filed, follows, stops = events
    assert filed.data["citizen_id"] == "citizen-41"
    assert follows.data["citizen_id"] == stops.data["citizen_id"] == "citizen-42"
    assert follows.data["role"] == "follower" and follows.data["request_id"] == rid
    async with client.app.state.engine.connect() as conn:
        assert (await conn.execute(select(subscriptions))).all() == []


async def test_a_request_the_public_does_not_see_cannot_be_followed(app_client):
    """The route stays here because this service knows what a citizen may see: an incident of the
    IT department (channel "network") is published nowhere, so it is not found."""
    client = app_client
    reporter, stranger = bearer(client.settings, "citizen-43", "citizen"), bearer(client.settings, "citizen-44", "citizen")
    rid = (await client.post("/api/v1/requests", headers=reporter, json=HOLE)).json()["service_request_id"]
    async with client.app.state.engine.begin() as conn:
        await conn.exec_driver_sql("UPDATE citizen_requests SET channel = 'network' WHERE id = $1", (rid,))
    assert (await client.post(f"/api/v1/requests/{rid}/subscribe", headers=stranger)).status_code == 404
    assert (await client.post(f"/api/v1/requests/{rid}/subscribe", headers=reporter)).status_code == 204  # their own
    await until(lambda: read_topic(client.settings.kafka_bootstrap_servers,
                                   client.settings.topic("ecity.citizen-requests.v1"), 2))
