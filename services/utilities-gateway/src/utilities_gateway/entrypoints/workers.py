"""The background workers main.py starts with the service: the webhook dispatcher, the hourly
housekeeping sweep and the outage gauges."""

from __future__ import annotations

import asyncio
import logging

from utilities_gateway.adapters import outage_gauges
from utilities_gateway.use_cases.housekeeping import sweep

log = logging.getLogger(__name__)


async def run_dispatcher(app) -> None:
    """Sends due webhook deliveries for as long as the service runs (adapters/webhook_dispatcher.py)."""
    await app.state.dispatcher.run()


async def run_housekeeping(app) -> None:
    """Once every `housekeeping_interval_s`, drops what the gateway no longer keeps (use_cases/housekeeping.py)."""
    settings = app.state.settings
    while True:
        await asyncio.sleep(settings.housekeeping_interval_s)
        try:
            counts = await sweep(app.state.sessions, settings)
            if any(counts.values()):
                log.info("housekeeping removed old rows", extra={"removed": counts})
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("housekeeping failed; it tries again next time", exc_info=True)


async def count_outages(app) -> None:
    """ecity_outages for the dashboards, recounted every half minute (adapters/outage_gauges.py)."""
    await outage_gauges.keep_counting(app.state.engine)
