"""Composition root of citizen-requests: `uvicorn --factory citizen_requests.main:create_app`."""

from pathlib import Path

from citizen_requests.api import router
from citizen_requests.db import messaging
from citizen_requests.settings import Settings
from ecity_common.runtime import ServiceDefinition, create_service_app

SERVICE_DIR = Path(__file__).resolve().parents[2]


def create_app(settings: Settings | None = None):
    return create_service_app(
        ServiceDefinition(
            settings=settings or Settings(),
            title="Sumy e-City: citizen requests",
            description="Citizens' requests and appeals, their status and their legal answer deadlines.",
            tables=messaging,
            service_dir=SERVICE_DIR,
            routers=[router],
        )
    )
