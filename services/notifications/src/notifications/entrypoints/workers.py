"""The service's own background work, run by ecity_common.runtime for as long as the app runs."""

from __future__ import annotations

import asyncio
import logging

from notifications.use_cases.dispatch import dispatch_due

log = logging.getLogger(__name__)


async def run_dispatcher(app) -> None:
    """Sends due deliveries every `dispatch_interval_s` through the channels in `app.state.channels`."""
    settings = app.state.settings
    while True:
        try:
            async with app.state.sessions() as session, session.begin():
                sent = await dispatch_due(session, app.state.channels, batch=settings.dispatch_batch,
                                          max_attempts=settings.max_attempts,
                                          request_page_url=settings.request_page_url)
            if sent == settings.dispatch_batch:
                continue  # more may be waiting: no pause
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("dispatching failed; it tries again next time", exc_info=True)
        await asyncio.sleep(settings.dispatch_interval_s)
