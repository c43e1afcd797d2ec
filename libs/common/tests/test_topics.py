"""Topic creation: partitions, replication and min.insync.replicas as the settings say."""

from __future__ import annotations

import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import InvalidReplicationFactorError

from ecity_common.messaging.access import KafkaAccess
from ecity_common.messaging.topics import ensure_topics


async def _min_insync(kafka: KafkaAccess, topic: str) -> str:
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        [(_, _, _, _, entries)] = response.resources
        return {entry[0]: entry[1] for entry in entries}["min.insync.replicas"]
    finally:
        await admin.close()


async def test_min_insync_replicas_is_set_on_the_topics_it_creates(infra):
    plain, strict = f"t{uuid.uuid4().hex[:8]}.plain", f"t{uuid.uuid4().hex[:8]}.strict"
    await ensure_topics(infra.admin, [plain])
    await ensure_topics(infra.admin, [strict], replication_factor=1, min_insync_replicas=2)
    assert await _min_insync(infra.admin, plain) == "1"  # the broker's default
    assert await _min_insync(infra.admin, strict) == "2"


async def test_a_replication_factor_above_the_brokers_alive_is_an_error_not_a_missing_topic(infra):
    # One broker cannot hold three replicas: the broker says so per topic, and ensure_topics raises.
    with pytest.raises(InvalidReplicationFactorError, match="cannot create topic"):
        await ensure_topics(infra.admin, [f"t{uuid.uuid4().hex[:8]}.wide"], replication_factor=3)
