from __future__ import annotations

import pytest

from ecity_cli.testing import serving

# The demo companies' keys (seed.py); tests run with the demo data, as `make run` does.
WATER = {"Authorization": "Bearer ugw_water001_local-development-only-key"}
ELECTRICITY = {"Authorization": "Bearer ugw_elec0001_local-development-only-key"}
WASTE_SOUTH = {"X-API-Key": "ugw_wasteS01_local-development-only-key"}

# A local receiver is on 127.0.0.1 over HTTP; retries are seconds apart, not hours.
FAST_WEBHOOKS = dict(webhook_allow_private_targets=True, webhook_allow_http=True,
                     webhook_retry_schedule_s=(0, 0.3, 0.3, 0.3, 0.3), webhook_poll_interval_s=0.1,
                     webhook_timeout_s=1.0)


@pytest.fixture
async def gateway(services):
    """The gateway with the demo companies; the client is the city's integrations staff."""
    async with serving(services, "utilities-gateway", "integrations-admin", subject="integrator-olena",
                       **FAST_WEBHOOKS) as client:
        yield client
