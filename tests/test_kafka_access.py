"""Issue 16: Kafka lets in only who signs in, and each service only to what the event catalogue
gives it. Against the session's real broker, which runs with SASL and the same ACLs as the cluster's
KafkaUsers (both from ecity_common.messaging.access).

The threat: whoever could publish `asset.commissioned` on the registry's topic had the ledger post
an expenditure of any amount. Now a client without a sign-in is not even answered, and a service's
principal, say citizen-requests', is refused on every topic but its own.
"""

from __future__ import annotations

import asyncio
import importlib

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import GroupAuthorizationFailedError, KafkaConnectionError, TopicAuthorizationFailedError

from ecity_cli.services import SERVICES
from ecity_cli.testing import publish, read_topic, submitted, topic_size
from ecity_common.events import CloudEvent
from ecity_common.events.catalogue import TOPICS, spec_for
from ecity_common.messaging.access import KafkaAccess, kafka_rights
from ecity_common.messaging.topics import ensure_topics

COMMISSIONED = "ua.sumy.ecity.network-registry.asset.commissioned.v1"


def _commissioned() -> CloudEvent:
    return CloudEvent(source="/ecity/network-registry", type=COMMISSIONED, subject="asset-forged",
                      data={"asset_id": "asset-forged", "asset_kind": "device", "name": "ONU", "cost_kop": 10**12,
                            "measure_code": "02-1", "holder_code": "02", "commissioned_on": "2021-06-01"})


def infra_admin(services) -> KafkaAccess:
    """The test's own sign-in, as the broker's operator."""
    return services.infra.admin


async def _send(kafka: KafkaAccess, topic: str, event: CloudEvent) -> None:
    producer = AIOKafkaProducer(**kafka.client_options(), enable_idempotence=True, acks="all", request_timeout_ms=10_000)
    await producer.start()
    try:
        await producer.send_and_wait(topic, event.kafka_value(), key=event.subject.encode(), headers=event.kafka_headers())
    finally:
        await producer.stop()


async def _read_one_as(settings, topic: str) -> CloudEvent:
    """The first event on `topic`, read as the service of `settings` reads: its sign-in, its group."""
    consumer = AIOKafkaConsumer(topic, **settings.kafka.client_options(), group_id=settings.consumer_group,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), 30)
    finally:
        await consumer.stop()
    return CloudEvent.from_kafka(record.headers, record.value)


async def test_a_client_that_does_not_sign_in_or_signs_in_wrongly_is_refused(infra):
    nobody = KafkaAccess(infra.bootstrap_servers, security_protocol="PLAINTEXT")
    impostor = KafkaAccess(infra.bootstrap_servers, username="network-registry", password="guessed")
    for who in (nobody, impostor):
        producer = AIOKafkaProducer(**who.client_options(), request_timeout_ms=5000)
        with pytest.raises(KafkaConnectionError):  # not even the cluster's metadata
            await producer.start()
        await producer.stop()


async def test_citizen_requests_cannot_publish_on_the_registrys_or_the_ledgers_topic(services):
    citizens = services.settings("citizen-requests")
    forged = _commissioned()
    for owner in ("network-registry", "budget-ledger"):
        with pytest.raises(TopicAuthorizationFailedError):
            await _send(citizens.kafka, citizens.topic(TOPICS[owner]), forged)
    # Nor make itself a topic it does not write, nor touch another's dead letters.
    with pytest.raises(TopicAuthorizationFailedError):
        await ensure_topics(citizens.kafka, [citizens.topic("ecity.forged.v1")])
    with pytest.raises(TopicAuthorizationFailedError):
        await _send(citizens.kafka, citizens.topic("ecity.citizen-requests.v1.dlq"), forged)  # the gateway's to write
    # The ledger's input stayed empty: nothing to post.
    assert await topic_size(infra_admin(services), citizens.topic(TOPICS["network-registry"])) == 0


async def test_the_registry_may_publish_what_the_ledger_then_reads_as_its_group(services):
    registry, ledger = services.settings("network-registry"), services.settings("budget-ledger")
    topic = registry.topic(TOPICS["network-registry"])
    event = _commissioned()
    await _send(registry.kafka, topic, event)
    assert (await _read_one_as(ledger, topic)).id == event.id


