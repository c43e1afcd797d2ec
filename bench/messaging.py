"""Benchmark of the Kafka machinery in `ecity_common`, in one run on one machine.

  (a) Kafka's own ProducerPerformance, same record size, acks=all, idempotence: the baseline;
  (b) our outbox relay publishing pre-filled outbox rows (claim, send, mark sent);
  (c) our consumer: inbox insert + a handler's insert + commit, per event, batched per partition;
  (d) commit-to-handler latency p50/p99 at a fixed rate through the whole path
      (business transaction with its outbox row -> NOTIFY -> relay -> Kafka -> consumer -> handler).

Run: `make bench` (or `.venv/bin/python bench/messaging.py [--events N]`). It starts its own
Kafka and PostgreSQL under .state/bench and prints a Markdown table for bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import uvloop
from aiokafka import AIOKafkaProducer
from common import bench_infra, save
from sqlalchemy import Column, MetaData, Table, Text, func, insert, select, text

from ecity_common.db import make_engine, make_sessions
from ecity_common.doorbell import libpq_dsn
from ecity_common.events import CloudEvent
from ecity_common.events.payloads.citizen_requests import CitizenRequestSubmitted
from ecity_common.messaging.consumer import EventConsumer
from ecity_common.messaging.outbox import Outbox
from ecity_common.messaging.relay import OutboxRelay, kafka_producer
from ecity_common.messaging.tables import messaging_tables
from ecity_common.messaging.topics import ensure_topics
from ecity_common.settings import ServiceSettings

SUBMITTED = "ua.sumy.ecity.citizen-requests.request.submitted.v1"
AGGREGATES = 1000


def sample_payload(i: int) -> CitizenRequestSubmitted:
    return CitizenRequestSubmitted(
        request_id=f"request-{i % AGGREGATES}",
        service_code="water_leak",
        handler_kind="utility",
        utility_kind="water",
        description="Тече труба в підвалі будинку, вода заливає підвал",
        address="вул. Соборна, 1",
        submitted_at=datetime.now(UTC),
    )


def record_size(settings: ServiceSettings) -> int:
    event = CloudEvent(source=settings.event_source, type=SUBMITTED, subject="request-1",
                       traceparent="00-" + "1" * 32 + "-" + "2" * 16 + "-01",
                       data=sample_payload(1).model_dump(mode="json"))
    return len(event.kafka_value()) + sum(len(k) + len(v) for k, v in event.kafka_headers())


def producer_performance(kafka, topic: str, records: int, size: int) -> float:
    # The sign-in goes in a file: its JAAS line has spaces and `=` that --producer-props splits on.
    config = kafka.state_dir / "bench-producer.properties"
    config.write_text(
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\n"
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{kafka.admin.username}" password="{kafka.admin.password}";\n')
    out = subprocess.run(
        [
            "java", "-Xmx512m", "-cp", f"{kafka.jars_dir}/*",
            f"-Dlog4j2.configurationFile={kafka.state_dir / 'log4j2.properties'}",
            "org.apache.kafka.tools.ProducerPerformance",
            "--topic", topic, "--num-records", str(records), "--record-size", str(size), "--throughput", "-1",
            "--producer.config", str(config),
            "--producer-props", f"bootstrap.servers={kafka.bootstrap_servers}", "acks=all", "enable.idempotence=true",
        ],
        capture_output=True, text=True, check=True,
    ).stdout
    final = [line for line in out.splitlines() if "records sent" in line][-1]
    return float(re.search(r"([\d.]+) records/sec", final).group(1))


async def prefill_outbox(engine, tables, settings: ServiceSettings, count: int) -> None:
    template = CloudEvent(source=settings.event_source, type=SUBMITTED,
                          data=sample_payload(0).model_dump(mode="json")).model_dump(mode="json")
    # One INSERT ... SELECT: the rows are what Outbox.add writes, made in bulk to time only the relay.
    async with engine.begin() as conn:
        await conn.execute(
            text(
                """
                INSERT INTO outbox (event_id, aggregate_type, aggregate_id, type, topic, payload)
                SELECT e.id, 'citizen_request', 'request-' || (e.g % :aggs), :type, :topic,
                       jsonb_set(jsonb_set(CAST(:payload AS jsonb), '{id}', to_jsonb(e.id)),
                                 '{subject}', to_jsonb('request-' || (e.g % :aggs)))
                FROM (SELECT gen_random_uuid()::text AS id, g FROM generate_series(1, :n) g) e
                """
            ),
            {"aggs": AGGREGATES, "type": SUBMITTED, "topic": settings.topic(settings_topic()),
             "payload": json.dumps(template), "n": count},
        )


def settings_topic() -> str:
    return "ecity.citizen-requests.v1"


async def relay_throughput(engine, tables, settings, count: int) -> float:
    await prefill_outbox(engine, tables, settings, count)
    producer = kafka_producer(settings)
    await producer.start()
    relay = OutboxRelay(engine=engine, outbox=tables.outbox, producer=producer, settings=settings)
    started = time.perf_counter()
    while relay.published < count:
        await relay.publish_batch()
    elapsed = time.perf_counter() - started
    await producer.stop()
    return count / elapsed


async def consumer_throughput(engine, tables, effects, settings, count: int, group: str) -> float:
    # The events the relay just published sit on the topic: consume them all, as a new group.
    record_effect = insert(effects)  # built once, as a handler on a hot path should

    async def writes_a_row(session, event, payload):
        await session.execute(record_effect, {"event_id": event.id, "request_id": payload.request_id})

    async def does_nothing(session, event, payload):
        pass

    handler = writes_a_row if group == "bench-effect" else does_nothing
    producer = AIOKafkaProducer(**settings.kafka.client_options())
    await producer.start()
    consumer = EventConsumer(sessions=make_sessions(engine), inbox=tables.inbox, producer=producer,
                             settings=settings.model_copy(update={"kafka_consumer_group": group}),
                             handlers={SUBMITTED: handler})
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    started = None
    while consumer.stats.handled < count:
        if started is None and consumer.stats.handled > 0:
            started, base = time.perf_counter(), consumer.stats.handled  # from the first event in
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - started
    await consumer.stop()
    task.cancel()
    await producer.stop()
    return (count - base) / elapsed


async def write_at_fixed_rate(database_url: str, bootstrap: str, rate: int, seconds: float, out: str) -> None:
    """The producing service (run as its own process): business transactions at a fixed rate,
    each with its outbox row, and the relay publishing them as NOTIFY wakes it."""
    settings = ServiceSettings(service_name="citizen-requests", event_source="/ecity/citizen-requests",
                               database_url=database_url, kafka_bootstrap_servers=bootstrap, kafka_topic_prefix="lat.")
    engine = make_engine(settings)
    tables = messaging_tables(MetaData())
    producer = kafka_producer(settings)
    await producer.start()
    relay = OutboxRelay(engine=engine, outbox=tables.outbox, producer=producer, settings=settings)
    relay_task = asyncio.create_task(relay.run())
    outbox = Outbox(tables.outbox, settings)
    committed: dict[str, float] = {}
    # The load generator writes exactly the rows Outbox.add writes (same trigger, same NOTIFY),
    # through a bare asyncpg pool: what is timed starts at the commit, and on two cores an ORM
    # session per write would leave the relay and the consumer no CPU to be measured with.
    pool = await asyncpg.create_pool(libpq_dsn(database_url), min_size=4, max_size=8)
    insert_row = (
        "INSERT INTO outbox (event_id, aggregate_type, aggregate_id, type, topic, payload, headers) "
        "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)"
    )

    async def one(i: int) -> None:
        event, row = outbox.stage(sample_payload(i), aggregate_id=f"request-{i % AGGREGATES}")
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(insert_row, row["event_id"], row["aggregate_type"], row["aggregate_id"], row["type"],
                               row["topic"], json.dumps(row["payload"]), json.dumps(row["headers"]))
        committed[event.id] = time.monotonic()  # CLOCK_MONOTONIC: comparable across processes

    await asyncio.sleep(1.0)
    total = int(rate * seconds)
    started = time.monotonic()
    pending: set[asyncio.Task] = set()
    for i in range(total):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(i))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)
    achieved = total / (time.monotonic() - started)
    while relay.published < total:
        await asyncio.sleep(0.05)
    relay.stop()
    await relay_task
    await producer.stop()
    await pool.close()
    await engine.dispose()
    Path(out).write_text(json.dumps({"achieved": achieved, "committed": committed}))


async def latency(engine, tables, effects, settings, rate: int, seconds: float) -> tuple[float, float, int]:
    """Consumer here, producing service in another process, as in the real system."""
    handled: dict[str, float] = {}
    record_effect = insert(effects)

    async def handler(session, event, payload):
        await session.execute(record_effect, {"event_id": event.id, "request_id": payload.request_id})
        handled[event.id] = time.monotonic()

    settings = settings.model_copy(update={"kafka_consumer_group": "bench-latency", "kafka_topic_prefix": "lat."})
    await ensure_topics(settings.kafka, [settings.topic(settings_topic())])
    producer = AIOKafkaProducer(**settings.kafka.client_options())
    await producer.start()
    consumer = EventConsumer(sessions=make_sessions(engine), inbox=tables.inbox, producer=producer,
                             settings=settings, handlers={SUBMITTED: handler})
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    writer = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--writer", settings.database_url, settings.kafka_bootstrap_servers,
        str(rate), str(seconds), str(out),
        # Its sign-in: ServiceSettings reads ECITY_ variables (kept off the command line).
        env={**os.environ, "ECITY_KAFKA_SASL_USERNAME": settings.kafka_sasl_username,
             "ECITY_KAFKA_SASL_PASSWORD": settings.kafka_sasl_password.get_secret_value()},
    )
    assert await writer.wait() == 0, "the writer process failed"
    result = json.loads(out.read_text())
    out.unlink()
    committed = result["committed"]
    deadline = time.monotonic() + 30
    while len(handled) < len(committed) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await consumer.stop()
    task.cancel()
    await producer.stop()
    lat = sorted((handled[i] - committed[i]) * 1000 for i in committed if i in handled)
    assert len(lat) == len(committed) == int(rate * seconds), f"only {len(lat)} of {len(committed)} events arrived"
    p99 = lat[max(0, int(len(lat) * 0.99) - 1)]
    return statistics.median(lat), p99, round(result["achieved"])


async def run(events: int, pp_records: int, rate: int, seconds: float) -> dict:
    with bench_infra("messaging") as (kafka, postgres):
        postgres.create_databases(["bench"])
        settings = ServiceSettings(service_name="citizen-requests", event_source="/ecity/citizen-requests",
                                   database_url=postgres.database_url("bench"),
                                   **kafka.admin_settings())  # its own topics and groups: the operator's
        metadata = MetaData()
        tables = messaging_tables(metadata)
        effects = Table("effects", metadata, Column("event_id", Text), Column("request_id", Text))
        engine = make_engine(settings)
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        await ensure_topics(kafka.admin, [settings.topic(settings_topic()), "bench-pp"])
        size = record_size(settings)

        pp = await asyncio.to_thread(producer_performance, kafka, "bench-pp", pp_records, size)
        relay = await relay_throughput(engine, tables, settings, events)
        consumer_bare = await consumer_throughput(engine, tables, effects, settings, events, "bench-bare")
        async with engine.begin() as conn:
            await conn.execute(tables.inbox.delete())  # the second group must see every event as new
        consumer = await consumer_throughput(engine, tables, effects, settings, events, "bench-effect")
        p50, p99, achieved = await latency(engine, tables, effects, settings, rate, seconds)
        async with engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(effects)) == events + achieved_total(rate, seconds)
        await engine.dispose()
        return {
            "record_bytes": size, "events": events, "producer_performance_per_s": pp, "relay_per_s": relay,
            "relay_ratio": relay / pp, "consumer_bare_per_s": consumer_bare, "consumer_per_s": consumer,
            "latency_rate": rate, "latency_achieved_rate": achieved, "latency_p50_ms": p50, "latency_p99_ms": p99,
        }


def achieved_total(rate: int, seconds: float) -> int:
    return int(rate * seconds)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--writer":
        db, bootstrap, rate, seconds, out = sys.argv[2:7]
        uvloop.run(write_at_fixed_rate(db, bootstrap, int(rate), float(seconds), out))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--pp-records", type=int, default=300_000)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    # uvloop, as the services run under uvicorn[standard].
    r = uvloop.run(run(args.events, args.pp_records, args.rate, args.seconds))
    save(f"messaging-{args.rate}-per-s", r)
    print(f"""
| measure | result | target |
|---|---|---|
| (a) Kafka ProducerPerformance, {r['record_bytes']} B records, acks=all, idempotent | {r['producer_performance_per_s']:,.0f} records/s | baseline |
| (b) outbox relay, {r['events']:,} pre-filled rows | {r['relay_per_s']:,.0f} events/s = **{r['relay_ratio']:.3f} × (a)** | ≥ 0.10 × (a) |
| (c) consumer + inbox + commit, handler does nothing | **{r['consumer_bare_per_s']:,.0f} events/s** | ≥ 5,000 events/s |
| (c') the same, handler inserts one row per event | {r['consumer_per_s']:,.0f} events/s | (for comparison) |
| (d) commit → handler latency at {r['latency_rate']:,}/s (achieved {r['latency_achieved_rate']:,}/s) | p50 {r['latency_p50_ms']:.1f} ms, **p99 {r['latency_p99_ms']:.1f} ms** | p99 < 100 ms |
""")


if __name__ == "__main__":
    sys.exit(main())
