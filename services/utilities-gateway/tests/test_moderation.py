"""A moderator's decision about a routed request's description (citizen-requests' request.moderated)
changes what the company sees: its API, the messages it has not read yet, and a message saying so.
On the real broker and database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from ecity_cli.testing import publish
from ecity_common.events import CloudEvent, spec_of
from ecity_common.events.payloads.citizen_requests import CitizenRequestModerated
from utilities_gateway.adapters.tables import messaging

from .conftest import WATER
from .test_routing import submitted, wait_routed


def moderated(request_id: str, target: str, action: str, public_text: str | None = None) -> CloudEvent:
    payload = CitizenRequestModerated(decision_id="7", request_id=request_id, target=target, target_id=request_id,
                                      action=action, public_text=public_text, decided_at=datetime.now(UTC))
    return CloudEvent(source="/ecity/citizen-requests", type=spec_of(CitizenRequestModerated).type,
                      subject=request_id, data=payload.model_dump(mode="json"))


async def read(gateway, event: CloudEvent) -> None:
    inbox = messaging.inbox
    async with asyncio.timeout(30):
        while True:
            async with gateway.app.state.engine.connect() as conn:
                if (await conn.execute(select(inbox.c.event_id).where(inbox.c.event_id == event.id))).first():
                    return
            await asyncio.sleep(0.1)


async def test_a_redacted_then_hidden_description_is_what_the_company_sees(gateway):
    leak = submitted("water_leak", "water", lat=50.9077, long=34.7981, address="вул. Соборна, 1")
    rid = leak.subject
    topic = gateway.settings.topic("ecity.citizen-requests.v1")
    await publish(gateway.settings.kafka_bootstrap_servers, topic, leak)
    await wait_routed(gateway, 1)

    # A published description and a comment's decision change nothing for the company.
    unchanged = [moderated(rid, "description", "published"), moderated(rid, "comment", "hidden"),
                 moderated(rid, "request", "hidden")]
    redacted = moderated(rid, "description", "redacted", "Тече труба в підвалі")
    await publish(gateway.settings.kafka_bootstrap_servers, topic, *unchanged, redacted)
    await read(gateway, redacted)
    mine = (await gateway.get(f"/integrations/v1/requests/{rid}", headers=WATER)).json()
    assert mine["description"] == "Тече труба в підвалі"
    messages = (await gateway.get("/integrations/v1/inbox", headers=WATER)).json()["messages"]
    assert [m["type"] for m in messages] == ["request.routed", "request.description-changed"]
    # The routing, not read yet, no longer carries the old text.
    assert messages[0]["data"]["description"] == "Тече труба в підвалі"
    assert messages[1]["data"] == {"request_id": rid, "description": "Тече труба в підвалі", "moderation": "redacted",
                                   "changed_at": messages[1]["data"]["changed_at"]}
    acked = await gateway.post("/integrations/v1/inbox/ack", headers=WATER, json={"ids": [m["id"] for m in messages]})
    assert acked.json()["acknowledged"] == 2

    hidden = moderated(rid, "description", "hidden")
    await publish(gateway.settings.kafka_bootstrap_servers, topic, hidden)
    await read(gateway, hidden)
    assert (await gateway.get(f"/integrations/v1/requests/{rid}", headers=WATER)).json()["description"] == ""
    (news,) = (await gateway.get("/integrations/v1/inbox", headers=WATER)).json()["messages"]
    assert news["type"] == "request.description-changed" and news["data"]["description"] == ""
    assert news["data"]["moderation"] == "hidden"
