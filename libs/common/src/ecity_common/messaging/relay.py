"""The outbox relay: publishes committed outbox rows to Kafka, in order per aggregate.

Woken by LISTEN/NOTIFY within milliseconds of a commit, with a slow poll as the backstop (a lost
notification, a reconnect). Several replicas may run: each claims a batch with
`FOR UPDATE SKIP LOCKED`, and a row is published only when no earlier row of the same aggregate is
still unsent outside the batch, so one aggregate's events never overtake each other. Publishing is
at-least-once (a crash after the send and before the mark sends again); consumers deduplicate by
event id. Rows are marked sent, not deleted, and pruned after a retention for inspection.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import UTC, datetime, timedelta

import asyncpg
from aiokafka import AIOKafkaProducer
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from sqlalchemy import Table, delete, text
from sqlalchemy.ext.asyncio import AsyncEngine

from ecity_common.doorbell import keep_listening, sleep_until_woken
from ecity_common.events.envelope import kafka_record
from ecity_common.messaging import faults
from ecity_common.messaging.metrics import (
    OUTBOX_OLDEST_UNSENT,
    OUTBOX_UNSENT,
    PUBLISH_BATCH,
    PUBLISH_ERRORS,
    PUBLISHED,
)
from ecity_common.messaging.recovery import Recovery
from ecity_common.messaging.tables import NOTIFY_CHANNEL
from ecity_common.settings import ServiceSettings
from ecity_common.tracing import recording

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

_CLAIM = """
WITH claimed AS (
    SELECT id, aggregate_type, aggregate_id
    FROM {outbox}
    WHERE published_at IS NULL
    ORDER BY id
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
)
SELECT o.id, o.aggregate_id, o.topic, o.payload, o.headers
FROM {outbox} o JOIN claimed c ON c.id = o.id
-- An earlier unsent row of the aggregate outside the batch holds it back. Asked per claimed row
-- (a scalar subquery, a probe of the by-aggregate index): as NOT EXISTS it was planned as a join
-- over every entry of that index, sent ones included until VACUUM.
WHERE (
    SELECT earlier.id FROM {outbox} earlier
    WHERE earlier.published_at IS NULL
      AND earlier.aggregate_type = c.aggregate_type
      AND earlier.aggregate_id = c.aggregate_id
      AND earlier.id < c.id
      AND earlier.id NOT IN (SELECT id FROM claimed)
    LIMIT 1
) IS NULL
ORDER BY o.id
"""

_INDEX_SCANS = text("SET LOCAL enable_bitmapscan = off")


def kafka_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **settings.kafka.client_options(),
        enable_idempotence=True,
        acks="all",
        linger_ms=0,
        max_batch_size=1 << 20,
        client_id=f"{settings.service_name}-relay",
    )


class OutboxRelay:
    def __init__(
        self,
        *,
        engine: AsyncEngine,
        outbox: Table,
        producer: AIOKafkaProducer,
        settings: ServiceSettings,
    ) -> None:
        self._engine = engine
        self._outbox = outbox
        self._producer = producer
        self._settings = settings
        self._claim = text(_CLAIM.format(outbox=outbox.name))
        # One statement for any batch size (`IN` with a list is a new statement per length).
        self._mark = text(f"UPDATE {outbox.name} SET published_at = :at WHERE id = ANY(:ids)")
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._listener: asyncpg.Connection | None = None
        self.published = 0
        self.recovery = Recovery("relay", log)
        service = settings.service_name
        self._published = PUBLISHED.labels(service)
        self._batch_sizes = PUBLISH_BATCH.labels(service)
        self._unsent = OUTBOX_UNSENT.labels(service)
        self._oldest_unsent = OUTBOX_OLDEST_UNSENT.labels(service)
        self._backlog = text(f"SELECT count(*) AS n, extract(epoch FROM min(created_at)) AS oldest "
                             f"FROM {outbox.name} WHERE published_at IS NULL")

    # -- lifecycle --------------------------------------------------------------------------

    async def run(self) -> None:
        """Publish until stopped. Errors are logged and retried; the relay never gives up."""
        listen_task = asyncio.create_task(self._keep_listening(), name="outbox-listen")
        measure_task = asyncio.create_task(self._keep_measuring(), name="outbox-backlog")
        last_prune = datetime.min.replace(tzinfo=UTC)
        try:
            while not self._stopping.is_set():
                try:
                    while await self.publish_batch() == self._settings.relay_batch_size:
                        pass  # a full batch: there may be more waiting
                    if datetime.now(UTC) - last_prune > timedelta(minutes=10):
                        await self.prune()
                        last_prune = datetime.now(UTC)
                except Exception as exc:  # noqa: BLE001 - the claim is rolled back: the rows wait unsent
                    PUBLISH_ERRORS.labels(self._settings.service_name, type(exc).__name__).inc()
                    self.recovery.failed(exc, "publishing the outbox")
                    await self.recovery.pause(self._stopping)
                    continue  # straight back to the rows that wait, without waiting for a wake-up
                self.recovery.recovered()
                await self._sleep_until_woken()
        finally:
            listen_task.cancel()
            measure_task.cancel()
            await asyncio.gather(listen_task, measure_task, return_exceptions=True)

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def _sleep_until_woken(self) -> None:
        await sleep_until_woken(self._wake, self._settings.relay_poll_interval_s)

    async def _keep_listening(self) -> None:
        await keep_listening(self._settings.database_url, NOTIFY_CHANNEL, self._wake, self._stopping, what="outbox")

    async def _keep_measuring(self) -> None:
        """The backlog, apart from the relay's own loop: when Kafka is away the relay is stuck in
        its back-off, and this is what shows the outbox growing older (the "relay stuck" alert)."""
        while not self._stopping.is_set():
            with suppress(Exception):  # the database away: the gauges keep their last values
                await self.measure_backlog()
            await asyncio.sleep(self._settings.relay_backlog_measure_s)

    async def measure_backlog(self) -> tuple[int, float | None]:
        async with self._engine.connect() as conn:
            row = (await conn.execute(self._backlog)).one()
        self._unsent.set(row.n)
        self._oldest_unsent.set(float(row.oldest or 0))
        return row.n, (float(row.oldest) if row.oldest is not None else None)

    # -- the work ---------------------------------------------------------------------------

    async def publish_batch(self) -> int:
        """Claim, publish and mark one batch; returns how many rows it claimed and sent."""
        async with self._engine.begin() as conn:
            # Rows marked sent stay in the unsent-rows indexes until VACUUM (a minute or more
            # apart): thousands under load. Planned as a bitmap scan, every claim read them all
            # again (1.7 ms a claim in bench/citizens.py); a plain index scan marks them dead on
            # its first pass and skips them after (0.4 ms).
            await conn.execute(_INDEX_SCANS)
            rows = (await conn.execute(self._claim, {"batch": self._settings.relay_batch_size})).all()
            if not rows:
                return 0
            faults.checkpoint(faults.RELAY_BEFORE_PUBLISH)
            futures = [await self._send(row) for row in rows]
            await asyncio.gather(*futures)  # every record acknowledged by all in-sync replicas
            ids = [row.id for row in rows]
            await conn.execute(self._mark, {"ids": ids, "at": datetime.now(UTC)})
        self.published += len(rows)
        self._published.inc(len(rows))
        self._batch_sizes.observe(len(rows))
        return len(rows)

    async def _send(self, row) -> asyncio.Future:
        stored = row.payload  # the event as Outbox.stage_data wrote it
        if not recording():
            # Nothing recorded: the event keeps the trace it was made in, without a span drawn
            # and dropped for each of thousands of events a second.
            return await self._publish(row, stored.get("traceparent"))
        parent = propagate.extract({"traceparent": stored["traceparent"]} if stored.get("traceparent") else {})
        with tracer.start_as_current_span(
            f"{row.topic} publish",
            context=parent,
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": row.topic,
                "messaging.message.id": stored["id"],
                "cloudevents.event_type": stored["type"],
            },
        ):
            # The consumer's span becomes a child of this one: same trace as the HTTP request.
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            return await self._publish(row, carrier.get("traceparent", stored.get("traceparent")))

    async def _publish(self, row, traceparent: str | None) -> asyncio.Future:
        value, headers = kafka_record(row.payload, traceparent)
        extra = [(k, str(v).encode()) for k, v in (row.headers or {}).items()]
        return await self._producer.send(row.topic, value=value, key=row.aggregate_id.encode(), headers=headers + extra)

    async def prune(self) -> int:
        cutoff = datetime.now(UTC) - timedelta(hours=self._settings.outbox_retention_hours)
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(self._outbox).where(self._outbox.c.published_at.is_not(None), self._outbox.c.published_at < cutoff)
            )
        return result.rowcount or 0
