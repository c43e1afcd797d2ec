"""Settings every service shares, read from the environment with one prefix per service.

A service subclasses `ServiceSettings`, sets its own `env_prefix` (e.g. `CITIZEN_REQUESTS_`) and
its own defaults (port, database). The defaults are the local ones that `make run` uses, so a
developer needs no environment at all; Kubernetes sets every value from a ConfigMap and a Secret.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ecity_common.messaging.access import KafkaAccess, consumer_group

LOCAL_JWT_SECRET = "local-development-only-not-a-secret-0123456789"
MIN_SECRET_LENGTH = 32


class UnsafeSettings(RuntimeError):
    """A deployed service's settings include a default secret or demo data: it does not start."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("refusing to start outside local mode: " + "; ".join(problems))
        self.problems = problems


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ECITY_", extra="ignore")

    # "local" is what `make run` and the tests set (ecity_cli.services.service_env): the only mode in
    # which development secrets and demo data are accepted. Anything else is a deployment, and a
    # service refuses to start there with a default secret or demo data (`refuse_unsafe`).
    mode: Literal["local", "deployed"] = "deployed"
    # The illustrative demo data (and its published demo keys): local mode only.
    seed_demo_data: bool = False

    service_name: str = "ecity"
    # The CloudEvents `source` of everything this service publishes.
    event_source: str = "/ecity/unknown"

    http_host: str = "127.0.0.1"
    http_port: int = 8000
    # Where people and other tools reach this service; printed in docs and problem `instance`s.
    public_url: str | None = None

    database_url: str = "postgresql+asyncpg://ecity@127.0.0.1:5433/ecity"
    # Who migrates: the owner of the tables. Unset, the service migrates with `database_url`. A
    # service whose own role must not be able to change its tables (budget-ledger: it could drop the
    # append-only triggers) connects as a restricted role and names the owner here; in a cluster only
    # the migration Job gets this one.
    migration_database_url: str | None = None
    # That restricted role, which the service's migrations grant exactly what the code needs; it
    # must exist before they run (ecity creates it locally, CloudNativePG's managed roles in a cluster).
    database_app_role: str | None = None
    database_pool_size: int = 20
    # Connections beyond the pool are opened for a burst and closed when returned: under steady
    # load above the pool size that means a new connection (and TLS negotiation) for nearly every
    # request, which cost citizen filing more than its SQL did. Requests wait for a pooled one instead.
    database_max_overflow: int = 0
    # Off by default: SQLAlchemy's asyncpg ping is three round trips on every checkout, 40 % of a
    # small write transaction. A connection broken by a database restart is invalidated on first
    # use instead; that request answers 503 (see web.problems) and the pool reconnects.
    database_pool_pre_ping: bool = False
    database_pool_recycle_s: int = 1800
    # PostgreSQL's plan_cache_mode for this service's connections. "auto" (PostgreSQL's default)
    # keeps a prepared statement's generic plan once it looks no worse than the first five custom
    # ones; a service whose hot statement's best plan depends on how big a table has grown (and
    # starts on an empty one) forces a plan per execution instead.
    database_plan_cache_mode: Literal["auto", "force_custom_plan", "force_generic_plan"] = "auto"
    migrate_on_start: bool = True

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Every client of the service signs in as the service's own principal (its name unless set),
    # whose rights the event catalogue decides (`messaging.access`). Locally SCRAM over plain TCP
    # to the broker on 127.0.0.1, `ecity` hands each service its password; on Kubernetes SCRAM
    # over TLS, the password from the Secret of the service's KafkaUser and the cluster CA's
    # certificate; in Docker Compose PLAIN on the stack's own network. A deployed service refuses to
    # start without a sign-in (`unsafe`).
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = "SASL_PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_sasl_username: str = ""
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = None
    # Tests give every test its own prefix so that topics never leak between tests.
    kafka_topic_prefix: str = ""
    # Locally the service creates its topics; on Kubernetes Strimzi's KafkaTopic objects do.
    kafka_create_topics: bool = True
    kafka_topic_partitions: int = 3
    # How topics this service creates are replicated: 1 on the single local broker; on a cluster
    # of three, 3 with min.insync.replicas 2 (an acks=all write then survives losing any broker).
    kafka_topic_replication_factor: int = Field(default=1, ge=1)
    # Sent as the topic's `min.insync.replicas` when set; otherwise the broker's default applies.
    kafka_topic_min_insync_replicas: int | None = Field(default=None, ge=1)
    kafka_consumer_group: str | None = None

    relay_enabled: bool = True
    relay_batch_size: int = Field(default=500, ge=1, le=10_000)
    # LISTEN/NOTIFY wakes the relay at once; this slow poll is only the backstop.
    relay_poll_interval_s: float = 2.0
    # How often the relay measures its backlog (ecity_outbox_unsent_events and the oldest unsent
    # event's age, which EcityOutboxRelayStuck reads): one count query, apart from the relay's loop.
    relay_backlog_measure_s: float = Field(default=15.0, gt=0, le=300)
    outbox_retention_hours: float = 72.0

    consumer_enabled: bool = True
    consumer_max_attempts: int = Field(default=3, ge=1, le=20)
    consumer_backoff_s: float = 0.05
    consumer_batch_size: int = Field(default=500, ge=1, le=10_000)
    # How often the group's lag is read from the broker (ecity_consumer_lag, committed vs end
    # offsets; EcityConsumerStuck and EcityConsumerLagGrowing read it), apart from the consumer's loop.
    consumer_lag_measure_s: float = Field(default=15.0, gt=0, le=300)

    # On SIGTERM (ecity_common.server): seconds to keep serving with readiness at 503, so that the
    # load balancer stops sending first; then at most `shutdown_timeout_s` for in-flight requests.
    # 0 locally (Ctrl-C stops at once); Kubernetes sets a few seconds beside its preStop pause.
    shutdown_drain_s: float = Field(default=0.0, ge=0, le=120)
    shutdown_timeout_s: float = Field(default=20.0, ge=1, le=300)

    # Tokens. Deployed: asymmetric signatures (RS256/ES256) checked against the city's identity
    # provider's JWKS (`jwt_jwks_url`), or a JWKS file mounted into the pod. Locally, `ecity` keeps
    # a key pair in the state folder and the services read its public JWKS file, so `make run` and the
    # tests take the same path as production. HS256 with `jwt_secret` is the fallback of a service
    # started by hand in local mode with neither; a deployed service refuses it (`unsafe`).
    jwt_jwks_url: str | None = None
    jwt_jwks_file: str | None = None
    jwt_secret: SecretStr = SecretStr(LOCAL_JWT_SECRET)
    jwt_issuer: str = "https://auth.ecity.sumy.ua/local"
    # Each service is its own audience (its service name unless set), so a token issued for one
    # service, or read out of one pod, does not open the others.
    jwt_audience: str = ""
    # Clocks of the identity provider and the pods differ by a little: exp/nbf/iat get this leeway.
    jwt_leeway_s: float = Field(default=30.0, ge=0, le=300)

    log_level: str = "INFO"
    log_json: bool = True
    # Writes every finished span as one JSON line; for tests and for a look without a collector.
    # `OTEL_EXPORTER_OTLP_ENDPOINT` (unprefixed, as the OTel spec names it) turns on OTLP export.
    trace_file: str | None = None

    @model_validator(mode="after")
    def _own_names(self) -> ServiceSettings:
        if not self.jwt_audience:
            self.jwt_audience = self.service_name
        if not self.kafka_sasl_username:
            self.kafka_sasl_username = self.service_name
        return self

    @property
    def migration_url(self) -> str:
        """The database URL migrations run with (the owner's)."""
        return self.migration_database_url or self.database_url

    @property
    def asymmetric_tokens(self) -> bool:
        return bool(self.jwt_jwks_url or self.jwt_jwks_file)

    def variable(self, field: str) -> str:
        """The environment variable that sets `field` for this service."""
        return f"{self.model_config.get('env_prefix', '')}{field.upper()}"

    def unsafe(self) -> list[str]:
        """What makes these settings unfit outside local mode: one sentence each, naming the
        variable. A service adds its own secrets by extending this."""
        problems = []
        if not self.asymmetric_tokens:
            problems.append(f"{self.variable('jwt_jwks_url')} is not set: a deployed service accepts only tokens signed "
                            f"by the city's identity provider (RS256/ES256, its JWKS); a shared HS256 secret "
                            f"({self.variable('jwt_secret')}) is for local mode only, since whoever reads it mints "
                            f"tokens for every role")
        if self.kafka_security_protocol == "PLAINTEXT":
            problems.append(f"{self.variable('kafka_security_protocol')} is PLAINTEXT: a deployed service signs in to "
                            f"Kafka (SASL_SSL; SASL_PLAINTEXT only on a private network such as Docker Compose's), "
                            f"or whatever reaches the brokers could publish in its name")
        elif self.kafka_sasl_password is None or not self.kafka_sasl_password.get_secret_value():
            problems.append(f"{self.variable('kafka_sasl_password')} is not set: the service signs in to Kafka as "
                            f"its own principal ({self.kafka_sasl_username}), whose ACLs let it write only its topics")
        elif len(self.kafka_sasl_password.get_secret_value()) < MIN_SECRET_LENGTH:
            # Strimzi's User Operator generates 32 characters; .env.example says `openssl rand -hex 24` (48).
            problems.append(f"{self.variable('kafka_sasl_password')} is shorter than {MIN_SECRET_LENGTH} characters: "
                            f"a short password is guessed, and whoever signs in as {self.kafka_sasl_username} "
                            f"publishes in this service's name")
        if self.seed_demo_data:
            problems.append(f"{self.variable('seed_demo_data')} is on: demo data and its demo keys (published in the "
                            f"READMEs) belong to local mode only ({self.variable('mode')}=local)")
        return problems

    def refuse_unsafe(self) -> None:
        """Raise, naming the variable, when a deployed service would run with a public secret or demo data."""
        if self.mode == "local":
            return
        problems = self.unsafe()
        if problems:
            raise UnsafeSettings(problems)

    def topic(self, name: str) -> str:
        return f"{self.kafka_topic_prefix}{name}"

    @property
    def consumer_group(self) -> str:
        return self.kafka_consumer_group or consumer_group(self.service_name)

    @property
    def kafka(self) -> KafkaAccess:
        """How this service's Kafka clients reach the brokers and sign in."""
        password = self.kafka_sasl_password.get_secret_value() if self.kafka_sasl_password else None
        return KafkaAccess(self.kafka_bootstrap_servers, self.kafka_security_protocol, self.kafka_sasl_mechanism,
                           self.kafka_sasl_username, password, self.kafka_ssl_cafile)

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.http_host}:{self.http_port}"
