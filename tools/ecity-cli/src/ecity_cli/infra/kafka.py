"""Apache Kafka 4.x in KRaft mode, from its Maven Central jars, on this machine.

Every client signs in (SASL SCRAM-SHA-512) and may do what its principal's ACLs allow: each
service what the event catalogue gives it (`ecity_common.messaging.access`), the operator
(`admin`: the `ecity` command, the tests' own clients, the benchmarks) everything. The passwords are
made at the first start, in `credentials.json` beside the data; the catalogue's topics and the ACLs
are made at every start (`provision`), as Strimzi's KafkaTopic and KafkaUser objects on Kubernetes.

`LocalKafka` is one combined broker+controller node. Alone (the default, what `make run` and the
tests use) it is a single-node cluster with a standalone quorum and replication factor 1.
`LocalKafkaCluster` runs three such nodes as one cluster (three controllers in a static quorum,
replication factor 3, `min.insync.replicas=2`), for tests that lose a broker on purpose.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import TopicPartition
from aiokafka.client import AIOKafkaClient

from ecity_cli.infra import InfraError, free_port, port_open, repo_root, require, run_async, tail
from ecity_cli.infra.acls import acls_for, grant
from ecity_common.events.catalogue import TOPICS, dead_letter_topic
from ecity_common.messaging.access import SCRAM, KafkaAccess, all_kafka_rights
from ecity_common.messaging.topics import ensure_topics

# The operators' principal: `ecity` (infra, events, dlq), the tests' own reads and writes, the
# benchmarks. A super user, which no service is.
ADMIN = "admin"

_SERVER_PROPERTIES = """\
# Written by ecity_cli.infra.kafka: {what}, for local use only.
process.roles=broker,controller
node.id={node_id}
{quorum}
# Every connection signs in, and as a principal of its own. Clients and the brokers among
# themselves: SCRAM-SHA-512, whose credentials live in the cluster's metadata. The nodes to the
# controllers: PLAIN, as the operator, since a controller must check a sign-in before it has read
# any metadata (Kafka has no SCRAM there); that listener takes nobody else.
listeners=CLIENT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=CLIENT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=CLIENT
listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,CLIENT:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.client.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="{admin}" password="{admin_password}";
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="{admin}" password="{admin_password}" user_{admin}="{admin_password}";
# What a principal may do is its ACLs (the event catalogue's table, granted at start), and nothing
# without one; the operator, whom the nodes also sign in as, is a super user.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:{admin}
log.dirs={data_dir}
num.partitions=3
default.replication.factor={replication}
{min_isr}offsets.topic.replication.factor={replication}
offsets.topic.num.partitions=10
transaction.state.log.replication.factor={replication}
transaction.state.log.min.isr={internal_min_isr}
share.coordinator.state.topic.replication.factor={replication}
share.coordinator.state.topic.min.isr={internal_min_isr}
# Consumers join at once instead of waiting 3 s for others that will not come.
group.initial.rebalance.delay.ms=0
# Topics are created on purpose (by each service locally, by Strimzi on Kubernetes).
auto.create.topics.enable=false
log.retention.hours=168
"""

_LOG4J2 = """\
# Kafka's own log, to a file in the state folder (the jars ship no configuration).
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = {log_file}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.controller.name = org.apache.kafka.controller
logger.controller.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
"""


def pom() -> Path:
    """The broker's jars: Apache Kafka at the version deploy/k8s/generate.py runs on Kubernetes."""
    return repo_root() / "deploy" / "local" / "kafka" / "pom.xml"


def kafka_version(pom_file: Path | None = None) -> str:
    pom_file = pom_file or pom()
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", pom_file.read_text())
    if not match:
        raise InfraError(f"{pom_file} names no <kafka.version>")
    return match.group(1)


