"""Composition root of notifications: `python -m ecity_common.server notifications.main:create_app`."""

from datetime import timedelta
from pathlib import Path

from ecity_common.runtime import ServiceDefinition, create_service_app
from notifications.adapters.email import EmailChannel
from notifications.adapters.tables import messaging
from notifications.domain.links import Links
from notifications.entrypoints.events import make_handlers
from notifications.entrypoints.http import router
from notifications.entrypoints.workers import run_dispatcher
from notifications.settings import Settings

# Inside the package, so an installed (non-editable) image carries its migrations too.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def links_of(settings: Settings) -> Links:
    return Links(settings.link_signing_key.get_secret_value(), settings.public_base_url,
                 confirm_for=timedelta(hours=settings.confirmation_link_hours),
                 unsubscribe_for=timedelta(days=settings.unsubscribe_link_days))


async def _channels(app) -> None:
    settings = app.state.settings
    app.state.links = links = links_of(settings)
    email = EmailChannel(settings.smtp_host, settings.smtp_port, settings.mail_from, starttls=settings.smtp_starttls,
                         unsubscribe_link=links.unsubscribe_url)
    app.state.channels = {email.name: email}


def create_app(settings: Settings | None = None):
    settings = settings or Settings()
    return create_service_app(
        ServiceDefinition(
            settings=settings,
            title="Sumy e-City: notifications",
            description="Tells citizens what happened to the requests they filed or follow, once per event and "
            "channel: e-mail now, Web Push and addresses' outages next.",
            tables=messaging,
            migrations_dir=MIGRATIONS_DIR,
            routers=[router],
            handlers=make_handlers(settings),
            on_startup=[_channels],
            workers=[run_dispatcher],
        )
    )
