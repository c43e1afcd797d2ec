"""Dead letters: poison messages parked on `<topic>.dlq`, listed and replayed.

A dead letter is the original record (key, value, headers) plus headers that say where it came
from and why it failed. Replaying republishes the original record to its original topic; the
consumers' inboxes make that safe for every group that had already processed it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from ecity_common.events.catalogue import dead_letter_topic
from ecity_common.messaging.access import KafkaAccess

H_TOPIC = "ecity_dlq_original_topic"
H_PARTITION = "ecity_dlq_original_partition"
H_OFFSET = "ecity_dlq_original_offset"
H_GROUP = "ecity_dlq_consumer_group"
H_ERROR = "ecity_dlq_error"
H_FAILED_AT = "ecity_dlq_failed_at"
H_REPLAYED = "ecity_replayed_from_dlq"
_DLQ_HEADERS = {H_TOPIC, H_PARTITION, H_OFFSET, H_GROUP, H_ERROR, H_FAILED_AT}


async def send_dead_letter(
    producer: AIOKafkaProducer, record: ConsumerRecord, *, consumer_group: str, error: str
) -> None:
    headers = [h for h in (record.headers or ()) if h[0] not in _DLQ_HEADERS]
    headers += [
        (H_TOPIC, record.topic.encode()),
        (H_PARTITION, str(record.partition).encode()),
        (H_OFFSET, str(record.offset).encode()),
        (H_GROUP, consumer_group.encode()),
        (H_ERROR, error[:4000].encode()),
        (H_FAILED_AT, datetime.now(UTC).isoformat().encode()),
    ]
    await producer.send_and_wait(
        dead_letter_topic(record.topic), value=record.value, key=record.key, headers=headers
    )


@dataclass(frozen=True)
class DeadLetter:
    dlq_topic: str
    dlq_partition: int
    dlq_offset: int
    original_topic: str
    original_partition: int
    original_offset: int
    consumer_group: str
    error: str
    failed_at: str
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    @property
    def event_type(self) -> str | None:
        raw = dict(self.headers).get("ce_type")
        return raw.decode(errors="replace") if raw else None

    @property
    def event_id(self) -> str | None:
        raw = dict(self.headers).get("ce_id")
        return raw.decode(errors="replace") if raw else None

    @classmethod
    def from_record(cls, record: ConsumerRecord) -> DeadLetter:
        h = {k: v.decode(errors="replace") for k, v in (record.headers or ()) if v is not None}
        return cls(
            dlq_topic=record.topic,
            dlq_partition=record.partition,
            dlq_offset=record.offset,
            original_topic=h.get(H_TOPIC, ""),
            original_partition=int(h.get(H_PARTITION, -1)),
            original_offset=int(h.get(H_OFFSET, -1)),
            consumer_group=h.get(H_GROUP, ""),
            error=h.get(H_ERROR, ""),
            failed_at=h.get(H_FAILED_AT, ""),
            key=record.key,
            value=record.value,
            headers=tuple((k, v) for k, v in (record.headers or ())),
        )


async def read_dead_letters(kafka: KafkaAccess, dlq_topic: str) -> list[DeadLetter]:
    """Every dead letter on the topic, oldest first (reads without joining a group). An operator's
    work: no service may read a dead-letter topic (`messaging.access`)."""
    consumer = AIOKafkaConsumer(**kafka.client_options(), enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(dlq_topic)
        if partitions is None:
            await consumer._client.force_metadata_update()  # noqa: SLF001 - no public refresh
            partitions = consumer.partitions_for_topic(dlq_topic) or set()
        tps = [TopicPartition(dlq_topic, p) for p in sorted(partitions)]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        letters: list[DeadLetter] = []
        pending = {tp for tp in tps if ends[tp] > 0}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=1000)
            for tp, records in batch.items():
                letters += [DeadLetter.from_record(r) for r in records if r.offset < ends[tp]]
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
        return sorted(letters, key=lambda d: (d.failed_at, d.dlq_partition, d.dlq_offset))
    finally:
        await consumer.stop()


async def replay_dead_letters(kafka: KafkaAccess, letters: list[DeadLetter]) -> int:
    """Republish each dead letter's original record to its original topic: as an operator, since it
    publishes on the producer's topic in the producer's name."""
    producer = AIOKafkaProducer(**kafka.client_options(), enable_idempotence=True, acks="all")
    await producer.start()
    try:
        sends = []
        for letter in letters:
            headers = [h for h in letter.headers if h[0] not in _DLQ_HEADERS and h[0] != H_REPLAYED]
            headers.append((H_REPLAYED, f"{letter.dlq_topic}:{letter.dlq_partition}:{letter.dlq_offset}".encode()))
            sends.append(
                await producer.send(letter.original_topic, value=letter.value, key=letter.key, headers=headers)
            )
        await asyncio.gather(*sends)
        return len(sends)
    finally:
        await producer.stop()
