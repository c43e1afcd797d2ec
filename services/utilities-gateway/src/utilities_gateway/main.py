"""Composition root of utilities-gateway: `python -m ecity_common.server utilities_gateway.main:create_app`."""

from pathlib import Path

from ecity_common.messaging.outbox import Outbox
from ecity_common.photos import PhotoWorkshop, open_store
from ecity_common.runtime import ServiceDefinition, create_service_app
from utilities_gateway.adapters.sealed import SecretBox
from utilities_gateway.adapters.tables import messaging
from utilities_gateway.adapters.webhook_dispatcher import Dispatcher
from utilities_gateway.entrypoints.events import make_handlers
from utilities_gateway.entrypoints.http import ROUTERS
from utilities_gateway.entrypoints.http.audit import AuditTrail
from utilities_gateway.entrypoints.workers import count_outages, run_dispatcher, run_housekeeping
from utilities_gateway.settings import Settings
from utilities_gateway.use_cases.demo_data import seed_demo_companies
from utilities_gateway.use_cases.report_photos import ReportPhotos

# Inside the package, so an installed (non-editable) image carries its migrations too.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_app(settings: Settings | None = None):
    settings = settings or Settings()
    app = create_service_app(
        ServiceDefinition(
            settings=settings,
            title="Sumy e-City: utilities gateway",
            description="Integration APIs for the city's utility companies: the citizens' requests routed to them, "
            "their progress, outages, meter readings, signed webhooks (Standard Webhooks) and a pull inbox.",
            tables=messaging,
            migrations_dir=MIGRATIONS_DIR,
            routers=ROUTERS,
            handlers=make_handlers(Outbox(messaging.outbox, settings)),
            on_startup=[seed_demo_companies],
            workers=[run_dispatcher, run_housekeeping, count_outages],
        )
    )
    app.state.secret_box = SecretBox(settings.webhook_secrets_key.get_secret_value())
    app.state.dispatcher = Dispatcher(app.state.sessions, settings, app.state.secret_box)
    app.state.report_photos = ReportPhotos(open_store(settings.photo_store_settings()),
                                           PhotoWorkshop(workers=settings.photo_workers, waiting=settings.photo_waiting),
                                           public_url=settings.public_url or f"http://{settings.http_host}:{settings.http_port}")

    app.add_middleware(AuditTrail)
    return app
