"""Consumer lag as the broker sees it: per topic-partition, the partition's end offset minus the
offset the group has committed there.

Measured on a timer by clients of its own, apart from the consumer's loop: a consumer whose handler
hangs, or whose loop waits on a dead database, commits nothing and polls nothing, and only a reading
from outside shows its lag growing while its committed offset stands still (EcityConsumerStuck).
The consumer's own view (its last fetch's high watermark) froze with it, and that was the gauge.

Every replica of a service measures its whole group, so each series comes once per pod; the rules
and dashboards take the max over pods. It signs in as the service: describing its own group and
the topics it reads is implied by the READ the catalogue already gives it (messaging.access).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import suppress

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from ecity_common.messaging.metrics import CONSUMER_COMMITTED, CONSUMER_LAG
from ecity_common.settings import ServiceSettings

log = logging.getLogger(__name__)


class ConsumerLagMeter:
    def __init__(self, settings: ServiceSettings, topics: Sequence[str], *, timeout_s: float = 10.0) -> None:
        self._settings = settings
        self._topics = list(topics)
        self._group = settings.consumer_group
        self._timeout_s = timeout_s
        self._admin: AIOKafkaAdminClient | None = None
        self._offsets: AIOKafkaConsumer | None = None

    async def _start(self) -> None:
        if self._admin is not None:
            return
        options, name = self._settings.kafka.client_options(), f"{self._settings.service_name}-lag"
        self._admin = AIOKafkaAdminClient(**options, client_id=name)
        # No group: it only asks where each partition begins and ends; it never joins or commits.
        self._offsets = AIOKafkaConsumer(**options, client_id=name, group_id=None, enable_auto_commit=False)
        await self._admin.start()
        await self._offsets.start()

    async def close(self) -> None:
        admin, offsets, self._admin, self._offsets = self._admin, self._offsets, None, None
        with suppress(Exception):
            if offsets is not None:
                await offsets.stop()
        with suppress(Exception):
            if admin is not None:
                await admin.close()

    async def _partitions(self) -> list[TopicPartition]:
        found = []
        for topic in await self._admin.describe_topics(self._topics):
            if topic["error_code"]:
                continue  # not created yet (its producer makes it): nothing to lag behind
            found += [TopicPartition(topic["topic"], p["partition"]) for p in topic["partitions"]]
        return sorted(found)

    async def measure(self) -> dict[TopicPartition, int]:
        """Read the offsets and set the gauges; returns the lag per partition."""
        async with asyncio.timeout(self._timeout_s):  # a partition without a leader would wait forever
            await self._start()
            partitions = await self._partitions()
            if not partitions:
                return {}
            committed = await self._admin.list_consumer_group_offsets(self._group, partitions=partitions)
            ends = await self._offsets.end_offsets(partitions)
            # Where the group has committed nothing it starts at the beginning (auto_offset_reset).
            beginnings = await self._offsets.beginning_offsets(partitions)
        lags = {}
        for tp in partitions:
            at = committed.get(tp)
            position = at.offset if at is not None and at.offset >= 0 else beginnings[tp]
            lags[tp] = max(ends[tp] - position, 0)
            labels = (self._group, tp.topic, str(tp.partition))
            CONSUMER_LAG.labels(*labels).set(lags[tp])
            CONSUMER_COMMITTED.labels(*labels).set(position)
        return lags

    async def keep_measuring(self, interval_s: float) -> None:
        """Until cancelled. Kafka away: the gauges keep their last figures (a stuck consumer's lag
        does not fall to 0 for it), and it is said once until a reading succeeds again."""
        failing = False
        try:
            while True:
                try:
                    await self.measure()
                except Exception as exc:  # noqa: BLE001 - the next round tries again
                    if not failing:
                        log.info("consumer lag not measured: %s: %s", type(exc).__name__, exc)
                    failing = True
                    await self.close()  # a fresh start next round, not a client stuck on a dead node
                else:
                    failing = False
                await asyncio.sleep(interval_s)
        finally:
            await self.close()
