"""Issue 17's "done when", across three service processes on the real Kafka and PostgreSQL: a
citizen gives notifications an e-mail address and confirms it by the link mailed to them (a real
SMTP exchange), registers a browser's push subscription and follows a place; then a request they
file in citizen-requests changes status, and a utility company registered through
utilities-gateway reports an outage over the place and resolves it. Each of the three is told
once by e-mail and once as a push the push service decrypts, and notifications' own events name
no address."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
from datetime import UTC, datetime, timedelta

import httpx
from aiosmtpd.controller import Controller

from ecity_cli.infra import free_port
from ecity_cli.push_receiver import push_receiver
from ecity_cli.testing import bearer, read_topic, topic_size, until
from ecity_common.events import CloudEvent, spec_of
from ecity_common.events.payloads.notifications import NotificationSent

ADDRESS = "olha.koval@example.org"
PLACE = "вул. Петропавлівська, 12"  # within the company's streets below, and the outage's
COMPANY = {"name": "ТОВ «Сумитеплоенерго-Тест»", "kind": "heating", "edrpou": "32855961",
           "contact_email": "ops@teplo-test.example",
           "area": {"streets": [{"street": "вул. Петропавлівська", "from_house": 1, "to_house": 99}]}}
SETTLE_S = 2.0  # ten dispatcher rounds: a message sent twice would have arrived by then


class Mailbox:
    """aiosmtpd's handler: keeps what the SMTP exchange delivered, parsed."""

    def __init__(self) -> None:
        self.received: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


def started(services, processes, mailbox_port: int):
    """The three services as processes: notifications never quiet, dispatching every 0.2 s, its
    links pointing at itself (the port is only known once the process is made)."""
    citizens = processes(services.process("citizen-requests"))
    gateway = processes(services.process("utilities-gateway"))
    told = services.process("notifications", smtp_port=str(mailbox_port), dispatch_interval_s="0.2",
                            quiet_hours_begin="00:00", quiet_hours_end="00:00")
    told.env["NOTIFICATIONS_PUBLIC_BASE_URL"] = told.url
    return citizens, gateway, processes(told)


