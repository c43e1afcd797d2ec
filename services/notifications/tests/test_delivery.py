"""A request's status change, from Kafka to a real SMTP server, once: the service in-process on the
real broker and database, aiosmtpd receiving on a port of this machine."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from ecity_cli.testing import publish, read_topic, serving, until
from ecity_common.events import CloudEvent, spec_of
from ecity_common.events.payloads.citizen_requests import CitizenRequestCommented, CitizenRequestStatusChanged
from ecity_common.events.payloads.notifications import NotificationFailed, NotificationSent
from notifications.adapters.tables import contacts, deliveries, messaging, subscriptions


@pytest.fixture
async def notifications(services, mailbox):
    async with serving(services, "notifications", smtp_port=mailbox.port, dispatch_interval_s=0.2,
                       quiet_hours_begin="00:00", quiet_hours_end="00:00") as client:  # never quiet
        yield client


def status_changed(request_id: str, note: str | None = "Бригада виїхала") -> CloudEvent:
    payload = CitizenRequestStatusChanged(
        request_id=request_id, service_code="water_leak", from_status="assigned", to_status="in_progress",
        open311_status="open", public_note=note, changed_at=datetime.now(UTC))
    return CloudEvent(source="/ecity/citizen-requests", type=spec_of(CitizenRequestStatusChanged).type,
                      subject=request_id, data=payload.model_dump(mode="json"))


async def seed(client, *, contacts_rows, subscription_rows) -> None:
    async with client.app.state.engine.begin() as conn:
        # Executemany binds every row with the first row's keys: each row names them all.
        await conn.execute(insert(contacts), [{"confirmed_at": None, **r} for r in contacts_rows])
        await conn.execute(insert(subscriptions), [{"opted_out_at": None, **r} for r in subscription_rows])


async def rows(client, table, *where):
    async with client.app.state.engine.connect() as conn:
        return (await conn.execute(select(table).where(*where))).all()


async def test_a_status_change_reaches_reporter_and_follower_once_each_even_when_redelivered(notifications, mailbox):
    client, now = notifications, datetime.now(UTC)
    await seed(client, contacts_rows=[
        {"citizen_id": "reporter-1", "channel": "email", "address": "reporter@example.org", "confirmed_at": now},
        {"citizen_id": "follower-1", "channel": "email", "address": "follower@example.org", "confirmed_at": now},
        # never confirmed: owed nothing
        {"citizen_id": "follower-2", "channel": "email", "address": "unconfirmed@example.org"},
        {"citizen_id": "quiet-1", "channel": "email", "address": "quiet@example.org", "confirmed_at": now},
    ], subscription_rows=[
        {"request_id": "req-1", "citizen_id": "reporter-1", "role": "reporter"},
        {"request_id": "req-1", "citizen_id": "follower-1", "role": "follower"},
        {"request_id": "req-1", "citizen_id": "follower-2", "role": "follower"},
        {"request_id": "req-2", "citizen_id": "quiet-1", "role": "reporter", "opted_out_at": now},
    ])
    change, other = status_changed("req-1"), status_changed("req-2")
    topic = client.settings.topic("ecity.citizen-requests.v1")
    # The same event twice (Kafka's at-least-once), and a change of a request whose reporter opted out.
    await publish(client.settings.kafka_bootstrap_servers, topic, change, change, other)

    await until(lambda: asyncio.sleep(0, len(mailbox.received) >= 2))
    inbox = messaging.inbox
    await until(lambda: rows(client, inbox, inbox.c.event_id == other.id))  # all three read by now
    await asyncio.sleep(1.0)  # several dispatcher rounds: a second mail would have gone by now

    assert sorted(m["To"] for m in mailbox.received) == ["follower@example.org", "reporter@example.org"]
    owed = await rows(client, deliveries)
    assert len(owed) == 2 and {d.status for d in owed} == {"sent"} and {d.attempts for d in owed} == {1}
    by_address = {d.address: d for d in owed}
    for mail in mailbox.received:
        assert mail["Message-ID"] == by_address[mail["To"]].message_id
        assert mail["Subject"] == "Звернення req-1: у роботі"
        plain, html = mail.get_body(("plain",)), mail.get_body(("html",))
        assert "Бригада виїхала" in plain.get_content() and "<p>" in html.get_content()

    # Each sent message is told on the service's own topic, for the audit and the metrics.
    told = await read_topic(client.settings.kafka_bootstrap_servers, client.settings.topic("ecity.notifications.v1"), 2)
    said = [CloudEvent.from_kafka(r.headers, r.value) for r in told]
    assert {e.type for e in said} == {spec_of(NotificationSent).type}
    assert {e.data["delivery_id"] for e in said} == {d.id for d in owed}
    assert {e.data["cause_event_id"] for e in said} == {f"{change.source}#{change.id}"}
    assert not any("@" in str(e.data) for e in said)  # no address leaves the service


def commented(request_id: str, text: str, *, by_staff: bool) -> CloudEvent:
    payload = CitizenRequestCommented(request_id=request_id, by_staff=by_staff, text=text, commented_at=datetime.now(UTC))
    return CloudEvent(source="/ecity/citizen-requests", type=spec_of(CitizenRequestCommented).type,
                      subject=request_id, data=payload.model_dump(mode="json"))


async def test_news_without_a_move_and_a_staff_comment_are_told_a_citizens_own_comment_is_not(notifications, mailbox):
    client, now = notifications, datetime.now(UTC)
    await seed(client, contacts_rows=[
        {"citizen_id": "reporter-n", "channel": "email", "address": "news@example.org", "confirmed_at": now},
    ], subscription_rows=[{"request_id": "req-n", "citizen_id": "reporter-n", "role": "reporter"}])
    until_date = now + timedelta(days=20)
    extended = CloudEvent(source="/ecity/citizen-requests", type=spec_of(CitizenRequestStatusChanged).type, subject="req-n",
                          data=CitizenRequestStatusChanged(
                              request_id="req-n", service_code="water_leak", from_status="in_progress", to_status="in_progress",
                              open311_status="open", public_note="Строк розгляду продовжено: потрібна експертиза",
                              expected_datetime=until_date, changed_at=now).model_dump(mode="json"))
    silent = status_changed("req-n", note=None)
    silent.data.update(from_status="in_progress", to_status="in_progress")  # no move, nothing said: no news
    topic = client.settings.topic("ecity.citizen-requests.v1")
    await publish(client.settings.kafka_bootstrap_servers, topic, extended, silent,
                  commented("req-n", "Я ще раз перевірив: тече досі", by_staff=False),
                  commented("req-n", "Бригада буде завтра до 12:00", by_staff=True))
    await until(lambda: asyncio.sleep(0, len(mailbox.received) >= 2))
    await asyncio.sleep(1.0)
    subjects = sorted(m["Subject"] for m in mailbox.received)
    assert subjects == ["Звернення req-n: коментар", "Звернення req-n: нове повідомлення"]
    by_subject = {m["Subject"]: m.get_body(("plain",)).get_content() for m in mailbox.received}
    note = by_subject["Звернення req-n: нове повідомлення"]
    assert "потрібна експертиза" in note and "Очікуваний термін виконання" in note
    assert "Бригада буде завтра до 12:00" in by_subject["Звернення req-n: коментар"]
    assert not any("тече досі" in text for text in by_subject.values())


async def test_a_refused_address_is_disabled_with_the_reason_and_not_tried_again(notifications, mailbox):
    client, now = notifications, datetime.now(UTC)
    mailbox.refuse["gone@example.org"] = "550 5.1.1 No such user"
    await seed(client, contacts_rows=[
        {"citizen_id": "reporter-9", "channel": "email", "address": "gone@example.org", "confirmed_at": now},
    ], subscription_rows=[{"request_id": "req-9", "citizen_id": "reporter-9", "role": "reporter"}])
    await publish(client.settings.kafka_bootstrap_servers, client.settings.topic("ecity.citizen-requests.v1"),
                  status_changed("req-9"))

    failed = await until(lambda: rows(client, deliveries, deliveries.c.status == "failed"))
    assert failed[0].attempts == 1 and "550" in failed[0].last_error
    (contact,) = await rows(client, contacts, contacts.c.citizen_id == "reporter-9")
    assert "550" in contact.disabled_reason and contact.disabled_at is not None
    assert mailbox.received == []
    [record] = await read_topic(client.settings.kafka_bootstrap_servers, client.settings.topic("ecity.notifications.v1"), 1)
    gave_up = CloudEvent.from_kafka(record.headers, record.value)
    assert gave_up.type == spec_of(NotificationFailed).type
    assert gave_up.data["permanent"] is True and "550" in gave_up.data["reason"]


async def test_a_dispatcher_killed_mid_send_leaves_the_message_to_be_sent_once_by_the_next(services, processes, mailbox):
    """The first SMTP exchange is held open; the process sending it is killed (SIGKILL). Its claim
    runs out and the next process sends the message, with the same Message-ID, and records it once."""
    mailbox.stall_first_s = 30
    overrides = {"smtp_port": str(mailbox.port), "dispatch_interval_s": "0.2", "dispatch_lease_s": "3",
                 "quiet_hours_begin": "00:00", "quiet_hours_end": "00:00"}
    doomed = processes(services.process("notifications", **overrides))
    await asyncio.to_thread(doomed.wait_ready)
    engine = create_async_engine(services.database_url("notifications"))
    try:
        now = datetime.now(UTC)
        async with engine.begin() as conn:
            await conn.execute(insert(contacts).values(citizen_id="r-k", channel="email", address="k@example.org",
                                                       confirmed_at=now))
            await conn.execute(insert(subscriptions).values(request_id="req-k", citizen_id="r-k", role="reporter"))
        await publish(services.infra.admin, f"{services.topic_prefix}ecity.citizen-requests.v1", status_changed("req-k"))
        await until(lambda: asyncio.sleep(0, mailbox.stalled), timeout_s=60)
        doomed.kill()
        doomed.wait(10)
        assert mailbox.received == []

        await asyncio.to_thread(processes(services.process("notifications", **overrides)).wait_ready)
        await until(lambda: asyncio.sleep(0, len(mailbox.received) >= 1), timeout_s=60)
        await asyncio.sleep(1.0)  # a second send would have come by now
        async with engine.connect() as conn:
            [owed] = (await conn.execute(select(deliveries))).all()
        assert owed.status == "sent" and owed.attempts == 1
        [mail] = mailbox.received
        assert mail["Message-ID"] == owed.message_id and mail["To"] == "k@example.org"
    finally:
        await engine.dispose()


async def test_a_new_delivery_rings_the_dispatcher_instead_of_waiting_for_its_poll(services, mailbox):
    # A poll every ten minutes: only the doorbell (NOTIFY at the deliveries' commit) can send it now.
    async with serving(services, "notifications", smtp_port=mailbox.port, dispatch_interval_s=600,
                       quiet_hours_begin="00:00", quiet_hours_end="00:00") as client:
        await seed(client, contacts_rows=[{"citizen_id": "r-b", "channel": "email", "address": "b@example.org",
                                           "confirmed_at": datetime.now(UTC)}],
                   subscription_rows=[{"request_id": "req-b", "citizen_id": "r-b", "role": "reporter"}])
        await asyncio.sleep(1.0)  # the dispatcher's first round is over: it waits for the bell or the poll
        await publish(client.settings.kafka_bootstrap_servers, client.settings.topic("ecity.citizen-requests.v1"),
                      status_changed("req-b"))
        await until(lambda: asyncio.sleep(0, len(mailbox.received) == 1), timeout_s=60)


async def test_a_run_of_status_changes_is_told_once_each_and_the_hourly_bound_counts_within_the_run(services, mailbox):
    async with serving(services, "notifications", smtp_port=mailbox.port, dispatch_interval_s=0.2,
                       quiet_hours_begin="00:00", quiet_hours_end="00:00", messages_per_hour=2) as client:
        now = datetime.now(UTC)
        many = [f"req-m{n}" for n in range(30)]
        await seed(client, contacts_rows=[
            {"citizen_id": f"r-m{n}", "channel": "email", "address": f"m{n}@example.org", "confirmed_at": now}
            for n in range(30)] + [{"citizen_id": "r-busy", "channel": "email", "address": "busy@example.org",
                                    "confirmed_at": now}],
            subscription_rows=[{"request_id": rid, "citizen_id": f"r-m{n}", "role": "reporter"} for n, rid in enumerate(many)]
            + [{"request_id": "req-busy", "citizen_id": "r-busy", "role": "reporter"}])
        # Thirty requests' changes and three of one citizen's, published together: the consumer
        # takes them as one run.
        busy = [status_changed("req-busy", note=f"Крок {n}") for n in range(3)]
        changes = [status_changed(rid) for rid in many] + busy
        await publish(client.settings.kafka_bootstrap_servers, client.settings.topic("ecity.citizen-requests.v1"), *changes)
        await until(lambda: asyncio.sleep(0, len(mailbox.received) >= 32), timeout_s=60)
        await asyncio.sleep(1.0)

        assert sorted(m["To"] for m in mailbox.received if m["To"] != "busy@example.org") == sorted(
            f"m{n}@example.org" for n in range(30))
        assert len([m for m in mailbox.received if m["To"] == "busy@example.org"]) == 2
        [held] = await rows(client, deliveries, deliveries.c.recipient == "r-busy", deliveries.c.status == "pending")
        assert held.next_attempt_at > datetime.now(UTC) + timedelta(minutes=55)
