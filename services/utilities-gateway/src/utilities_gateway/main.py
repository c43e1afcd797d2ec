"""Composition root of utilities-gateway: `uvicorn --factory utilities_gateway.main:create_app`."""

from pathlib import Path

from ecity_common.runtime import ServiceDefinition, create_service_app
from utilities_gateway.api import router
from utilities_gateway.db import messaging
from utilities_gateway.handlers import HANDLERS
from utilities_gateway.settings import Settings

# Inside the package, so an installed (non-editable) image carries its migrations too.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_app(settings: Settings | None = None):
    return create_service_app(
        ServiceDefinition(
            settings=settings or Settings(),
            title="Sumy e-City: utilities gateway",
            description="Integration APIs for the city's utility companies.",
            tables=messaging,
            migrations_dir=MIGRATIONS_DIR,
            routers=[router],
            handlers=HANDLERS,
        )
    )
