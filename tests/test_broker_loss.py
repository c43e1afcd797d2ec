"""A Kafka broker killed (SIGKILL) under load: citizens see no error, nothing is lost or done twice.

citizen-requests and utilities-gateway run as processes against a three-node cluster (topics
replicated three times, min.insync.replicas 2). Citizens file water leaks at a steady rate; in the
middle the node that leads most of the citizen topic's partitions is killed, the load goes on, and
the node comes back. The load runs about 30 s: some 10 s of it until the controller fences the
dead broker (Kafka's default broker.session.timeout.ms, 9 s) and its partitions get new leaders. Every filing must be answered, published (after dedup by request id: the
relay is at-least-once) and routed by the gateway to the water company exactly once, and no
consumer may park anything on a dead-letter topic.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import asyncpg
import httpx
import pytest

from ecity_cli.testing import bearer, read_topic, topic_size, until
from ecity_common.doorbell import libpq_dsn
from ecity_common.events import CloudEvent
from ecity_common.events.catalogue import dead_letter_topic

# Loads the machine (brokers and replicas killed, a shutdown timed): one at a time, in one
# process of a parallel run (see ecity_cli.testing).
pytestmark = pytest.mark.xdist_group("machine")

CITIZENS_TOPIC = "ecity.citizen-requests.v1"
UTILITIES_TOPIC = "ecity.utilities.v1"
SUBMITTED = "ua.sumy.ecity.citizen-requests.request.submitted.v1"
WATER_COMPANY = "co-water-demo"

RATE_PER_S = 8  # filings a second, from before the kill until after the broker is back
KILL_AT_S = 6.0  # a broker dies this far into the load; once its partitions have new leaders and
DOWN_S = 4.0  # the gateway routes requests filed since, the load goes on this long before it
AFTER_S = 5.0  # is started again, and this long after it is back


async def _fetch(database_url: str, sql: str, *args):
    conn = await asyncpg.connect(libpq_dsn(database_url))
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def _submitted_ids(bootstrap: str, topic: str) -> Counter:
    """How many times each request id's `submitted` event is on the topic, up to its end now."""
    seen: Counter = Counter()
    for record in await read_topic(bootstrap, topic, await topic_size(bootstrap, topic)):
        event = CloudEvent.from_kafka(record.headers, record.value)
        if event.type == SUBMITTED:
            assert record.key.decode() == event.data["request_id"]
            seen[event.data["request_id"]] += 1
    return seen


