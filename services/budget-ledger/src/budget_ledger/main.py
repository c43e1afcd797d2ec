"""Composition root of budget-ledger: `uvicorn --factory budget_ledger.main:create_app`."""

from pathlib import Path

from ecity_common.runtime import ServiceDefinition, create_service_app
from budget_ledger.db import messaging
from budget_ledger.settings import Settings

SERVICE_DIR = Path(__file__).resolve().parents[2]


def create_app(settings: Settings | None = None):
    return create_service_app(
        ServiceDefinition(
            settings=settings or Settings(),
            title="Sumy e-City: budget ledger",
            description="The programme's append-only budget ledger and its execution reports.",
            tables=messaging,
            service_dir=SERVICE_DIR,
        )
    )
