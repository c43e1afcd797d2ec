"""Benchmark of citizen-requests, in one run on one machine.

  (a) filing requests: POST /api/v1/requests with a JWT, validation, a durable commit with the
      outbox row, one uvicorn worker, 32 concurrent clients: requests/s, p50/p99;
  (b) the baseline measured by the same script: a bare FastAPI endpoint (one uvicorn worker) that
      parses and validates the same body with the same model and returns it;
  (b′) the same filing stripped down, one statement per request (see FLOOR_APP);
  (c) listing with 1,000,000 requests in the table: GET /open311/v2/requests.json?page_size=50
      and the public list, p50/p99.

Run: `.venv/bin/python bench/citizens.py` (or `make bench`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager

import httpx
import uvloop
from common import bench_infra, save
from sqlalchemy import text

from citizen_requests.main import MIGRATIONS_DIR
from citizen_requests.settings import Settings
from ecity_cli.infra import free_port, repo_root
from ecity_cli.services import SERVICES, ServiceProcess, service_env
from ecity_cli.tokens import local_issuer, service_token
from ecity_common.db import make_engine
from ecity_common.migrations import upgrade

BODY = {"service_code": "street_light", "description": "Не світить ліхтар біля зупинки", "lat": 50.9077, "long": 34.7981,
        "attributes": {"pole_number": "17"}}
CITIZENS = 3000
# Not a baseline the target is set against, but a comparison: the same filing with nothing else —
# the JWT check, the same request model, one asyncpg statement per request writing the request,
# its history and its outbox row, a durable commit — and no SQLAlchemy, tracing, metrics,
# catalogue, event envelope, nor the service's filing desk (which writes the filings waiting
# together in one statement and one commit). Run alone: the service is stopped by then.
FLOOR_APP = textwrap.dedent('''
    import json, os, uuid
    from datetime import UTC, datetime, timedelta
    import asyncpg, jwt
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse
    from citizen_requests.entrypoints.http.requests import NewRequest

    # The service checks each token's ES256 signature once and keeps the verdict (auth.JwtVerifier):
    # the same here, against the same local JWKS.
    KEYS, CHECKED = jwt.PyJWKSet.from_json(open(os.environ["FLOOR_JWKS"]).read()), {}
    SQL = """
    WITH filed AS (
      INSERT INTO citizen_requests (id, service_code, description, citizen_id, lat, long, status, submitted_at,
                                    expected_datetime, updated_at, attributes, channel)
      VALUES ($1, $2, $3, $4, $5, $6, 'submitted', $7, $8, $7, $9::jsonb, 'app') RETURNING id
    ), history AS (INSERT INTO request_history (request_id, actor, to_status, public) SELECT id, $4, 'submitted', true FROM filed)
    INSERT INTO outbox (event_id, aggregate_type, aggregate_id, type, topic, payload, headers)
    SELECT $10, 'citizen_request', id, 'floor', 'floor', $11::jsonb, '{}'::jsonb FROM filed
    """
    app = FastAPI()

    @app.on_event("startup")
    async def start():
        app.state.pool = await asyncpg.create_pool(os.environ["FLOOR_DSN"], min_size=20, max_size=20)

    @app.post("/api/v1/requests", status_code=201)
    async def create(body: NewRequest, request: Request):
        token = request.headers["authorization"].split()[1]
        claims = CHECKED.get(token)
        if claims is None:
            key = KEYS[jwt.get_unverified_header(token)["kid"]].key
            claims = CHECKED[token] = jwt.decode(token, key, algorithms=["ES256"], audience="citizen-requests",
                                                 issuer="https://auth.ecity.sumy.ua/local")
        rid, now = str(uuid.uuid4()), datetime.now(UTC)
        async with app.state.pool.acquire() as conn:
            await conn.execute(SQL, rid, body.service_code, body.description, claims["sub"], body.lat, body.long, now,
                               now + timedelta(days=15), json.dumps(body.attributes), str(uuid.uuid4()),
                               json.dumps({"request_id": rid}))
        return JSONResponse({"service_request_id": rid, "status": "submitted"}, status_code=201)
''')
# The bare endpoint inside the service's own app: its middleware (tracing, metrics, problem
# handlers), its routing among all its routes, its relay and consumer idling beside it. What any
# endpoint of this service pays before doing anything: the ceiling for filing.
BARE_IN_SERVICE = textwrap.dedent('''
    from citizen_requests.entrypoints.http.requests import NewRequest
    from citizen_requests.main import create_app


    def create():
        app = create_app()

        @app.post("/bench/bare", status_code=201)
        async def bare(body: NewRequest) -> NewRequest:
            return body

        return app
''')
BARE_APP = textwrap.dedent('''
    from fastapi import FastAPI
    from citizen_requests.entrypoints.http.requests import NewRequest
    app = FastAPI()

    @app.post("/api/v1/requests", status_code=201)
    async def create(body: NewRequest) -> NewRequest:
        return body
''')


def load(url: str, tokens: list[str], seconds: int, concurrency: int) -> dict:
    """wrk (a C load generator, `apt-get install wrk`): a Python client would be the bottleneck
    on two cores and measure itself rather than the server. Each request is a different citizen's
    (round robin over `tokens`): thousands of citizens filing at once, each under the service's own
    creation limit (20 per 10 minutes), as in the city, not one citizen filing thousands."""
    if shutil.which("wrk") is None:
        sys.exit("this benchmark needs wrk: install it (apt-get install wrk)")
    script = repo_root() / ".state" / "bench" / "post.lua"
    script.write_text(textwrap.dedent(f"""
        wrk.method = 'POST'
        wrk.body = [[{json.dumps(BODY, ensure_ascii=False)}]]
        local template = [[{json.dumps({**BODY, "lat": 0, "long": 0}, ensure_ascii=False).replace('"lat": 0', '"lat": %.5f').replace('"long": 0', '"long": %.5f')}]]
        wrk.headers['Content-Type'] = 'application/json'
        local tokens = {{{", ".join(f'"{t}"' for t in tokens)}}}
        local n = 0
        request = function()
            n = n + 1
            wrk.headers['Authorization'] = 'Bearer ' .. tokens[(n % #tokens) + 1]
            -- somewhere in the city: reports are spread out, not all at one lamp post
            local lat = 50.87 + (n * 7919 % 1000) / 12500
            local long = 34.73 + (n * 104729 % 1000) / 7500
            local body = string.format(template, lat, long)
            return wrk.format(nil, nil, nil, body)
        end
    """))
    subprocess.run(["wrk", "-t1", "-c4", "-d2s", "-s", str(script), url], capture_output=True, check=True)  # warm-up
    out = subprocess.run(["wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", "--latency", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    assert "Non-2xx" not in out, out

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return {"per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": ms("50%"), "p99": ms("99%")}


@contextmanager
def uvicorn_app(logs, name: str, source: str, target: str, *, env: dict[str, str], ready: str = "/docs",
                port: int | None = None):
    """`source` written as module `name` and served by one uvicorn worker (`target`, as uvicorn
    takes it); yields its URL once `ready` answers 200."""
    (logs / f"{name}.py").write_text(source)
    port = port or free_port()
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "--app-dir", str(logs), *target.split(), "--port", str(port),
                               "--no-access-log", "--log-level", "warning"], env={**os.environ, **env},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + ready).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait()


def measure_bare(logs, tokens: list[str], seconds: int, concurrency: int) -> dict:
    with uvicorn_app(logs, "bare_app", BARE_APP, "bare_app:app", env={}) as url:
        return load(f"{url}/api/v1/requests", tokens, seconds, concurrency)


def measure_bare_in_service(logs, info, database_url: str, kafka: dict[str, str], tokens: list[str], seconds: int,
                            concurrency: int) -> dict:
    port = free_port()
    env = service_env(info, port=port, database_url=database_url, kafka=kafka, log_level="WARNING")
    with uvicorn_app(logs, "bare_in_service", BARE_IN_SERVICE, "--factory bare_in_service:create", env=env,
                     ready="/health/ready", port=port) as url:
        return load(f"{url}/bench/bare", tokens, seconds, concurrency)


def measure_floor(logs, database_url: str, tokens: list[str], seconds: int, concurrency: int) -> dict:
    with uvicorn_app(logs, "floor_app", FLOOR_APP, "floor_app:app", env={"FLOOR_DSN": database_url.replace("+asyncpg", ""),
                                                                    "FLOOR_JWKS": str(local_issuer().jwks_file)}) as url:
        return load(f"{url}/api/v1/requests", tokens, seconds, concurrency)


def desk_counters(url: str) -> tuple[float, float]:
    """(filings written, statements written) by the service's filing desk, from its /metrics."""
    text_ = httpx.get(f"{url}/metrics").text

    def value(name: str) -> float:
        found = re.search(rf"^{name} ([\d.e+]+)$", text_, re.M)
        return float(found.group(1)) if found else 0.0

    return value("citizen_filings_written_total"), value("citizen_filing_statements_total")


def pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(len(values) * p))]


