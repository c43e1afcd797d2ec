"""What the operator sees of the notifications on /metrics: each attempt's outcome per channel and
how long it took, the deliveries waiting (due apart from held) and the oldest due one's age, and the
addresses disabled. The service in-process on the real broker and database, a real SMTP server that
accepts one address, refuses one for good (550) and one for now (451)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select, update

from ecity_cli.testing import publish, serving, until
from notifications.adapters.tables import deliveries

from .test_delivery import rows, seed, status_changed


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def notifications(services, mailbox):
    async with serving(services, "notifications", smtp_port=mailbox.port, dispatch_interval_s=0.2, max_attempts=2,
                       delivery_gauges_interval_s=0.1,
                       quiet_hours_begin="00:00", quiet_hours_end="00:00") as client:  # never quiet
        yield client


async def test_outcomes_durations_backlog_and_disabled_addresses_are_counted(notifications, mailbox):
    client, now = notifications, datetime.now(UTC)
    mailbox.refuse["gone@example.org"] = "550 5.1.1 No such user"
    mailbox.refuse["busy@example.org"] = "451 4.2.1 Mailbox busy, try later"
    await seed(client, contacts_rows=[
        {"citizen_id": f"c-{who}", "channel": "email", "address": f"{who}@example.org", "confirmed_at": now}
        for who in ("ok", "gone", "busy")
    ], subscription_rows=[{"request_id": f"req-m-{who}", "citizen_id": f"c-{who}", "role": "reporter"}
                          for who in ("ok", "gone", "busy")])
    outcomes = ("sent", "temporary_failure", "permanent_failure", "given_up")
    before = {o: metric("ecity_notifications_deliveries_total", channel="email", outcome=o) for o in outcomes}
    timed_before = metric("ecity_notifications_send_duration_seconds_count", channel="email")

    def counted() -> dict[str, float]:
        return {o: metric("ecity_notifications_deliveries_total", channel="email", outcome=o) - before[o] for o in outcomes}

    await publish(client.settings.kafka_bootstrap_servers, client.settings.topic("ecity.citizen-requests.v1"),
                  *(status_changed(f"req-m-{who}") for who in ("ok", "gone", "busy")))
    await until(lambda: _true(counted() == {"sent": 1, "temporary_failure": 1, "permanent_failure": 1, "given_up": 0}))
    assert metric("ecity_notifications_send_duration_seconds_count", channel="email") - timed_before == 3
    # The busy one waits out its back-off: pending, not due; the refused address is disabled.
    await until(lambda: _true(metric("ecity_notifications_pending_deliveries", channel="email") == 1
                              and metric("ecity_notifications_due_deliveries", channel="email") == 0
                              and metric("ecity_notifications_oldest_due_timestamp_seconds", channel="email") == 0
                              and metric("ecity_notifications_addresses_disabled", channel="email", reason="refused") == 1))

    # It falls due ten minutes ago and the dispatcher cannot take it (a replica hung on it, say: here a
    # lock its claim skips): due, and the oldest due one is ten minutes old.
    [busy] = await rows(client, deliveries, deliveries.c.address == "busy@example.org")
    fell_due = datetime.now(UTC) - timedelta(minutes=10)
    async with client.app.state.engine.connect() as held:
        await held.execute(update(deliveries).where(deliveries.c.id == busy.id).values(next_attempt_at=fell_due))
        await held.commit()
        await held.execute(select(deliveries.c.id).where(deliveries.c.id == busy.id).with_for_update())
        await until(lambda: _true(metric("ecity_notifications_due_deliveries", channel="email") == 1))
        oldest = metric("ecity_notifications_oldest_due_timestamp_seconds", channel="email")
        assert abs(oldest - fell_due.timestamp()) < 1 and time.time() - oldest >= 600
        await held.commit()  # released: the dispatcher takes it, and it fails its last attempt

    await until(lambda: _true(counted()["given_up"] == 1))
    await until(lambda: _true(metric("ecity_notifications_pending_deliveries", channel="email") == 0
                              and metric("ecity_notifications_oldest_due_timestamp_seconds", channel="email") == 0))


async def _true(value: bool) -> bool:
    return value
