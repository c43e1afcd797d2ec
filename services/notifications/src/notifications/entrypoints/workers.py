"""The service's own background work, run by ecity_common.runtime for as long as the app runs."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from ecity_common.doorbell import keep_listening, sleep_until_woken
from notifications.adapters import delivery_metrics
from notifications.domain.schedule import QuietHours, RateLimit
from notifications.use_cases.dispatch import Dispatching, dispatch_due
from notifications.use_cases.nearby import write_digests
from notifications.use_cases.owing import Writing

log = logging.getLogger(__name__)


async def run_dispatcher(app) -> None:
    """Sends due deliveries every `dispatch_interval_s` through the channels in `app.state.channels`."""
    settings = app.state.settings
    how = Dispatching(batch=settings.dispatch_batch, max_attempts=settings.max_attempts, lease_s=settings.dispatch_lease_s,
                      concurrency=settings.dispatch_concurrency, request_page_url=settings.request_page_url)
    wake, stopping = asyncio.Event(), asyncio.Event()
    listening = asyncio.create_task(keep_listening(settings.database_url, app.state.deliveries_channel, wake, stopping,
                                                   what="deliveries"))

    async def lane() -> None:
        while True:
            try:
                dispatched = await dispatch_due(app.state.sessions, app.state.channels, app.state.outbox, how)
                delivery_metrics.count_attempts(dispatched.attempts)
                if dispatched.claimed == settings.dispatch_batch:
                    continue  # more may be waiting: no pause
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("dispatching failed; it tries again next time", exc_info=True)
            # Rung by new deliveries at their commit (every lane wakes); the interval is the backstop
            # (and what brings retries and messages held by the quiet hours when they fall due).
            await sleep_until_woken(wake, settings.dispatch_interval_s)

    try:
        # Lanes claim apart (SKIP LOCKED), as replicas do: one's slow sends never hold another's batch.
        await asyncio.gather(*(lane() for _ in range(settings.dispatch_lanes)))
    finally:
        stopping.set()
        listening.cancel()


async def count_deliveries(app) -> None:
    """The deliveries waiting and the addresses disabled, for /metrics, every `delivery_gauges_interval_s`."""
    await delivery_metrics.keep_counting(app.state.engine, app.state.settings.delivery_gauges_interval_s)


async def run_digests(app) -> None:
    """Writes the local alerts' daily digests once the quiet hours are over, every `digest_interval_s`
    (a digest is keyed by the Kyiv date: running more often writes nothing twice)."""
    settings = app.state.settings
    quiet = QuietHours(settings.quiet_hours_begin, settings.quiet_hours_end)
    writing = Writing(settings.message_id_domain, quiet, RateLimit(settings.messages_per_hour))
    while True:
        try:
            now = datetime.now(UTC)
            if not quiet.quiet_at(now):
                async with app.state.sessions() as session, session.begin():
                    await write_digests(session, writing, now=now)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("writing the digests failed; it tries again next time", exc_info=True)
        await asyncio.sleep(settings.digest_interval_s)
