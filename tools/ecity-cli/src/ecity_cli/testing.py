"""pytest plugin: a real Kafka broker and a real PostgreSQL cluster for the whole test session.

Loaded by the workspace's pytest configuration (`-p ecity_cli.testing`). The session starts both
on free ports under `.state/test/` (wiped first) and stops them at the end; every test gets its own
databases and its own topic prefix, so tests never see each other's rows or events.

Tests that lose a broker on purpose ask for `kafka_cluster`: three Kafka nodes (replication 3,
min.insync.replicas 2) under `.state/test-cluster/`, started the first time a test asks for it and
stopped at the end of the session; the other tests never start it.

`make test` runs the tests in several processes (pytest-xdist, TEST_WORKERS): each has its own
broker and PostgreSQL (`.state/test-gw0/`, `.state/test-gw1/` …). Tests that load the machine on
purpose (killing brokers and replicas, timing a shutdown) share one `xdist_group`, so they run one
after another in one process while the others go on.

A test that stops its broker and starts it again (what an alert sees while Kafka is away) asks for
`own_kafka`: one node of its own under the test's temporary folder, started for that test alone
(some 6 s) and removed after it; the session's broker is never stopped.

Every broker requires a sign-in and grant by ACL, as on Kubernetes. A service under test signs in as
itself, with the rights the event catalogue gives it on its test's topics (the topics made and the
rights granted when the test first asks for a service's settings). A test's own clients sign in as
the broker's operator (`admin_access`): the helpers below (`read_topic`, `topic_size`, `publish`)
take the broker's address and do it for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from sqlalchemy.engine import make_url

from ecity_cli.infra import InfraError, free_port, port_open, repo_root
from ecity_cli.infra.kafka import LocalKafka, LocalKafkaCluster
from ecity_cli.infra.postgres import LocalPostgres
from ecity_cli.local import LocalInfra
from ecity_cli.services import (
    SERVICES,
    WEB,
    ServiceInfo,
    ServiceProcess,
    SignInProcess,
    local_keys,
    service_env,
    web_env,
)
from ecity_cli.tokens import local_issuer, token_for
from ecity_common.events.payloads.citizen_requests import CitizenRequestSubmitted
from ecity_common.messaging.access import KafkaAccess

# The session's brokers by bootstrap address: whose credentials a client of a test uses.
_BROKERS: dict[str, LocalKafka | LocalKafkaCluster] = {}


def broker_at(bootstrap: str) -> LocalKafka | LocalKafkaCluster:
    try:
        return _BROKERS[bootstrap]
    except KeyError:
        raise LookupError(f"no broker of this test session is at {bootstrap}") from None


def admin_access(kafka: KafkaAccess | str) -> KafkaAccess:
    """A test's own sign-in: the operator (a super user) of the session's broker at that address."""
    return kafka if isinstance(kafka, KafkaAccess) else broker_at(kafka).admin


def kafka_options(kafka: KafkaAccess | str) -> dict:
    """aiokafka client arguments for a test's own producer or consumer (as the operator)."""
    return admin_access(kafka).client_options()


@dataclass
class TestInfra:
    __test__ = False

    kafka: LocalKafka
    postgres: LocalPostgres
    state: Path

    @property
    def bootstrap_servers(self) -> str:
        return self.kafka.bootstrap_servers

    @property
    def admin(self) -> KafkaAccess:
        """The broker's operator: for a test's own topics, reads and writes."""
        return self.kafka.admin

    def kafka_settings(self, service: str, topic_prefix: str) -> dict[str, str]:
        """A service's sign-in (ServiceSettings fields), with the catalogue's topics named with this
        prefix made and its rights on them granted: for tests that build a service's settings themselves."""
        self.kafka.provision(topic_prefix=topic_prefix)
        return self.kafka.service_settings(service)

    def ensure_running(self) -> None:
        """The session's broker and database up before a test. A test that takes them down on
        purpose (the chaos test kills the broker and restarts PostgreSQL) brings them back, but if it
        fails half-way, every later test of this process would fail for it: they are started again
        here, and said so, so that one failure stays one."""
        if not port_open(self.kafka.port):
            if self.kafka.running_pid() is not None:  # still starting (a restart left running)
                with contextlib.suppress(InfraError):
                    self.kafka.wait_ready(180.0)
            if not self.kafka.is_ready():
                print(f"[infra] the session's Kafka broker at {self.kafka.bootstrap_servers} was down: starting it again", flush=True)
                self.kafka.stop()
                self.kafka.start(180.0)
        if not self.postgres.accepting():
            # Still recovering after an immediate stop (minutes, on a loaded machine), or stopped.
            if not (self.postgres.is_running() and self.postgres.wait_accepting(300.0)):
                print(f"[infra] the session's PostgreSQL on port {self.postgres.port} was down: starting it again", flush=True)
                self.postgres.start()

    def new_database(self, hint: str = "db") -> str:
        name = f"t_{hint}_{uuid.uuid4().hex[:10]}"
        self.postgres.create_databases([name])
        return self.postgres.database_url(name)


