"""Topic creation for local runs and tests (on Kubernetes, Strimzi KafkaTopic objects do it)."""

from __future__ import annotations

import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)


async def ensure_topics(bootstrap_servers: str, names: list[str], partitions: int = 3) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name=name, num_partitions=partitions, replication_factor=1)
            for name in dict.fromkeys(names)
            if name not in existing
        ]
        if not wanted:
            return
        try:
            await admin.create_topics(wanted)
        except TopicAlreadyExistsError:
            pass  # another service created it between our list and our create
        log.info("created topics", extra={"topics": [t.name for t in wanted]})
    finally:
        await admin.close()
