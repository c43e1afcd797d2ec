"""Events on the real Kafka: a commissioned network asset becomes one expenditure entry."""

from __future__ import annotations

import asyncio
from datetime import date

from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select

from budget_ledger.adapters.tables import balances, ledger_entries
from budget_ledger.main import create_app
from ecity_cli.testing import admin_access, kafka_options, read_topic, running
from ecity_common.events import CloudEvent
from ecity_common.events.payloads.network_registry import NetworkAssetCommissioned
from ecity_common.messaging import dlq

COMMISSIONED = "ua.sumy.ecity.network-registry.asset.commissioned.v1"


def commissioned(asset_id: str, measure: str = "02-1", event_id: str | None = None) -> CloudEvent:
    payload = NetworkAssetCommissioned(
        asset_id=asset_id, asset_kind="fibre_link", name="ВОЛЗ міська рада — школа № 7", cost_kop=12_345_600,
        measure_code=measure, holder_code=measure[:2], commissioned_on=date(2021, 9, 15),
    )
    return CloudEvent(source="/ecity/network-registry", type=COMMISSIONED, subject=asset_id,
                      data=payload.model_dump(mode="json"), **({"id": event_id} if event_id else {}))


async def test_a_commissioned_asset_is_one_expenditure_even_when_delivered_twice(services):
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
        producer = AIOKafkaProducer(**kafka_options(settings.kafka_bootstrap_servers))
        await producer.start()
        try:
            for event in (same, same, resent, poison):
                await producer.send_and_wait(topic, event.kafka_value(), key=event.subject.encode(), headers=event.kafka_headers())
        finally:
            await producer.stop()

        consumer = app.state.consumer
        async with asyncio.timeout(30):
            while consumer.stats.handled + consumer.stats.duplicates + consumer.stats.dead_lettered < 4:
                await asyncio.sleep(0.1)
        async with engine.connect() as conn:
            rows = (await conn.execute(select(ledger_entries).where(ledger_entries.c.kind == "expenditure"))).all()
        assert [r.entry_id for r in rows] == ["network-asset-link-0042-commissioned"]
        assert rows[0].amount_kop == 12_345_600 and rows[0].kekv == "3110" and rows[0].author == "network-registry"
        assert await spent_2021_on_02_1() == before + 12_345_600
        assert consumer.stats.duplicates == 1 and consumer.stats.dead_lettered == 1

        [letter] = await dlq.read_dead_letters(admin_access(settings.kafka_bootstrap_servers), f"{topic}.dlq")
        assert letter.event_id == poison.id and "measure_code" in letter.error

        # The ledger tells the others: entry recorded, on its own topic, keyed by measure.
        async with engine.connect() as conn:
            entries = await conn.scalar(select(func.count()).select_from(ledger_entries))
        recorded = await read_topic(settings.kafka_bootstrap_servers, settings.topic("ecity.budget.v1"), entries)
        types = [CloudEvent.from_kafka(r.headers, r.value) for r in recorded]
        mine = [e for e in types if e.data.get("entry_id") == "network-asset-link-0042-commissioned"]
        assert len(mine) == 1 and mine[0].type == "ua.sumy.ecity.budget-ledger.entry.recorded.v1"
        assert mine[0].data["spent_delta_kop"] == 12_345_600