@dataclass
class LocalKafka:
    state_dir: Path
    port: int = 9092
    controller_port: int = 9093
    jars_dir: Path | None = None
    heap: str = "768m"
    # One node of a cluster (see LocalKafkaCluster): its id, and the static controller quorum of
    # every node ("1@127.0.0.1:9093,2@..."), all formatted with the same cluster id. Without
    # voters the node is a cluster of its own: a standalone quorum, replication factor 1.
    node_id: int = 1
    voters: str = ""
    cluster_id: str | None = None
    replication_factor: int = 1
    min_insync_replicas: int = 1
    # The principals' passwords (one file for every node of a cluster); by default in the state folder.
    credentials: Credentials | None = None

    def __post_init__(self) -> None:
        self.state_dir = Path(self.state_dir)
        self.jars_dir = Path(self.jars_dir or repo_root() / ".cache" / "kafka-jars")
        self.credentials = self.credentials or Credentials(self.state_dir / "credentials.json")
        self._process: subprocess.Popen | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def admin(self) -> KafkaAccess:
        """The operators' sign-in (a super user)."""
        return self.credentials.access(self.bootstrap_servers, ADMIN)

    def access(self, service: str) -> KafkaAccess:
        """A service's own sign-in: what its ACLs allow, nothing more."""
        return self.credentials.access(self.bootstrap_servers, service)

    def service_settings(self, service: str) -> dict[str, str]:
        """A service's Kafka settings for this broker (ServiceSettings fields)."""
        return self.credentials.settings(self.bootstrap_servers, service)

    def admin_settings(self) -> dict[str, str]:
        """The operator's, as ServiceSettings fields: for the benchmarks' relays and consumers on
        topics and groups of their own, which no service has rights to."""
        return self.credentials.settings(self.bootstrap_servers, ADMIN)

    def provision(self, *, topic_prefix: str = "") -> None:
        """What Strimzi's KafkaTopic and KafkaUser objects are on Kubernetes: every topic of the
        event catalogue and its dead-letter twin, named with this prefix (the tests give each test
        its own), and every service's rights on them."""
        provision(self.admin, topic_prefix=topic_prefix, replication_factor=self.replication_factor,
                  min_insync_replicas=self.min_insync_replicas if self.voters else None)

    @property
    def log_file(self) -> Path:
        return self.state_dir / "kafka.log"

    @property
    def _pid_file(self) -> Path:
        return self.state_dir / "kafka.pid"

    # -- prerequisites -----------------------------------------------------------------------

    def check_java(self) -> str:
        java = require("java", "Java 17 or newer is needed for the local Kafka broker: install it (apt-get install openjdk-17-jre-headless).")
        out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
        match = re.search(r'version "(\d+)', out)
        if not match or int(match.group(1)) < 17:
            raise InfraError(f"Java 17 or newer is needed for Kafka 4, but `java -version` says: {out.splitlines()[0] if out else '?'}")
        return java

    def has_jars(self) -> bool:
        """The cache holds the broker of the version the pom names (a cache left by an older
        version is fetched again: the local broker runs what the cluster's Strimzi runs)."""
        return (self.jars_dir / f"kafka_2.13-{kafka_version()}.jar").exists() and any(
            self.jars_dir.glob("log4j-slf4j-impl-*.jar"))

    def ensure_jars(self) -> None:
        """Fetch the broker's jars from Maven Central once; later runs find them cached."""
        self.check_java()
        if self.has_jars():
            return
        mvn = require("mvn", "Maven is needed once to fetch the Kafka jars from Maven Central: install it (apt-get install maven).")
        pom_file = pom()
        partial = self.jars_dir.with_name(self.jars_dir.name + ".partial")
        subprocess.run(["rm", "-rf", str(partial)], check=True)
        result = subprocess.run(
            [mvn, "-B", "-q", "-f", str(pom_file), "dependency:copy-dependencies", f"-DoutputDirectory={partial}"],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise InfraError(f"Maven could not fetch the Kafka jars:\n{(result.stdout + result.stderr)[-3000:]}")
        subprocess.run(["rm", "-rf", str(self.jars_dir)], check=True)
        partial.rename(self.jars_dir)

    # -- lifecycle ---------------------------------------------------------------------------

    def _java(self, main: str, *args: str) -> list[str]:
        return [
            self.check_java(),
            f"-Xmx{self.heap}",
            "-Xms256m",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.state_dir / 'log4j2.properties'}",
            "-cp",
            f"{self.jars_dir}/*",
            main,
            *args,
        ]

    def running_pid(self) -> int | None:
        try:
            pid = int(self._pid_file.read_text())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def server_properties(self) -> str:
        data_dir = self.state_dir / "data"
        common = {"node_id": self.node_id, "port": self.port, "controller_port": self.controller_port, "data_dir": data_dir,
                  "admin": ADMIN, "admin_password": self.credentials.password(ADMIN)}
        if not self.voters:
            return _SERVER_PROPERTIES.format(
                what="one combined broker + controller",
                quorum=f"controller.quorum.bootstrap.servers=127.0.0.1:{self.controller_port}",
                replication=1, min_isr="", internal_min_isr=1, **common,
            )
        return _SERVER_PROPERTIES.format(
            what=f"node {self.node_id} of a local cluster, broker + controller",
            quorum=f"controller.quorum.voters={self.voters}",
            replication=self.replication_factor,
            min_isr=f"min.insync.replicas={self.min_insync_replicas}\n",
            internal_min_isr=self.min_insync_replicas,
            **common,
        )

    def start(self, timeout_s: float = 120.0) -> None:
        """Start the node (unless it runs), with the catalogue's topics and every service's rights."""
        if not (self.running_pid() and self.is_ready()):
            self.launch()
            self.wait_ready(timeout_s)
        if not self.voters:  # a cluster's once all its nodes run (LocalKafkaCluster.start)
            self.provision()

    def launch(self) -> None:
        """Write the configuration, format the storage the first time, and start the JVM, without
        waiting: a node of a cluster is ready only once a majority of its quorum runs."""
        self.ensure_jars()
        if port_open(self.port) or port_open(self.controller_port):
            raise InfraError(
                f"port {self.port} or {self.controller_port} is taken by another program: stop it, or set ECITY_KAFKA_PORT"
            )
        self.state_dir.mkdir(parents=True, exist_ok=True)
        data_dir = self.state_dir / "data"
        principals = [ADMIN, *TOPICS]
        formatted = (data_dir / "meta.properties").exists()
        if formatted:  # before anything is written: a broker formatted without sign-ins stays as it was
            self.credentials.check(principals)
        config = self.state_dir / "server.properties"
        config.write_text(self.server_properties())
        os.chmod(config, 0o600)  # it holds the operator's password
        (self.state_dir / "log4j2.properties").write_text(_LOG4J2.format(log_file=self.log_file))
        if not formatted:
            cluster_id = self.cluster_id or new_cluster_id()
            # A static quorum (voters) needs no flag; a lone node formats a standalone one.
            how = [] if self.voters else ["--standalone"]
            # Every principal's SCRAM credential is in the cluster's first metadata (the brokers
            # sign in to each other with one): no node runs a moment without them.
            scram = [f"--add-scram={SCRAM}=[name={p},password={self.credentials.password(p)}]" for p in principals]
            result = subprocess.run(
                # `=` because a random id may begin with "-", which argparse would take for an option.
                self._java("kafka.tools.StorageTool", "format", *how, f"--cluster-id={cluster_id}", *scram, "-c", str(config)),
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise InfraError(f"Kafka storage format failed:\n{(result.stdout + result.stderr)[-3000:]}")
        with open(self.state_dir / "kafka.out", "ab") as out:
            self._process = subprocess.Popen(
                self._java("kafka.Kafka", str(config)),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C in a terminal reaches us, and we stop it in order
            )
        self._pid_file.write_text(str(self._process.pid))

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        process = self._process
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise InfraError(
                    f"Kafka exited with code {process.returncode} while starting; its log ends:\n{tail(self.log_file)}\n{tail(self.state_dir / 'kafka.out')}"
                )
            if self.is_ready():
                return
            time.sleep(0.3)
        self.stop()
        raise InfraError(f"Kafka did not become ready in {timeout_s:.0f} s; its log ends:\n{tail(self.log_file)}")

    def is_ready(self) -> bool:
        """Ready means a client got cluster metadata from this node with this node among the
        brokers (registered, not fenced), not that a port is open."""
        if not port_open(self.port):
            return False

        async def metadata() -> bool:
            client = AIOKafkaClient(**self.admin.client_options(), request_timeout_ms=3000)
            try:
                await client.bootstrap()
                return any(b.nodeId == self.node_id for b in client.cluster.brokers())
            except Exception:  # noqa: BLE001 - not ready yet
                return False
            finally:
                await client.close()

        return run_async(metadata)

    def destroy(self) -> None:
        """Stop the broker and delete its data and log: the next start is an empty cluster."""
        self.stop()
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def stop(self, timeout_s: float = 30.0) -> None:
        pid = self.running_pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                break
            _reap(pid)
            time.sleep(0.2)
        else:
            os.kill(pid, signal.SIGKILL)
            _reap(pid)
        self._pid_file.unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL: the node dies as in a power cut, without a controlled shutdown."""
        pid = self.running_pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGKILL)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:  # not our child (an earlier run's); it dies all the same
            while _alive(pid):
                time.sleep(0.05)
        self._process = None
        self._pid_file.unlink(missing_ok=True)


@dataclass
class Credentials:
    """The principals' passwords, made on first use and kept beside the broker's data (whose
    metadata holds their SCRAM hashes): readable by this machine's user alone, like `.state/jwt/`."""

    file: Path

    def _read(self) -> dict[str, str]:
        try:
            return json.loads(self.file.read_text())
        except FileNotFoundError:
            return {}

    def password(self, principal: str) -> str:
        known = self._read()
        if principal not in known:
            known[principal] = secrets.token_hex(24)  # hex: nothing the format tool's parser would split on
            self.file.parent.mkdir(parents=True, exist_ok=True)
            staged = self.file.with_suffix(f".{os.getpid()}")
            staged.write_text(json.dumps(known, indent=2))
            os.chmod(staged, 0o600)
            staged.replace(self.file)
        return known[principal]

    def known(self, principal: str) -> str | None:
        """The principal's password if one was made (reading makes none)."""
        return self._read().get(principal)

    def check(self, principals: list[str]) -> None:
        """A broker formatted earlier knows exactly the principals it was formatted with."""
        missing = [p for p in principals if p not in self._read()]
        if missing:
            raise InfraError(
                f"the local Kafka in {self.file.parent} was formatted without the sign-in of {', '.join(missing)} "
                f"(before brokers required one, or before that service existed): `ecity infra reset` formats it anew"
            )

    def access(self, bootstrap_servers: str, principal: str) -> KafkaAccess:
        return KafkaAccess(bootstrap_servers, "SASL_PLAINTEXT", SCRAM, principal, self.password(principal))

    def settings(self, bootstrap_servers: str, principal: str) -> dict[str, str]:
        return {"kafka_bootstrap_servers": bootstrap_servers, "kafka_security_protocol": "SASL_PLAINTEXT",
                "kafka_sasl_mechanism": SCRAM, "kafka_sasl_username": principal,
                "kafka_sasl_password": self.password(principal)}


def provision(admin: KafkaAccess, *, topic_prefix: str = "", replication_factor: int = 1,
              min_insync_replicas: int | None = None) -> None:
    """Every topic of the event catalogue and its dead-letter twin, and every service's rights on
    them (ecity_common.messaging.access). The topics exist before any service starts, as on
    Kubernetes: a consumer that subscribes to a topic its producer has not made yet would not see
    it for minutes (aiokafka looks again only every `metadata_max_age_ms`), and the consumer may
    not make it itself: a service creates only the topics it writes."""
    rights = all_kafka_rights(topic_prefix=topic_prefix)
    topics = [topic_prefix + t for t in TOPICS.values()]
    topics += [dead_letter_topic(t) for t in topics]

    async def both() -> None:  # side by side: each is a few round trips to the controller
        await asyncio.gather(
            grant(admin, [acl for r in rights.values() for acl in acls_for(r)]),
            ensure_topics(admin, topics, replication_factor=replication_factor, min_insync_replicas=min_insync_replicas),
        )

    run_async(both)


def new_cluster_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


@dataclass
class LocalKafkaCluster:
    """Three combined broker+controller nodes as one cluster, on free ports under `state_dir`:
    every topic replicated three times and written to at least two (`min.insync.replicas=2`,
    internal topics too), so that one node may die without a write lost or refused.

    For tests of broker loss: `kill(node)` SIGKILLs one node, `start_node(node)` brings it back
    on the same ports and data. Nodes are numbered 1, 2, 3 (their Kafka node ids).
    """

    state_dir: Path
    size: int = 3
    heap: str = "384m"
    jars_dir: Path | None = None
    nodes: dict[int, LocalKafka] = field(init=False)
    credentials: Credentials = field(init=False)

    def __post_init__(self) -> None:
        self.state_dir = Path(self.state_dir)
        ports = {n: (free_port(), free_port()) for n in range(1, self.size + 1)}
        voters = ",".join(f"{n}@127.0.0.1:{controller}" for n, (_, controller) in ports.items())
        cluster_id = new_cluster_id()
        self.credentials = Credentials(self.state_dir / "credentials.json")
        self.nodes = {
            n: LocalKafka(
                self.state_dir / f"node-{n}",
                port=port,
                controller_port=controller,
                jars_dir=self.jars_dir,
                heap=self.heap,
                node_id=n,
                voters=voters,
                cluster_id=cluster_id,
                replication_factor=min(3, self.size),
                min_insync_replicas=min(2, self.size),
                credentials=self.credentials,
            )
            for n, (port, controller) in ports.items()
        }

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(node.bootstrap_servers for node in self.nodes.values())

    @property
    def admin(self) -> KafkaAccess:
        return self.credentials.access(self.bootstrap_servers, ADMIN)

    def service_settings(self, service: str) -> dict[str, str]:
        return self.credentials.settings(self.bootstrap_servers, service)

    def provision(self, *, topic_prefix: str = "") -> None:
        """The catalogue's topics (replicated three times) and every service's rights, as LocalKafka.provision."""
        provision(self.admin, topic_prefix=topic_prefix, replication_factor=min(3, self.size),
                  min_insync_replicas=min(2, self.size))

    def start(self, timeout_s: float = 180.0) -> None:
        """Start every node at once (none is ready before a majority of the quorum runs), then
        wait until each is a registered broker."""
        first = next(iter(self.nodes.values()))
        first.ensure_jars()
        try:
            for node in self.nodes.values():
                node.launch()
            deadline = time.monotonic() + timeout_s
            for node in self.nodes.values():
                node.wait_ready(max(1.0, deadline - time.monotonic()))
            self.provision()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for node in self.nodes.values():
            node.stop()

    def kill(self, node: int) -> None:
        self.nodes[node].kill()

    def start_node(self, node: int, timeout_s: float = 120.0) -> None:
        self.nodes[node].start(timeout_s)

    def running(self) -> list[int]:
        return [n for n, node in self.nodes.items() if node.running_pid() is not None]

    def leaders(self, topic: str) -> dict[int, int]:
        """Partition -> the node that leads it, as the cluster's metadata says now."""

        async def metadata() -> dict[int, int]:
            client = AIOKafkaClient(**self.admin.client_options(), request_timeout_ms=5000)
            try:
                await client.bootstrap()
                await client.force_metadata_update()
                client.add_topic(topic)
                await client.force_metadata_update()
                return {p: client.cluster.leader_for_partition(TopicPartition(topic, p))
                        for p in client.cluster.partitions_for_topic(topic) or ()}
            finally:
                await client.close()

        return run_async(metadata)
