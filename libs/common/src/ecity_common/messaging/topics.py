"""Topic creation for local runs and tests (on Kubernetes, Strimzi KafkaTopic objects do it)."""

from __future__ import annotations

import asyncio
import logging
import time

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

from ecity_common.messaging.access import KafkaAccess

log = logging.getLogger(__name__)


async def ensure_topics(
    kafka: KafkaAccess,
    names: list[str],
    partitions: int = 3,
    *,
    replication_factor: int = 1,
    min_insync_replicas: int | None = None,
    timeout_s: float = 30.0,
) -> None:
    """Create the topics that do not exist yet, and return once the brokers show them; existing
    ones are left as they are. The sign-in needs CREATE on each topic it creates."""
    configs = {} if min_insync_replicas is None else {"min.insync.replicas": str(min_insync_replicas)}
    admin = AIOKafkaAdminClient(**kafka.client_options())
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
        # The controller has committed them; a broker learns of them from the metadata log a
        # moment later, and until then answers a client (a describe, a send) that they do not exist.
        deadline = time.monotonic() + timeout_s
        while missing := {t.name for t in wanted} - set(await admin.list_topics()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"topics {sorted(missing)} were created but no broker shows them after {timeout_s:.0f} s")
            await asyncio.sleep(0.05)
        log.info("created topics", extra={"topics": [t.name for t in wanted]})
    finally:
        await admin.close()
