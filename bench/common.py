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
