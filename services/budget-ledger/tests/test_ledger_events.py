"""Events on the real Kafka: a commissioned network asset proposes one expenditure, which counts
only when finance approves it (or the holder's auto-approval limit covers it)."""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy import func, select

from budget_ledger.adapters.tables import balances, expenditure_proposals, ledger_entries
from budget_ledger.main import create_app
from ecity_cli.testing import admin_access, bearer, publish, read_topic, running, until
from ecity_common.events import CloudEvent
from ecity_common.events.payloads.budget_ledger import LedgerEntryRecorded
from ecity_common.events.payloads.network_registry import NetworkAssetCommissioned
from ecity_common.messaging import dlq

COMMISSIONED = "ua.sumy.ecity.network-registry.asset.commissioned.v1"


def commissioned(asset_id: str, measure: str = "02-1", event_id: str | None = None, cost_kop: int = 12_345_600) -> CloudEvent:
    payload = NetworkAssetCommissioned(
        asset_id=asset_id, asset_kind="fibre_link", name="ВОЛЗ міська рада — школа № 7", cost_kop=cost_kop,
        measure_code=measure, holder_code=measure[:2], commissioned_on=date(2021, 9, 15),
    )
    return CloudEvent(source="/ecity/network-registry", type=COMMISSIONED, subject=asset_id,
                      data=payload.model_dump(mode="json"), **({"id": event_id} if event_id else {}))


async def test_a_commissioned_asset_is_one_proposal_and_no_expenditure_until_approved(services):
    settings = services.settings("budget-ledger")
    app = create_app(settings)
    topic = settings.topic("ecity.network.v1")
    async with running(app):
        engine = app.state.engine

        async def spent_2021_on_02_1() -> int:
            async with engine.connect() as conn:
                return await conn.scalar(select(balances.c.spent_kop).where(balances.c.measure_code == "02-1", balances.c.year == 2021)) or 0

        before = await spent_2021_on_02_1()
        same = commissioned("link-0042", event_id="evt-commissioned-1")
        resent = commissioned("link-0042")  # the registry sent it again, as a new event
        poison = commissioned("link-0099", measure="99-9")
        dearer = commissioned("link-0042", cost_kop=99_000_000)  # the same asset at another price
        await publish(settings.kafka_bootstrap_servers, topic, same, same, resent, poison, dearer)

        consumer = app.state.consumer
        async with asyncio.timeout(30):
            while consumer.stats.handled + consumer.stats.duplicates + consumer.stats.dead_lettered < 5:
                await asyncio.sleep(0.1)
        async with engine.connect() as conn:
            proposals = (await conn.execute(select(expenditure_proposals))).all()
            spent_entries = await conn.scalar(select(func.count()).select_from(ledger_entries).where(ledger_entries.c.kind == "expenditure"))
        assert [(p.proposal_id, p.amount_kop, p.kekv, p.event_id) for p in proposals] == [
            ("network-asset-link-0042-commissioned", 12_345_600, "3110", "evt-commissioned-1")]
        assert spent_entries == 0 and await spent_2021_on_02_1() == before  # nothing counts yet
        assert consumer.stats.duplicates == 1 and consumer.stats.dead_lettered == 2

        letters = await dlq.read_dead_letters(admin_access(settings.kafka_bootstrap_servers), f"{topic}.dlq")
        errors = {d.event_id: d.error for d in letters}
        assert "measure_code" in errors[poison.id] and "other content" in errors[dearer.id]


