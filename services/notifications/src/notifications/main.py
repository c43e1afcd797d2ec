"""Composition root of notifications: `python -m ecity_common.server notifications.main:create_app`."""

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

from ecity_common.messaging.outbox import Outbox
from ecity_common.runtime import ServiceDefinition, create_service_app
from notifications.adapters.email import EmailChannel
from notifications.adapters.push import PushChannel, VapidKey
from notifications.adapters.tables import DELIVERIES_CHANNEL, messaging
from notifications.domain.links import Links
from notifications.entrypoints.events import make_handlers
from notifications.entrypoints.http import router
from notifications.entrypoints.workers import count_deliveries, run_digests, run_dispatcher
from notifications.settings import Settings

# Inside the package, so an installed (non-editable) image carries its migrations too.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

log = logging.getLogger(__name__)


def _vapid(settings: Settings) -> VapidKey:
    if settings.vapid_private_key_file:
        return VapidKey.from_file(settings.vapid_private_key_file)
    # Only in local mode (settings.unsafe refuses it elsewhere): browsers subscribed to this key
    # stop receiving at the next start. `ecity up` and the tests give the state folder's key.
    log.warning("no VAPID key file: Web Push signs with a key made for this run only")
    return VapidKey.generated()


def links_of(settings: Settings) -> Links:
    return Links(settings.link_signing_key.get_secret_value(), settings.public_base_url,
                 confirm_for=timedelta(hours=settings.confirmation_link_hours),
                 unsubscribe_for=timedelta(days=settings.unsubscribe_link_days))


async def _channels(app) -> None:
    settings = app.state.settings
    app.state.links = links = links_of(settings)
    sign_in = ((settings.smtp_username, settings.smtp_password.get_secret_value())
               if settings.smtp_username and settings.smtp_password else None)
    email = EmailChannel(settings.smtp_host, settings.smtp_port, settings.mail_from, starttls=settings.smtp_starttls,
                         unsubscribe_link=links.unsubscribe_url, sessions=settings.dispatch_concurrency, sign_in=sign_in)
    app.state.vapid = _vapid(settings)
    push = PushChannel(app.state.sessions, app.state.vapid, settings.vapid_subject, ttl_s=settings.push_ttl_s)
    app.state.channels = {email.name: email, push.name: push}
    app.state.outbox = Outbox(messaging.outbox, settings)  # the dispatcher's notification.sent / failed
    app.state.deliveries_channel = DELIVERIES_CHANNEL


async def _close_channels(app) -> None:
    """Waits for the shutdown that cancels the workers, then closes the channels' connections and threads."""
    try:
        await asyncio.Event().wait()
    finally:
        app.state.channels["email"].close()
        await app.state.channels["push"].close()


def create_app(settings: Settings | None = None):
    settings = settings or Settings()
    return create_service_app(
        ServiceDefinition(
            settings=settings,
            title="Sumy e-City: notifications",
            description="Tells citizens what happened to the requests they filed or follow, once per event and "
            "channel: e-mail and Web Push now, addresses' outages next.",
            tables=messaging,
            migrations_dir=MIGRATIONS_DIR,
            routers=[router],
            handlers=make_handlers(settings),
            on_startup=[_channels],
            workers=[run_dispatcher, run_digests, count_deliveries, _close_channels],
        )
    )
