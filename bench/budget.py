"""Benchmark of the budget ledger, in one run on one machine.

  (a) posting through events: NetworkAssetCommissioned events on Kafka, consumed as expenditure
      proposals and, within the auto-approval limit the benchmark gives every holder, approved and
      posted as entries at once (hash chain, balances, an entry.recorded event each), entries/s;
  (b) posting through the API: POST /api/v1/entries to a uvicorn process, 16 clients, entries/s;
  (c) the execution report over 1,000,000 entries (it reads the balances projection), p50/p99,
      against (d) a plain SQL GROUP BY over the same entries, measured in the same run.

Run: `.venv/bin/python bench/budget.py` (or `make bench`).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import date

import httpx
import uvloop
from aiokafka import AIOKafkaProducer
from common import bench_infra, save
from sqlalchemy import text

from budget_ledger.adapters.tables import messaging
from budget_ledger.entrypoints.events import make_handlers
from budget_ledger.main import MIGRATIONS_DIR
from budget_ledger.settings import Settings
from budget_ledger.use_cases.demo_programme import HOLDERS, MEASURES, seed_structure
from budget_ledger.use_cases.proposals import set_auto_approval_limit
from budget_ledger.use_cases.reports import execution_report
from ecity_cli.infra import free_port, repo_root
from ecity_cli.services import SERVICES, ServiceProcess, service_env
from ecity_cli.tokens import service_token
from ecity_common.db import make_engine, make_sessions
from ecity_common.events import CloudEvent
from ecity_common.events.payloads.network_registry import NetworkAssetCommissioned
from ecity_common.messaging.consumer import EventConsumer
from ecity_common.messaging.outbox import Outbox
from ecity_common.messaging.topics import ensure_topics
from ecity_common.migrations import upgrade

COMMISSIONED = "ua.sumy.ecity.network-registry.asset.commissioned.v1"


async def via_events(settings: Settings, engine, count: int) -> float:
    topic = settings.topic("ecity.network.v1")
    await ensure_topics(settings.kafka, [topic, f"{topic}.dlq"])
    producer = AIOKafkaProducer(**settings.kafka.client_options(), linger_ms=20)
    await producer.start()
    sends = []
    for i in range(count):
        measure = MEASURES[i % len(MEASURES)][0]
        asset = NetworkAssetCommissioned(asset_id=f"bench-{i}", asset_kind="device", name=f"ONU {i}",
                                         cost_kop=100_000 + i, measure_code=measure, holder_code=measure[:2],
                                         commissioned_on=date(2021, 1 + i % 12, 1))
        event = CloudEvent(source="/ecity/network-registry", type=COMMISSIONED, subject=asset.asset_id,
                           data=asset.model_dump(mode="json"))
        sends.append(await producer.send(topic, event.kafka_value(), key=asset.asset_id.encode(), headers=event.kafka_headers()))
    await asyncio.gather(*sends)
    await producer.stop()

    dlq_producer = AIOKafkaProducer(**settings.kafka.client_options())
    await dlq_producer.start()
    consumer = EventConsumer(sessions=make_sessions(engine), inbox=messaging.inbox, producer=dlq_producer,
                             settings=settings, handlers=make_handlers(Outbox(messaging.outbox, settings)))
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    started = base = None
    while consumer.stats.handled < count:
        if started is None and consumer.stats.handled:
            started, base = time.perf_counter(), consumer.stats.handled
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - started
    await consumer.stop()
    task.cancel()
    await dlq_producer.stop()
    assert consumer.stats.dead_lettered == 0
    return (count - base) / elapsed


async def via_api(settings: Settings, postgres, kafka, count: int, clients: int = 16) -> float:
    info = SERVICES["budget-ledger"]
    port = free_port()
    env = service_env(info, port=port, database_url=settings.database_url, kafka=kafka.service_settings(info.name),
                      seed_demo_data="false", log_level="WARNING")
    process = ServiceProcess(info, port=port, env=env, log_file=repo_root() / ".state" / "bench" / "budget-api.log").start()
    try:
        await asyncio.to_thread(process.wait_ready)
        headers = {"Authorization": f"Bearer {service_token('budget-ledger', 'bench', 'finance')}"}
        queue = list(range(count))

        async def client(http: httpx.AsyncClient) -> None:
            while queue:
                i = queue.pop()
                answer = await http.post("/api/v1/entries", headers=headers, json={
                    "entry_id": f"api-{clients}-{i}", "kind": "expenditure", "holder_code": "02", "measure_code": "02-1",
                    "year": 2021, "fund": "special", "kekv": "3110", "amount_kop": 1000 + i,
                    "entry_date": "2021-06-01", "document_ref": f"bench {i}"})
                assert answer.status_code == 201, answer.text

        async with httpx.AsyncClient(base_url=process.url, timeout=30) as http:
            await asyncio.gather(*(client(http) for _ in range(clients)))  # warm-up pass below is excluded
            queue.extend(range(count, 2 * count))
            started = time.perf_counter()
            await asyncio.gather(*(client(http) for _ in range(clients)))
            return count / (time.perf_counter() - started)
    finally:
        process.stop()


async def fill_million(engine, total: int) -> None:
    """Bulk-load entries straight in SQL (the report reads rows, not how they came), then rebuild
    the balances projection from them, as `rebuilt_balances` would."""
    async with engine.begin() as conn:
        start = await conn.scalar(text("SELECT coalesce(max(seq), 0) FROM ledger_entries"))
        await conn.execute(text("""
            INSERT INTO ledger_entries (seq, entry_id, kind, holder_code, measure_code, year, fund, kekv, amount_kop,
                entry_date, document_ref, author, plan_delta_kop, financed_delta_kop, spent_delta_kop, content,
                prev_hash, hash)
            SELECT :start + g, 'bulk-' || g, k.kind, m.holder_code, m.code, 2020 + g % 2, m.fund, m.kekv, 1000 + g % 997,
                   DATE '2021-01-01', 'bulk', 'bench',
                   CASE WHEN k.kind = 'appropriation' THEN 1000 + g % 997 ELSE 0 END,
                   CASE WHEN k.kind = 'financing' THEN 1000 + g % 997 ELSE 0 END,
                   CASE WHEN k.kind = 'expenditure' THEN 1000 + g % 997 ELSE 0 END,
                   '{}'::jsonb, '', ''
            FROM generate_series(1, :n) g
            JOIN LATERAL (SELECT (ARRAY['appropriation','financing','expenditure'])[1 + g % 3] AS kind) k ON true
            JOIN (SELECT code, holder_code, fund, kekv, row_number() OVER (ORDER BY code) - 1 AS i FROM measures) m
              ON m.i = g % 5
        """), {"start": start, "n": total})
        await conn.execute(text("DELETE FROM balances"))
        await conn.execute(text("""
            INSERT INTO balances (measure_code, year, planned_kop, financed_kop, spent_kop)
            SELECT measure_code, year, sum(plan_delta_kop), sum(financed_delta_kop), sum(spent_delta_kop)
            FROM ledger_entries GROUP BY measure_code, year
        """))
        await conn.execute(text("ANALYZE ledger_entries"))


GROUP_BY = text("""
    SELECT h.code, m.code, e.year, sum(e.plan_delta_kop), sum(e.financed_delta_kop), sum(e.spent_delta_kop)
    FROM ledger_entries e JOIN measures m ON m.code = e.measure_code JOIN budget_holders h ON h.code = m.holder_code
    WHERE e.year BETWEEN 2020 AND 2021
    GROUP BY h.code, m.code, e.year
