"""Composition root of network-registry: `python -m ecity_common.server network_registry.main:create_app`."""

from pathlib import Path

from ecity_common.runtime import ServiceDefinition, create_service_app
from network_registry.adapters.tables import messaging
from network_registry.entrypoints.events import make_handlers
from network_registry.entrypoints.http import router
from network_registry.settings import Settings
from network_registry.use_cases.demo_network import seed_demo

# Inside the package, so an installed (non-editable) image carries its migrations too.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


async def _seed(app) -> None:
    settings = app.state.settings
    if settings.seed_demo_data:
        async with app.state.sessions() as session, session.begin():
            await seed_demo(session, app.state.outbox, settings.demo_monitoring_key)


def create_app(settings: Settings | None = None):
    return create_service_app(
        ServiceDefinition(
            settings=settings or Settings(),
            title="Sumy e-City: network registry",
            description="The МТКМ source of truth: sites, devices, fibre links, their change log, and what is cut "
            "off when something fails. NetBox conventions.",
            tables=messaging,
            migrations_dir=MIGRATIONS_DIR,
            routers=[router],
            handlers=make_handlers(),
            on_startup=[_seed],
        )
    )
