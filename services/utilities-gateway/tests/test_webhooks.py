"""Webhooks to a real local receiver: signatures checked by the `standardwebhooks` library,
retries through 500 / timeout / 429 Retry-After, 410 disables, rotation, redelivery, restarts;
and the pull inbox."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from standardwebhooks import Webhook

from ecity_cli.testing import Answer, publish, serving, submitted, until, webhook_receiver
from ecity_common.events import CloudEvent, spec_of
from ecity_common.events.payloads.citizen_requests import CitizenRequestSubmitted
from utilities_gateway.adapters.tables import webhook_endpoints

from .conftest import FAST_WEBHOOKS, WATER


async def _endpoint(gateway, url: str, **extra) -> dict:
    created = await gateway.post("/integrations/v1/webhook-endpoints", headers=WATER, json={"url": url, **extra})
    assert created.status_code == 201, created.text
    return created.json()


async def _deliveries(gateway, endpoint_id: str) -> list[dict]:
    return (await gateway.get(f"/integrations/v1/webhook-endpoints/{endpoint_id}/deliveries", headers=WATER)).json()["deliveries"]


def _attempts_so_far() -> dict[str, float]:
    from utilities_gateway.adapters.webhook_dispatcher import ATTEMPTS

    return {r: ATTEMPTS.labels(r)._value.get() for r in ("2xx", "4xx", "5xx", "no_answer")}


async def test_a_flaky_receiver_gets_the_message_signed_the_same_id_every_retry(gateway):
    before = _attempts_so_far()
    async with webhook_receiver() as receiver:
        endpoint = await _endpoint(gateway, receiver.url, description="CRM")
        secret = endpoint["secret"]
        assert secret.startswith("whsec_") and "secret" not in (await gateway.get(
            f"/integrations/v1/webhook-endpoints/{endpoint['id']}", headers=WATER)).json()
        async with gateway.app.state.engine.connect() as conn:  # sealed at rest, not the secret itself
            stored = await conn.scalar(select(webhook_endpoints.c.secret).where(webhook_endpoints.c.id == endpoint["id"]))
        assert stored.startswith("sealed:v1:") and secret.removeprefix("whsec_") not in stored
        receiver.answer_next(Answer(500), Answer(204, delay_s=2.0), Answer(429, {"Retry-After": "1"}), Answer(204))
        sent = (await gateway.post(f"/integrations/v1/webhook-endpoints/{endpoint['id']}/test", headers=WATER)).json()

        async def done():
            found = await _deliveries(gateway, endpoint["id"])
            return found if found and found[0]["status"] == "succeeded" else None

        delivery = (await until(done))[0]
        assert [a["status_code"] for a in delivery["attempts"]] == [500, None, 429, 204]
        assert "within 1 s" in delivery["attempts"][1]["error"] and "HTTP 500" in delivery["attempts"][0]["error"]
        assert len(receiver.received) == 4
        assert {r.headers["webhook-id"] for r in receiver.received} == {sent["message_id"]}
        for r in receiver.received:
            body = Webhook(secret).verify(r.body, r.headers)  # the independent implementation agrees
            assert body["type"] == "endpoint.test" and body["data"]["endpoint_id"] == endpoint["id"]
        # Retry-After: 1 was honoured although the schedule said 0.3 s.
        assert receiver.received[3].at - receiver.received[2].at >= 0.95
    # What the IT department sees of it (the alert EcityWebhookFailures reads these).
    after = _attempts_so_far()
    assert {r: after[r] - before[r] for r in after} == {"2xx": 1, "4xx": 1, "5xx": 1, "no_answer": 1}
    page = (await gateway.get("/metrics")).text
    assert 'ecity_webhook_attempts_total{result="2xx"}' in page and "ecity_webhook_attempt_duration_seconds_bucket" in page


async def test_410_disables_the_endpoint_and_its_messages_wait_until_it_is_enabled(gateway):
    async with webhook_receiver() as receiver:
        endpoint = await _endpoint(gateway, receiver.url)
        path = f"/integrations/v1/webhook-endpoints/{endpoint['id']}"
        receiver.answer_next(Answer(410))
        await gateway.post(f"{path}/test", headers=WATER)

        async def disabled():
            return not (await gateway.get(path, headers=WATER)).json()["enabled"]

        await until(disabled)
        assert "410" in (await gateway.get(path, headers=WATER)).json()["disabled_reason"]
        assert [d["status"] for d in await _deliveries(gateway, endpoint["id"])] == ["failed"]
        await gateway.post(f"{path}/test", headers=WATER)
        await asyncio.sleep(0.6)
        assert len(receiver.received) == 1  # nothing is sent to a disabled endpoint
        assert (await gateway.patch(path, headers=WATER, json={"enabled": True})).json()["enabled"]

        async def delivered():
            return [d["status"] for d in await _deliveries(gateway, endpoint["id"])] == ["succeeded", "failed"]

        await until(delivered)
        assert len(receiver.received) == 2


async def test_during_a_secret_rotation_both_secrets_verify_and_redelivery_resends(gateway):
    async with webhook_receiver() as receiver:
        endpoint = await _endpoint(gateway, receiver.url, event_types=["endpoint.test"])
        path = f"/integrations/v1/webhook-endpoints/{endpoint['id']}"
        rotated = (await gateway.post(f"{path}/rotate-secret", headers=WATER)).json()
        assert rotated["secret"] != endpoint["secret"] and rotated["secret_rotating_until"] is not None
        await gateway.post(f"{path}/test", headers=WATER)
        await until(lambda: asyncio.sleep(0, result=len(receiver.received) == 1))
        first = receiver.received[0]
        assert len(first.headers["webhook-signature"].split(" ")) == 2
        for secret in (endpoint["secret"], rotated["secret"]):
            Webhook(secret).verify(first.body, first.headers)

        delivery = (await _deliveries(gateway, endpoint["id"]))[0]
        again = await gateway.post(f"{path}/deliveries/{delivery['id']}/redeliver", headers=WATER)
        assert again.status_code == 202
        await until(lambda: asyncio.sleep(0, result=len(receiver.received) == 2))
        assert receiver.received[1].headers["webhook-id"] == first.headers["webhook-id"]
        assert (await gateway.post(f"{path}/deliveries/999999/redeliver", headers=WATER)).status_code == 404


async def test_a_delivery_pending_when_the_gateway_stops_is_sent_by_the_next_one(services):
    settings = {**FAST_WEBHOOKS, "webhook_retry_schedule_s": (0, 2.0, 0.3)}
    async with webhook_receiver() as receiver:
        async with serving(services, "utilities-gateway", **settings) as first:
            endpoint = await _endpoint(first, receiver.url)
            receiver.answer_next(Answer(503))
            await first.post(f"/integrations/v1/webhook-endpoints/{endpoint['id']}/test", headers=WATER)
            await until(lambda: asyncio.sleep(0, result=len(receiver.received) == 1))
        # The gateway is gone with its retry pending in the database; a new one (same database) sends it.
        async with serving(services, "utilities-gateway", **settings) as second:

            async def succeeded():
                found = (await _deliveries(second, endpoint["id"]))[0]
                return found if found["status"] == "succeeded" else None

            delivery = await until(succeeded)
            assert [a["status_code"] for a in delivery["attempts"]] == [503, 204]
        assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]


async def test_unsafe_endpoint_urls_are_refused_with_the_field(services):
    async with serving(services, "utilities-gateway") as strict:  # the production defaults
        for url, reason in (("http://crm.example.com/hook", "https"), ("https://127.0.0.1:9/hook", "loopback"),
                            ("https://169.254.169.254/latest", "link-local"), ("https://10.1.1.1/h", "private")):
            answer = await strict.post("/integrations/v1/webhook-endpoints", headers=WATER, json={"url": url})
            assert answer.status_code == 422 and answer.json()["errors"] == [{"field": "url", "message": answer.json()["detail"]}]
            assert reason in answer.json()["detail"]
        unknown = await strict.post("/integrations/v1/webhook-endpoints", headers=WATER,
                                    json={"url": "https://8.8.8.8/h", "event_types": ["request.exploded"]})
        assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "event_types"


async def test_the_pull_inbox_keeps_messages_until_acknowledged(gateway):
    endpoint = await _endpoint(gateway, "http://127.0.0.1:9/unused")
    await gateway.patch(f"/integrations/v1/webhook-endpoints/{endpoint['id']}", headers=WATER, json={"enabled": False})
    for _ in range(3):
        await gateway.post(f"/integrations/v1/webhook-endpoints/{endpoint['id']}/test", headers=WATER)
    page = (await gateway.get("/integrations/v1/inbox", headers=WATER, params={"limit": 2})).json()
    assert len(page["messages"]) == 2 and page["has_more"] and page["messages"][0]["type"] == "endpoint.test"
    rest = (await gateway.get("/integrations/v1/inbox", headers=WATER, params={"cursor": page["next_cursor"]})).json()
    assert len(rest["messages"]) == 1 and not rest["has_more"]
    ids = [m["id"] for m in page["messages"]]
    acked = (await gateway.post("/integrations/v1/inbox/ack", headers=WATER, json={"ids": [*ids, "msg_nope"]})).json()
    assert acked == {"acknowledged": 2, "unknown_or_already_acknowledged": ["msg_nope"]}
    left = (await gateway.get("/integrations/v1/inbox", headers=WATER)).json()["messages"]
    assert [m["id"] for m in left] == [rest["messages"][0]["id"]]
    # Another company's key cannot acknowledge (or see) them.
    other = {"X-API-Key": "ugw_gas00001_local-development-only-key"}
    assert (await gateway.get("/integrations/v1/inbox", headers=other)).json()["messages"] == []
    assert (await gateway.post("/integrations/v1/inbox/ack", headers=other, json={"ids": [left[0]["id"]]})).json()["acknowledged"] == 0


async def test_housekeeping_drops_old_finished_work_and_keeps_what_is_pending(gateway):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import func, update

    from utilities_gateway.adapters.tables import audit_log, company_messages, deliveries
    from utilities_gateway.use_cases.housekeeping import sweep

    async with webhook_receiver() as receiver:
        endpoint = await _endpoint(gateway, receiver.url)
        path = f"/integrations/v1/webhook-endpoints/{endpoint['id']}"
        await gateway.post(f"{path}/test", headers=WATER)
        await until(lambda: asyncio.sleep(0, result=len(receiver.received) == 1))

        async def finished():
            found = await _deliveries(gateway, endpoint["id"])
            return found if found and found[0]["status"] == "succeeded" else None

        await until(finished)
    await gateway.patch(path, headers=WATER, json={"enabled": False})
    await gateway.post(f"{path}/test", headers=WATER)  # stays pending: its endpoint is disabled
    engine = gateway.app.state.engine
    async with engine.begin() as conn:  # both happened long ago
        long_ago = datetime.now(UTC) - timedelta(days=400)
        await conn.execute(update(company_messages).values(created_at=long_ago))
        await conn.execute(update(deliveries).where(deliveries.c.status == "succeeded").values(finished_at=long_ago))
        await conn.execute(update(audit_log).values(at=long_ago))
    removed = await sweep(gateway.app.state.sessions, gateway.settings)
    assert removed["deliveries"] == 1 and removed["messages"] >= 1 and removed["audit_log"] >= 1
    async with engine.connect() as conn:
        left = (await conn.execute(select(deliveries.c.status))).scalars().all()
        messages = await conn.scalar(select(func.count()).select_from(company_messages))
    assert left == ["pending"] and messages == 1  # the pending one and its message stay


async def test_a_target_that_turned_private_is_refused_when_connecting(services):
    """An endpoint saved while its name was public, whose name now points inside: the dispatcher's
    connection refuses it (the receiver here is on loopback), records why, and retries later."""
    from sqlalchemy import insert

    from utilities_gateway.adapters.sealed import SecretBox
    from utilities_gateway.domain.webhooks import new_secret

    async with webhook_receiver() as receiver:
        async with serving(services, "utilities-gateway", webhook_allow_http=True,
                           webhook_retry_schedule_s=(0, 5.0), webhook_poll_interval_s=0.1) as strict:
            box = SecretBox(strict.settings.webhook_secrets_key.get_secret_value())
            async with strict.app.state.engine.begin() as conn:
                await conn.execute(insert(webhook_endpoints).values(
                    id="ep_rebound", company_id="co-water-demo", url=receiver.url, secret=box.seal(new_secret())))
            await strict.post("/integrations/v1/webhook-endpoints/ep_rebound/test", headers=WATER)

            async def attempted():
                found = await _deliveries(strict, "ep_rebound")
                return found if found and found[0]["attempts"] else None

            delivery = (await until(attempted))[0]
            assert delivery["status"] == "pending" and "refused target" in delivery["attempts"][0]["error"]
            assert "loopback" in delivery["attempts"][0]["error"] and receiver.received == []


async def test_the_inbox_never_passes_a_message_whose_transaction_commits_late(gateway):
    """Transaction A takes the next sequence number and is slow to commit; B takes a later one and
    commits first. A reader must not be handed a cursor past A's message."""
    from utilities_gateway.adapters.notices import tell_company

    async with gateway.app.state.sessions() as slow:
        await slow.begin()
        await tell_company(slow, "co-water-demo", "endpoint.test", {"which": "slow"})  # A: not committed yet
        async with gateway.app.state.sessions() as quick, quick.begin():
            await tell_company(quick, "co-water-demo", "endpoint.test", {"which": "quick"})  # B: committed
        page = (await gateway.get("/integrations/v1/inbox", headers=WATER)).json()
        assert page["messages"] == []  # B waits: A, older, is still running
        await slow.commit()
    page = (await gateway.get("/integrations/v1/inbox", headers=WATER, params={"cursor": page["next_cursor"]})).json()
    assert [m["data"]["which"] for m in page["messages"]] == ["slow", "quick"]


