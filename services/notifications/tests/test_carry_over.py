"""Carrying citizen-requests' reporters and followers over to notifications (`ecity notifications
carry-over`), against citizen-requests' real database, its relay and notifications' real consumer."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, insert, select
from typer.testing import CliRunner

from citizen_requests.adapters import tables as citizen_tables
from citizen_requests.use_cases.carry_over import carried_event_id
from ecity_cli.cli import app as ecity
from ecity_cli.testing import bearer, serving, until
from notifications.adapters.tables import messaging, subscriptions

HOLE = {"service_code": "pothole", "attributes": {"size": "medium"}, "description": "Яма", "lat": 50.9, "long": 34.8}


async def rows(client, table, *where):
    async with client.app.state.engine.connect() as conn:
        return (await conn.execute(select(table).where(*where))).all()


async def test_the_carry_over_brings_reporters_and_followers_with_their_times_and_a_rerun_changes_nothing(
        services, mailbox, monkeypatch):
    async with serving(services, "citizen-requests") as citizens, \
            serving(services, "notifications", smtp_port=mailbox.port,
                    quiet_hours_begin="00:00", quiet_hours_end="00:00") as notes:  # never quiet
        reporter = bearer(citizens.settings, "citizen-51", "citizen")
        rid = (await citizens.post("/api/v1/requests", headers=reporter, json=HOLE)).json()["service_request_id"]
        await until(lambda: rows(notes, subscriptions, subscriptions.c.request_id == rid))  # told live
        # As before request.submitted named its reporter and the route published anything: a
        # follower only in citizen-requests' table, since January, and nothing in notifications.
        since = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
        async with citizens.app.state.engine.begin() as conn:
            await conn.execute(insert(citizen_tables.subscriptions).values(request_id=rid, citizen_id="citizen-52", at=since))
            (filed_at,) = (await conn.execute(select(citizen_tables.citizen_requests.c.submitted_at)
                                              .where(citizen_tables.citizen_requests.c.id == rid))).one()
        async with notes.app.state.engine.begin() as conn:
            await conn.execute(delete(subscriptions))

        monkeypatch.setenv("CITIZEN_REQUESTS_KAFKA_TOPIC_PREFIX", services.topic_prefix)

        def carry_over() -> str:
            run = CliRunner().invoke(ecity, ["notifications", "carry-over", "--citizen-requests-db",
                                             services.database_url("citizen-requests")])
            assert run.exit_code == 0, run.output
            return " ".join(run.output.split())

        assert "1 reporter(s) and 1 follower(s) carried over; 2 new event(s)" in carry_over()
        carried = await until(lambda: _all(rows(notes, subscriptions), 2))
        assert {(s.citizen_id, s.role, s.at) for s in carried} == {("citizen-51", "reporter", filed_at),
                                                                   ("citizen-52", "follower", since)}
        # Again at once: the same event ids, still in the outbox, are not staged twice.
        assert "0 new event(s)" in carry_over()

        # Again after the relay published and the outbox let them go: the same ids reach Kafka, and
        # notifications' inbox skips them (the follower removed here would otherwise come back).
        outbox = citizen_tables.messaging.outbox
        ids = [carried_event_id(role, rid, who) for role, who in (("reporter", "citizen-51"), ("follower", "citizen-52"))]
        await until(lambda: _all(rows(citizens, outbox, outbox.c.event_id.in_(ids), outbox.c.published_at.is_not(None)), 2))
        async with citizens.app.state.engine.begin() as conn:
            await conn.execute(delete(outbox).where(outbox.c.event_id.in_(ids)))
        async with notes.app.state.engine.begin() as conn:
            await conn.execute(delete(subscriptions).where(subscriptions.c.citizen_id == "citizen-52"))
        assert "2 new event(s)" in carry_over()
        # A follower who subscribes now, on the same request (so the same partition, after the repeats).
        assert (await citizens.post(f"/api/v1/requests/{rid}/subscribe",
                                    headers=bearer(citizens.settings, "citizen-53", "citizen"))).status_code == 204
        await until(lambda: rows(notes, subscriptions, subscriptions.c.citizen_id == "citizen-53"))
        assert {s.citizen_id for s in await rows(notes, subscriptions)} == {"citizen-51", "citizen-53"}
        inbox = messaging.inbox
        assert len(await rows(notes, inbox, inbox.c.event_id.in_(ids))) == 2


async def _all(query, count: int):
    found = await query
    return found if len(found) >= count else None