async def fill(url: str, total: int) -> None:
    engine = make_engine(Settings(database_url=url))
    async with engine.begin() as conn:
        await conn.execute(text("""
            INSERT INTO citizen_requests (id, service_code, description, citizen_id, lat, long, address, status,
                submitted_at, expected_datetime, updated_at)
            SELECT 'bulk-' || g, (ARRAY['pothole','street_light','water_leak','waste_collection'])[1 + g % 4],
                   'масове навантаження', 'citizen-' || (g % 50000), 50.85 + (g % 1000) / 10000.0, 34.75 + (g % 997) / 10000.0,
                   'вул. Соборна, ' || (g % 200), (ARRAY['submitted','assigned','resolved','closed'])[1 + g % 4],
                   now() - (g % 7776000) * interval '1 second', now() + interval '15 days', now()
            FROM generate_series(1, :n) g
        """), {"n": total})
        await conn.execute(text("ANALYZE citizen_requests"))
    await engine.dispose()


async def timed_gets(url: str, params: dict, runs: int) -> list[float]:
    async with httpx.AsyncClient(timeout=60) as client:
        await client.get(url, params=params)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            answer = await client.get(url, params=params)
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200
        return sorted(times)


async def run(seconds: int, concurrency: int, million: int) -> dict:
    with bench_infra("citizens") as (kafka, postgres):
        postgres.create_databases(["citizens"])
        url = postgres.database_url("citizens")
        await asyncio.to_thread(upgrade, MIGRATIONS_DIR, url)
        info = SERVICES["citizen-requests"]
        port = free_port()
        env = service_env(info, port=port, database_url=url, kafka=kafka.service_settings(info.name), log_level="WARNING")
        logs = repo_root() / ".state" / "bench"
        service = ServiceProcess(info, port=port, env=env, log_file=logs / "citizens-api.log").start()
        try:
            await asyncio.to_thread(service.wait_ready)
            # Enough citizens that none passes the default limit of 20 requests in 10 minutes.
            tokens = [service_token("citizen-requests", f"bench-citizen-{i}", "citizen") for i in range(CITIZENS)]
            bare = await asyncio.to_thread(measure_bare, logs, tokens, seconds, concurrency)
            inside = await asyncio.to_thread(measure_bare_in_service, logs, info, url, kafka.service_settings(info.name), tokens,
                                             seconds, concurrency)
            before = desk_counters(service.url)
            real = await asyncio.to_thread(load, f"{service.url}/api/v1/requests", tokens, seconds, concurrency)
            after = desk_counters(service.url)
            await fill(url, million)
            open311 = await timed_gets(f"{service.url}/open311/v2/requests.json", {"page_size": "50"}, 200)
            public = await timed_gets(f"{service.url}/api/v1/public/requests", {"limit": "50", "status": "open"}, 50)
            service.stop()
            floor = await asyncio.to_thread(measure_floor, logs, url, tokens, seconds, concurrency)
        finally:
            service.stop()
        return {
            "seconds": seconds, "concurrency": concurrency, "bare_per_s": bare["per_s"], "bare_p50_ms": bare["p50"],
            "bare_p99_ms": bare["p99"], "create_per_s": real["per_s"], "create_p50_ms": real["p50"],
            "create_p99_ms": real["p99"], "ratio": real["per_s"] / bare["per_s"], "rows": million,
            "floor_per_s": floor["per_s"], "floor_p50_ms": floor["p50"], "floor_p99_ms": floor["p99"],
            "floor_ratio": floor["per_s"] / bare["per_s"],
            "bare_in_service_per_s": inside["per_s"], "bare_in_service_p50_ms": inside["p50"],
            "bare_in_service_p99_ms": inside["p99"], "bare_in_service_ratio": inside["per_s"] / bare["per_s"],
            "filings_per_statement": (after[0] - before[0]) / max(1, after[1] - before[1]),
            "open311_list_p50_ms": statistics.median(open311), "open311_list_p99_ms": pct(open311, 0.99),
            "public_list_p50_ms": statistics.median(public), "public_list_p99_ms": pct(public, 0.99),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--million", type=int, default=1_000_000)
    args = parser.parse_args()
    r = uvloop.run(run(args.seconds, args.concurrency, args.million))
    save("citizen-requests", r)
    print(f"""
| measure | result | target |
|---|---|---|
| bare FastAPI endpoint, same body and model, {r['concurrency']} connections | {r['bare_per_s']:,.0f} requests/s, p50 {r['bare_p50_ms']:.1f} ms, p99 {r['bare_p99_ms']:.1f} ms | baseline |
| the bare endpoint inside the service's app (its middleware, routing, relay and consumer idle) | {r['bare_in_service_per_s']:,.0f} requests/s = {r['bare_in_service_ratio']:.2f} × bare, p50 {r['bare_in_service_p50_ms']:.1f} ms, p99 {r['bare_in_service_p99_ms']:.1f} ms | the ceiling of any endpoint here |
| POST /api/v1/requests (JWT, validation, durable commit + outbox row), one worker | {r['create_per_s']:,.0f} requests/s = **{r['ratio']:.2f} × bare**, p50 {r['create_p50_ms']:.1f} ms, **p99 {r['create_p99_ms']:.1f} ms**; {r['filings_per_statement']:.1f} filings per commit | ≥ 0.25 × bare, p99 < 50 ms |
| stripped down: JWT, the same model, one asyncpg statement per request (request, history, outbox row), durable commit, nothing else | {r['floor_per_s']:,.0f} requests/s = {r['floor_ratio']:.2f} × bare, p50 {r['floor_p50_ms']:.1f} ms, p99 {r['floor_p99_ms']:.1f} ms | for comparison |
| GET /open311/v2/requests.json?page_size=50, {r['rows']:,}+ rows | p50 {r['open311_list_p50_ms']:.1f} ms, **p99 {r['open311_list_p99_ms']:.1f} ms** | p99 < 20 ms |
| GET /api/v1/public/requests?status=open&limit=50 (count capped at 10,000) | p50 {r['public_list_p50_ms']:.1f} ms, p99 {r['public_list_p99_ms']:.1f} ms | — |
""")


if __name__ == "__main__":
    sys.exit(main())
