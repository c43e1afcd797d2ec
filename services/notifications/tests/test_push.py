"""Web Push from a request's status change to a device, proven: the service in-process on the real
broker and database, a real push service on this machine (`ecity_cli.push_receiver`) that checks
the VAPID JWT and decrypts the RFC 8291 payload with the device's own keys."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import insert, select

from ecity_cli.push_receiver import VapidRefused, check_vapid, push_receiver
from ecity_cli.testing import bearer, publish, serving, until
from ecity_common.events import CloudEvent, spec_of
from ecity_common.events.payloads.citizen_requests import CitizenRequestStatusChanged
from ecity_common.refusals import Invalid
from notifications.adapters.push import VapidKey, encrypt
from notifications.adapters.tables import deliveries, messaging, push_subscriptions, subscriptions
from notifications.domain.push import push_address

ME = "/api/v1/me/push-subscriptions"


@pytest.fixture
async def receiver():
    async with push_receiver() as push_service:
        yield push_service


@pytest.fixture
async def notifications(services):
    async with serving(services, "notifications", "citizen", subject="citizen-1", dispatch_interval_s=0.2,
                       quiet_hours_begin="00:00", quiet_hours_end="00:00") as client:  # never quiet
        yield client


def status_changed(request_id: str) -> CloudEvent:
    payload = CitizenRequestStatusChanged(
        request_id=request_id, service_code="water_leak", from_status="assigned", to_status="in_progress",
        open311_status="open", public_note="Бригада виїхала", changed_at=datetime.now(UTC))
    return CloudEvent(source="/ecity/citizen-requests", type=spec_of(CitizenRequestStatusChanged).type,
                      subject=request_id, data=payload.model_dump(mode="json"))


async def follows(client, request_id: str, citizen_id: str) -> None:
    async with client.app.state.engine.begin() as conn:
        await conn.execute(insert(subscriptions).values(request_id=request_id, citizen_id=citizen_id, role="reporter"))


async def rows(client, table, *where):
    async with client.app.state.engine.connect() as conn:
        return (await conn.execute(select(table).where(*where))).all()


async def subscribe(client, receiver, **headers):
    """A browser's `pushManager.subscribe` with the service's key, then its page posting toJSON()."""
    key = (await client.get("/api/v1/push/vapid-public-key")).json()["application_server_key"]
    device = receiver.device(application_server_key=key)
    kept = await client.post(ME, json=device.subscription(), headers=headers)
    assert kept.status_code == 201, kept.text
    return device, kept.json()


async def test_a_status_change_reaches_each_of_a_citizens_devices_once_decrypted_even_when_redelivered(notifications, receiver):
    client = notifications
    phone, _ = await subscribe(client, receiver)
    laptop, _ = await subscribe(client, receiver)
    await follows(client, "req-1", "citizen-1")
    change = status_changed("req-1")
    await publish(client.settings.kafka_bootstrap_servers, client.settings.topic("ecity.citizen-requests.v1"), change, change)

    await until(lambda: asyncio.sleep(0, phone.received and laptop.received))
    await until(lambda: rows(client, messaging.inbox, messaging.inbox.c.event_id == change.id))
    await asyncio.sleep(1.0)  # several dispatcher rounds: a second push would have gone by now

    for device in (phone, laptop):
        assert device.received == [{
            "title": "Звернення req-1: у роботі",
            "body": device.received[0]["body"],
            "url": "https://ecity.sumy.ua/requests/req-1",
            "tag": "request-req-1",
        }]
        body = device.received[0]["body"]
        assert body.startswith("Стан вашого звернення req-1 змінено: у роботі (") and "Коментар: Бригада виїхала" in body
        assert "лист" not in body  # the e-mail's footer is not a notification's
        sent = device.headers[0]
        assert sent["ttl"] == "86400" and sent["urgency"] == "normal" and sent["content-encoding"] == "aes128gcm"
    assert receiver.refused == []
    owed = await rows(client, deliveries)
    assert len(owed) == 2 and {d.channel for d in owed} == {"push"} and {(d.status, d.attempts) for d in owed} == {("sent", 1)}
    assert len({d.message_id for d in owed}) == 2  # one key per device


async def test_a_gone_subscription_is_disabled_with_the_reason_and_not_tried_again(notifications, receiver):
    client = notifications
    device, kept = await subscribe(client, receiver)
    receiver.gone(device)
    await follows(client, "req-9", "citizen-1")
    await publish(client.settings.kafka_bootstrap_servers, client.settings.topic("ecity.citizen-requests.v1"),
                  status_changed("req-9"))

    (failed,) = await until(lambda: rows(client, deliveries, deliveries.c.status == "failed"))
    assert failed.attempts == 1 and "410" in failed.last_error
    (stored,) = await rows(client, push_subscriptions, push_subscriptions.c.id == kept["id"])
    assert "410" in stored.disabled_reason and stored.disabled_at is not None
    listed = (await client.get(ME)).json()
    assert [(d["id"], "410" in d["disabled_reason"]) for d in listed] == [(kept["id"], True)]
    await asyncio.sleep(1.0)
    assert [status for status, _ in receiver.refused] == [410] and device.received == []
    (again,) = await rows(client, deliveries)
    assert again.attempts == 1

    # The next change owes it nothing; subscribing again (the browser made a new one) enables it.
    later = status_changed("req-9")
    await publish(client.settings.kafka_bootstrap_servers, client.settings.topic("ecity.citizen-requests.v1"), later)
    await until(lambda: rows(client, messaging.inbox, messaging.inbox.c.event_id == later.id))
    assert len(await rows(client, deliveries)) == 1
    assert (await client.post(ME, json=device.subscription())).json()["disabled_reason"] is None


async def test_a_busy_push_service_is_tried_again_when_it_says(notifications, receiver):
    client = notifications
    device, _ = await subscribe(client, receiver)
    receiver.answer_next(device, 429, {"Retry-After": "120"})
    await follows(client, "req-5", "citizen-1")
    await publish(client.settings.kafka_bootstrap_servers, client.settings.topic("ecity.citizen-requests.v1"),
                  status_changed("req-5"))

    (waiting,) = await until(lambda: rows(client, deliveries, deliveries.c.attempts == 1))
    assert waiting.status == "pending" and "429" in waiting.last_error
    # Retry-After (120 s), not the first backoff step (30 s).
    assert (waiting.next_attempt_at - datetime.now(UTC)).total_seconds() > 100
    (stored,) = await rows(client, push_subscriptions)
    assert stored.disabled_reason is None  # busy is not gone
    async with client.app.state.engine.begin() as conn:  # the two minutes pass
        await conn.execute(deliveries.update().values(next_attempt_at=datetime.now(UTC)))
    await until(lambda: rows(client, deliveries, deliveries.c.status == "sent"))
    assert len(device.received) == 1 and [s for s, _ in receiver.refused] == [429]


async def test_a_citizen_keeps_lists_and_forgets_only_their_own_devices(notifications, receiver):
    client = notifications
    device, kept = await subscribe(client, receiver)
    again = await client.post(ME, json=device.subscription())  # the browser subscribed again: the same one
    assert again.status_code == 201 and again.json()["id"] == kept["id"]
    other = bearer(client.settings, "citizen-2", "citizen")
    assert (await client.get(ME, headers=other)).json() == []
    assert (await client.delete(f"{ME}/{kept['id']}", headers=other)).status_code == 404
    assert [d["id"] for d in (await client.get(ME)).json()] == [kept["id"]]
    assert (await client.delete(f"{ME}/{kept['id']}")).status_code == 204
    assert (await client.get(ME)).json() == []
    operator = bearer(client.settings, "op-1", "operator")
    assert (await client.get(ME, headers=operator)).status_code == 403
    assert (await client.get(ME, headers={"Authorization": ""})).status_code == 401


async def test_hostile_subscriptions_are_refused_naming_the_field(notifications, receiver):
    client = notifications
    good = receiver.device().subscription()
    keys = good["keys"]
    off_curve = "BA" + "A" * 85  # 65 bytes, 0x04 first, not a point of P-256
    cases = [
        ({**good, "keys": {**keys, "p256dh": off_curve}}, "keys.p256dh"),
        ({**good, "keys": {**keys, "p256dh": keys["p256dh"][:-4]}}, "keys.p256dh"),  # short
        ({**good, "keys": {**keys, "p256dh": "Ag" + keys["p256dh"][2:]}}, "keys.p256dh"),  # not uncompressed
        ({**good, "keys": {**keys, "p256dh": keys["p256dh"][:-1] + "*"}}, "keys.p256dh"),  # not base64url
        ({**good, "keys": {**keys, "p256dh": "A" * 5000}}, "keys.p256dh"),
        ({**good, "keys": {**keys, "auth": keys["auth"] + "AAAA"}}, "keys.auth"),  # 19 bytes
        ({**good, "keys": {**keys, "auth": "../../etc/passwd"}}, "keys.auth"),
        ({**good, "keys": {"p256dh": keys["p256dh"]}}, "keys.auth"),
        ({**good, "endpoint": "ftp://push.example.org/x"}, "endpoint"),
        ({**good, "endpoint": "javascript:alert(1)"}, "endpoint"),
        ({**good, "endpoint": "https://user:pw@push.example.org/x"}, "endpoint"),
        ({**good, "endpoint": "https://push.example.org/" + "x" * 3000}, "endpoint"),
        ({**good, "endpoint": 42}, "endpoint"),
        ({**good, "endpoint": good["endpoint"] + "\u0000\r\nX-Injected: 1"}, "endpoint"),
        ({**good, "expirationTime": 2**70}, "expirationTime"),
        ({"keys": keys}, "endpoint"),
        ({**good, "keys": "nope"}, "keys"),
    ]
    for body, field in cases:
        answer = await client.post(ME, json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in answer.json()["errors"]] == [field], (body, answer.json())
    assert (await client.get(ME)).json() == []


def test_outside_local_mode_only_an_https_push_service_on_the_internet():
    browser = VapidKey.generated()  # any P-256 key pair will do for a browser's
    good = dict(p256dh=browser.public_key, auth="tBHItJI5svbpez7KI4CCXg")
    assert push_address("https://fcm.googleapis.com/fcm/send/abc", **good, local=False).endpoint.startswith("https://")
    for endpoint in ("http://push.example.org/x", "https://127.0.0.1/x", "https://10.0.0.7/x", "https://[::1]/x",
                     "https://localhost/x", "https://kafka.ecity.svc/x", "https://169.254.169.254/latest"):
        with pytest.raises(Invalid) as refused:
            push_address(endpoint, **good, local=False)
        assert refused.value.field == "endpoint", endpoint
    assert push_address("http://127.0.0.1:9/push/x", **good, local=True)


# -- the receiver's own checks: what makes the proof above a proof ---------------------------------

ORIGIN = "http://127.0.0.1:8443"


def test_the_receiver_accepts_only_a_vapid_jwt_signed_by_k_for_itself_unexpired_and_naming_a_sender():
    key, now = VapidKey.generated(), time.time()
    header, _ = key.header(ORIGIN, "mailto:ecity@sumy.ua", now)
    assert check_vapid(header, origin=ORIGIN, now=now, application_server_key=key.public_key)["sub"] == "mailto:ecity@sumy.ua"

    def refused(authorization, **kwargs) -> tuple[int, str]:
        with pytest.raises(VapidRefused) as no:
            check_vapid(authorization, **{"origin": ORIGIN, "now": now, **kwargs})
        return no.value.status, no.value.reason

    assert refused(key.header("https://push.example.org", "mailto:ecity@sumy.ua", now)[0])[0] == 403  # aud
    assert refused(header, now=now + 13 * 3600)[0] == 403  # expired (issued for 12 h)
    assert refused(key.header(ORIGIN, "mailto:ecity@sumy.ua", now + 13 * 3600)[0])[0] == 403  # exp 25 h away
    assert refused(key.header(ORIGIN, "", now)[0]) == (403, "no sub: the sender names no contact")
    other = VapidKey.generated()
    token = header.split("t=", 1)[1].split(",", 1)[0]
    assert refused(f"vapid t={token}, k={other.public_key}")[0] == 401  # signed by another key than k
    assert refused(header, application_server_key=other.public_key)[0] == 403  # not the subscription's key
    assert refused(None)[0] == 401 and refused("Bearer x")[0] == 401 and refused("vapid t=x, k=y")[0] == 401
    tampered = token.rsplit(".", 1)[0] + "." + token.rsplit(".", 1)[1][::-1]
    assert refused(f"vapid t={tampered}, k={key.public_key}")[0] == 401


async def test_the_receiver_decrypts_only_what_was_encrypted_for_the_device(receiver):
    key = VapidKey.generated()
    device, stranger = receiver.device(key.public_key), receiver.device(key.public_key)
    sub = device.subscription()["keys"]
    header = key.header(receiver.origin, "mailto:ecity@sumy.ua", time.time())[0]
    sent = {"Authorization": header, "TTL": "60", "Content-Encoding": "aes128gcm"}
    async with httpx.AsyncClient() as http:
        body = encrypt('{"title":"Привіт"}'.encode(), sub["p256dh"], sub["auth"])
        assert (await http.post(device.endpoint, content=body, headers=sent)).status_code == 201
        assert (await http.post(stranger.endpoint, content=body, headers=sent)).status_code == 400  # not its keys
        broken = body[:-1] + bytes([body[-1] ^ 1])
        assert (await http.post(device.endpoint, content=broken, headers=sent)).status_code == 400
        wrong_aud = {**sent, "Authorization": key.header("http://127.0.0.1:1", "mailto:ecity@sumy.ua", time.time())[0]}
        assert (await http.post(device.endpoint, content=body, headers=wrong_aud)).status_code == 403
        expired = {**sent, "Authorization": key.header(receiver.origin, "mailto:ecity@sumy.ua", time.time() - 13 * 3600)[0]}
        assert (await http.post(device.endpoint, content=body, headers=expired)).status_code == 403
    assert device.received == [{"title": "Привіт"}] and stranger.received == []
    assert [status for status, _ in receiver.refused] == [400, 400, 403, 403]
