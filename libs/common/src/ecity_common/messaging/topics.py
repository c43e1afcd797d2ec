"""Topic creation for local runs and tests (on Kubernetes, Strimzi KafkaTopic objects do it)."""

from __future__ import annotations

import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

log = logging.getLogger(__name__)


async def ensure_topics(
    bootstrap_servers: str,
    names: list[str],
    partitions: int = 3,
    *,
    replication_factor: int = 1,
    min_insync_replicas: int | None = None,
) -> None:
    """Create the topics that do not exist yet; existing ones are left as they are."""
    configs = {} if min_insync_replicas is None else {"min.insync.replicas": str(min_insync_replicas)}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name=name, num_partitions=partitions, replication_factor=replication_factor, topic_configs=configs)
            for name in dict.fromkeys(names)
            if name not in existing
        ]
        if not wanted:
            return
        try:
            response = await admin.create_topics(wanted)
        except TopicAlreadyExistsError:
            pass  # another service created it between our list and our create
        else:
            # The broker answers per topic, and aiokafka raises none of those: a replication
            # factor above the brokers alive would otherwise leave the service without its topic.
            for topic, code, *message in response.topic_errors:
                if code not in (0, TopicAlreadyExistsError.errno):
                    raise for_code(code)(f"cannot create topic {topic}: {message[0] if message else ''}")
        log.info("created topics", extra={"topics": [t.name for t in wanted]})
    finally:
        await admin.close()
