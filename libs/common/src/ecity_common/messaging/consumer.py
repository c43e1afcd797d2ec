"""The idempotent consumer: at-least-once from Kafka, effectively-once in the database.

For each partition's batch, one database transaction: per record a savepoint that inserts the
event into the inbox (keyed by CloudEvents source + id) and runs the handler. A duplicate hits the
inbox key and is skipped. A handler that fails is retried with backoff inside its savepoint; one
that keeps failing, or a record that can never be read, is sent to `<topic>.dlq` and the consumer
goes on. Offsets are committed only after the database commit (and the dead letters' send), so a
crash in between redelivers records whose effects the inbox then recognises.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from pydantic import BaseModel, ValidationError
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecity_common.events import CloudEvent, InvalidEvent, spec_for
from ecity_common.messaging import faults
from ecity_common.messaging.dlq import send_dead_letter
from ecity_common.settings import ServiceSettings

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

Handler = Callable[[AsyncSession, CloudEvent, BaseModel], Awaitable[None]]


@dataclass
class ConsumerStats:
    handled: int = 0
    duplicates: int = 0
    ignored: int = 0
    dead_lettered: int = 0


class EventConsumer:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        inbox: Table,
        producer: AIOKafkaProducer,
        settings: ServiceSettings,
        handlers: dict[str, Handler],
    ) -> None:
        self._sessions = sessions
        self._inbox = inbox
        self._producer = producer
        self._settings = settings
        self._handlers = handlers
        self._topics = sorted({settings.topic(spec_for(t).topic) for t in handlers if spec_for(t)})
        unknown = [t for t in handlers if spec_for(t) is None]
        if unknown:
            raise ValueError(f"handlers for event types not in the catalogue: {unknown}")
        self._consumer: AIOKafkaConsumer | None = None
        self._stopping = asyncio.Event()
        self.stats = ConsumerStats()

    @property
    def topics(self) -> list[str]:
        return self._topics

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            *self._topics,
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            group_id=self._settings.consumer_group,
            client_id=f"{self._settings.service_name}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",  # a new group starts from the beginning: nothing missed
        )
        await self._consumer.start()

    async def stop(self) -> None:
        self._stopping.set()
        if self._consumer is not None:
            await self._consumer.stop()

    async def run(self) -> None:
        assert self._consumer is not None, "start() first"
        while not self._stopping.is_set():
            try:
                batch = await self._consumer.getmany(
                    timeout_ms=500, max_records=self._settings.consumer_batch_size
                )
            except KafkaError:
                log.warning("fetch from Kafka failed; retrying", exc_info=True)
                await asyncio.sleep(1.0)
                continue
            for tp, records in batch.items():
                await self._process_partition_batch(tp, records)

    async def _process_partition_batch(self, tp: TopicPartition, records: list[ConsumerRecord]) -> None:
        assert self._consumer is not None
        try:
            dead: list[tuple[ConsumerRecord, str]] = []
            async with self._sessions() as session, session.begin():
                for record in records:
                    error = await self._handle(session, record)
                    if error is not None:
                        dead.append((record, error))
            faults.checkpoint(faults.CONSUMER_AFTER_DB_COMMIT)
            for record, error in dead:
                await send_dead_letter(self._producer, record, consumer_group=self._settings.consumer_group, error=error)
                self.stats.dead_lettered += 1
                log.error(
                    "event sent to dead-letter topic",
                    extra={"topic": record.topic, "offset": record.offset, "error": error},
                )
        except Exception:  # noqa: BLE001 - the database or Kafka is away: read this batch again
            log.exception("batch from %s failed; it will be read again", tp)
            self._consumer.seek(tp, records[0].offset)
            await asyncio.sleep(1.0)
            return
        try:
            await self._consumer.commit({tp: records[-1].offset + 1})
        except CommitFailedError:
            # The partition moved to another member; it re-reads these and the inbox skips them.
            log.warning("offset commit refused after a rebalance", extra={"partition": str(tp)})

    async def _handle(self, session: AsyncSession, record: ConsumerRecord) -> str | None:
        """Apply one record; returns the reason when it must go to the dead-letter topic."""
        try:
            event = CloudEvent.from_kafka(record.headers, record.value)
        except InvalidEvent as exc:
            return f"unreadable record: {exc}"
        handler = self._handlers.get(event.type)
        if handler is None:
            self.stats.ignored += 1  # another consumer's business
            return None
        parent = propagate.extract({"traceparent": event.traceparent} if event.traceparent else {})
        with tracer.start_as_current_span(
            f"{record.topic} process",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": record.topic,
                "messaging.consumer.group.name": self._settings.consumer_group,
                "messaging.message.id": event.id,
                "messaging.kafka.offset": record.offset,
                "cloudevents.event_type": event.type,
            },
        ) as span:
            try:
                payload = spec_for(event.type).payload.model_validate(event.data)
            except ValidationError as exc:
                span.set_status(Status(StatusCode.ERROR, "invalid payload"))
                return f"invalid {event.type} data: {exc.errors(include_url=False)}"
            return await self._apply_with_retries(session, record, event, payload, handler, span)

    async def _apply_with_retries(self, session, record, event, payload, handler, span) -> str | None:
        attempts = self._settings.consumer_max_attempts
        for attempt in range(1, attempts + 1):
            try:
                async with session.begin_nested():
                    first_time = await session.execute(
                        insert(self._inbox)
                        .values(
                            source=event.source,
                            event_id=event.id,
                            type=event.type,
                            topic=record.topic,
                            consumer_group=self._settings.consumer_group,
                        )
                        .on_conflict_do_nothing(index_elements=["source", "event_id"])
                        .returning(self._inbox.c.event_id)
                    )
                    if first_time.first() is None:
                        self.stats.duplicates += 1
                        log.info("duplicate event skipped", extra={"event_id": event.id, "event_type": event.type})
                        return None
                    await handler(session, event, payload)
                self.stats.handled += 1
                log.info("event handled", extra={"event_id": event.id, "event_type": event.type})
                return None
            except Exception as exc:  # noqa: BLE001 - any handler failure counts against the budget
                span.record_exception(exc)
                if attempt == attempts:
                    span.set_status(Status(StatusCode.ERROR, "dead-lettered"))
                    return f"{type(exc).__name__}: {exc} (after {attempts} attempts)"
                await asyncio.sleep(self._settings.consumer_backoff_s * 2 ** (attempt - 1))
        return None
