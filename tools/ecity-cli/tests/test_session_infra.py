"""The test session's own broker and database: one test that leaves them down must not fail the rest."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from ecity_cli.testing import TestInfra, publish, read_topic
from ecity_common.events import CloudEvent

# Kills the session's broker: with the other tests that load the machine, in one process.
pytestmark = pytest.mark.xdist_group("machine")


async def test_a_broker_left_dead_by_one_test_runs_again_for_the_next(infra: TestInfra):
    infra.kafka.kill()
    assert not infra.kafka.is_ready()

    infra.ensure_running()  # what the `services` fixture does before every test

    assert infra.kafka.is_ready()
    topic = f"t{uuid.uuid4().hex[:8]}.after-restart"
    event = CloudEvent(source="/ecity/tests", type="ua.sumy.ecity.tests.broker.restarted.v1", subject="s", data={})
    await publish(infra.admin, topic, event)
    [record] = await read_topic(infra.admin, topic, 1)
    assert CloudEvent.from_kafka(record.headers, record.value).id == event.id


async def test_a_database_left_recovering_or_stopped_by_one_test_accepts_the_next(infra: TestInfra):
    assert infra.postgres.accepting()
    infra.postgres.stop()
    assert not infra.postgres.accepting()

    infra.ensure_running()

    assert infra.postgres.accepting()
    conn = await asyncpg.connect(infra.postgres.admin_dsn())
    try:
        assert await conn.fetchval("SELECT 1") == 1
    finally:
        await conn.close()