async def test_finance_approves_one_proposal_and_rejects_another_saying_why(ledger):
    client, settings = ledger, ledger.settings
    await publish(settings.kafka_bootstrap_servers, settings.topic("ecity.network.v1"),
                  commissioned("link-1"), commissioned("link-2", measure="06-1", cost_kop=4_000_000))
    waiting = await until(lambda: _listed(client, "proposed", 2))
    assert [p["asset_id"] for p in waiting] == ["link-1", "link-2"]  # oldest first
    assert (waiting[0]["status"], waiting[0]["decision"], waiting[0]["amount_kop"]) == ("proposed", None, 12_345_600)
    before = await _spent(client, "02-1")

    approved = await client.post("/api/v1/expenditure-proposals/network-asset-link-1-commissioned/approve")
    assert approved.status_code == 201, approved.text
    entry = approved.json()["entry"]
    assert (entry["entry_id"], entry["kind"], entry["amount_kop"], entry["author"]) == (
        "network-asset-link-1-commissioned", "expenditure", 12_345_600, "finance-officer-1")
    assert approved.json()["proposal"]["decision"]["decided_by"] == "finance-officer-1"
    assert await _spent(client, "02-1") == before + 12_345_600
    again = await client.post("/api/v1/expenditure-proposals/network-asset-link-1-commissioned/approve")
    assert again.status_code == 200 and again.json()["entry"] == entry
    assert (await client.post("/api/v1/expenditure-proposals/network-asset-link-1-commissioned/reject",
                              json={"reason": "too late"})).status_code == 409

    second = "/api/v1/expenditure-proposals/network-asset-link-2-commissioned"
    assert (await client.post(f"{second}/reject", json={"reason": ""})).status_code == 422
    rejected = await client.post(f"{second}/reject", json={"reason": "обладнання не закуповувалось за програмою"})
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["decision"]["reason"]) == ("rejected", "обладнання не закуповувалось за програмою")
    assert (await client.post(f"{second}/approve")).status_code == 409
    assert (await client.get(second)).json()["status"] == "rejected"
    assert await _listed(client, "proposed", 0) == []
    assert (await client.get("/api/v1/expenditure-proposals/nothing-such")).status_code == 404

    citizen = bearer(settings, "c-1", "citizen")
    assert (await client.get("/api/v1/expenditure-proposals", headers=citizen)).status_code == 403
    # The approval is an entry like any: on the ledger's topic, in the chain.
    recorded = await read_topic(settings.kafka_bootstrap_servers, settings.topic("ecity.budget.v1"), 21)
    mine = [CloudEvent.from_kafka(r.headers, r.value) for r in recorded]
    assert [e.data["spent_delta_kop"] for e in mine if e.data.get("entry_id") == entry["entry_id"]] == [12_345_600]
    assert (await client.get("/api/v1/ledger/verify")).json()["intact"] is True


async def test_an_auto_approval_limit_approves_within_it_and_every_change_is_kept(ledger):
    client, settings = ledger, ledger.settings
    limit_url = "/api/v1/budget-holders/02/auto-approval-limit"
    assert (await client.get(limit_url)).json() == {"holder_code": "02", "in_force": None, "history": []}
    set_ = await client.put(limit_url, json={"limit_kop": 20_000_000, "reason": "дрібне мережеве обладнання до 200 тис. грн"})
    assert set_.status_code == 200 and set_.json()["set_by"] == "finance-officer-1"
    topic = settings.topic("ecity.network.v1")
    await publish(settings.kafka_bootstrap_servers, topic, commissioned("small"), commissioned("big", cost_kop=50_000_000),
                  commissioned("school", measure="06-1", cost_kop=1_000))  # holder 06 has no limit
    await until(lambda: _listed(client, "proposed", 2))
    [auto] = await _listed(client, "approved", 1)
    assert auto["asset_id"] == "small" and auto["decision"]["auto_approval_limit_id"] == set_.json()["id"]
    entry = (await client.get(f"/api/v1/entries/{auto['proposal_id']}")).json()
    assert entry["author"] == f"auto-approval limit #{set_.json()['id']} set by finance-officer-1"
    # Posted in bulk (rows, decisions and events each written by one statement): the row is in the
    # chain as hashed, and its event, built from the row without the model, is the model's own.
    assert (await client.get("/api/v1/ledger/verify")).json()["intact"] is True
    recorded = await read_topic(settings.kafka_bootstrap_servers, settings.topic("ecity.budget.v1"), 21)
    [event] = [e for e in (CloudEvent.from_kafka(r.headers, r.value) for r in recorded)
               if e.data["entry_id"] == entry["entry_id"]]
    model = LedgerEntryRecorded(**{f: entry[f] for f in LedgerEntryRecorded.model_fields})
    assert event.data == model.model_dump(mode="json")

    # Lowered to 0: the next small one waits; the first limit stays on record.
    assert (await client.put(limit_url, json={"limit_kop": 0, "reason": "перевіряємо кожне"})).status_code == 200
    await publish(settings.kafka_bootstrap_servers, topic, commissioned("small-2", cost_kop=1_000))
    await until(lambda: _listed(client, "proposed", 3))
    limits = (await client.get(limit_url)).json()
    assert limits["in_force"]["limit_kop"] == 0 and [h["limit_kop"] for h in limits["history"]] == [0, 20_000_000]
    no_reason = await client.put(limit_url, json={"limit_kop": 5, "reason": " "})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    assert (await client.put("/api/v1/budget-holders/77/auto-approval-limit",
                             json={"limit_kop": 5, "reason": "x"})).status_code == 404


async def _listed(client, status: str, count: int) -> list[dict] | None:
    found = (await client.get("/api/v1/expenditure-proposals", params={"status": status})).json()
    return found if len(found) == count else None


async def _spent(client, measure: str) -> int:
    report = (await client.get("/api/v1/reports/execution", params={"from_year": 2021, "to_year": 2021})).json()
    return next(m["spent_kop"] for h in report["holders"] for m in h["measures"] if m["code"] == measure)
