"""Composition root of utilities-gateway: `python -m ecity_common.server utilities_gateway.main:create_app`."""

from pathlib import Path

from fastapi import Request

from ecity_common.messaging.outbox import Outbox
from ecity_common.runtime import ServiceDefinition, create_service_app
from ecity_common.web.problems import problem_response
from utilities_gateway.api import ROUTERS
from utilities_gateway.audit import AuditTrail
from utilities_gateway.credentials import GatewayRefused
from utilities_gateway.db import messaging
from utilities_gateway.delivery import Dispatcher, run_dispatcher
from utilities_gateway.handlers import make_handlers
from utilities_gateway.housekeeping import run_housekeeping
from utilities_gateway.sealed import SecretBox
from utilities_gateway.seed import seed_demo_companies
from utilities_gateway.settings import Settings

# Inside the package, so an installed (non-editable) image carries its migrations too.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

TITLES = {400: "Bad request", 403: "Forbidden", 404: "Not found", 409: "Conflict", 422: "Invalid request"}


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
            workers=[run_dispatcher, run_housekeeping],
        )
    )
    app.state.secret_box = SecretBox(settings.webhook_secrets_key.get_secret_value())
    app.state.dispatcher = Dispatcher(app.state.sessions, settings, app.state.secret_box)

    @app.exception_handler(GatewayRefused)
    async def _refused(request: Request, exc: GatewayRefused):
        return problem_response(exc.status, title=TITLES.get(exc.status, "Refused"), detail=exc.message,
                                instance=request.url.path, errors=[{"field": exc.field, "message": exc.message}])

    app.add_middleware(AuditTrail)
    return app