async def test_citizen_requests_publishes_its_own_and_reads_only_what_it_consumes(services):
    citizens = services.settings("citizen-requests")
    own = citizens.topic(TOPICS["citizen-requests"])
    filed = CloudEvent(source="/ecity/citizen-requests", type="ua.sumy.ecity.citizen-requests.request.submitted.v1",
                       subject="r-acl", data=submitted("r-acl").model_dump(mode="json"))
    await _send(citizens.kafka, own, filed)
    [record] = await read_topic(infra_admin(services), own, 1)
    assert CloudEvent.from_kafka(record.headers, record.value).id == filed.id

    # What it consumes: the gateway's and the registry's topics, as its own group.
    utilities = citizens.topic(TOPICS["utilities-gateway"])
    outage = CloudEvent(source="/ecity/utilities-gateway", type="ua.sumy.ecity.utilities-gateway.request.accepted.v1",
                        subject="o-acl", data={"anything": "the consumer validates, not the broker"})
    await publish(infra_admin(services), utilities, outage)
    assert (await _read_one_as(citizens, utilities)).id == outage.id

    # Not what it does not consume, and not as another's group.
    ledger_topic = AIOKafkaConsumer(citizens.topic(TOPICS["budget-ledger"]), **citizens.kafka.client_options(),
                                    group_id=citizens.consumer_group, enable_auto_commit=False)
    with pytest.raises(TopicAuthorizationFailedError):
        await ledger_topic.start()
    await ledger_topic.stop()
    as_the_ledger = AIOKafkaConsumer(citizens.topic(TOPICS["network-registry"]), **citizens.kafka.client_options(),
                                     group_id="ecity.budget-ledger", enable_auto_commit=False)
    with pytest.raises(GroupAuthorizationFailedError):
        await as_the_ledger.start()
    await as_the_ledger.stop()


@pytest.mark.parametrize("service", SERVICES)
def test_every_topic_a_service_handles_is_one_the_catalogue_lets_it_read(service):
    """A handler for an event whose catalogue entry does not name the service among its consumers
    would be refused by the broker at start: the catalogue is the one list of who reads what."""
    import inspect

    from ecity_common.messaging.outbox import Outbox

    info = SERVICES[service]
    settings = importlib.import_module(f"{info.package}.settings").Settings()
    make_handlers = importlib.import_module(f"{info.package}.entrypoints.events").make_handlers
    outbox = Outbox(importlib.import_module(f"{info.package}.adapters.tables").messaging.outbox, settings)
    # Each service's handlers are made from what they need: its outbox, its settings, or nothing.
    given = {"outbox": outbox, "settings": settings}
    handlers = make_handlers(*(given[name] for name in inspect.signature(make_handlers).parameters))
    assert all(service in spec_for(t).consumers for t in handlers), service
    assert {spec_for(t).topic for t in handlers} <= set(kafka_rights(service).reads), service


async def test_granting_returns_once_the_new_bindings_authorize_even_when_the_last_one_existed(infra):
    """A test's provisioning grants its topics' ACLs beside a group's that an earlier test granted:
    waiting only for the last binding (that group's) returned at once, and the service started
    next was refused its own topic (TopicAuthorizationFailedError at start, the second test of a
    session). Each new binding is awaited now."""
    import uuid

    from ecity_cli.infra.acls import Acl, Operation, Resource, grant

    group = Acl("notifications", Resource.GROUP, "ecity.notifications", Operation.READ)
    await grant(infra.admin, [group])
    for _ in range(5):  # a race: several rounds, each with fresh topics
        prefix = f"t{uuid.uuid4().hex[:8]}."
        topics = [f"{prefix}probe.{n}" for n in range(10)]
        # WRITE implies the DESCRIBE that shows a topic to its creator once made.
        await grant(infra.admin, [*(Acl("notifications", Resource.TOPIC, t, op) for t in topics
                                    for op in (Operation.CREATE, Operation.WRITE)), group])
        as_notifications = infra.kafka.access("notifications")
        await ensure_topics(as_notifications, topics)  # refused had the grant not taken effect


@pytest.mark.parametrize("service", [s for s in SERVICES if kafka_rights(s).reads])
async def test_each_service_measures_its_own_groups_lag_with_the_rights_it_has(services, service):
    """The lag meter (ecity_common.messaging.lag) signs in as the service and asks the broker for its
    group's committed offsets and its topics' end offsets: describing its group and those topics is
    implied by the READ it already has, so the KafkaUsers need no right more. Another's group is refused."""
    from aiokafka.errors import GroupAuthorizationFailedError

    from ecity_common.messaging.access import consumed_topics
    from ecity_common.messaging.lag import ConsumerLagMeter

    settings = services.settings(service)
    topics = [settings.topic(t) for t in consumed_topics(service)]
    event = CloudEvent(source="/ecity/test", type="ua.sumy.ecity.test.lag.v1", subject="lag-1", data={})
    await publish(infra_admin(services), topics[0], event)  # one record nobody of the group has read
    meter = ConsumerLagMeter(settings, topics)
    try:
        lags = await _measured(meter)
    finally:
        await meter.close()
    assert {tp.topic for tp in lags} == set(topics) and sum(lags.values()) == 1
    other = next(s for s in SERVICES if s != service and kafka_rights(s).reads)
    as_another = ConsumerLagMeter(settings.model_copy(update={"kafka_consumer_group": kafka_rights(other).group}), topics)
    try:
        with pytest.raises(GroupAuthorizationFailedError):
            await _measured(as_another)
    finally:
        await as_another.close()


async def _measured(meter) -> dict:
    """A reading, past what a fresh broker answers while it makes its offsets topic (the coordinator
    "not available": retriable, as the meter's own loop takes it at its next round)."""
    from aiokafka.errors import KafkaError

    async with asyncio.timeout(30):
        while True:
            try:
                return await meter.measure()
            except KafkaError as exc:
                if not exc.retriable:
                    raise
                await meter.close()
                await asyncio.sleep(0.5)
