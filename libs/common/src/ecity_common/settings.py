"""Settings every service shares, read from the environment with one prefix per service.

A service subclasses `ServiceSettings`, sets its own `env_prefix` (e.g. `CITIZEN_REQUESTS_`) and
its own defaults (port, database). The defaults are the local ones that `make run` uses, so a
developer needs no environment at all; Kubernetes sets every value from a ConfigMap and a Secret.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_JWT_SECRET = "local-development-only-not-a-secret-0123456789"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ECITY_", extra="ignore")

    service_name: str = "ecity"
    # The CloudEvents `source` of everything this service publishes.
    event_source: str = "/ecity/unknown"

    http_host: str = "127.0.0.1"
    http_port: int = 8000
    # Where people and other tools reach this service; printed in docs and problem `instance`s.
    public_url: str | None = None

    database_url: str = "postgresql+asyncpg://ecity@127.0.0.1:5433/ecity"
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
    outbox_retention_hours: float = 72.0

    consumer_enabled: bool = True
    consumer_max_attempts: int = Field(default=3, ge=1, le=20)
    consumer_backoff_s: float = 0.05
    consumer_batch_size: int = Field(default=500, ge=1, le=10_000)

    # On SIGTERM (ecity_common.server): seconds to keep serving with readiness at 503, so that the
    # load balancer stops sending first; then at most `shutdown_timeout_s` for in-flight requests.
    # 0 locally (Ctrl-C stops at once); Kubernetes sets a few seconds beside its preStop pause.
    shutdown_drain_s: float = Field(default=0.0, ge=0, le=120)
    shutdown_timeout_s: float = Field(default=20.0, ge=1, le=300)

    jwt_secret: SecretStr = SecretStr(LOCAL_JWT_SECRET)
    jwt_jwks_url: str | None = None
    jwt_issuer: str = "https://auth.ecity.sumy.ua/local"
    jwt_audience: str = "ecity"

    log_level: str = "INFO"
    log_json: bool = True
    # Writes every finished span as one JSON line; for tests and for a look without a collector.
    # `OTEL_EXPORTER_OTLP_ENDPOINT` (unprefixed, as the OTel spec names it) turns on OTLP export.
    trace_file: str | None = None

    def topic(self, name: str) -> str:
        return f"{self.kafka_topic_prefix}{name}"

    @property
    def consumer_group(self) -> str:
        return self.kafka_consumer_group or f"ecity.{self.service_name}"

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.http_host}:{self.http_port}"
