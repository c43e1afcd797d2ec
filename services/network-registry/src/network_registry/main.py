"""Composition root of network-registry: `uvicorn --factory network_registry.main:create_app`."""

from pathlib import Path

from ecity_common.runtime import ServiceDefinition, create_service_app
from network_registry.db import messaging
from network_registry.settings import Settings

SERVICE_DIR = Path(__file__).resolve().parents[2]


def create_app(settings: Settings | None = None):
    return create_service_app(
        ServiceDefinition(
            settings=settings or Settings(),
            title="Sumy e-City: network registry",
            description="The MTKM source of truth: sites, equipment, fibre links and the impact of failures.",
            tables=messaging,
            service_dir=SERVICE_DIR,
        )
    )