""")


async def timed(make, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await make()
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)


async def run(events: int, api_entries: int, million: int) -> dict:
    with bench_infra("budget-ledger") as (kafka, postgres):
        postgres.create_databases(["ledger"])
        # Its own consumer group, and the registry's events published by the bench: the operator's sign-in.
        settings = Settings(database_url=postgres.database_url("ledger"), **kafka.admin_settings(),
                            kafka_consumer_group="bench-ledger", consumer_batch_size=2000)
        await asyncio.to_thread(upgrade, MIGRATIONS_DIR, settings.database_url)
        engine = make_engine(settings)
        async with make_sessions(engine)() as session, session.begin():
            await seed_structure(session)
            # Every proposal of the benchmark is within its holder's limit: each event posts an entry.
            for holder in HOLDERS:
                await set_auto_approval_limit(session, holder["code"], 10**9, "bench", "the benchmark posts every event")

        events_per_s = await via_events(settings, engine, events)
        api_per_s = await via_api(settings, postgres, kafka, api_entries)
        await fill_million(engine, million)
        async with engine.connect() as conn:
            entries = await conn.scalar(text("SELECT count(*) FROM ledger_entries"))

        async def report():
            async with make_sessions(engine)() as session:
                r = await execution_report(session, 2020, 2021)
                r.as_json()

        async def group_by():
            async with engine.connect() as conn:
                (await conn.execute(GROUP_BY)).all()

        report_ms = await timed(report, 30)
        group_by_ms = await timed(group_by, 7)
        await engine.dispose()
        return {
            "events_entries_per_s": events_per_s, "events": events, "api_entries_per_s": api_per_s,
            "api_entries": api_entries, "entries_in_table": entries,
            "report_p50_ms": statistics.median(report_ms), "report_p99_ms": report_ms[-1],
            "group_by_p50_ms": statistics.median(group_by_ms),
            "report_speedup_vs_group_by": statistics.median(group_by_ms) / statistics.median(report_ms),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--api-entries", type=int, default=2_000)
    parser.add_argument("--million", type=int, default=1_000_000)
    args = parser.parse_args()
    r = uvloop.run(run(args.events, args.api_entries, args.million))
    save("budget-ledger", r)
    print(f"""
| measure | result | target |
|---|---|---|
| posting via events ({r['events']:,} commissioned assets) | **{r['events_entries_per_s']:,.0f} entries/s** | ≥ 5,000 entries/s |
| posting via the API (16 clients, one uvicorn worker) | {r['api_entries_per_s']:,.0f} entries/s | — |
| execution report over {r['entries_in_table']:,} entries | p50 {r['report_p50_ms']:.1f} ms, **max of 30 {r['report_p99_ms']:.1f} ms** | < 300 ms |
| plain SQL GROUP BY over the same entries | p50 {r['group_by_p50_ms']:.0f} ms (report is {r['report_speedup_vs_group_by']:.0f}× faster) | baseline |
""")


if __name__ == "__main__":
    sys.exit(main())