# Starting the cluster (~20 s) and a node again took up to 30 s on a busy machine: past the default 300 s
# timeout is a hang, but a slow run should not fail for it.
@pytest.mark.timeout(600)
async def test_a_broker_killed_under_load_loses_no_request_and_routes_each_once(services, processes, kafka_cluster):
    cluster = kafka_cluster.bootstrap_servers
    on_cluster = {
        "kafka_bootstrap_servers": cluster,
        "kafka_topic_replication_factor": "3",
        "kafka_topic_min_insync_replicas": "2",
    }
    citizens = processes(services.process("citizen-requests", **on_cluster))
    gateway = processes(services.process("utilities-gateway", **on_cluster))
    await asyncio.gather(asyncio.to_thread(citizens.wait_ready), asyncio.to_thread(gateway.wait_ready))
    settings = services.settings("citizen-requests", kafka_bootstrap_servers=cluster)
    topic = settings.topic(CITIZENS_TOPIC)

    answers: list[tuple[float, int, str | None]] = []  # (seconds into the load, status, request id)

    async def file(client: httpx.AsyncClient, i: int) -> None:
        started = time.monotonic()
        try:
            response = await client.post(
                "/api/v1/requests",
                headers=bearer(settings, f"citizen-{i}", "citizen"),  # one each: under the per-citizen limit
                json={"service_code": "water_leak", "description": f"Тече труба №{i}", "lat": 50.9077,
                      "long": 34.7981, "address": "вул. Соборна, 1", "attributes": {"where": "street"}},
            )
            rid = response.json().get("service_request_id") if response.status_code in (200, 201) else None
            answers.append((started - load_start, response.status_code, rid))
        except httpx.HTTPError as exc:
            answers.append((started - load_start, 0, repr(exc)))

    probes: list[tuple[float, str, int, str]] = []  # (seconds into the load, service, status, body)

    async def probe(client: httpx.AsyncClient, service) -> None:
        # Readiness stays "ready" without one broker: an orchestrator would take the service out
        # of rotation otherwise, the very downtime replication is for.
        at = time.monotonic() - load_start
        try:
            response = await client.get(f"{service.url}/health/ready")
            probes.append((at, service.info.name, response.status_code, response.text))
        except httpx.HTTPError as exc:
            probes.append((at, service.info.name, 0, repr(exc)))

    gateway_db = services.database_url("utilities-gateway")
    events: list[tuple[float, str]] = []
    victim: list[int] = []

    def note(what: str) -> None:
        events.append((time.monotonic() - load_start, what))

    async def leaders() -> dict[int, int]:
        return await asyncio.to_thread(kafka_cluster.leaders, topic)

    async def lose_a_broker_and_bring_it_back() -> None:
        await asyncio.sleep(KILL_AT_S)
        before = await leaders()
        victim.append(Counter(before.values()).most_common(1)[0][0])
        await asyncio.to_thread(kafka_cluster.kill, victim[0])
        note(f"killed node {victim[0]}; partition leaders were {before}")

        # The controller fences the dead broker (broker.session.timeout.ms) and moves its
        # partitions' leadership to the two nodes left.
        async def moved():
            now = await leaders()
            return now if now and victim[0] not in now.values() else None

        note(f"leaders moved: {await until(moved, timeout_s=90, every_s=0.5)}")
        # What citizens file from now on goes through two brokers only, all the way to the gateway.
        mark = len(answers)

        async def routed_on_two():
            later = [rid for _, status, rid in answers[mark:] if status in (200, 201)]
            rows = await _fetch(gateway_db, "SELECT request_id FROM routed_requests WHERE request_id = ANY($1)", later)
            return len(rows)

        note(f"routed {await until(routed_on_two, timeout_s=90, every_s=0.5)} filed with node {victim[0]} down")
        await asyncio.sleep(DOWN_S)
        note(f"starting node {victim[0]}")
        await asyncio.to_thread(kafka_cluster.start_node, victim[0])
        note(f"node {victim[0]} back; running: {kafka_cluster.running()}")
        await asyncio.sleep(AFTER_S)

    load_start = time.monotonic()
    try:
        async with httpx.AsyncClient(base_url=citizens.url, timeout=30) as client:
            chaos = asyncio.create_task(lose_a_broker_and_bring_it_back())
            filings: list[asyncio.Task] = []
            probing: list[asyncio.Task] = []
            while not chaos.done():
                if len(filings) % RATE_PER_S == 0:  # once a second
                    probing += [asyncio.create_task(probe(client, s)) for s in (citizens, gateway)]
                filings.append(asyncio.create_task(file(client, len(filings))))
                await asyncio.sleep(max(0.0, load_start + len(filings) / RATE_PER_S - time.monotonic()))
            await asyncio.gather(*filings, *probing)
            note(f"load ended: {len(filings)} filings")
            await chaos  # its failure, if any
    finally:
        print("\n" + "\n".join(f"{at:6.2f} s  {what}" for at, what in events))
        if victim:
            await asyncio.to_thread(kafka_cluster.start_node, victim[0])  # the next test finds three

    # Every citizen got an answer, and it was "filed", during the outage as before and after it.
    failures = [a for a in answers if a[1] not in (200, 201)]
    assert not failures, failures
    filed = {rid for _, _, rid in answers}
    assert len(filed) == len(answers) == len(filings)
    unready = [f"{at:.1f} s {name}: {status} {body[:120]}" for at, name, status, body in probes if status != 200]
    assert not unready, "\n".join(unready)

    # Each filing is on the citizen topic: every request id at least once, and nothing else.
    async def all_published():
        seen = await _submitted_ids(cluster, topic)
        return seen if set(seen) == filed else None

    seen = await until(all_published, timeout_s=120, every_s=1.0)
    print(f"{len(filed)} filed; {sum(seen.values()) - len(seen)} duplicate record(s) on the topic (at-least-once relay)")

    # ...and routed once by the gateway: one row, one notice to the water company, one "accepted".

    async def all_routed():
        rows = await _fetch(gateway_db, "SELECT request_id, company_id FROM routed_requests")
        return rows if len(rows) >= len(filed) else None

    routed = await until(all_routed, timeout_s=120, every_s=1.0)
    assert sorted(r["request_id"] for r in routed) == sorted(filed)
    assert {r["company_id"] for r in routed} == {WATER_COMPANY}
    notices = await _fetch(gateway_db, "SELECT body FROM company_messages WHERE type = 'request.routed'")
    assert len(notices) == len(filed)
    accepted = await _fetch(gateway_db, "SELECT aggregate_id FROM outbox WHERE type LIKE '%request.accepted%'")
    assert sorted(r["aggregate_id"] for r in accepted) == sorted(filed)
    submitted_inbox = await _fetch(gateway_db, "SELECT event_id FROM inbox WHERE type LIKE '%request.submitted%'")
    assert len(submitted_inbox) == len(filed)

    # No consumer gave up on anything: both dead-letter topics are empty.
    assert await topic_size(cluster, dead_letter_topic(topic)) == 0
    assert await topic_size(cluster, dead_letter_topic(settings.topic(UTILITIES_TOPIC))) == 0
