"""Where the local system lives: ports and folders, each changeable by an `ECITY_` variable."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from ecity_cli.infra import repo_root


class LocalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ECITY_", extra="ignore")

    state_dir: Path | None = None
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    postgres_port: int = 5433
    # Use an existing PostgreSQL server instead of a local cluster (its admin DSN).
    postgres_dsn: str | None = None

    @property
    def state(self) -> Path:
        return (self.state_dir or repo_root() / ".state").resolve()