async def test_a_citizen_hears_of_their_request_and_an_outage_at_their_place_once_by_mail_and_push(services, processes):
    box = Mailbox()
    smtp = Controller(box, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        async with push_receiver() as receiver, httpx.AsyncClient(timeout=10) as http:
            await _the_whole_story(services, processes, box, receiver, http, smtp.port)
    finally:
        smtp.stop()


async def _the_whole_story(services, processes, box: Mailbox, receiver, http: httpx.AsyncClient, smtp_port: int) -> None:
    citizens, gateway, notifications = started(services, processes, smtp_port)
    await asyncio.gather(*(asyncio.to_thread(p.wait_ready) for p in (citizens, gateway, notifications)))
    olha_here = bearer(services.settings("notifications"), "citizen-olha", "citizen")
    olha_there = bearer(services.settings("citizen-requests"), "citizen-olha", "citizen")
    operator = bearer(services.settings("citizen-requests"), "dispatcher-1", "operator")
    staff = bearer(services.settings("utilities-gateway"), "ops-1", "integrations-admin")
    n = notifications.url

    async def mails(count: int) -> list:
        await until(lambda: asyncio.sleep(0, len(box.received) >= count))
        return box.received

    async def pushes(count: int) -> list[dict]:
        await until(lambda: asyncio.sleep(0, len(receiver.received) >= count))
        return receiver.received

    # 1. The address, and the link that confirms it, through a real SMTP exchange.
    given = await http.put(f"{n}/api/v1/me/contacts/email", headers=olha_here, json={"address": ADDRESS})
    assert given.status_code == 202, given.text
    [confirmation] = await mails(1)
    assert confirmation["To"] == ADDRESS
    [link] = re.findall(r"http://\S+/api/v1/contacts/confirm\?token=\S+", confirmation.get_body(("plain",)).get_content())
    followed = await http.get(link)
    assert followed.status_code == 200 and followed.json()["confirmed"] is True, followed.text

    # 2. A browser's subscription, made with the service's application server key.
    key = (await http.get(f"{n}/api/v1/push/vapid-public-key")).json()["application_server_key"]
    device = receiver.device(application_server_key=key)
    kept = await http.post(f"{n}/api/v1/me/push-subscriptions", headers=olha_here, json=device.subscription())
    assert kept.status_code in (200, 201), kept.text

    # 3. A place in the heating company's area.
    place = await http.post(f"{n}/api/v1/me/places", headers=olha_here, json={"address": PLACE})
    assert place.status_code == 201, place.text

    # 4. A request filed in citizen-requests (a department's category: no company routes it, so
    # nothing but the operator moves it); notifications learns its reporter from request.submitted.
    filed = await http.post(f"{citizens.url}/api/v1/requests", headers=olha_there, json={
        "service_code": "pothole", "description": "Яма на переході", "lat": 50.9105, "long": 34.8010,
        "address": "вул. Петропавлівська, 3", "attributes": {"size": "medium"}})
    assert filed.status_code == 201, filed.text
    rid = filed.json()["service_request_id"]

    async def reporter_known():
        held = (await http.get(f"{n}/api/v1/me/data", headers=olha_here)).json()
        return [s for s in held["subscriptions"] if s["request_id"] == rid and s["role"] == "reporter"]

    await until(reporter_known)

    # 5. The operator accepts it with a public note: one e-mail, one push, naming the new status.
    moved = await http.post(f"{citizens.url}/api/v1/requests/{rid}/status", headers=operator,
                            json={"status": "accepted", "note": "Передано дорожній службі", "public": True})
    assert moved.status_code == 200, moved.text
    news = (await mails(2))[1]
    [on_device] = await pushes(1)
    assert news["To"] == ADDRESS and news["Subject"] == f"Звернення {rid}: прийнято"
    assert "Передано дорожній службі" in news.get_body(("plain",)).get_content()
    assert on_device["title"] == f"Звернення {rid}: прийнято" and "Передано дорожній службі" in on_device["body"]
    assert on_device["tag"] == f"request-{rid}"

    # 6. The city registers the company with its area and issues its key; the company reports an
    # outage over the place.
    company = await http.post(f"{gateway.url}/api/v1/companies", headers=staff, json=COMPANY)
    assert company.status_code == 201, company.text
    issued = await http.post(f"{gateway.url}/api/v1/companies/{company.json()['id']}/api-keys", headers=staff,
                             json={"label": "диспетчерська"})
    assert issued.status_code == 201, issued.text
    company_key = {"Authorization": f"Bearer {issued.json()['api_key']}"}
    ends = (datetime.now(UTC) + timedelta(hours=5)).replace(microsecond=0)
    reported = await http.post(f"{gateway.url}/integrations/v1/outages", headers=company_key, json={
        "planned": False, "area": {"streets": [{"street": "вул. Петропавлівська", "from_house": 10, "to_house": 20}]},
        "starts_at": (datetime.now(UTC) - timedelta(minutes=10)).isoformat(), "expected_end": ends.isoformat(),
        "cause": "Пошкодження тепломережі"})
    assert reported.status_code == 201, reported.text
    outage_id = reported.json()["id"]
    began = (await mails(3))[2]
    began_on_device = (await pushes(2))[1]
    assert began["To"] == ADDRESS and began["Subject"] == f"Аварійне відключення (теплопостачання): {PLACE}"
    assert "ТОВ «Сумитеплоенерго-Тест»" in began.get_body(("plain",)).get_content()
    assert began_on_device["title"] == began["Subject"]
    known = (await http.get(f"{n}/api/v1/public/at", params={"address": PLACE})).json()
    [there] = known["outages"]
    assert there["provider"] == "ТОВ «Сумитеплоенерго-Тест»" and there["going_on"] is True
    assert datetime.fromisoformat(there["expected_end"]) == ends

    # 7. It is over: one more of each, and no longer known at the place.
    resolved = await http.post(f"{gateway.url}/integrations/v1/outages/{outage_id}/resolve", headers=company_key,
                               json={"note": "Тепло подано"})
    assert resolved.status_code == 200, resolved.text
    ended = (await mails(4))[3]
    ended_on_device = (await pushes(3))[2]
    assert ended["Subject"] == f"Відновлено теплопостачання: {PLACE}" and ended_on_device["title"] == ended["Subject"]
    assert (await http.get(f"{n}/api/v1/public/at", params={"address": PLACE})).json()["outages"] == []

    # Once each: nothing more arrives, and every message has its own Message-ID.
    await asyncio.sleep(SETTLE_S)
    assert len(box.received) == 4 and len(receiver.received) == 3 and receiver.refused == []
    assert len({m["Message-ID"] for m in box.received}) == 4

    # notifications told each send on its topic, and never whom it was sent to.
    topic = f"{services.topic_prefix}ecity.notifications.v1"
    records = await read_topic(services.infra.bootstrap_servers, topic, 7)
    assert await topic_size(services.infra.bootstrap_servers, topic) == 7
    said = [CloudEvent.from_kafka(r.headers, r.value) for r in records]
    assert {e.type for e in said} == {spec_of(NotificationSent).type}
    assert sorted(e.data["channel"] for e in said) == ["email"] * 4 + ["push"] * 3
    assert len({e.data["delivery_id"] for e in said}) == 7
    assert not any("@" in r.value.decode() or "@" in str(r.headers) for r in records)
