"""The local system as `ecity up` and `ecity infra` run it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ecity_cli.config import LocalSettings
from ecity_cli.infra.kafka import LocalKafka
from ecity_cli.infra.postgres import LocalPostgres
from ecity_cli.services import SERVICES


@dataclass
class LocalInfra:
    kafka: LocalKafka
    postgres: LocalPostgres

    @classmethod
    def from_settings(cls, settings: LocalSettings) -> LocalInfra:
        return cls(
            kafka=LocalKafka(settings.state / "kafka", port=settings.kafka_port, controller_port=settings.kafka_controller_port),
            postgres=LocalPostgres(settings.state, port=settings.postgres_port, dsn=settings.postgres_dsn),
        )

    def up(self) -> None:
        """Start Kafka and PostgreSQL side by side (the JVM takes the longest), then the databases
        and the services' restricted roles."""
        self.kafka.ensure_jars()
        with ThreadPoolExecutor(2) as pool:
            started = [pool.submit(self.kafka.start), pool.submit(self.postgres.start)]
            for future in started:
                future.result()
        self.postgres.create_databases([s.database for s in SERVICES.values()])
        self.postgres.ensure_roles([s.app_role for s in SERVICES.values() if s.app_role])

    def down(self) -> None:
        self.kafka.stop()
        self.postgres.stop()

    def reset(self) -> list[str]:
        """Stop both and delete their data (every service's database, every topic); what was removed.
        A PostgreSQL given by ECITY_POSTGRES_DSN is someone else's server and is left alone."""
        removed = [str(self.kafka.state_dir)]
        self.kafka.destroy()
        if not self.postgres.dsn:
            removed.append(str(self.postgres.cluster_dir))
        self.postgres.destroy()
        return removed
