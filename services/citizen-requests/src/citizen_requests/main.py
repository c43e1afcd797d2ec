"""Composition root of citizen-requests: `python -m ecity_common.server citizen_requests.main:create_app`."""

from pathlib import Path

from citizen_requests.adapters import open311_clients
from citizen_requests.adapters.catalogue_store import CatalogueCache
from citizen_requests.adapters.filing_desk import FilingDesk
from citizen_requests.adapters.queue_gauges import keep_counting
from citizen_requests.adapters.tables import messaging
from citizen_requests.domain.limits import CreationLimits
from citizen_requests.entrypoints.events import make_handlers
from citizen_requests.entrypoints.http.catalogue import router as catalogue_router
from citizen_requests.entrypoints.http.open311 import router as open311_router
from citizen_requests.entrypoints.http.photos import router as photos_router
from citizen_requests.entrypoints.http.public import router as public_router
from citizen_requests.entrypoints.http.requests import router
from citizen_requests.settings import Settings
from citizen_requests.use_cases.filing import FilingOffice
from citizen_requests.use_cases.photos import PhotoDesk
from ecity_common.messaging.outbox import Outbox
from ecity_common.photos import PhotoWorkshop, open_store
from ecity_common.runtime import ServiceDefinition, create_service_app

# Inside the package, so an installed (non-editable) image carries its migrations too.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


async def _seed(app) -> None:
    settings = app.state.settings
    if not settings.seed_demo_data:
        return
    async with app.state.sessions() as session, session.begin():
        await open311_clients.add_if_missing(session, settings.demo_open311_key, "demo-app")


async def _load_catalogue(app) -> None:
    app.state.catalogue = CatalogueCache(app.state.sessions, app.state.settings.catalogue_refresh_s)
    await app.state.catalogue.start()


async def _refresh_catalogue(app) -> None:
    await app.state.catalogue.run()


async def _open_filing_desk(app) -> None:
    settings = app.state.settings
    limits = CreationLimits(per_citizen=settings.create_limit_per_citizen, per_client=settings.create_limit_per_client,
                            window_s=settings.create_limit_window_s)
    app.state.filing_desk = FilingDesk(app.state.engine, limit=limits.per_citizen, window_s=limits.window_s,
                                       lanes=settings.filing_lanes, recycle_s=settings.database_pool_recycle_s)
    app.state.filing = FilingOffice(app.state.sessions, app.state.outbox, app.state.catalogue, app.state.filing_desk, limits)


async def _open_photo_desk(app) -> None:
    settings = app.state.settings
    app.state.photos = PhotoDesk(open_store(settings.photo_store_settings()),
                                 PhotoWorkshop(workers=settings.photo_workers, waiting=settings.photo_waiting),
                                 public_url=settings.public_base_url())


async def _run_filing_desk(app) -> None:
    await app.state.filing_desk.run()


async def _count_queues(app) -> None:
    await keep_counting(app.state.engine)


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
            routers=[router, photos_router, open311_router, public_router, catalogue_router],
            handlers=make_handlers(Outbox(messaging.outbox, settings)),
            on_startup=[_load_catalogue, _seed, _open_filing_desk, _open_photo_desk],
            workers=[_refresh_catalogue, _run_filing_desk, _count_queues],
        )
    )
