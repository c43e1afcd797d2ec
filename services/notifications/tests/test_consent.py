"""Contacts with consent, one-click unsubscribe and the citizen's data, against the real broker,
database and an SMTP server (aiosmtpd): the service in-process, the mails through a real SMTP
exchange, the links followed as a citizen's browser and mail client would."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from ecity_cli.testing import bearer, publish, serving, until
from ecity_common.events import CloudEvent, spec_of
from ecity_common.events.payloads.citizen_requests import (
    CitizenRequestStatusChanged,
    CitizenRequestSubmitted,
    CitizenRequestSubscribed,
    CitizenRequestUnsubscribed,
)
from notifications.adapters.email import EmailChannel
from notifications.adapters.tables import contacts, deliveries, subscriptions
from notifications.domain.channels import Outgoing
from notifications.domain.links import Links
from notifications.main import links_of

ONE_CLICK = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def notifications(services, mailbox):
    async with serving(services, "notifications", smtp_port=mailbox.port, dispatch_interval_s=0.2,
                       quiet_hours_begin="00:00", quiet_hours_end="00:00",  # never quiet
                       public_base_url="https://ecity.sumy.ua/notifications") as client:
        yield client


def event(payload) -> CloudEvent:
    return CloudEvent(source="/ecity/citizen-requests", type=spec_of(type(payload)).type,
                      subject=payload.request_id, data=payload.model_dump(mode="json"))


def filed(request_id: str, citizen_id: str | None) -> CloudEvent:
    return event(CitizenRequestSubmitted(request_id=request_id, service_code="water_leak", handler_kind="utility",
                                         utility_kind="water", submitted_at=datetime.now(UTC), citizen_id=citizen_id))


def follows(request_id: str, citizen_id: str) -> CloudEvent:
    return event(CitizenRequestSubscribed(request_id=request_id, citizen_id=citizen_id, at=datetime.now(UTC)))


def changed(request_id: str, to_status: str = "in_progress") -> CloudEvent:
    return event(CitizenRequestStatusChanged(
        request_id=request_id, service_code="water_leak", from_status="assigned", to_status=to_status,
        open311_status="open", public_note="Бригада виїхала", changed_at=datetime.now(UTC)))


async def send(client, *events) -> None:
    await publish(client.settings.kafka_bootstrap_servers, client.settings.topic("ecity.citizen-requests.v1"), *events)


async def rows(client, table, *where):
    async with client.app.state.engine.connect() as conn:
        return (await conn.execute(select(table).where(*where))).all()


def as_citizen(client, citizen_id: str) -> dict[str, str]:
    return bearer(client.settings, citizen_id, "citizen")


def local(url: str) -> str:
    """A link of a mail as the in-process client reaches it: its path and query under the public base."""
    parts = urlsplit(url)
    assert url.startswith("https://ecity.sumy.ua/notifications/api/v1/")
    return parts.path.removeprefix("/notifications") + "?" + parts.query


def mails_to(mailbox, address: str) -> list:
    return [m for m in mailbox.received if m["To"] == address]


def link_in(mail) -> str:
    return re.search(r"https://\S+/api/v1/contacts/confirm\?token=\S+", mail.get_body(("plain",)).get_content()).group(0)


async def test_a_reporter_confirms_by_the_mailed_link_hears_of_the_change_and_unsubscribes_in_one_click(notifications, mailbox):
    client = notifications
    reporter, follower = as_citizen(client, "citizen-r"), as_citizen(client, "citizen-f")
    given = await client.put("/api/v1/me/contacts/email", headers=reporter, json={"address": "reporter@Example.ORG"})
    assert given.status_code == 202 and given.json()["confirmed"] is False
    assert given.json()["address"] == "reporter@example.org"  # the domain as kept: lower case
    # The follower gives an address and never confirms it.
    assert (await client.put("/api/v1/me/contacts/email", headers=follower,
                             json={"address": "follower@example.org"})).status_code == 202
    await send(client, filed("req-c1", "citizen-r"), follows("req-c1", "citizen-f"))

    await until(lambda: asyncio.sleep(0, len(mailbox.received) >= 2))
    (confirmation,) = mails_to(mailbox, "reporter@example.org")
    assert confirmation["Subject"] == "Підтвердіть адресу для сповіщень Сумського e-City"
    # Every mail, the confirmation too, can be unsubscribed from in one click (RFC 8058), and the
    # URL crosses the wire on one line, not as encoded-words a mail client cannot follow.
    assert confirmation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert all(b"List-Unsubscribe: <https://ecity.sumy.ua/notifications/api/v1/unsubscribe?token=" in raw
               and b"=?" not in raw.split(b"List-Unsubscribe: ")[1].split(b"\n")[0] for raw in mailbox.raw)

    opened = await client.get(local(link_in(confirmation)), headers={"accept": "text/html"})
    assert opened.status_code == 200 and "підтверджено" in opened.text
    again = await client.get(local(link_in(confirmation)))  # a second click changes nothing
    assert again.status_code == 200 and again.json()["confirmed"] is True
    (contact,) = await rows(client, contacts, contacts.c.citizen_id == "citizen-r")
    assert contact.confirmed_at is not None and contact.disabled_reason is None

    # Both are subscribed by the events (the reporter from request.submitted): the change reaches
    # the confirmed reporter only; the unconfirmed follower's address is owed nothing.
    await until(lambda: rows(client, subscriptions, subscriptions.c.request_id == "req-c1",
                             subscriptions.c.citizen_id == "citizen-f"))
    assert {(s.citizen_id, s.role) for s in await rows(client, subscriptions)} == {
        ("citizen-r", "reporter"), ("citizen-f", "follower")}
    await send(client, changed("req-c1"))
    news = (await until(lambda: asyncio.sleep(0, [m for m in mailbox.received if m["Subject"].startswith("Звернення")])))[0]
    await asyncio.sleep(1.0)  # several dispatcher rounds: a mail to the follower would have gone by now
    assert news["To"] == "reporter@example.org" and len(mails_to(mailbox, "follower@example.org")) == 1

    # One click in the mail client: the address is disabled, and the next change is owed nowhere.
    unsubscribe = local(news["List-Unsubscribe"].strip("<>"))
    shown = await client.get(unsubscribe)  # a link scanner's GET unsubscribes nobody
    assert shown.status_code == 200 and shown.json()["address"] == "reporter@example.org"
    assert (await rows(client, contacts, contacts.c.citizen_id == "citizen-r"))[0].disabled_reason is None
    clicked = await client.post(unsubscribe, headers=ONE_CLICK, content="List-Unsubscribe=One-Click")
    assert clicked.status_code == 200 and clicked.json()["disabled_reason"] == "unsubscribed"
    (contact,) = await rows(client, contacts, contacts.c.citizen_id == "citizen-r")
    assert contact.disabled_reason == "unsubscribed" and contact.disabled_at is not None
    await send(client, changed("req-c1", "resolved"), filed("req-sentinel", "citizen-x"))
    await until(lambda: rows(client, subscriptions, subscriptions.c.request_id == "req-sentinel"))
    assert len(await rows(client, deliveries, deliveries.c.kind == "request_news")) == 1


async def test_a_forged_expired_or_misused_token_is_refused_naming_query_token(notifications):
    client = notifications
    await client.put("/api/v1/me/contacts/email", headers=as_citizen(client, "citizen-t"), json={"address": "t@example.org"})
    links, now = client.app.state.links, datetime.now(UTC)
    confirm_token = links.confirmation_url("citizen-t", "t@example.org", now).split("token=")[1]
    body, _, mac = confirm_token.partition(".")
    other_key = Links("another-key-of-at-least-32-characters!", links.base_url, confirm_for=timedelta(hours=1),
                      unsubscribe_for=timedelta(days=1))
    expired = Links(client.settings.link_signing_key.get_secret_value(), links.base_url,
                    confirm_for=timedelta(seconds=-1), unsubscribe_for=timedelta(seconds=-1))
    cases = {
        "forged: signed with another key": other_key.confirmation_url("citizen-t", "t@example.org", now).split("token=")[1],
        "tampered: another citizen's id under the old signature": body[:-2] + "AA." + mac,
        "expired": expired.confirmation_url("citizen-t", "t@example.org", now).split("token=")[1],
        "no signature": body,
        "not a token": "%00%ff",
    }
    for why, token in cases.items():
        answer = await client.get(f"/api/v1/contacts/confirm?token={token}")
        assert answer.status_code == 422, why
        assert answer.headers["content-type"].startswith("application/problem+json"), why
        assert [e["field"] for e in answer.json()["errors"]] == ["query.token"], why
    # A confirmation link does not unsubscribe, nor an unsubscribe link confirm.
    unsubscribe_token = links.unsubscribe_url("citizen-t", "email", "t@example.org", now).split("token=")[1]
    assert (await client.post(f"/api/v1/unsubscribe?token={confirm_token}", headers=ONE_CLICK,
                              content="List-Unsubscribe=One-Click")).json()["errors"][0]["field"] == "query.token"
    assert (await client.get(f"/api/v1/contacts/confirm?token={unsubscribe_token}")).json()["errors"][0]["field"] == "query.token"
    assert (await client.get("/api/v1/contacts/confirm")).json()["errors"][0]["field"] == "query.token"
    # The one-click POST needs its body (RFC 8058); anything else unsubscribes nobody.
    for content in ("", "List-Unsubscribe=Two-Clicks", "List-Unsubscribe=One-Click&List-Unsubscribe=One-Click", "\xff"):
        refused = await client.post(f"/api/v1/unsubscribe?token={unsubscribe_token}", headers=ONE_CLICK, content=content)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "List-Unsubscribe", content
    (contact,) = await rows(client, contacts, contacts.c.citizen_id == "citizen-t")
    assert contact.confirmed_at is None and contact.disabled_reason is None
    # A link to an address the citizen has since replaced does not confirm the new one.
    await client.put("/api/v1/me/contacts/email", headers=as_citizen(client, "citizen-t"), json={"address": "new@example.org"})
    outdated = await client.get(f"/api/v1/contacts/confirm?token={confirm_token}")
    assert outdated.status_code == 409 and outdated.json()["errors"][0]["field"] == "query.token"
    assert (await rows(client, contacts, contacts.c.citizen_id == "citizen-t"))[0].confirmed_at is None
    # multipart/form-data is what RFC 8058 allows as well.
    multipart = await client.post(f"/api/v1/unsubscribe?token={unsubscribe_token}",
                                  files={"List-Unsubscribe": (None, "One-Click")})
    assert multipart.status_code == 200  # the link's address is no longer theirs: nothing to disable
    assert (await rows(client, contacts, contacts.c.citizen_id == "citizen-t"))[0].disabled_reason is None


async def test_hostile_bodies_and_paths_are_refused_naming_the_field(notifications):
    client = notifications
    citizen = as_citizen(client, "citizen-h")
    for body, field in (
        ({"address": "a@example.org\r\nBcc: all@example.org"}, "address"),  # a second header
        ({"address": "Іван <a@example.org>"}, "address"),  # a display name
        ({"address": "a@example.org, b@example.org"}, "address"),  # a second recipient
        ({"address": "a@localhost"}, "address"),
        ({"address": "@example.org"}, "address"),
        ({"address": "a@exa mple.org"}, "address"),
        ({"address": "a" * 250 + "@example.org"}, "address"),
        ({"address": 5}, "address"),
        ({"address": "a\x00@example.org"}, "address"),
        ({}, "address"),
    ):
        answer = await client.put("/api/v1/me/contacts/email", headers=citizen, json=body)
        assert answer.status_code == 422, body
        assert [e["field"] for e in answer.json()["errors"]] == [field], body
    assert (await client.put("/api/v1/me/contacts/email", headers=citizen, content=b"{")).status_code == 422
    refused = await client.post("/api/v1/me/subscriptions/r%00x/opt-out", headers=citizen)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "path.request_id"
    assert (await client.post("/api/v1/me/subscriptions/nobody-follows/opt-out", headers=citizen)).status_code == 404
    assert await rows(client, contacts) == [] and await rows(client, deliveries) == []
    # Only a citizen gives addresses and reads their data.
    assert (await client.put("/api/v1/me/contacts/email", json={"address": "a@example.org"})).status_code == 401
    assert (await client.get("/api/v1/me/data", headers=bearer(client.settings, "op-1", "operator"))).status_code == 403


async def test_too_many_confirmation_mails_are_refused(services, mailbox):
    async with serving(services, "notifications", smtp_port=mailbox.port, confirmations_per_hour=2) as client:
        citizen = as_citizen(client, "citizen-m")
        for n in range(2):
            assert (await client.put("/api/v1/me/contacts/email", headers=citizen,
                                     json={"address": f"victim{n}@example.org"})).status_code == 202
        refused = await client.put("/api/v1/me/contacts/email", headers=citizen, json={"address": "victim@example.org"})
        assert refused.status_code == 429 and "Retry-After" in refused.headers


async def test_opt_out_unfollow_my_data_and_its_erasure(notifications, mailbox):
    client = notifications
    me, other = as_citizen(client, "citizen-d"), as_citizen(client, "citizen-o")
    for who, address in ((me, "d@example.org"), (other, "o@example.org")):
        await client.put("/api/v1/me/contacts/email", headers=who, json={"address": address})
    await until(lambda: asyncio.sleep(0, len(mailbox.received) >= 2))
    for mail in mailbox.received:
        assert (await client.get(local(link_in(mail)))).json()["confirmed"] is True
    await send(client, filed("req-d1", "citizen-d"), follows("req-d1", "citizen-o"), filed("req-d2", "citizen-o"),
               follows("req-d2", "citizen-d"))
    await until(lambda: rows(client, subscriptions, subscriptions.c.request_id == "req-d2",
                             subscriptions.c.citizen_id == "citizen-d"))

    # Opted out of req-d1 (their own) and back in to nothing else: its change reaches the other only.
    assert (await client.post("/api/v1/me/subscriptions/req-d1/opt-out", headers=me)).status_code == 204
    await send(client, changed("req-d1"))
    await until(lambda: asyncio.sleep(0, mails_to(mailbox, "o@example.org")[1:]))
    await asyncio.sleep(1.0)
    assert len(mails_to(mailbox, "d@example.org")) == 1  # the confirmation alone
    assert (await client.post("/api/v1/me/subscriptions/req-d1/opt-in", headers=me)).status_code == 204
    await send(client, changed("req-d1", "resolved"))
    await until(lambda: asyncio.sleep(0, mails_to(mailbox, "d@example.org")[1:]))

    # The follower of req-d2 stops following (citizen-requests' DELETE .../subscribe): its news
    # reaches the reporter only.
    await send(client, event(CitizenRequestUnsubscribed(request_id="req-d2", citizen_id="citizen-d", at=datetime.now(UTC))),
               filed("req-sentinel", "citizen-x"))
    await until(lambda: rows(client, subscriptions, subscriptions.c.request_id == "req-sentinel"))
    assert {s.citizen_id for s in await rows(client, subscriptions, subscriptions.c.request_id == "req-d2")} == {"citizen-o"}

    # A place and an alert are theirs too.
    assert (await client.post("/api/v1/me/places", headers=me, json={"address": "вул. Соборна, 9"})).status_code == 201
    assert (await client.post("/api/v1/me/alerts", headers=me, json={
        "lat": 50.908, "long": 34.8, "radius_m": 300, "categories": ["pothole"]})).status_code == 201
    assert (await client.post("/api/v1/me/places", headers=other, json={"address": "вул. Соборна, 11"})).status_code == 201

    held = (await client.get("/api/v1/me/data", headers=me)).json()
    assert held["citizen_id"] == "citizen-d"
    assert [p["address"] for p in held["places"]] == ["вул. Соборна, 9"]
    assert [a["radius_m"] for a in held["local_alerts"]] == [300]
    assert [(c["channel"], c["address"]) for c in held["contacts"]] == [("email", "d@example.org")]
    assert [(s["request_id"], s["role"]) for s in held["subscriptions"]] == [("req-d1", "reporter")]
    assert [d["kind"] for d in held["deliveries"]] == ["contact_confirmation", "request_news"]
    assert {d["address"] for d in held["deliveries"]} == {"d@example.org"}
    assert "link" not in held["deliveries"][0]["context"]  # a working token is not handed out again
    assert "citizen-o" not in str(held) and "o@example.org" not in str(held)  # nobody else's data

    erased = await client.delete("/api/v1/me/data", headers=me)
    assert erased.status_code == 200 and erased.json()["erased"] == {
        "contacts": 1, "subscriptions": 1, "deliveries": 2, "push_subscriptions": 0, "places": 1, "outages_told": 0,
        "local_alerts": 1, "alert_matches": 0}
    assert (await client.get("/api/v1/me/data", headers=me)).json() == {
        "citizen_id": "citizen-d", "contacts": [], "subscriptions": [], "deliveries": [], "push_subscriptions": [],
        "places": [], "outages_told": [], "local_alerts": [], "alert_matches": []}
    assert len((await client.get("/api/v1/me/places", headers=other)).json()) == 1  # the other's stay
    for table in (deliveries, contacts):
        assert not [r for r in await rows(client, table) if "d@example.org" in str(r)]
    assert len((await client.get("/api/v1/me/data", headers=other)).json()["deliveries"]) == 3  # the other's stay


async def test_a_deployed_service_signs_links_only_with_its_own_key(services):
    settings = services.settings("notifications", mode="deployed")
    assert any("NOTIFICATIONS_LINK_SIGNING_KEY is the development default" in p for p in settings.unsafe())
    assert any("NOTIFICATIONS_PUBLIC_BASE_URL is not https" in p for p in settings.unsafe())
    own = services.settings("notifications", mode="deployed", link_signing_key="k" * 48,
                            public_base_url="https://ecity.sumy.ua/notifications")
    assert not [p for p in own.unsafe() if "LINK_SIGNING_KEY" in p or "PUBLIC_BASE_URL" in p]
    assert links_of(own).confirmation_url("c", "a@example.org", datetime.now(UTC)).startswith(
        "https://ecity.sumy.ua/notifications/api/v1/contacts/confirm?token=")


def test_a_ukrainian_subject_keeps_its_spaces_when_folded():
    """The default policy folded "для сповіщень" into "длясповіщень": the space went between two
    encoded-words, where readers drop it."""
    channel = EmailChannel("127.0.0.1", 25, "Сумський e-City <no-reply@ecity.sumy.ua>", starttls=False)
    for subject in ("Підтвердіть адресу для сповіщень Сумського e-City",
                    "Звернення 3f1c2a9e-1111-2222-3333-444455556666: не належить до відання виконавця"):
        raw = channel.compose(Outgoing("a@example.org", "<x@example.org>", subject, "текст", "<p>текст</p>")).as_bytes()
        assert email.message_from_bytes(raw, policy=email.policy.default)["Subject"] == subject
