"""Processes killed (SIGKILL) at the worst moment lose nothing and apply nothing twice."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time

import asyncpg
import httpx
import pytest

from ecity_cli.testing import bearer, read_topic, topic_size
from ecity_common.doorbell import libpq_dsn
from ecity_common.events import CloudEvent
from ecity_common.messaging.faults import CONSUMER_AFTER_DB_COMMIT, RELAY_BEFORE_PUBLISH

# Loads the machine (brokers and replicas killed, a shutdown timed): one at a time, in one
# process of a parallel run (see ecity_cli.testing).
pytestmark = pytest.mark.xdist_group("machine")

TOPIC = "ecity.citizen-requests.v1"


async def _fetch(database_url: str, sql: str):
    conn = await asyncpg.connect(libpq_dsn(database_url))
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


def _file_request(url: str, settings) -> None:
    # The process may die before it answers: what counts is what it committed, checked after.
    with contextlib.suppress(httpx.HTTPError):
        httpx.post(
            f"{url}/api/v1/requests",
            json={"service_code": "water_leak", "attributes": {"where": "street"}, "description": "Прорив труби", "address": "вул. Петропавлівська, 10"},
            headers=bearer(settings, "citizen-1", "citizen"),
            timeout=10,
        )


def _poll(check, timeout_s: float = 30.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if (result := check()) is not None:
            return result
        time.sleep(0.2)
    raise AssertionError("condition not reached")


async def test_relay_killed_after_commit_before_publish_publishes_after_restart(services, processes):
    doomed = processes(services.process("citizen-requests", faults=RELAY_BEFORE_PUBLISH))
    doomed.wait_ready()
    settings = services.settings("citizen-requests")
    topic = settings.topic(TOPIC)

    await asyncio.to_thread(_file_request, doomed.url, settings)
    assert await asyncio.to_thread(doomed.wait_exit) == -signal.SIGKILL

    db = services.database_url("citizen-requests")
    [request] = await _fetch(db, "SELECT id FROM citizen_requests")
    [row] = await _fetch(db, "SELECT aggregate_id, published_at FROM outbox")
    assert row["aggregate_id"] == request["id"] and row["published_at"] is None
    assert await topic_size(settings.kafka_bootstrap_servers, topic) == 0

    restarted = processes(services.process("citizen-requests"))
    restarted.wait_ready()
    [record] = await read_topic(settings.kafka_bootstrap_servers, topic, 1)
    event = CloudEvent.from_kafka(record.headers, record.value)
    assert event.data["request_id"] == request["id"] and record.key.decode() == request["id"]


async def test_consumer_killed_after_db_commit_before_offset_commit_applies_once(services, processes):
    citizens = processes(services.process("citizen-requests"))
    doomed = processes(services.process("utilities-gateway", faults=CONSUMER_AFTER_DB_COMMIT))
    citizens.wait_ready()
    doomed.wait_ready()
    settings = services.settings("citizen-requests")

    await asyncio.to_thread(_file_request, citizens.url, settings)
    assert await asyncio.to_thread(doomed.wait_exit) == -signal.SIGKILL
    gateway_db = services.database_url("utilities-gateway")
    assert len(await _fetch(gateway_db, "SELECT * FROM routed_requests")) == 1
    assert len(await _fetch(gateway_db, "SELECT * FROM inbox")) == 1

    # Restarted, it reads the uncommitted record again; the inbox knows it was done.
    restarted = processes(services.process("utilities-gateway"))
    restarted.wait_ready()
    _poll(lambda: True if "duplicate event(s) skipped" in restarted.log_file.read_text() else None)
    assert len(await _fetch(gateway_db, "SELECT * FROM routed_requests")) == 1
    # (The request's later status change, once the gateway routed it, is a second, different event.)
    assert len(await _fetch(gateway_db, "SELECT * FROM inbox WHERE type LIKE '%request.submitted%'")) == 1
    # Routed once: one notice to the company, one "accepted" event.
    assert len(await _fetch(gateway_db, "SELECT * FROM company_messages")) == 1
    assert len(await _fetch(gateway_db, "SELECT * FROM outbox WHERE type LIKE '%request.accepted%'")) == 1
