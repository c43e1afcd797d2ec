"""The transactional outbox and its relay, against the real PostgreSQL and Kafka."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict

import pytest
from sqlalchemy import MetaData, event, func, select, text

import ecity_common.messaging.relay as relay_module
from ecity_cli.testing import read_topic, submitted, topic_size
from ecity_common.db import make_engine, make_sessions
from ecity_common.events import CloudEvent
from ecity_common.messaging.outbox import Outbox
from ecity_common.messaging.relay import OutboxRelay, kafka_producer
from ecity_common.messaging.tables import messaging_tables
from ecity_common.messaging.topics import ensure_topics
from ecity_common.settings import ServiceSettings

TOPIC = "ecity.citizen-requests.v1"


@pytest.fixture
async def outbox_db(infra):
    prefix = f"t{uuid.uuid4().hex[:8]}."
    settings = ServiceSettings(
        service_name="citizen-requests",
        event_source="/ecity/citizen-requests",
        database_url=infra.new_database("outbox"),
        **infra.kafka_settings("citizen-requests", prefix),  # the relay publishes as citizen-requests
        kafka_topic_prefix=prefix,
        relay_batch_size=7,
    )
    metadata = MetaData()
    tables = messaging_tables(metadata)
    engine = make_engine(settings)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await ensure_topics(settings.kafka, [settings.topic(TOPIC)])
    yield settings, engine, tables
    await engine.dispose()


async def _relay(settings, engine, tables):
    producer = kafka_producer(settings)
    await producer.start()
    return OutboxRelay(engine=engine, outbox=tables.outbox, producer=producer, settings=settings), producer


async def test_two_relays_publish_everything_once_in_order_per_aggregate(outbox_db):
    settings, engine, tables = outbox_db
    outbox, sessions = Outbox(tables.outbox, settings), make_sessions(engine)
    aggregates = [f"request-{i}" for i in range(6)]
    expected: dict[str, list[str]] = defaultdict(list)
    for n in range(40):  # 40 transactions of 5 events each, aggregates interleaved
        async with sessions() as session, session.begin():
            for k in range(5):
                aggregate = aggregates[(n + k) % len(aggregates)]
                event = await outbox.add(session, submitted(aggregate), aggregate_id=aggregate)
                expected[aggregate].append(event.id)

    (relay_a, prod_a), (relay_b, prod_b) = await _relay(settings, engine, tables), await _relay(settings, engine, tables)
    try:
        async def drain(relay):
            # A batch can come back empty while the other replica holds an aggregate's head.
            while await _unsent(engine, tables):
                await relay.publish_batch()

        await asyncio.gather(drain(relay_a), drain(relay_b), drain(relay_a), drain(relay_b))
    finally:
        await prod_a.stop()
        await prod_b.stop()

    assert relay_a.published + relay_b.published == 200  # nothing sent twice
    records = await read_topic(settings.kafka_bootstrap_servers, settings.topic(TOPIC), 200)
    seen: dict[str, list[str]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        event = CloudEvent.from_kafka(record.headers, record.value)
        assert record.key.decode() == event.subject
        seen[record.key.decode()].append(event.id)
    assert seen == expected
    assert await _unsent(engine, tables) == 0


async def _unsent(engine, tables) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(select(func.count()).where(tables.outbox.c.published_at.is_(None)))


async def test_a_replica_skips_an_aggregate_whose_earlier_event_another_replica_holds(outbox_db):
    settings, engine, tables = outbox_db
    outbox, sessions = Outbox(tables.outbox, settings), make_sessions(engine)
    async with sessions() as session, session.begin():
        held_first = await outbox.add(session, submitted("held"), aggregate_id="held")
        await outbox.add(session, submitted("held"), aggregate_id="held")
        free = await outbox.add(session, submitted("free"), aggregate_id="free")
    relay, producer = await _relay(settings, engine, tables)
    try:
        async with engine.connect() as other_replica, other_replica.begin():
            # Another replica is in the middle of publishing "held"'s first event.
            await other_replica.execute(
                select(tables.outbox.c.id).where(tables.outbox.c.event_id == held_first.id).with_for_update()
            )
            assert await relay.publish_batch() == 1  # only "free": "held"'s second must wait its turn
        records = await read_topic(settings.kafka_bootstrap_servers, settings.topic(TOPIC), 1)
        assert [CloudEvent.from_kafka(r.headers, r.value).id for r in records] == [free.id]
        assert await relay.publish_batch() == 2  # the lock is gone: both of "held", in order
    finally:
        await producer.stop()
    held = [CloudEvent.from_kafka(r.headers, r.value) for r in
            await read_topic(settings.kafka_bootstrap_servers, settings.topic(TOPIC), 3) if r.key == b"held"]
    assert held[0].id == held_first.id and len(held) == 2


async def test_a_rolled_back_transaction_publishes_nothing(outbox_db):
    settings, engine, tables = outbox_db
    outbox, sessions = Outbox(tables.outbox, settings), make_sessions(engine)
    async with sessions() as session:
        async with session.begin():
            await outbox.add(session, submitted("rolled-back"), aggregate_id="rolled-back")
            await session.rollback()
        async with session.begin():
            kept = await outbox.add(session, submitted("kept"), aggregate_id="kept")
    relay, producer = await _relay(settings, engine, tables)
    try:
        assert await relay.publish_batch() == 1
    finally:
        await producer.stop()
    records = await read_topic(settings.kafka_bootstrap_servers, settings.topic(TOPIC), 1)
    assert [CloudEvent.from_kafka(r.headers, r.value).id for r in records] == [kept.id]
    assert await topic_size(settings.kafka_bootstrap_servers, settings.topic(TOPIC)) == 1


async def test_notify_wakes_the_relay_long_before_its_backstop_poll(outbox_db):
    settings, engine, tables = outbox_db
    settings = settings.model_copy(update={"relay_poll_interval_s": 120.0})
    relay, producer = await _relay(settings, engine, tables)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(1.0)  # the relay is idle now, waiting for a notification
        async with make_sessions(engine)() as session, session.begin():
            await Outbox(tables.outbox, settings).add(session, submitted("woken"), aggregate_id="woken")
        # With a 120 s poll, only NOTIFY can get it published within this window.
        records = await read_topic(settings.kafka_bootstrap_servers, settings.topic(TOPIC), 1, timeout_s=20)
        assert CloudEvent.from_kafka(records[0].headers, records[0].value).subject == "woken"
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)
        await producer.stop()


async def test_events_staged_together_are_one_statement_in_their_order_and_as_staged_one_by_one(outbox_db):
    """`add_many`/`add_many_data` write their rows with one statement (a JSON array taken apart by
    PostgreSQL): the ids keep the order the events were staged in (the relay publishes each
    aggregate's by id), and each row is the row `stage` makes for the event alone."""
    settings, engine, tables = outbox_db
    outbox, sessions = Outbox(tables.outbox, settings), make_sessions(engine)
    payloads = [submitted(f"bulk-{n}", description=f"Тече труба № {n}") for n in range(300)]
    async with sessions() as session, session.begin():
        await outbox.add_many_data(session, type(payloads[0]),
                                   [(p.model_dump(mode="json"), f"agg-{n % 7}") for n, p in enumerate(payloads)])
        await outbox.add_many(session, [(payloads[0], "agg-again")])
    async with engine.connect() as conn:
        rows = (await conn.execute(select(tables.outbox).order_by(tables.outbox.c.id))).mappings().all()
    assert [r["payload"]["data"]["request_id"] for r in rows] == [f"bulk-{n}" for n in range(300)] + ["bulk-0"]
    assert [r["aggregate_id"] for r in rows[:300]] == [f"agg-{n % 7}" for n in range(300)]
    _, alone = outbox.stage(payloads[5], aggregate_id="agg-5")
    stored = dict(rows[5])
    same = {k: stored[k] for k in alone if k not in ("event_id", "payload")}
    assert same == {k: v for k, v in alone.items() if k not in ("event_id", "payload")}
    differs = {k for k in alone["payload"] if stored["payload"][k] != alone["payload"][k]}
    assert differs <= {"id", "time"} and stored["payload"]["id"] == stored["event_id"]
    assert CloudEvent.model_validate(stored["payload"]).data == payloads[5].model_dump(mode="json")


def _blocks(plan: dict) -> int:
    return plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)


