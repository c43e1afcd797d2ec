"""The idempotent consumer: at-least-once from Kafka, effectively-once in the database.

For each partition's batch, one database transaction: the batch's events go into the inbox (keyed
by CloudEvents source + id) in one statement, and the handlers of those that were new run in it. A
duplicate hits the inbox key and is skipped. If a handler fails, the batch is rolled back and redone
record by record, each in a savepoint, so that only the failing one is retried with backoff; one
that keeps failing, or a record that can never be read, is sent to `<topic>.dlq` and the consumer
goes on. Offsets are committed only after the database commit (and the dead letters' send), so a
crash in between redelivers records whose effects the inbox then recognises.

Only an event's own failures count against its attempts (`ecity_common.failures`). When the
database or Kafka is away, whatever the path, the whole poll is rolled back, read again after a
capped exponential back-off, and again, for as long as the outage lasts: a failover never turns a
healthy event into a dead letter. A serialization failure or a deadlock redoes the poll at once.

Its lag is not measured here but from outside, on a timer (`messaging.lag`): a consumer stuck in a
handler would not measure itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
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
from ecity_common.events.catalogue import dead_letter_topic
from ecity_common.failures import Failure, classify
from ecity_common.messaging import faults
from ecity_common.messaging.dlq import send_dead_letter
from ecity_common.messaging.metrics import CONSUMED, DEAD_LETTERS, HANDLER_DURATION, HANDLER_FAILURES
from ecity_common.messaging.recovery import Recovery
from ecity_common.settings import ServiceSettings

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

EventHandler = Callable[[AsyncSession, CloudEvent, BaseModel], Awaitable[None]]


@dataclass(frozen=True)
class BatchHandler:
    """Handles a run of events of one type at once, in offset order, in the consumer's transaction:
    for handlers that write in bulk. On the record-by-record path it gets one event at a time."""

    handle: Callable[[AsyncSession, list[tuple[CloudEvent, BaseModel]]], Awaitable[None]]


Handler = EventHandler | BatchHandler


@dataclass
class ConsumerStats:
    handled: int = 0
    duplicates: int = 0
    ignored: int = 0
    dead_lettered: int = 0


@dataclass
class _Delivery:
    record: ConsumerRecord
    event: CloudEvent | None = None
    payload: BaseModel | None = None
    handler: Handler | None = None
    error: str | None = None  # why it goes to the dead-letter topic


class _HandlerFailed(Exception):
    """A handler raised on the fast path with a failure of its event's own; the batch is redone
    record by record. (An infrastructure failure is not wrapped: it ends the whole poll.)"""




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
        self._offset_commit: asyncio.Task | None = None
        self._inbox_insert_returning = (
            insert(inbox)
            .on_conflict_do_nothing(index_elements=["source", "event_id"])
            .returning(inbox.c.source, inbox.c.event_id)
        )
        self.stats = ConsumerStats()
        self.recovery = Recovery("consumer", log)
        self.stopped_by: str | None = None  # why run() ended, if not by stop()
        self._finished = asyncio.Event()  # run() has returned: its last poll is committed or undone
        self._finished.set()
        group = settings.consumer_group
        self._counted = {o: CONSUMED.labels(group, o) for o in ("handled", "duplicate", "ignored", "dead_lettered")}
        self._durations = {t: HANDLER_DURATION.labels(group, t) for t in handlers}

    @property
    def topics(self) -> list[str]:
        return self._topics

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            *self._topics,
            **self._settings.kafka.client_options(),
            group_id=self._settings.consumer_group,
            client_id=f"{self._settings.service_name}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",  # a new group starts from the beginning: nothing missed
        )
        await self._consumer.start()

    async def stop(self, timeout_s: float = 20.0) -> None:
        """Finish the poll in hand (its transaction and its offsets), then leave the group, so
        that the partitions move to another replica at once instead of after a session timeout."""
        self._stopping.set()
        try:
            await asyncio.wait_for(self._finished.wait(), timeout_s)
        except TimeoutError:
            log.warning("the consumer's last batch did not finish in %.0f s; it will be read again", timeout_s)
        await self._committed()
        if self._consumer is not None:
            await self._consumer.stop()

    async def run(self) -> None:
        assert self._consumer is not None, "start() first"
        self._finished.clear()
        try:
            while not self._stopping.is_set():
                try:
                    batch = await self._consumer.getmany(
                        timeout_ms=500, max_records=self._settings.consumer_batch_size
                    )
                except KafkaError as exc:
                    self.recovery.failed(exc, "fetching records")
                    await self.recovery.pause(self._stopping)
                    continue
                if batch:
                    await self._process_batch(batch)
        except Exception as exc:
            # Only a bug in this loop gets here (failures of the work are handled in the poll).
            # The member would stay in its group holding partitions that nobody reads: say so
            # where Kubernetes acts, so that the pod is restarted (`alive`).
            self.stopped_by = f"{type(exc).__name__}: {exc}"[:300]
            log.critical("the event consumer stopped: %s", self.stopped_by, exc_info=exc)
            raise
        finally:
            self._finished.set()

    def alive(self) -> None:
        """A liveness check: raises once the consumer's loop has died."""
        if self.stopped_by is not None:
            raise RuntimeError(f"the event consumer stopped: {self.stopped_by}")

    async def _process_batch(self, batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        """Everything one poll returned, in one transaction and one offset commit: fewer commits
        and round trips per event. Partitions one after the other, so each stays in order."""
        assert self._consumer is not None
        records = [record for tp in sorted(batch) for record in batch[tp]]
        try:
            deliveries = [self._read(record) for record in records]
            try:
                dead = await self._apply_batch(deliveries)
            except _HandlerFailed:
                # Someone in the batch fails: redo it record by record, each in its own savepoint,
                # so that only the failing one is retried and, in the end, dead-lettered.
                dead = await self._apply_one_by_one(deliveries)
            faults.checkpoint(faults.CONSUMER_AFTER_DB_COMMIT)
            for record, error, event in dead:
                await send_dead_letter(self._producer, record, consumer_group=self._settings.consumer_group, error=error)
                self._dead_lettered(record, error, event)
        except Exception as exc:  # noqa: BLE001 - whatever it was, nothing of this poll is lost
            # The transaction was rolled back (or committed, with dead letters still to send): the
            # poll is read again; the inbox skips what was already done.
            # Only partitions still ours: one taken away by a rebalance meanwhile is read from its
            # committed offset by its new owner (nothing of this poll was committed), and seeking
            # it raises IllegalStateError, which ended run() while the member stayed in the group:
            # its partitions then went unread until the replica restarted (the chaos test).
            assigned = self._consumer.assignment()
            for tp, tp_records in batch.items():
                if tp in assigned:
                    self._consumer.seek(tp, tp_records[0].offset)
            if self.recovery.failed(exc, f"a batch of {len(records)} records") is not Failure.CONFLICT:
                await self.recovery.pause(self._stopping)
            return
        self.recovery.recovered()
        # The offsets are committed while the next batch is fetched and handled: the database
        # commit above is what makes the effects safe; a lost offset commit only means a
        # redelivery that the inbox skips. One commit in flight at a time keeps them in order.
        await self._committed()
        offsets = {tp: tp_records[-1].offset + 1 for tp, tp_records in batch.items()}
        self._offset_commit = asyncio.create_task(self._consumer.commit(offsets))

    async def _committed(self) -> None:
        """Wait for the offset commit in flight, if any."""
        if self._offset_commit is None:
            return
        try:
            await self._offset_commit
        except CommitFailedError:
            # Partitions moved to another member; it re-reads these and the inbox skips them.
            log.warning("offset commit refused after a rebalance")
        except KafkaError:
            log.warning("offset commit failed; those records may be redelivered", exc_info=True)
        finally:
            self._offset_commit = None

    def _own_failure(self, event_type: str, exc: BaseException) -> bool:
        """Whether a handler's failure is its event's own (counted, by event type and kind)."""
        kind = classify(exc)
        HANDLER_FAILURES.labels(self._settings.consumer_group, event_type, kind.value).inc()
        return kind is Failure.OWN

    def _dead_lettered(self, record: ConsumerRecord, error: str, event: CloudEvent | None) -> None:
        self.stats.dead_lettered += 1
        self._counted["dead_lettered"].inc()
        dlq = dead_letter_topic(record.topic)
        DEAD_LETTERS.labels(dlq, self._settings.consumer_group).inc()
        # One line per dead letter, always with these words and fields: what an alert matches.
        log.error(
            "event dead-lettered: sent to %s", dlq,
            extra={"dead_letter_topic": dlq, "topic": record.topic, "partition": record.partition,
                   "offset": record.offset, "consumer_group": self._settings.consumer_group,
                   "event_type": event.type if event else None, "event_id": event.id if event else None,
                   "error": error},
        )

    def _read(self, record: ConsumerRecord) -> _Delivery:
        """Parse and validate one record; never raises."""
        try:
            event = CloudEvent.from_kafka(record.headers, record.value)
        except InvalidEvent as exc:
            return _Delivery(record, error=f"unreadable record: {exc}")
        handler = self._handlers.get(event.type)
        if handler is None:
            return _Delivery(record, event=event)  # another consumer's business
        try:
            payload = spec_for(event.type).payload.model_validate(event.data)
        except ValidationError as exc:
            return _Delivery(record, event=event, error=f"invalid {event.type} data: {exc.errors(include_url=False)}")
        return _Delivery(record, event=event, payload=payload, handler=handler)

    def _span(self, d: _Delivery):
        parent = propagate.extract({"traceparent": d.event.traceparent} if d.event.traceparent else {})
        return tracer.start_as_current_span(
            f"{d.record.topic} process",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": d.record.topic,
                "messaging.consumer.group.name": self._settings.consumer_group,
                "messaging.message.id": d.event.id,
                "messaging.kafka.offset": d.record.offset,
                "cloudevents.event_type": d.event.type,
            },
        )

    def _inbox_row(self, d: _Delivery) -> dict:
        return {
            "source": d.event.source,
            "event_id": d.event.id,
            "type": d.event.type,
            "topic": d.record.topic,
            "consumer_group": self._settings.consumer_group,
        }

    async def _apply_batch(self, deliveries: list[_Delivery]) -> list[tuple[ConsumerRecord, str, CloudEvent | None]]:
        """The fast path: one inbox insert for the batch, every handler, one commit."""
        dead = [(d.record, d.error, d.event) for d in deliveries if d.error]
        todo = {(d.event.source, d.event.id): d for d in reversed(deliveries) if d.handler and not d.error}
        todo = dict(reversed(todo.items()))  # the first delivery of each event, in offset order
        ignored = sum(1 for d in deliveries if d.event and not d.handler and not d.error)
        if not todo:
            self._count(ignored=ignored)
            return dead
        async with self._sessions() as session, session.begin():
            # executemany with RETURNING: one cached statement, sent in multi-row pages by
            # SQLAlchemy's "insertmanyvalues", rather than a new 500-row VALUES to compile per poll.
            inserted = await session.execute(
                self._inbox_insert_returning, [self._inbox_row(d) for d in todo.values()]
            )
            fresh = {tuple(row) for row in inserted}
            run: list[_Delivery] = []  # consecutive deliveries for the same batch handler
            for key, d in todo.items():
                if key not in fresh:
                    continue
                if run and (run[0].handler is not d.handler):
                    await self._run_batch(session, run)
                    run = []
                if isinstance(d.handler, BatchHandler):
                    run.append(d)
                    continue
                with self._span(d) as span:
                    started = time.perf_counter()
                    try:
                        await d.handler(session, d.event, d.payload)
                    except Exception as exc:
                        span.record_exception(exc)
                        if not self._own_failure(d.event.type, exc):
                            raise  # the database went away under the handler: the whole poll again
                        raise _HandlerFailed from exc
                    self._durations[d.event.type].observe(time.perf_counter() - started)
            if run:
                await self._run_batch(session, run)
        duplicates = len(deliveries) - len(dead) - len(fresh) - ignored
        self._count(handled=len(fresh), duplicates=duplicates, ignored=ignored)
        return dead

    def _count(self, *, handled: int = 0, duplicates: int = 0, ignored: int = 0) -> None:
        self.stats.handled += handled
        self.stats.duplicates += duplicates
        self.stats.ignored += ignored
        for outcome, n in (("handled", handled), ("duplicate", duplicates), ("ignored", ignored)):
            if n:
                self._counted[outcome].inc(n)
        if duplicates:
            log.info("duplicate event(s) skipped", extra={"count": duplicates})

    async def _run_batch(self, session: AsyncSession, run: list[_Delivery]) -> None:
        links = [trace.Link(trace.get_current_span(propagate.extract({"traceparent": d.event.traceparent})).get_span_context())
                 for d in run if d.event.traceparent]
        with tracer.start_as_current_span(
            f"{run[0].record.topic} process batch", kind=SpanKind.CONSUMER, links=links,
            attributes={"messaging.system": "kafka", "messaging.batch.message_count": len(run),
                        "cloudevents.event_type": run[0].event.type},
        ) as span:
            started = time.perf_counter()
            try:
                await run[0].handler.handle(session, [(d.event, d.payload) for d in run])
            except Exception as exc:
                span.record_exception(exc)
                if not self._own_failure(run[0].event.type, exc):
                    raise
                raise _HandlerFailed from exc
            self._durations[run[0].event.type].observe(time.perf_counter() - started)

    async def _apply_one_by_one(self, deliveries: list[_Delivery]) -> list[tuple[ConsumerRecord, str, CloudEvent | None]]:
        dead: list[tuple[ConsumerRecord, str, CloudEvent | None]] = []
        async with self._sessions() as session, session.begin():
            for d in deliveries:
                if d.error:
                    dead.append((d.record, d.error, d.event))
                elif d.handler:
                    with self._span(d) as span:
                        error = await self._apply_with_retries(session, d, span)
                        if error:
                            span.set_status(Status(StatusCode.ERROR, "dead-lettered"))
                    if error:
                        dead.append((d.record, error, d.event))
        self._count(ignored=sum(1 for d in deliveries if d.event and not d.handler and not d.error))
        return dead

    async def _apply_with_retries(self, session: AsyncSession, d: _Delivery, span) -> str | None:
        attempts = self._settings.consumer_max_attempts
        for attempt in range(1, attempts + 1):
            try:
                async with session.begin_nested():
                    first_time = await session.execute(
                        insert(self._inbox)
                        .values(self._inbox_row(d))
                        .on_conflict_do_nothing(index_elements=["source", "event_id"])
                        .returning(self._inbox.c.event_id)
                    )
                    if first_time.first() is None:
                        self._count(duplicates=1)
                        return None
                    if isinstance(d.handler, BatchHandler):
                        await d.handler.handle(session, [(d.event, d.payload)])
                    else:
                        await d.handler(session, d.event, d.payload)
                self._count(handled=1)
                return None
            except Exception as exc:  # noqa: BLE001 - the event's own failures count against its budget
                span.record_exception(exc)
                if not self._own_failure(d.event.type, exc):
                    # The database is away (or the transaction conflicted): not this event's fault.
                    # The whole poll is undone and read again once the database answers.
                    raise
                if attempt == attempts:
                    return f"{type(exc).__name__}: {exc} (after {attempts} attempts)"
                await asyncio.sleep(self._settings.consumer_backoff_s * 2 ** (attempt - 1))
        return None
