"""Benchmark of utilities-gateway, in one run on one machine, each against a baseline of the same run.

  (a) meter-reading ingest: batches of 10,000 readings POSTed to a gateway process (one uvicorn
      worker) with a company's API key: parsed, validated (EIC check, units, never decreasing,
      duplicates against the stored registers), stored, and staged as events (the relay publishes
      them to Kafka in the same process); readings/s, and the time until the last event is on Kafka;
  (b) its baseline: a bare FastAPI endpoint that parses the same body into the same reading model,
      served the same way, fed by the same client loop;
  (c) webhook delivery: the gateway's dispatcher (claim with lease, sign, POST, record the attempt)
      sending N messages to a local receiver process, with its default limits, deliveries/s;
  (d) its baseline: a plain httpx client loop POSTing the same bodies to the same receiver.

Run: `.venv/bin/python bench/utilities.py` (or `make bench`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx
import uvloop
from common import bench_infra, save
from sqlalchemy import insert, select, text

from ecity_cli.infra import free_port, repo_root
from ecity_cli.services import SERVICES, ServiceProcess, service_env
from ecity_common.db import make_engine, make_sessions
from ecity_common.migrations import upgrade
from utilities_gateway.adapters.sealed import SecretBox
from utilities_gateway.adapters.tables import company_messages, deliveries, messaging, webhook_endpoints
from utilities_gateway.adapters.webhook_dispatcher import Dispatcher, body_bytes
from utilities_gateway.domain.meters import eic_check_character
from utilities_gateway.domain.webhooks import new_secret
from utilities_gateway.main import MIGRATIONS_DIR
from utilities_gateway.settings import Settings
from utilities_gateway.use_cases.meter_bindings import bind

KEY = "ugw_elec0001_local-development-only-key"
LOGS = repo_root() / ".state" / "bench"

BARE_APP = '''
from typing import Any
from fastapi import FastAPI
from pydantic import BaseModel, Field, TypeAdapter
from utilities_gateway.domain.meters import ReadingIn

READINGS = TypeAdapter(list[ReadingIn])
app = FastAPI()


class ReadingsBatch(BaseModel):
    readings: list[Any] = Field(min_length=1, max_length=10_000)


@app.post("/integrations/v1/meter-readings")
async def send(body: ReadingsBatch):
    parsed = READINGS.validate_python(body.readings)
    return {"received": len(parsed), "accepted": len(parsed), "duplicates": [], "rejected": []}
'''

RECEIVER_APP = '''
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route


async def hook(request):
    await request.body()
    return Response(status_code=204)

app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
'''


def meter(n: int) -> str:
    first = f"62Z{n:012d}"
    return first + eic_check_character(first)


def batches(count: int, size: int) -> list[dict]:
    """`count` daily uploads of `size` meters each; every meter's register rises day by day."""
    start = datetime.now(UTC) - timedelta(days=count + 1)
    return [{"readings": [
        {"meter_id": meter(m), "reading_type": "active_energy_import", "unit": "kWh",
         "value": 1000.0 + day * 7.5 + m % 13, "taken_at": (start + timedelta(days=day)).isoformat(), "source": "remote"}
        for m in range(size)]} for day in range(count)]


def uvicorn_process(app_dir, module: str, port: int, log) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(app_dir)}
    return subprocess.Popen([sys.executable, "-m", "uvicorn", f"{module}:app", "--port", str(port), "--log-level",
                             "warning", "--no-access-log", "--loop", "uvloop"], env=env, stdout=log, stderr=log)


def wait_up(url: str) -> None:
    for _ in range(200):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} never came up")


async def post_batches(url: str, body_list: list[dict], headers: dict) -> float:
    """readings/s for POSTing every batch in turn (one client, as a company's uploader does)."""
    async with httpx.AsyncClient(timeout=120) as http:
        started = time.perf_counter()
        total = 0
        for body in body_list:
            answer = await http.post(url, json=body, headers=headers)
            assert answer.status_code == 200, answer.text[:500]
            report = answer.json()
            assert report["accepted"] == len(body["readings"]), {k: report[k] for k in ("accepted", "received")}
            total += report["accepted"]
        return total / (time.perf_counter() - started)


async def ingest(settings: Settings, kafka, batch_count: int, size: int) -> dict:
    LOGS.mkdir(parents=True, exist_ok=True)
    uploads = batches(batch_count + 1, size)
    warm, measured = uploads[:1], uploads[1:]
    (LOGS / "bare_readings_app.py").write_text(BARE_APP)
    bare_port = free_port()
    with open(LOGS / "bare-readings.log", "w") as log:
        bare = uvicorn_process(LOGS, "bare_readings_app", bare_port, log)
        try:
            await asyncio.to_thread(wait_up, f"http://127.0.0.1:{bare_port}/docs")
            url = f"http://127.0.0.1:{bare_port}/integrations/v1/meter-readings"
            await post_batches(url, warm, {})
            bare_per_s = await post_batches(url, measured, {})
        finally:
            bare.terminate()
            bare.wait()

    info = SERVICES["utilities-gateway"]
    port = free_port()
    env = service_env(info, port=port, database_url=settings.database_url, kafka=kafka.service_settings(info.name),
                      log_level="WARNING", seed_demo_data="true")
    process = ServiceProcess(info, port=port, env=env, log_file=LOGS / "utilities-gateway.log").start()
    engine = make_engine(settings)
    try:
        await asyncio.to_thread(process.wait_ready)
        # The city binds the company's meters (the demo data binds only its first 100).
        async with make_sessions(engine)() as session, session.begin():
            await bind(session, "co-electricity-demo", [meter(m) for m in range(size)], by="bench")
        url = f"{process.url}/integrations/v1/meter-readings"
        headers = {"Authorization": f"Bearer {KEY}"}
        await post_batches(url, warm, headers)
        started = time.perf_counter()
        per_s = await post_batches(url, measured, headers)
        outbox = messaging.outbox
        while True:  # until the relay has published every event of the batches
            async with engine.connect() as conn:
                left = await conn.scalar(select(text("count(*)")).select_from(outbox).where(outbox.c.published_at.is_(None)))
            if not left:
                break
            await asyncio.sleep(0.05)
        published_per_s = batch_count * size / (time.perf_counter() - started)
        async with engine.connect() as conn:
            stored = await conn.scalar(text("SELECT count(*) FROM meter_readings"))
    finally:
        process.stop()
        await engine.dispose()
    assert stored == (batch_count + 1) * size
    return {"batch_size": size, "batches": batch_count, "bare_readings_per_s": bare_per_s, "readings_per_s": per_s,
            "readings_ratio": per_s / bare_per_s, "readings_published_per_s": published_per_s}