async def test_a_slow_company_endpoint_does_not_hold_up_another_companys(gateway):
    gas = {"X-API-Key": "ugw_gas00001_local-development-only-key"}
    async with webhook_receiver() as slow, webhook_receiver() as fast:
        slow.answer_next(*[Answer(204, delay_s=3.0)] * 12)  # each attempt runs into the 1 s limit
        slow_endpoint = await _endpoint(gateway, slow.url)
        fast_endpoint = (await gateway.post("/integrations/v1/webhook-endpoints", headers=gas,
                                            json={"url": fast.url})).json()
        for _ in range(12):
            await gateway.post(f"/integrations/v1/webhook-endpoints/{slow_endpoint['id']}/test", headers=WATER)
        sent = asyncio.get_running_loop().time()
        await gateway.post(f"/integrations/v1/webhook-endpoints/{fast_endpoint['id']}/test", headers=gas)
        await until(lambda: asyncio.sleep(0, result=len(fast.received) == 1), timeout_s=10)
        # Delivered while the slow endpoint's twelve were still timing out, four at a time (they
        # take three seconds at least; waiting for them, as a whole-batch dispatcher did, would too).
        assert asyncio.get_running_loop().time() - sent < 2.0


async def test_a_routed_request_rings_the_dispatcher_instead_of_waiting_for_its_poll(services):
    # A poll every ten minutes: only the doorbell (NOTIFY at the delivery's commit) sends it now.
    async with serving(services, "utilities-gateway", "integrations-admin", subject="integrator-olena",
                       **{**FAST_WEBHOOKS, "webhook_poll_interval_s": 600}) as gateway, webhook_receiver() as receiver:
        await _endpoint(gateway, receiver.url, event_types=["request.routed"])
        await asyncio.sleep(1.0)  # the dispatcher's first round is over: it waits for the bell or the poll
        filed = submitted()
        await publish(gateway.settings.kafka_bootstrap_servers, gateway.settings.topic("ecity.citizen-requests.v1"),
                      CloudEvent(source="/ecity/citizen-requests", type=spec_of(CitizenRequestSubmitted).type,
                                 subject=filed.request_id, data=filed.model_dump(mode="json")))
        await until(lambda: asyncio.sleep(0, any(b'"request.routed"' in r.body for r in receiver.received)), timeout_s=60)