def _state(name: str) -> Path:
    """A session's state folder: `.state/<name>`, or `.state/<name>-gwN` in each process of a
    parallel run (`make test`'s TEST_WORKERS), which then has infrastructure of its own."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return repo_root() / ".state" / (f"{name}-{worker}" if worker else name)


def pytest_configure(config) -> None:
    # This process's spans are recorded, whichever in-process app a test makes first: its HTTP
    # calls to service processes then carry a sampled trace, and those processes record theirs.
    from ecity_common.tracing import setup_tracing

    setup_tracing("ecity-tests", record=True)


@pytest.fixture(scope="session")
def infra() -> TestInfra:
    state = _state("test")
    kafka = LocalKafka(state / "kafka", port=free_port(), controller_port=free_port())
    postgres = LocalPostgres(state, port=free_port())
    kafka.stop()  # a broker left behind by a test run that was killed
    postgres.destroy()
    shutil.rmtree(state, ignore_errors=True)
    local = LocalInfra(kafka=kafka, postgres=postgres)
    try:
        local.up()
    except InfraError as exc:
        pytest.exit(f"cannot start the test infrastructure: {exc}", returncode=3)
    _BROKERS[kafka.bootstrap_servers] = kafka
    yield TestInfra(kafka=kafka, postgres=postgres, state=state)
    _BROKERS.pop(kafka.bootstrap_servers, None)
    kafka.kill()  # its data is thrown away with the next session's start: no controlled shutdown to wait for
    postgres.destroy()


@pytest.fixture(scope="session")
def kafka_cluster() -> LocalKafkaCluster:
    """A three-node Kafka cluster for the session, beside the single broker of `infra`. A test that
    kills a node brings it back before it ends (`start_node`): the next test finds three."""
    state = _state("test-cluster")
    cluster = LocalKafkaCluster(state)
    cluster.stop()  # nodes left behind by a test run that was killed (their pid files)
    shutil.rmtree(state, ignore_errors=True)
    try:
        cluster.start()
    except InfraError as exc:
        pytest.fail(f"cannot start the three-node Kafka cluster: {exc}")
    _BROKERS[cluster.bootstrap_servers] = cluster
    yield cluster
    _BROKERS.pop(cluster.bootstrap_servers, None)
    # Killed, not stopped: its last node's controlled shutdown waits for a quorum already gone.
    for node in cluster.nodes:
        cluster.kill(node)


@pytest.fixture
def own_kafka(tmp_path: Path) -> LocalKafka:
    """A single Kafka node for this test alone, which it may `stop()` and `start()` again (same
    port, same data). Services are pointed at it with `kafka_bootstrap_servers=own_kafka.bootstrap_servers`."""
    kafka = LocalKafka(tmp_path / "kafka", port=free_port(), controller_port=free_port())
    try:
        kafka.start()
    except InfraError as exc:
        pytest.fail(f"cannot start the test's own Kafka node: {exc}")
    _BROKERS[kafka.bootstrap_servers] = kafka
    yield kafka
    _BROKERS.pop(kafka.bootstrap_servers, None)
    kafka.destroy()


@dataclass
class LocalS3:
    """An S3 API server of this session (moto's standalone server, a real process on a free port):
    what the photo stores are tested against, the way the city's object store is spoken to."""

    __test__ = False

    endpoint: str
    access_key_id: str = "testing"
    secret_access_key: str = "testing"
    region: str = "us-east-1"

    def new_bucket(self, hint: str = "photos") -> str:
        """A fresh, empty bucket for one test."""
        name = f"{hint}-{uuid.uuid4().hex[:12]}"
        httpx.put(f"{self.endpoint}/{name}", timeout=10.0).raise_for_status()
        return name

    def objects(self, bucket: str) -> list[str]:
        """The keys in a bucket (ListObjectsV2, read as the store's own listing would)."""
        import xml.etree.ElementTree as ET

        answer = httpx.get(f"{self.endpoint}/{bucket}", params={"list-type": "2"}, timeout=10.0)
        answer.raise_for_status()
        return [e.text for e in ET.fromstring(answer.content).iter() if e.tag.endswith("}Key")]


@pytest.fixture(scope="session")
def s3_server() -> LocalS3:
    """moto's S3 API server for the session, started the first time a test asks for it."""
    import subprocess
    import sys

    port = free_port()
    state = _state("test-s3")
    state.mkdir(parents=True, exist_ok=True)
    log = (state / "moto.log").open("wb")
    server = subprocess.Popen([str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not port_open(port):
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"moto's S3 server did not start: see {state / 'moto.log'}")
        time.sleep(0.1)
    try:
        yield LocalS3(endpoint=f"http://127.0.0.1:{port}")
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@dataclass
class ServiceFactory:
    """Builds settings for a service under test: a fresh database, this test's topic prefix, and
    the service's own sign-in to the broker it is given (the session's, or `kafka_cluster`)."""

    infra: TestInfra
    topic_prefix: str
    trace_dir: Path
    databases: dict[str, str] = field(default_factory=dict)
    provisioned: set[str] = field(default_factory=set)  # the brokers with this test's topics and ACLs

    def kafka_settings(self, service: str, bootstrap: str | None = None) -> dict[str, str]:
        """The service's sign-in to the broker at `bootstrap`, which first gets this test's topics
        and the services' rights on them (LocalKafka.provision)."""
        broker = broker_at(bootstrap or self.infra.bootstrap_servers)
        if broker.bootstrap_servers not in self.provisioned:
            broker.provision(topic_prefix=self.topic_prefix)
            self.provisioned.add(broker.bootstrap_servers)
        return broker.service_settings(service)

    def database_url(self, service: str) -> str:
        """The service's database as its owner (who migrates it; tests look into it with this)."""
        if service not in self.databases:
            self.databases[service] = self.infra.new_database(SERVICES[service].package)
        return self.databases[service]

    def app_database_url(self, service: str) -> str:
        """The same database as the service connects to it: as its restricted role if it has one."""
        role = SERVICES[service].app_role
        return self.infra.postgres.database_url(make_url(self.database_url(service)).database, role=role) if role \
            else self.database_url(service)

    def settings(self, service: str, **overrides):
        import importlib

        info = SERVICES[service]
        cls = importlib.import_module(f"{info.package}.settings").Settings
        values = {
            "mode": "local",
            "seed_demo_data": True,
            "jwt_jwks_file": str(local_issuer().jwks_file),
            "database_url": self.app_database_url(service),
            "migration_database_url": self.database_url(service),
            **local_keys(info),
            **self.kafka_settings(service, overrides.get("kafka_bootstrap_servers")),
            "kafka_topic_prefix": self.topic_prefix,
            "relay_poll_interval_s": 0.5,
            "log_json": True,
        }
        values.update(overrides)
        return cls(**values)

    def process(self, service: str, *, faults: str = "", **overrides: str) -> ServiceProcess:
        """A real service process (uvicorn), for tests that cross process boundaries. Overrides
        are settings (`kafka_bootstrap_servers=kafka_cluster.bootstrap_servers` for another Kafka)."""
        info: ServiceInfo = SERVICES[service]
        port = free_port()
        kafka = self.kafka_settings(service, overrides.pop("kafka_bootstrap_servers", None))
        extra = {
            "kafka_topic_prefix": self.topic_prefix,
            "relay_poll_interval_s": "0.5",
            "trace_file": str(self.trace_dir / f"{service}.spans.jsonl"),
            **overrides,
        }
        extra.setdefault("migration_database_url", self.database_url(service))
        database_url = extra.pop("database_url", None) or self.app_database_url(service)
        env = service_env(info, port=port, database_url=database_url, kafka=kafka, **extra)
        log = self.trace_dir / f"{service}-{port}.log"
        return ServiceProcess(info, port=port, env=env, log_file=log, faults=faults)


    def sign_in(self) -> SignInProcess:
        """The local OpenID Connect provider, on a free port (start it with `processes`)."""
        port = free_port()
        return SignInProcess(port=port, log_file=self.trace_dir / f"sign-in-{port}.log")

    def web(self, sign_in: SignInProcess, citizen_requests: ServiceProcess, notifications: ServiceProcess,
            **overrides: str) -> ServiceProcess:
        """The web as a process, over these services' processes, signing in at `sign_in`."""
        port = free_port()
        env = web_env(port=port, oidc_issuer=sign_in.url, citizen_requests_url=citizen_requests.url,
                      notifications_url=notifications.url, trace_file=str(self.trace_dir / "web.spans.jsonl"), **overrides)
        return ServiceProcess(WEB, port=port, env=env, log_file=self.trace_dir / f"web-{port}.log")


@pytest.fixture
def services(infra: TestInfra, tmp_path: Path) -> ServiceFactory:
    infra.ensure_running()
    return ServiceFactory(infra=infra, topic_prefix=f"t{uuid.uuid4().hex[:8]}.", trace_dir=tmp_path)


@pytest.fixture
def processes() -> Callable[[ServiceProcess], ServiceProcess]:
    """Start service processes and stop them at the end of the test, whatever happens."""
    started: list[ServiceProcess] = []

    def start(process: ServiceProcess) -> ServiceProcess:
        started.append(process.start())
        return process

    yield start
    for process in started:
        process.stop()


@asynccontextmanager
async def running(app) -> AsyncIterator[httpx.AsyncClient]:
    """Run an app's lifespan (migrations, relay, consumer) in this process, with a client to it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            client.app = app  # the tests look into the service's engine and state
            yield client


@asynccontextmanager
async def serving(
    services: ServiceFactory, name: str, *roles: str, subject: str | None = None, **overrides
) -> AsyncIterator[httpx.AsyncClient]:
    """A service of this test, running in-process, and a client to it; with `roles`, the client
    carries a token with them. The client has `.app` and `.settings` for looking inside."""
    import importlib

    settings = services.settings(name, **overrides)
    app = importlib.import_module(f"{SERVICES[name].package}.main").create_app(settings)
    async with running(app) as client:
        client.settings = settings
        if roles:
            client.headers.update(bearer(settings, subject or f"test-{roles[0]}", *roles))
        yield client


class CountedUpload:
    """A chunked upload (no Content-Length) counting the chunks the service pulled: a body limit or
    a door that holds must have pulled few. `first`, then `count` chunks of `size` bytes of `filler`."""

    def __init__(self, first: bytes, count: int, size: int, filler: bytes = b"\0") -> None:
        self.first, self.count, self.filler, self.pulled = first, count, filler, 0
        self.chunk = filler * (size // len(filler))

    async def __aiter__(self):
        self.pulled += 1
        yield self.first
        for _ in range(self.count):
            self.pulled += 1
            yield self.chunk


def bearer(settings, subject: str, *roles: str) -> dict[str, str]:
    """A token for the service with these settings (its own audience), signed as `ecity token` signs."""
    return {"Authorization": f"Bearer {token_for(settings, subject, *roles)}"}


# -- helpers for tests that read Kafka -------------------------------------------------------


def submitted(request_id: str | None = None, description: str = "Тече труба") -> CitizenRequestSubmitted:
    return CitizenRequestSubmitted(
        request_id=request_id or str(uuid.uuid4()),
        service_code="water_leak",
        handler_kind="utility",
        utility_kind="water",
        description=description,
        address="вул. Соборна, 1",
        submitted_at=datetime.now(UTC),
    )


async def read_topic(bootstrap: KafkaAccess | str, topic: str, count: int, timeout_s: float = 30.0) -> list[ConsumerRecord]:
    """The first `count` records of a topic (all partitions), or fail after `timeout_s`."""
    consumer = AIOKafkaConsumer(**kafka_options(bootstrap), enable_auto_commit=False)
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout_s
        partitions: set[int] = set()
        while not partitions:
            await consumer._client.force_metadata_update()  # noqa: SLF001
            partitions = consumer.partitions_for_topic(topic) or set()
            if time.monotonic() > deadline:
                raise AssertionError(f"topic {topic} never appeared")
            if not partitions:
                await asyncio.sleep(0.2)
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: list[ConsumerRecord] = []
        while len(records) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(records)} of {count} records on {topic}")
            for batch in (await consumer.getmany(timeout_ms=300)).values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


async def topic_size(bootstrap: KafkaAccess | str, topic: str) -> int:
    consumer = AIOKafkaConsumer(**kafka_options(bootstrap), enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()  # noqa: SLF001
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not tps:
            return 0
        ends = await consumer.end_offsets(tps)
        return sum(ends.values())
    finally:
        await consumer.stop()


async def until(predicate, timeout_s: float = 30.0, every_s: float = 0.1):
    """Await `predicate()` until it gives something truthy, and return that; fail after `timeout_s`.
    For what another process or a consumer will do soon, but not at once."""
    async with asyncio.timeout(timeout_s):
        while not (result := await predicate()):
            await asyncio.sleep(every_s)
        return result


async def publish(bootstrap: KafkaAccess | str, topic: str, *events) -> None:
    """Put CloudEvents on a topic as their producer's relay would (binary mode, keyed by subject),
    creating the topic first as the producer would have (a consumer under test creates only the
    topics it writes)."""
    from aiokafka import AIOKafkaProducer

    from ecity_common.messaging.topics import ensure_topics

    await ensure_topics(admin_access(bootstrap), [topic])
    producer = AIOKafkaProducer(**kafka_options(bootstrap))
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(topic, event.kafka_value(), key=(event.subject or event.id).encode(),
                                         headers=event.kafka_headers())
    finally:
        await producer.stop()


# -- a webhook receiver --------------------------------------------------------------------------


@dataclass
class Answer:
    """How the receiver answers one request: a status, headers, and a delay before answering."""

    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic()


@dataclass
class WebhookReceiver:
    """A real HTTP server on 127.0.0.1 that records every POST and answers from a script (then
    204s): the flaky, slow or gone endpoint that webhook tests and benchmarks need."""

    url: str
    received: list[Received]
    script: list[Answer]

    def answer_next(self, *answers: Answer) -> None:
        self.script.extend(answers)


@asynccontextmanager
async def serving_locally(app, port: int) -> AsyncIterator[None]:
    """An ASGI app on 127.0.0.1:`port` in this event loop, for as long as the block runs: the
    stand-ins for the world outside (a company's webhook endpoint, a browser's push service)."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
                                           access_log=False))
    server.capture_signals = contextlib.nullcontext  # the test runner owns the signals
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def webhook_receiver(path: str = "/hooks/ecity") -> AsyncIterator[WebhookReceiver]:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    port = free_port()
    receiver = WebhookReceiver(url=f"http://127.0.0.1:{port}{path}", received=[], script=[])

    async def hook(request: Request) -> Response:
        receiver.received.append(Received(dict(request.headers), await request.body(), time.monotonic()))
        answer = receiver.script.pop(0) if receiver.script else Answer()
        if answer.delay_s:
            await asyncio.sleep(answer.delay_s)
        return Response(status_code=answer.status, headers=answer.headers)

    app = Starlette(routes=[Route(path, hook, methods=["POST"])])
    async with serving_locally(app, port):
        yield receiver