async def webhooks(settings: Settings, count: int) -> dict:
    (LOGS / "bench_receiver.py").write_text(RECEIVER_APP)
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    engine = make_engine(settings)
    sessions = make_sessions(engine)
    with open(LOGS / "receiver.log", "w") as log:
        receiver = uvicorn_process(LOGS, "bench_receiver", port, log)
        try:
            await asyncio.to_thread(wait_up, f"http://127.0.0.1:{port}/")
            async with sessions() as session, session.begin():
                await session.execute(insert(webhook_endpoints).values(
                    id="ep_bench", company_id="co-water-demo", url=url,
                    secret=SecretBox(settings.webhook_secrets_key.get_secret_value()).seal(new_secret())))
                seqs = (await session.execute(insert(company_messages).returning(company_messages.c.seq), [
                    {"id": f"msg_bench{i:08d}", "company_id": "co-water-demo", "type": "request.routed",
                     "body": {"type": "request.routed", "timestamp": datetime.now(UTC).isoformat(),
                              "data": {"request_id": f"r-{i}", "service_code": "water_leak", "address": "вул. Соборна, 1",
                                       "description": "Тече труба" * 10}}} for i in range(count)])).scalars().all()
                bodies = (await session.execute(select(company_messages.c.body).order_by(company_messages.c.seq))).scalars().all()

            async with httpx.AsyncClient(timeout=10) as http:  # (d) the plain loop
                for body in bodies[:200]:
                    await http.post(url, content=body_bytes(body), headers={"content-type": "application/json"})
                started = time.perf_counter()
                for body in bodies:
                    answer = await http.post(url, content=body_bytes(body), headers={"content-type": "application/json"})
                    assert answer.status_code == 204
                plain_per_s = count / (time.perf_counter() - started)

            async with sessions() as session, session.begin():
                await session.execute(insert(deliveries), [{"message_seq": s, "endpoint_id": "ep_bench"} for s in seqs])
            dispatcher = Dispatcher(sessions, settings, SecretBox(settings.webhook_secrets_key.get_secret_value()))
            started = time.perf_counter()
            running = asyncio.create_task(dispatcher.run())  # as the service runs it
            succeeded = 0
            while succeeded < count:
                await asyncio.sleep(0.05)
                async with engine.connect() as conn:
                    succeeded = await conn.scalar(text("SELECT count(*) FROM deliveries WHERE status = 'succeeded'"))
                assert not running.done(), running.exception()
            per_s = count / (time.perf_counter() - started)
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
        finally:
            receiver.terminate()
            receiver.wait()
            await engine.dispose()
    return {"deliveries": count, "plain_loop_per_s": plain_per_s, "deliveries_per_s": per_s,
            "webhook_ratio": per_s / plain_per_s, "concurrency": settings.webhook_concurrency,
            "endpoint_concurrency": settings.webhook_endpoint_concurrency, "batch": settings.webhook_batch_size}


async def run(batch_count: int, size: int, deliveries_n: int) -> dict:
    with bench_infra("utilities-gateway") as (kafka, postgres):
        postgres.create_databases(["gateway"])
        settings = Settings(database_url=postgres.database_url("gateway"), **kafka.service_settings("utilities-gateway"),
                            webhook_allow_private_targets=True, webhook_allow_http=True)
        await asyncio.to_thread(upgrade, MIGRATIONS_DIR, settings.database_url)
        readings = await ingest(settings, kafka, batch_count, size)
        hooks = await webhooks(settings, deliveries_n)
        return {**readings, **hooks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--deliveries", type=int, default=3_000)
    args = parser.parse_args()
    results = uvloop.run(run(args.batches, args.batch_size, args.deliveries))
    save("utilities-gateway", results)
    r = results
    print(f"""
| utilities-gateway | result | target |
|---|---|---|
| bare endpoint, same body parsed into the same reading model, batches of {r['batch_size']:,} | {r['bare_readings_per_s']:,.0f} readings/s | baseline |
| POST /integrations/v1/meter-readings (API key, validation against stored registers, store, events staged), one worker | **{r['readings_per_s']:,.0f} readings/s** = {r['readings_ratio']:.2f} × bare | ≥ 20,000 readings/s |
| … until the last event is on Kafka | {r['readings_published_per_s']:,.0f} readings/s | |
| plain httpx loop to a local receiver | {r['plain_loop_per_s']:,.0f} requests/s | baseline |
| webhook dispatcher as the service runs it (claim with a lease, sign, POST with ≤ {r['endpoint_concurrency']} in flight to the one endpoint, record every attempt) | {r['deliveries_per_s']:,.0f} deliveries/s = **{r['webhook_ratio']:.2f} × plain loop** | ≥ 0.5 × plain loop |
""")


if __name__ == "__main__":
    main()