async def test_a_claim_does_not_visit_again_the_rows_already_sent(outbox_db):
    """Sent rows stay in the unsent-rows index until VACUUM; under load thousands of them. The
    claim, as the relay runs it, skips them after the first pass rather than reading each again."""
    settings, engine, tables = outbox_db
    settings = settings.model_copy(update={"relay_batch_size": 500})
    sessions = make_sessions(engine)
    outbox = Outbox(tables.outbox, settings)
    async with sessions() as session, session.begin():
        await outbox.add_many(session, [(submitted(f"sent-{n}"), f"sent-{n}") for n in range(2000)])
    relay, producer = await _relay(settings, engine, tables)
    try:
        while await relay.publish_batch():
            pass
    finally:
        await producer.stop()
    async with sessions() as session, session.begin():
        await outbox.add_many(session, [(submitted(f"new-{n}"), f"new-{n}") for n in range(3)])
    async with engine.begin() as conn:
        await conn.execute(relay_module._INDEX_SCANS)
        explain = text("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + relay._claim.text)
        (plan,) = (await conn.execute(explain, {"batch": 500})).scalar_one()
        await conn.rollback()  # EXPLAIN ANALYZE took the rows' locks
    root = plan["Plan"]
    assert root["Actual Rows"] == 3
    # The 2,000 sent rows fill ~60 heap pages: read again, the claim touched several hundred blocks.
    assert _blocks(root) < 60, plan

    # And the relay claims as explained here: the setting first, in the claim's own transaction.
    statements: list[str] = []
    listen = lambda conn, cursor, statement, *_: statements.append(statement)  # noqa: E731
    event.listen(engine.sync_engine, "before_cursor_execute", listen)
    relay, producer = await _relay(settings, engine, tables)
    try:
        assert await relay.publish_batch() == 3
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listen)
        await producer.stop()
    assert statements[0] == relay_module._INDEX_SCANS.text
    assert statements[1].strip().startswith("WITH claimed AS")


