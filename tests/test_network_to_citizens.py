"""Flow 4 across both services over the real Kafka: monitoring marks a МТКМ node down, the
registry computes the institutions cut off, and citizen-requests opens one incident per
institution for the IT department — once per outage — and closes them when it is resolved."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from citizen_requests.adapters.tables import citizen_requests
from citizen_requests.main import create_app as citizens_app
from ecity_cli.testing import running
from network_registry.main import create_app as registry_app

NMS = {"X-API-Key": "nms_demo0001_local-development-only-key"}


async def test_an_outage_opens_one_incident_per_institution_and_its_end_closes_them(services):
    async with running(registry_app(services.settings("network-registry"))) as registry, \
            running(citizens_app(services.settings("citizen-requests"))) as citizens:
        engine = citizens.app.state.engine

        async def incidents() -> dict[str, str]:
            async with engine.connect() as conn:
                rows = await conn.execute(select(citizen_requests.c.id, citizen_requests.c.status)
                                          .where(citizen_requests.c.channel == "network"))
                return {r.id: r.status for r in rows}

        down = {"element_kind": "device", "element_id": "dev-dist-4", "state": "down"}
        assert (await registry.post("/api/v1/monitoring/status", json=down, headers=NMS)).json()["changed"]
        async with asyncio.timeout(30):
            while not await incidents():
                await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # let every affected site arrive
        opened = await incidents()
        assert len(opened) > 5 and set(opened.values()) == {"assigned"}
        # Monitoring says it again: still one incident per institution.
        assert not (await registry.post("/api/v1/monitoring/status", json=down, headers=NMS)).json()["changed"]
        await registry.post("/api/v1/monitoring/status", json={**down, "state": "up"}, headers=NMS)
        async with asyncio.timeout(30):
            while set((await incidents()).values()) != {"closed"}:
                await asyncio.sleep(0.2)
        assert set(await incidents()) == set(opened)
