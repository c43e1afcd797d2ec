"""Composition root of web: `python -m ecity_common.server web.main:create_app`.

Not `create_service_app`: the web owns no database and no Kafka topic, so there is nothing to
migrate, relay or consume; it shares the rest (settings, JSON logs, tracing, metrics, health, the
drain on SIGTERM of ecity_common.server)."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from itsdangerous import TimestampSigner

from ecity_common.logs import setup_logging
from ecity_common.runtime import refuse_to_start_unsafe
from ecity_common.tracing import http_telemetry, instrument_app, setup_tracing
from ecity_common.web.health import health_router
from ecity_common.web.metrics import HttpMetrics, metrics_endpoint
from web.adapters.apis import CitizenRequests, Notifications, Refused
from web.adapters.identity import IdentityProvider
from web.domain.sessions import SessionStore
from web.entrypoints.http import FormRefused, Sessions, SignInNeeded, routers
from web.entrypoints.http.errors import api_refused, form_refused, sign_in_needed
from web.settings import Settings

STATIC = Path(__file__).resolve().parent / "static"
log = logging.getLogger(__name__)


def content_policy(settings: Settings) -> str:
    """Scripts, styles and data from this origin only; images also from the tile server, if any."""
    tiles = ""
    if settings.tile_url:
        scheme, _, rest = settings.tile_url.partition("://")
        tiles = " " + f"{scheme}://{rest.split('/', 1)[0]}".replace("{s}.", "*.")
    return ("default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            f"img-src 'self' data:{tiles}; frame-ancestors 'none'; base-uri 'self'; form-action 'self' "
            f"{settings.oidc_issuer.rstrip('/')}")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    setup_logging(settings.service_name, settings.log_level, settings.log_json)
    setup_tracing(settings.service_name, settings.trace_file)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        refuse_to_start_unsafe(settings)
        async with httpx.AsyncClient(timeout=settings.api_timeout_s) as http:
            app.state.citizen_requests = CitizenRequests(http, settings.citizen_requests_url)
            app.state.notifications = Notifications(http, settings.notifications_url)
            log.info("service started", extra={"url": settings.base_url})
            yield

    app = FastAPI(title="Sumy e-City: web", lifespan=lifespan, telemetry=http_telemetry(), docs_url=None,
                  redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.sessions = SessionStore(max_age_s=settings.session_max_age_s, kept=settings.sessions_kept)
    app.state.signer = TimestampSigner(settings.session_signing_key.get_secret_value(), salt="ecity-web-session")
    app.state.identity = IdentityProvider(issuer=settings.oidc_issuer, client_id=settings.oidc_client_id,
                                          client_secret=settings.oidc_client_secret.get_secret_value(),
                                          scope=settings.oidc_scope, timeout_s=settings.api_timeout_s)
    policy = content_policy(settings)

    @app.middleware("http")
    async def security_headers(request, call_next):
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.media_type == "text/html" or response.headers.get("content-type", "").startswith("text/html"):
            response.headers.setdefault("Cache-Control", "no-store")  # pages carry a person's data
        return response

    # Readiness asks nothing of the services: a page whose API is away says so itself, and taking
    # every web replica out because one service restarts would hide the pages that still work.
    app.include_router(health_router({}))
    for router in routers:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(SignInNeeded, sign_in_needed)
    app.add_exception_handler(FormRefused, form_refused)
    app.add_exception_handler(Refused, api_refused)
    app.add_middleware(Sessions)
    app.add_middleware(HttpMetrics)
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    instrument_app(app, None)
    return app