async def test_sent_rows_are_pruned_after_the_retention_and_unsent_ones_kept(outbox_db):
    settings, engine, tables = outbox_db
    sessions = make_sessions(engine)
    async with sessions() as session, session.begin():
        await Outbox(tables.outbox, settings).add(session, submitted("sent"), aggregate_id="sent")
    relay, producer = await _relay(settings, engine, tables)
    try:
        await relay.publish_batch()
    finally:
        await producer.stop()
    async with sessions() as session, session.begin():
        await Outbox(tables.outbox, settings).add(session, submitted("unsent"), aggregate_id="unsent")
    relay._settings = settings.model_copy(update={"outbox_retention_hours": 0.0})
    assert await relay.prune() == 1
    async with engine.connect() as conn:
        left = (await conn.execute(select(tables.outbox.c.aggregate_id))).scalars().all()
    assert left == ["unsent"]


@pytest.mark.parametrize("recorded", [True, False])
async def test_the_published_event_carries_the_trace_it_was_made_in(outbox_db, monkeypatch, recorded):
    """A replica that records spans publishes each event under a producer span of the same trace;
    one that records nothing passes the stored trace context on unchanged."""

    monkeypatch.setattr(relay_module, "recording", lambda: recorded)
    settings, engine, tables = outbox_db
    outbox, sessions = Outbox(tables.outbox, settings), make_sessions(engine)
    trace_id, parent_id = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    made_in = f"00-{trace_id}-{parent_id}-01"
    async with sessions() as session, session.begin():
        _, row = outbox.stage(submitted("request-1"), aggregate_id="request-1", carrier={"traceparent": made_in})
        await session.execute(tables.outbox.insert(), row)
    relay, producer = await _relay(settings, engine, tables)
    try:
        assert await relay.publish_batch() == 1
    finally:
        await producer.stop()
    (record,) = await read_topic(settings.kafka_bootstrap_servers, settings.topic(TOPIC), 1)
    sent = CloudEvent.from_kafka(record.headers, record.value).traceparent
    assert sent.split("-")[1] == trace_id
    assert (sent == made_in) is not recorded  # recorded: the relay's own span is the parent


async def test_the_backlog_and_what_was_published_are_measured(outbox_db):
    """What the 'relay stuck' alert reads: unsent events and when the oldest was committed."""
    from prometheus_client import REGISTRY

    settings, engine, tables = outbox_db
    outbox, sessions = Outbox(tables.outbox, settings), make_sessions(engine)
    relay, producer = await _relay(settings, engine, tables)
    published_before = REGISTRY.get_sample_value("ecity_outbox_published_total", {"service": "citizen-requests"}) or 0
    try:
        assert await relay.measure_backlog() == (0, None)
        assert REGISTRY.get_sample_value("ecity_outbox_oldest_unsent_timestamp_seconds", {"service": "citizen-requests"}) == 0
        async with sessions() as session, session.begin():
            for n in range(3):
                await outbox.add(session, submitted(f"r-{n}"), aggregate_id=f"r-{n}")
            committed_at = await session.scalar(select(func.extract("epoch", func.now())))
        unsent, oldest = await relay.measure_backlog()
        assert unsent == 3 and oldest == pytest.approx(float(committed_at), abs=0.01)
        assert REGISTRY.get_sample_value("ecity_outbox_unsent_events", {"service": "citizen-requests"}) == 3
        assert await relay.publish_batch() == 3
        assert await relay.measure_backlog() == (0, None)
        published = REGISTRY.get_sample_value("ecity_outbox_published_total", {"service": "citizen-requests"})
        assert published - published_before == 3
    finally:
        await producer.stop()


async def test_a_batch_the_relay_cannot_publish_is_counted_by_its_error_and_stays_unsent(outbox_db):
    """ecity_outbox_publish_errors_total: here the broker refuses the topic (a row for a topic this
    service may not write, as a bad deploy could stage), the relay backs off and tries again."""
    from prometheus_client import REGISTRY

    settings, engine, tables = outbox_db
    outbox, sessions = Outbox(tables.outbox, settings), make_sessions(engine)
    async with sessions() as session, session.begin():
        await outbox.add(session, submitted("r-refused"), aggregate_id="r-refused")
        await session.execute(tables.outbox.update().values(topic=settings.topic("ecity.network.v1")))
    labels = {"service": "citizen-requests", "error": "TopicAuthorizationFailedError"}
    before = REGISTRY.get_sample_value("ecity_outbox_publish_errors_total", labels) or 0
    relay, producer = await _relay(settings, engine, tables)
    running = asyncio.create_task(relay.run())
    try:
        async with asyncio.timeout(30):
            while (REGISTRY.get_sample_value("ecity_outbox_publish_errors_total", labels) or 0) == before:
                await asyncio.sleep(0.1)
        assert (await relay.measure_backlog())[0] == 1
    finally:
        relay.stop()
        await asyncio.gather(running, return_exceptions=True)
        await producer.stop()
