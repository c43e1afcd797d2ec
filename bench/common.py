"""What every benchmark here shares: its own Kafka and PostgreSQL under .state/bench/."""

from __future__ import annotations

import json
import shutil
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ecity_cli.infra import free_port, repo_root
from ecity_cli.infra.kafka import LocalKafka
from ecity_cli.infra.postgres import LocalPostgres
from ecity_cli.local import LocalInfra
from ecity_cli.services import SERVICES, ServiceProcess, database_settings, service_env

RESULTS = Path(__file__).with_name("results")


@contextmanager
def bench_infra(name: str):
    state = repo_root() / ".state" / "bench" / name
    kafka = LocalKafka(state / "kafka", port=free_port(), controller_port=free_port())
    postgres = LocalPostgres(state, port=free_port())
    kafka.stop()
    postgres.destroy()
    shutil.rmtree(state, ignore_errors=True)
    LocalInfra(kafka=kafka, postgres=postgres).up()
    try:
        yield kafka, postgres
    finally:
        kafka.stop()
        postgres.destroy()


def save(name: str, results: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(
        json.dumps({"measured_at": datetime.now(UTC).isoformat(), **results}, indent=2) + "\n"
    )


async def start_service(name: str, kafka: LocalKafka, postgres: LocalPostgres, log_file: Path,
                        **extra: str) -> ServiceProcess:
    """A service process as `ecity up` starts it, on the benchmark's Kafka and PostgreSQL, ready."""
    import asyncio

    info = SERVICES[name]
    port = free_port()
    db = database_settings(info, postgres)
    env = service_env(info, port=port, database_url=db.pop("database_url"), kafka=kafka.service_settings(name),
                      log_level="WARNING", **db, **extra)
    process = ServiceProcess(info, port=port, env=env, log_file=log_file).start()
    try:
        await asyncio.to_thread(process.wait_ready)
    except BaseException:
        process.stop()
        raise
    return process
