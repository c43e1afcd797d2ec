"""Composition root of citizen-requests: `uvicorn --factory citizen_requests.main:create_app`."""

from pathlib import Path

from citizen_requests.api import router
from citizen_requests.db import messaging
from citizen_requests.settings import Settings
from ecity_common.runtime import ServiceDefinition, create_service_app

# Inside the package, so an installed (non-editable) image carries its migrations too.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_app(settings: Settings | None = None):
    return create_service_app(
        ServiceDefinition(
            settings=settings or Settings(),
            title="Sumy e-City: citizen requests",
            description="Citizens' requests and appeals, their status and their legal answer deadlines.",
            tables=messaging,
            migrations_dir=MIGRATIONS_DIR,
            routers=[router],
        )
    )
