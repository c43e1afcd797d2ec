"""Composition root of citizen-requests: `python -m ecity_common.server citizen_requests.main:create_app`."""

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from citizen_requests.api import router
from citizen_requests.catalogue_api import router as catalogue_router
from citizen_requests.catalogue_store import CatalogueCache
from citizen_requests.db import messaging, open311_clients
from citizen_requests.filing_desk import FilingDesk
from citizen_requests.handlers import make_handlers
from citizen_requests.open311 import router as open311_router
from citizen_requests.public import router as public_router
from citizen_requests.settings import Settings
from ecity_common.auth import hash_api_key, parse_api_key
from ecity_common.messaging.outbox import Outbox
from ecity_common.runtime import ServiceDefinition, create_service_app

# Inside the package, so an installed (non-editable) image carries its migrations too.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


async def _seed(app) -> None:
    settings = app.state.settings
    key_id = parse_api_key(settings.demo_open311_key)
    if not settings.seed_demo_data or key_id is None:
        return
    async with app.state.sessions() as session, session.begin():
        if await session.scalar(select(open311_clients.c.key_id).where(open311_clients.c.key_id == key_id)) is None:
            await session.execute(insert(open311_clients).values(
                key_id=key_id, key_hash=hash_api_key(settings.demo_open311_key), name="demo-app"))


async def _load_catalogue(app) -> None:
    app.state.catalogue = CatalogueCache(app.state.sessions, app.state.settings.catalogue_refresh_s)
    await app.state.catalogue.start()


async def _refresh_catalogue(app) -> None:
    await app.state.catalogue.run()


async def _open_filing_desk(app) -> None:
    settings = app.state.settings
    app.state.filing_desk = FilingDesk(app.state.engine, limit=settings.create_limit_per_citizen,
                                       window_s=settings.create_limit_window_s, lanes=settings.filing_lanes,
                                       recycle_s=settings.database_pool_recycle_s)


async def _run_filing_desk(app) -> None:
    await app.state.filing_desk.run()


def create_app(settings: Settings | None = None):
    settings = settings or Settings()
    return create_service_app(
        ServiceDefinition(
            settings=settings,
            title="Sumy e-City: citizen requests",
            description="Citizens' requests and appeals (Open311 GeoReport v2 and a native API), their status and their "
            "legal answer deadlines.",
            tables=messaging,
            migrations_dir=MIGRATIONS_DIR,
            routers=[router, open311_router, public_router, catalogue_router],
            handlers=make_handlers(Outbox(messaging.outbox, settings)),
            on_startup=[_load_catalogue, _seed, _open_filing_desk],
            workers=[_refresh_catalogue, _run_filing_desk],
        )
    )
