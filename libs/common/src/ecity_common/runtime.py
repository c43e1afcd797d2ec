"""The composition every service shares: its app, database, outbox relay and consumer.

A service's `main.py` describes itself with a `ServiceDefinition` (settings, tables, routes, event
handlers, where its migrations live) and gets a FastAPI app whose lifespan migrates the database,
creates topics locally, starts the relay and the consumer, and stops them in reverse order.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.client import AIOKafkaClient
from fastapi import APIRouter, FastAPI
from prometheus_client import Gauge
from sqlalchemy import text

from ecity_common.auth import JwtVerifier
from ecity_common.db import make_engine, make_sessions
from ecity_common.events.catalogue import TOPICS, dead_letter_topic, spec_for
from ecity_common.logs import setup_logging
from ecity_common.messaging.consumer import EventConsumer, Handler
from ecity_common.messaging.lag import ConsumerLagMeter
from ecity_common.messaging.outbox import Outbox
from ecity_common.messaging.relay import OutboxRelay, kafka_producer
from ecity_common.messaging.tables import MessagingTables
from ecity_common.messaging.topics import ensure_topics
from ecity_common.migrations import upgrade
from ecity_common.settings import ServiceSettings, UnsafeSettings
from ecity_common.tracing import http_telemetry, instrument_app, setup_tracing
from ecity_common.web.body_limits import BodyLimits
from ecity_common.web.docs import install_docs
from ecity_common.web.health import health_router
from ecity_common.web.metrics import HttpMetrics, metrics_endpoint
from ecity_common.web.openapi import install_openapi
from ecity_common.web.problems import install_problem_handlers

log = logging.getLogger(__name__)
POOL_IN_USE = Gauge("ecity_db_pool_connections_in_use", "The service's database connections checked out of its pool.",
                    ("service",))
# The garbage collector's generation thresholds while a service runs (see the lifespan).
COLLECTION_THRESHOLDS = (20_000, 50, 100)


@dataclass
class ServiceDefinition:
    settings: ServiceSettings
    title: str
    description: str
    tables: MessagingTables
    migrations_dir: Path  # the Alembic scripts, inside the service's package
    routers: list[APIRouter] = field(default_factory=list)
    handlers: dict[str, Handler] = field(default_factory=dict)
    version: str = "0.1.0"
    # Extra start-up work after migrations (e.g. seeding demo data); gets the app.
    on_startup: list[Callable] = field(default_factory=list)
    # Long-running background work of the service's own (e.g. delivering webhooks): each is
    # called with the app once started and runs as a task until shutdown cancels it.
    workers: list[Callable] = field(default_factory=list)


async def _start_producer(settings: ServiceSettings, attempts: int = 30) -> AIOKafkaProducer:
    for attempt in range(1, attempts + 1):
        producer = kafka_producer(settings)
        try:
            await producer.start()
            return producer
        except Exception:
            await producer.stop()
            if attempt == attempts:
                raise
            log.warning("Kafka at %s not reachable yet; retrying", settings.kafka_bootstrap_servers)
            await asyncio.sleep(1.0)
    raise AssertionError("unreachable")


async def _start_health_client(settings: ServiceSettings) -> AIOKafkaClient:
    """The readiness check's own Kafka client. On the producer's connections its metadata request
    waited behind produce requests (a broker answers one connection's requests in order), and an
    acks=all produce waits while a dead broker is still in the ISR, until the controller fences it
    (broker.session.timeout.ms, 9 s): a service was reported unready for losing one of three brokers."""
    client = AIOKafkaClient(**settings.kafka.client_options(), client_id=f"{settings.service_name}-health")
    await client.bootstrap()  # the producer just reached the cluster
    return client


def refuse_to_start_unsafe(settings) -> None:
    """Stop a deployed process that would run with a public secret or demo data, saying why in one
    CRITICAL line per reason (what an operator reads in the pod's log)."""
    try:
        settings.refuse_unsafe()
    except UnsafeSettings as exc:
        for problem in exc.problems:
            log.critical("refusing to start: %s", problem)
        raise


def create_service_app(definition: ServiceDefinition) -> FastAPI:
    settings = definition.settings
    setup_logging(settings.service_name, settings.log_level, settings.log_json)
    setup_tracing(settings.service_name, settings.trace_file)
    engine = make_engine(settings)
    sessions = make_sessions(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        refuse_to_start_unsafe(settings)
        if settings.migrate_on_start:
            await asyncio.to_thread(upgrade, definition.migrations_dir, settings.migration_url)
        if settings.kafka_create_topics:
            # The topics it writes, which are all it may create (messaging.access): its own and the
            # dead-letter twins of those it reads. A topic it reads is its producer's to create;
            # the consumer finds it once it exists.
            own = settings.topic(TOPICS[settings.service_name])
            consumed = sorted({settings.topic(spec_for(t).topic) for t in definition.handlers})
            await ensure_topics(
                settings.kafka,
                [own, *(dead_letter_topic(t) for t in consumed)],
                settings.kafka_topic_partitions,
                replication_factor=settings.kafka_topic_replication_factor,
                min_insync_replicas=settings.kafka_topic_min_insync_replicas,
            )
        for hook in definition.on_startup:
            await hook(app)
        producer = await _start_producer(settings)
        app.state.producer = producer
        app.state.kafka_health = await _start_health_client(settings)
        tasks: list[asyncio.Task] = []
        relay = consumer = relay_task = None
        if settings.relay_enabled:
            relay = OutboxRelay(engine=engine, outbox=definition.tables.outbox, producer=producer, settings=settings)
            relay_task = asyncio.create_task(relay.run(), name="outbox-relay")
        if settings.consumer_enabled and definition.handlers:
            consumer = EventConsumer(
                sessions=sessions,
                inbox=definition.tables.inbox,
                producer=producer,
                settings=settings,
                handlers=definition.handlers,
            )
            await consumer.start()
            tasks.append(asyncio.create_task(consumer.run(), name="event-consumer"))
            # The group's lag as the broker sees it, on a timer of its own: it keeps being measured
            # when the consumer's loop is stuck, which is when it matters.
            lag = ConsumerLagMeter(settings, consumer.topics)
            tasks.append(asyncio.create_task(lag.keep_measuring(settings.consumer_lag_measure_s), name="consumer-lag"))
        for worker in definition.workers:
            tasks.append(asyncio.create_task(worker(app), name=getattr(worker, "__name__", "worker")))
        app.state.relay, app.state.consumer = relay, consumer
        log.info("service started", extra={"url": settings.base_url})
        # Everything made so far (modules, models, metadata, caches) lives as long as the process.
        # Frozen, the collector stops walking it on every full collection: on a service's heap
        # that walk took ~75 ms a few times a second under load, the whole tail of its latency.
        gc.collect()
        gc.freeze()
        # Under load a request allocates thousands of objects: at Python's default thresholds
        # (700, 10, 10) the young generations were collected hundreds of times a second, and the
        # full collections walked everything made since start (tokens verified, statements cached).
        # Less often: 6-9 % less CPU per filing in bench/citizens.py, no measurable memory growth.
        thresholds = gc.get_threshold()
        gc.set_threshold(*COLLECTION_THRESHOLDS)
        try:
            yield
        finally:
            gc.set_threshold(*thresholds)
            gc.unfreeze()  # what is left of this app may be collected (a test process makes many)
            # By now the server has answered every request in flight (ecity_common.server). What
            # the service had started finishes its step, in this order: the consumer commits the
            # poll in hand and leaves its group (its partitions move at once, not after a session
            # timeout); the relay sends the batch in hand and marks it; the workers are cancelled
            # (each leaves its work leased, to be taken again); the producer flushes what it holds.
            if consumer is not None:
                await consumer.stop(timeout_s=settings.shutdown_timeout_s)
            if relay is not None:
                relay.stop()
                try:
                    await asyncio.wait_for(relay_task, settings.shutdown_timeout_s)
                except Exception:  # noqa: BLE001 - cut off: unsent rows stay unsent, another replica sends them
                    log.warning("the outbox relay did not finish its batch in time")
            for task in tasks:
                task.cancel()
            with suppress(Exception):
                await asyncio.gather(*tasks, return_exceptions=True)
            await producer.stop()
            await app.state.kafka_health.close()
            await engine.dispose()

    app = FastAPI(
        title=definition.title,
        description=definition.description,
        version=definition.version,
        lifespan=lifespan,
        telemetry=http_telemetry(),
        docs_url=None,  # served with local assets by install_docs, not from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.outbox = Outbox(definition.tables.outbox, settings)
    app.state.jwt = JwtVerifier(settings)
    install_problem_handlers(app)
    install_docs(app)
    install_openapi(app)

    async def database_ok() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def kafka_ok() -> None:
        client: AIOKafkaClient | None = getattr(app.state, "kafka_health", None)
        if client is None:
            raise RuntimeError("Kafka client not started")
        await client.fetch_all_metadata()

    async def background_ok() -> None:
        # The consumer or the relay backing off because the database or Kafka is away says so here
        # with how long and why, even when the check above happens to get through.
        for part in (getattr(app.state, "consumer", None), getattr(app.state, "relay", None)):
            if part is not None:
                part.recovery.readiness()

    # Read at each scrape: a pool always at its size while requests wait says the pool (or the
    # database) is the bottleneck.
    POOL_IN_USE.labels(settings.service_name).set_function(engine.pool.checkedout)

    def consumer_alive() -> None:
        if (consumer := getattr(app.state, "consumer", None)) is not None:
            consumer.alive()

    app.include_router(health_router({"database": database_ok, "kafka": kafka_ok, "background": background_ok},
                                     live_checks={"consumer": consumer_alive}))
    for router in definition.routers:
        app.include_router(router)
    # No body is read past its route's limit (JSON_BODY unless the route says otherwise).
    app.add_middleware(BodyLimits)
    # Requests and their duration per route, method and status: what dashboards and alerts use.
    app.add_middleware(HttpMetrics)
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    instrument_app(app, engine)
    return app
