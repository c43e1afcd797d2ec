"""A single-node Apache Kafka 4.x broker in KRaft mode, from its Maven Central jars."""

from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from aiokafka.client import AIOKafkaClient

from ecity_cli.infra import InfraError, port_open, repo_root, require, run_async, tail

_SERVER_PROPERTIES = """\
# Written by ecity_cli.infra.kafka: one combined broker + controller, for local use only.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={data_dir}
num.partitions=3
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
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


@dataclass
class LocalKafka:
    state_dir: Path
    port: int = 9092
    controller_port: int = 9093
    jars_dir: Path | None = None
    heap: str = "768m"

    def __post_init__(self) -> None:
        self.state_dir = Path(self.state_dir)
        self.jars_dir = Path(self.jars_dir or repo_root() / ".cache" / "kafka-jars")

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

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

    def ensure_jars(self) -> None:
        """Fetch the broker's jars from Maven Central once; later runs find them cached."""
        self.check_java()
        if any(self.jars_dir.glob("kafka_2.13-*.jar")) and any(self.jars_dir.glob("log4j-slf4j-impl-*.jar")):
            return
        mvn = require("mvn", "Maven is needed once to fetch the Kafka jars from Maven Central: install it (apt-get install maven).")
        pom = repo_root() / "deploy" / "local" / "kafka" / "pom.xml"
        partial = self.jars_dir.with_name(self.jars_dir.name + ".partial")
        subprocess.run(["rm", "-rf", str(partial)], check=True)
        result = subprocess.run(
            [mvn, "-B", "-q", "-f", str(pom), "dependency:copy-dependencies", f"-DoutputDirectory={partial}"],
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

    def start(self, timeout_s: float = 120.0) -> None:
        if self.running_pid() and self.is_ready():
            return
        self.ensure_jars()
        if port_open(self.port) or port_open(self.controller_port):
            raise InfraError(
                f"port {self.port} or {self.controller_port} is taken by another program: stop it, or set ECITY_KAFKA_PORT"
            )
        self.state_dir.mkdir(parents=True, exist_ok=True)
        data_dir = self.state_dir / "data"
        config = self.state_dir / "server.properties"
        config.write_text(
            _SERVER_PROPERTIES.format(port=self.port, controller_port=self.controller_port, data_dir=data_dir)
        )
        (self.state_dir / "log4j2.properties").write_text(_LOG4J2.format(log_file=self.log_file))
        if not (data_dir / "meta.properties").exists():
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            result = subprocess.run(
                # `=` because a random id may begin with "-", which argparse would take for an option.
                self._java("kafka.tools.StorageTool", "format", "--standalone", f"--cluster-id={cluster_id}", "-c", str(config)),
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise InfraError(f"Kafka storage format failed:\n{(result.stdout + result.stderr)[-3000:]}")
        with open(self.state_dir / "kafka.out", "ab") as out:
            process = subprocess.Popen(
                self._java("kafka.Kafka", str(config)),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C in a terminal reaches us, and we stop it in order
            )
        self._pid_file.write_text(str(process.pid))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise InfraError(
                    f"Kafka exited with code {process.returncode} while starting; its log ends:\n{tail(self.log_file)}\n{tail(self.state_dir / 'kafka.out')}"
                )
            if self.is_ready():
                return
            time.sleep(0.3)
        self.stop()
        raise InfraError(f"Kafka did not become ready in {timeout_s:.0f} s; its log ends:\n{tail(self.log_file)}")

    def is_ready(self) -> bool:
        """Ready means a client got cluster metadata with a broker in it, not that a port is open."""
        if not port_open(self.port):
            return False

        async def metadata() -> bool:
            client = AIOKafkaClient(bootstrap_servers=self.bootstrap_servers, request_timeout_ms=3000)
            try:
                await client.bootstrap()
                return bool(client.cluster.brokers())
            except Exception:  # noqa: BLE001 - not ready yet
                return False
            finally:
                await client.close()

        return run_async(metadata)

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


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
