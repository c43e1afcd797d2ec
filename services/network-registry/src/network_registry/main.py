"""Composition root of network-registry: `uvicorn --factory network_registry.main:create_app`."""

from pathlib import Path

from ecity_common.runtime import ServiceDefinition, create_service_app
from network_registry.db import messaging
from network_registry.settings import Settings

# Inside the package, so an installed (non-editable) image carries its migrations too.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_app(settings: Settings | None = None):
    return create_service_app(
        ServiceDefinition(
            settings=settings or Settings(),
            title="Sumy e-City: network registry",
            description="The MTKM source of truth: sites, equipment, fibre links and the impact of failures.",
            tables=messaging,
            migrations_dir=MIGRATIONS_DIR,
        )
    )
