"""Flow 5 across both services over the real Kafka: an asset commissioned in the network registry
proposes an expenditure in the budget ledger, once; it counts when a finance officer approves it."""

from __future__ import annotations

import asyncio

from budget_ledger.main import create_app as budget_app
from ecity_cli.testing import bearer, running
from network_registry.main import create_app as registry_app


async def test_a_commissioned_fibre_link_is_spent_against_its_measure_once_finance_approves(services):
    registry_settings = services.settings("network-registry")
    budget_settings = services.settings("budget-ledger")
    async with running(registry_app(registry_settings)) as registry, running(budget_app(budget_settings)) as budget:
        engineer = bearer(registry_settings, "it-engineer-1", "network-admin")
        finance = bearer(budget_settings, "finance-officer-1", "finance")

        async def spent() -> int:
            report = (await budget.get("/api/v1/reports/execution", params={"from_year": 2021, "to_year": 2021})).json()
            return report["total"]["spent_kop"]

        before = await spent()
        link = {"name": "ВОЛЗ до школи №31", "a_device_id": "dev-dist-1", "b_device_id": "dev-005", "fibre_count": 24,
                "length_m": 1450, "status": "planned", "cost_kop": 18_500_000, "measure_code": "02-1", "holder_code": "02",
                "commissioned_on": "2021-11-20"}
        created = (await registry.post("/api/v1/links/", json=link, headers=engineer)).json()
        assert (await registry.patch(f"/api/v1/links/{created['id']}", json={"status": "active"}, headers=engineer)).status_code == 200

        proposal = f"/api/v1/expenditure-proposals/network-asset-{created['id']}-commissioned"
        async with asyncio.timeout(30):
            while (await budget.get(proposal, headers=finance)).status_code == 404:
                await asyncio.sleep(0.2)
        waiting = (await budget.get(proposal, headers=finance)).json()
        assert (waiting["status"], waiting["amount_kop"], waiting["measure_code"]) == ("proposed", 18_500_000, "02-1")
        # An engineer's word (or a monitoring probe's "up") alone does not spend the programme's money.
        assert await spent() == before

        approved = await budget.post(f"{proposal}/approve", headers=finance)
        assert approved.status_code == 201, approved.text
        assert await spent() == before + 18_500_000
        entry = (await budget.get(f"/api/v1/entries/network-asset-{created['id']}-commissioned", headers=finance)).json()
        assert entry["kind"] == "expenditure" and entry["measure_code"] == "02-1" and entry["year"] == 2021
        assert entry["kekv"] == "3110" and entry["author"] == "finance-officer-1"
        assert entry["document_ref"].startswith(f"network-registry fibre_link {created['id']}")
