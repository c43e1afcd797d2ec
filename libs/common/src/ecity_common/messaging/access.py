"""Who may do what on Kafka: each service's rights, derived from the event catalogue, and how a
client signs in.

One principal per service (its name). What it may do follows from the catalogue alone:

- write: its own topic (`TOPICS[service]`), and the `.dlq` twin of every topic it reads, where
  its consumer parks the records it cannot handle (`messaging.dlq.send_dead_letter`);
- read: the topics of the producers of every event type that names it among its consumers, as
  the consumer group `ecity.<service>`;
- create (locally only, where a service makes its topics; on Kubernetes Strimzi's KafkaTopic
  objects do and nobody else may): exactly what it writes.

Nothing else: not another service's topic, not another group. So the ledger, which posts an
expenditure for every `asset.commissioned` on `ecity.network.v1`, hears it only from the network
registry's principal. The local broker (`ecity_cli.infra.kafka`) grants this table through the
admin API; `deploy/k8s/generate.py` writes it into each service's Strimzi `KafkaUser`. An
idempotent producer needs no cluster right of its own: since Kafka 3.0 a WRITE on any topic is
enough to get a producer id.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field

from ecity_common.events.catalogue import TOPICS, all_specs, dead_letter_topic

# The mechanism of every principal, locally and on Kubernetes (Strimzi's `scram-sha-512`).
SCRAM = "SCRAM-SHA-512"


@dataclass(frozen=True)
class KafkaRights:
    """One service's rights on the cluster; topic names carry `topic_prefix` (the tests' own)."""

    principal: str
    writes: tuple[str, ...]
    reads: tuple[str, ...]
    group: str

    @property
    def creates(self) -> tuple[str, ...]:
        """The topics it may create where services create theirs (locally): those it writes."""
        return self.writes


def consumed_topics(service: str) -> list[str]:
    """The topics whose events name `service` among their consumers."""
    return sorted({spec.topic for spec in all_specs() if service in spec.consumers})


def kafka_rights(service: str, *, topic_prefix: str = "") -> KafkaRights:
    if service not in TOPICS:
        raise ValueError(f"{service!r} publishes nothing in the event catalogue: it has no Kafka principal")
    reads = [topic_prefix + t for t in consumed_topics(service)]
    writes = [topic_prefix + TOPICS[service], *(dead_letter_topic(t) for t in reads)]
    return KafkaRights(principal=service, writes=tuple(writes), reads=tuple(reads), group=consumer_group(service))


def all_kafka_rights(*, topic_prefix: str = "") -> dict[str, KafkaRights]:
    return {service: kafka_rights(service, topic_prefix=topic_prefix) for service in TOPICS}


def consumer_group(service: str) -> str:
    """A service's consumer group unless its settings name another (`ServiceSettings.consumer_group`)."""
    return f"ecity.{service}"


@dataclass(frozen=True)
class KafkaAccess:
    """Where the brokers are and who signs in: what every aiokafka client of ours is made with.

    `PLAINTEXT` signs in as nobody; the local broker refuses it and a deployed service refuses to
    start with it (`ServiceSettings.unsafe`)."""

    bootstrap_servers: str
    security_protocol: str = "SASL_PLAINTEXT"
    sasl_mechanism: str = SCRAM
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    # The CA that signed the brokers' certificates (Strimzi's cluster CA), for SASL_SSL.
    ssl_cafile: str | None = None

    @property
    def authenticated(self) -> bool:
        return self.security_protocol.startswith("SASL_") and bool(self.username and self.password)

    def client_options(self) -> dict:
        """Keyword arguments for AIOKafkaProducer, AIOKafkaConsumer, AIOKafkaAdminClient, AIOKafkaClient."""
        options: dict = {"bootstrap_servers": self.bootstrap_servers, "security_protocol": self.security_protocol}
        if self.security_protocol.startswith("SASL_"):
            options |= {"sasl_mechanism": self.sasl_mechanism, "sasl_plain_username": self.username,
                        "sasl_plain_password": self.password}
        if self.security_protocol in ("SSL", "SASL_SSL"):
            options["ssl_context"] = ssl.create_default_context(cafile=self.ssl_cafile)
        return options
