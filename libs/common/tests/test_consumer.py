"""The idempotent consumer, its retries and its dead letters, against real PostgreSQL and Kafka."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import Column, Integer, MetaData, Table, Text, func, insert, select

from ecity_cli.testing import admin_access, kafka_options, read_topic, submitted
from ecity_common.db import make_engine, make_sessions
from ecity_common.events import CloudEvent
from ecity_common.messaging import dlq
from ecity_common.messaging.consumer import EventConsumer
from ecity_common.messaging.lag import ConsumerLagMeter
from ecity_common.messaging.tables import messaging_tables
from ecity_common.messaging.topics import ensure_topics
from ecity_common.settings import ServiceSettings

SUBMITTED = "ua.sumy.ecity.citizen-requests.request.submitted.v1"
TOPIC = "ecity.citizen-requests.v1"


class Harness:
    """A consumer of citizen requests whose handler writes one `effects` row per call."""

    def __init__(self, settings, engine, tables, effects):
        self.settings, self.engine, self.tables, self.effects = settings, engine, tables, effects
        self.poisoned = {"poison"}  # descriptions the handler refuses
        self.flaky: dict[str, int] = {}  # description -> failures of its own left before it succeeds
        self.unreachable: dict[str, int] = {}  # description -> times its database call fails as "away"
        self.on_call: dict[str, list] = {}  # description -> what each call does first (async callables)
        self.calls: dict[str, int] = {}

    @property
    def topic(self) -> str:
        return self.settings.topic(TOPIC)

    async def handler(self, session, event, payload) -> None:
        what = payload.description
        self.calls[what] = self.calls.get(what, 0) + 1
        if self.on_call.get(what):
            await self.on_call[what].pop(0)()
        await session.execute(insert(self.effects).values(event_id=event.id, request_id=payload.request_id))
        if what in self.poisoned:
            raise RuntimeError("cannot route this request")
        if self.flaky.get(what, 0) > 0:
            self.flaky[what] -= 1
            raise ValueError("the company's code is not in the register yet")
        if self.unreachable.get(what, 0) > 0:
            self.unreachable[what] -= 1
            raise ConnectionRefusedError(111, "Connection refused")

    async def publish(self, *records: tuple[list, bytes, bytes]) -> None:
        producer = AIOKafkaProducer(**kafka_options(self.settings.kafka_bootstrap_servers))
        await producer.start()
        try:
            for headers, key, value in records:
                await producer.send_and_wait(self.topic, value=value, key=key, headers=headers)
        finally:
            await producer.stop()

    async def effects_of(self, request_id: str) -> int:
        async with self.engine.connect() as conn:
            return await conn.scalar(select(func.count()).where(self.effects.c.request_id == request_id))

    async def consume_until(self, done, timeout_s: float = 30.0) -> EventConsumer:
        # Dead letters go out as the consumer's own service, as in the runtime: its ACLs allow the .dlq twin.
        producer = AIOKafkaProducer(**self.settings.kafka.client_options(), enable_idempotence=True)
        await producer.start()
        consumer = EventConsumer(
            sessions=make_sessions(self.engine), inbox=self.tables.inbox, producer=producer,
            settings=self.settings, handlers={SUBMITTED: self.handler},
        )
        await consumer.start()
        task = asyncio.create_task(consumer.run())
        try:
            async with asyncio.timeout(timeout_s):
                while not await done(consumer):
                    await asyncio.sleep(0.1)
        finally:
            await consumer.stop()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await producer.stop()
        return consumer


def record(request_id: str, description: str = "ok", event_id: str | None = None):
    event = CloudEvent(source="/ecity/citizen-requests", type=SUBMITTED, subject=request_id,
                       data=submitted(request_id, description).model_dump(mode="json"),
                       **({"id": event_id} if event_id else {}))
    return event.kafka_headers(), request_id.encode(), event.kafka_value()


@pytest.fixture
async def harness(infra):
    prefix = f"t{uuid.uuid4().hex[:8]}."
    settings = ServiceSettings(
        service_name="utilities-gateway",
        database_url=infra.new_database("consumer"),
        **infra.kafka_settings("utilities-gateway", prefix),  # it reads and dead-letters as the gateway
        kafka_topic_prefix=prefix,
        consumer_backoff_s=0.01,
    )
    metadata = MetaData()
    tables = messaging_tables(metadata)
    effects = Table("effects", metadata, Column("n", Integer, primary_key=True, autoincrement=True),
                    Column("event_id", Text), Column("request_id", Text))
    engine = make_engine(settings)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    topic = settings.topic(TOPIC)
    await ensure_topics(infra.admin, [topic, f"{topic}.dlq"])
    yield Harness(settings, engine, tables, effects)
    await engine.dispose()


async def test_the_same_event_delivered_twice_takes_effect_once(harness):
    same = record("r-dup", event_id="evt-1")
    await harness.publish(same, same, record("r-other"))
    consumer = await harness.consume_until(lambda c: _ready(c.stats.handled + c.stats.duplicates >= 3))
    assert await harness.effects_of("r-dup") == 1
    assert await harness.effects_of("r-other") == 1
    assert consumer.stats.duplicates == 1


async def test_a_handler_that_fails_briefly_is_retried_and_applied_once(harness):
    harness.flaky["flaky"] = 2  # fails twice; the third attempt (the last allowed) succeeds
    await harness.publish(record("r-flaky", "flaky"))
    consumer = await harness.consume_until(lambda c: _ready(c.stats.handled >= 1))
    assert await harness.effects_of("r-flaky") == 1  # the failed attempts' rows were rolled back
    assert consumer.stats.dead_lettered == 0


async def test_poison_messages_go_to_the_dead_letter_topic_and_the_consumer_goes_on(harness):
    unreadable = ([("ce_id", b"x-1")], b"r-junk", b"{not json")
    bad_data = ([*record("r-bad")[0][:-1], ("content-type", b"application/json")], b"r-bad", b'{"request_id": 42}')
    await harness.publish(record("r-first"), unreadable, bad_data, record("r-poison", "poison"), record("r-last"))
    dead_before = _metric("ecity_dead_letters_total", dlq_topic=f"{harness.topic}.dlq", group="ecity.utilities-gateway")
    own_before = _metric("ecity_consumer_handler_failures_total", group="ecity.utilities-gateway", event_type=SUBMITTED,
                         failure="own")
    consumer = await harness.consume_until(lambda c: _ready(c.stats.handled >= 2 and c.stats.dead_lettered >= 3))

    assert await harness.effects_of("r-first") == 1 and await harness.effects_of("r-last") == 1
    assert await harness.effects_of("r-poison") == 0  # its failed attempts left nothing behind
    letters = await dlq.read_dead_letters(admin_access(harness.settings.kafka_bootstrap_servers), f"{harness.topic}.dlq")
    by_key = {d.key: d for d in letters}
    assert sorted(by_key) == [b"r-bad", b"r-junk", b"r-poison"]
    for letter in letters:
        assert letter.original_topic == harness.topic
        assert letter.consumer_group == "ecity.utilities-gateway"
        assert letter.original_partition >= 0 and letter.original_offset >= 0
        assert letter.failed_at
    assert "unreadable record" in by_key[b"r-junk"].error
    assert "invalid ua.sumy.ecity.citizen-requests.request.submitted.v1 data" in by_key[b"r-bad"].error
    assert "RuntimeError: cannot route this request (after 3 attempts)" in by_key[b"r-poison"].error
    assert consumer.stats.dead_lettered == 3
    # What the operator's alerts read: dead letters per topic and group, failures by event type.
    group, dlq_topic = "ecity.utilities-gateway", f"{harness.topic}.dlq"
    assert _metric("ecity_dead_letters_total", dlq_topic=dlq_topic, group=group) - dead_before == 3
    assert _metric("ecity_consumer_handler_failures_total", group=group, event_type=SUBMITTED, failure="own") - own_before == 4  # on the fast path, then 3 tries
    # Measured from the broker as the service measures it: nothing left behind on any partition.
    meter = ConsumerLagMeter(harness.settings, [harness.topic])
    try:
        assert set((await meter.measure()).values()) == {0}
    finally:
        await meter.close()
    assert _metric("ecity_consumer_lag", group=group, topic=harness.topic, partition=str(by_key[b"r-poison"].original_partition)) == 0

    # Offsets were committed past the poison: a restarted consumer does not see it again.
    committed = await _committed(harness)
    assert sum(committed.values()) == 5

    # The bug is fixed; the operator replays the dead letter and it takes effect, once.
    harness.poisoned.clear()
    poison = by_key[b"r-poison"]
    assert await dlq.replay_dead_letters(admin_access(harness.settings.kafka_bootstrap_servers), [poison]) == 1
    await harness.consume_until(lambda c: _ready(c.stats.handled >= 1))
    assert await harness.effects_of("r-poison") == 1
    replayed = [r for r in await read_topic(harness.settings.kafka_bootstrap_servers, harness.topic, 6)
                if dlq.H_REPLAYED in dict(r.headers)]
    assert len(replayed) == 1 and replayed[0].value == poison.value
    assert dlq.H_ERROR not in dict(replayed[0].headers)  # the original record, not the dead letter


async def test_the_database_away_for_longer_than_the_attempts_dead_letters_nothing(harness, caplog):
    # Five failures "connection refused", where an event of its own gets three attempts: they are
    # the infrastructure's, so the poll is read again until the call goes through.
    harness.unreachable["away"] = 5
    harness.settings.consumer_max_attempts = 3
    await harness.publish(record("r-away", "away"), record("r-next"))
    with caplog.at_level(logging.WARNING, logger="ecity_common.messaging.consumer"):
        consumer = await harness.consume_until(lambda c: _ready(c.stats.handled >= 2), timeout_s=60)
    assert consumer.stats.dead_lettered == 0
    assert await harness.effects_of("r-away") == 1 and await harness.effects_of("r-next") == 1
    assert harness.calls["away"] == 6
    infrastructure = _metric("ecity_consumer_handler_failures_total", group="ecity.utilities-gateway",
                             event_type=SUBMITTED, failure="infrastructure")
    assert infrastructure >= 5
    assert consumer.recovery.waiting is False  # it said it recovered
    said = [r.getMessage() for r in caplog.records]
    assert sum("is away" in m for m in said) == 1, said  # once per outage, not once per try
    assert any("answer again" in m for m in said), said
    assert await _dead_letters(harness) == []


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_a_database_restart_during_a_record_by_record_retry_dead_letters_nothing(harness, infra, mode):
    """The night of the issue: a batch goes record by record (one event fails on its own), and
    while a record is retried the database restarts. Nothing is dead-lettered; everything is
    applied once when the database is back."""
    async def restart_database() -> None:
        await asyncio.to_thread(infra.postgres.restart, mode, 2.0)

    harness.flaky["restart"] = 1  # fails once on its own: the batch goes record by record
    harness.on_call["restart"] = [_nothing, restart_database]  # the second call: inside a savepoint
    harness.settings.consumer_max_attempts = 2
    await harness.publish(record("r-before"), record("r-restart", "restart"), record("r-after"))
    consumer = await harness.consume_until(lambda c: _ready(c.stats.handled >= 3), timeout_s=90)

    assert harness.calls["restart"] >= 3  # the fast path, its retry cut by the restart, and after
    assert consumer.stats.dead_lettered == 0
    for request_id in ("r-before", "r-restart", "r-after"):
        assert await harness.effects_of(request_id) == 1, request_id
    assert await _dead_letters(harness) == []
    assert sum((await _committed(harness)).values()) == 3  # and its offsets committed


async def test_a_consumer_stuck_in_its_handler_shows_its_lag_growing_and_its_committed_offset_standing(harness):
    """The review's case: a handler that never returns. The consumer's own gauge, set after a poll
    it finished, stood still at its last figure and the lag alert could never fire; measured from the
    broker on the meter's timer, the lag grows with every event published and the committed offset
    does not move: what EcityConsumerStuck reads."""
    hung = asyncio.Event()

    async def hang() -> None:
        hung.set()
        await asyncio.Event().wait()  # forever: a lock never released, a call that never answers

    harness.on_call["hang"] = [hang]
    await harness.publish(record("r-hang", "hang"), record("r-a"), record("r-b"))
    producer = AIOKafkaProducer(**harness.settings.kafka.client_options(), enable_idempotence=True)
    await producer.start()
    consumer = EventConsumer(sessions=make_sessions(harness.engine), inbox=harness.tables.inbox, producer=producer,
                             settings=harness.settings, handlers={SUBMITTED: harness.handler})
    await consumer.start()
    running = asyncio.create_task(consumer.run())
    meter = ConsumerLagMeter(harness.settings, [harness.topic])  # signs in as the service: its own ACLs
    measuring = asyncio.create_task(meter.keep_measuring(0.1))
    group = harness.settings.consumer_group

    def measured() -> tuple[float, float]:
        partitions = [str(p) for p in range(3)]
        return (sum(_metric("ecity_consumer_lag", group=group, topic=harness.topic, partition=p) for p in partitions),
                sum(_metric("ecity_consumer_committed_offset", group=group, topic=harness.topic, partition=p)
                    for p in partitions))

    async def gauges_read(lag: int) -> None:
        async with asyncio.timeout(30):
            while measured()[0] != lag:
                await asyncio.sleep(0.1)

    try:
        async with asyncio.timeout(30):
            await hung.wait()
        await gauges_read(3)
        await harness.publish(record("r-c"), record("r-d"), record("r-e"), record("r-f"))
        await gauges_read(7)  # the consumer's loop has not moved since the first poll; the meter has
        assert measured()[1] == 0  # nothing committed: where a restarted consumer starts again
        assert await harness.effects_of("r-a") == 0
    finally:
        measuring.cancel()
        await asyncio.gather(measuring, return_exceptions=True)
        await consumer.stop(timeout_s=0.5)  # its batch never finishes: rolled back, read again later
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await producer.stop()


def _metric(name: str, **labels: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


async def _nothing() -> None:
    return None


async def _dead_letters(harness) -> list:
    return await dlq.read_dead_letters(admin_access(harness.settings.kafka_bootstrap_servers), f"{harness.topic}.dlq")


async def _ready(value: bool) -> bool:
    return value


async def _committed(harness) -> dict[int, int]:
    consumer = AIOKafkaConsumer(**kafka_options(harness.settings.kafka_bootstrap_servers),
                                group_id=harness.settings.consumer_group, enable_auto_commit=False)
    await consumer.start()
    try:
        out = {}
        for p in consumer.partitions_for_topic(harness.topic) or await _partitions(consumer, harness.topic):
            out[p] = await consumer.committed(TopicPartition(harness.topic, p)) or 0
        return out
    finally:
        await consumer.stop()


async def _partitions(consumer, topic):
    await consumer._client.force_metadata_update()  # noqa: SLF001
    return consumer.partitions_for_topic(topic) or set()


async def test_a_failed_poll_of_a_partition_taken_away_meanwhile_does_not_end_the_consumer(harness):
    """A rebalance (a replica joining or leaving) can take a partition away while its poll is being
    handled. When that poll then fails (the database away), only the partitions still ours are
    read again; seeking the other one raised IllegalStateError out of run(), and the replica
    stayed in the group without reading its partitions again."""
    from aiokafka.structs import ConsumerRecord

    harness.unreachable["away"] = 1
    headers, key, value = record("r-gone", "away")
    producer = AIOKafkaProducer(**kafka_options(harness.settings.kafka_bootstrap_servers))
    await producer.start()
    consumer = EventConsumer(sessions=make_sessions(harness.engine), inbox=harness.tables.inbox, producer=producer,
                             settings=harness.settings, handlers={SUBMITTED: harness.handler})
    await consumer.start()
    try:
        not_ours = TopicPartition(harness.topic, 99)  # never assigned to this member
        polled = ConsumerRecord(harness.topic, 99, 0, 0, 0, key, value, None, len(key), len(value), headers)
        await consumer._process_batch({not_ours: [polled]})  # noqa: SLF001 - returns, to poll again
        assert harness.calls["away"] == 1 and await harness.effects_of("r-gone") == 0
    finally:
        await consumer.stop()
        await producer.stop()
