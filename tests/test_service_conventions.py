"""Every service starts, migrates, reports ready, documents itself and answers errors as
RFC 9457 problem+json — never a 500."""

from __future__ import annotations

import asyncio
import gc
import importlib
import re

import asyncpg
import pytest

from ecity_cli.services import SERVICES
from ecity_cli.testing import bearer, running
from ecity_common.doorbell import libpq_dsn
from ecity_common.runtime import COLLECTION_THRESHOLDS


def _app(services, name: str, **overrides):
    info = SERVICES[name]
    settings = services.settings(name, **overrides)
    return importlib.import_module(f"{info.package}.main").create_app(settings), settings


async def docs_render_offline(client) -> None:
    """/docs and /redoc name no other host: every script, style sheet and icon is the service's own."""
    for page in ("/docs", "/redoc"):
        html = await client.get(page)
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        urls = re.findall(r'(?:src|href)="([^"]+)"', html.text) + re.findall(r"url: '([^']+)'", html.text)
        assert urls and all(url.startswith("/") for url in urls), f"{page} loads from elsewhere: {urls}"
        assert "cdn" not in html.text.lower() and "fonts.googleapis" not in html.text
        for url in urls:
            asset = await client.get(url)
            assert asset.status_code == 200, url
            if url.endswith(".js"):
                assert "javascript" in asset.headers["content-type"] and len(asset.content) > 100_000


@pytest.mark.parametrize("name", list(SERVICES))
async def test_service_starts_migrates_and_reports_ready(services, name):
    app, settings = _app(services, name)
    before = gc.get_threshold()
    async with running(app) as client:
        # While it runs, the start-up heap is frozen and the collector runs less often; both
        # are undone when it stops (this test process starts many apps).
        assert gc.get_threshold() == COLLECTION_THRESHOLDS != before and gc.get_freeze_count() > 0
        assert (await client.get("/health/live")).json() == {"status": "ok"}
        ready = await client.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ok", "checks": {"database": "ok", "kafka": "ok", "background": "ok"}}
        openapi = (await client.get("/openapi.json")).json()
        assert openapi["info"]["title"].startswith("Sumy e-City")
        missing = await client.get("/no/such/thing")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.json()["status"] == 404 and missing.json()["title"] == "Not found"
        # Requests counted by route template and status class; probes and scrapes are not.
        metrics = await client.get("/metrics")
        assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
        assert 'http_requests_total{handler="/openapi.json",method="GET",status="2xx"}' in metrics.text
        assert 'http_requests_total{handler="none",method="GET",status="4xx"}' in metrics.text
        assert 'http_request_duration_seconds_bucket{handler="/openapi.json"' in metrics.text
        assert 'handler="/health' not in metrics.text and 'handler="/metrics"' not in metrics.text
        # The pool, read at the scrape (the service's own workers may hold one or two).
        in_use = re.search(rf'^ecity_db_pool_connections_in_use{{service="{settings.service_name}"}} (\S+)$', metrics.text, re.M)
        assert in_use and 0 <= float(in_use.group(1)) <= settings.database_pool_size
        await docs_render_offline(client)
    assert gc.get_threshold() == before
    conn = await asyncpg.connect(libpq_dsn(settings.database_url))
    try:
        tables = {r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")}
        assert {"outbox", "inbox", "alembic_version"} <= tables
    finally:
        await conn.close()


async def test_readiness_says_503_and_which_check_fails_the_why_only_in_the_log(services, infra):
    import logging

    class Kept(logging.Handler):
        said: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.said.append(record.getMessage())

    app, settings = _app(services, "network-registry")
    async with running(app) as client:
        assert (await client.get("/health/ready")).status_code == 200
        database = settings.database_url.rsplit("/", 1)[1]
        infra.postgres.drop_database(database)
        kept = Kept(logging.WARNING)
        logging.getLogger("ecity.health").addHandler(kept)  # the service's own log configuration stays
        try:
            ready = await client.get("/health/ready")
        finally:
            logging.getLogger("ecity.health").removeHandler(kept)
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] == "unavailable"  # no exception text: hosts, users, SQL
        assert ready.json()["checks"]["kafka"] == "ok"
        assert database not in ready.text
        said = kept.said
        assert said and all(m.startswith("health check database fails: ") and "Error" in m for m in said), said
        assert (await client.get("/health/live")).status_code == 200


async def test_bad_input_is_a_problem_naming_the_field_not_a_500(services):
    app, settings = _app(services, "citizen-requests")
    citizen = bearer(settings, "citizen-1", "citizen")
    async with running(app) as client:
        cases = [
            ({"service_code": "water_leak", "lat": 50.9, "long": 34.8, "description": "x" * 4001}, "description"),
            ({"service_code": "water_leak", "lat": 91, "long": 34.8}, "lat"),
            ({"service_code": "water_leak", "lat": 50.45, "long": 30.52}, "location.lat"),  # Kyiv, not Sumy
            ({"service_code": "water_leak", "lat": 50.9}, "long"),
            ({"service_code": "no_such_code", "address": "вул. Соборна, 1"}, "service_code"),
            ({"service_code": "pothole", "description": "<script>alert(1)</script>", "address": "x"}, "description"),
            ({"description": "no code"}, "service_code"),
        ]
        for body, field in cases:
            answer = await client.post("/api/v1/requests", json=body, headers=citizen)
            assert answer.status_code == 422, (body, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
            problem = answer.json()
            assert problem["status"] == 422 and problem["instance"] == "/api/v1/requests"
            assert field in [e["field"] for e in problem["errors"]], (body, problem)

        not_json = await client.post("/api/v1/requests", content=b"{oops", headers={**citizen, "content-type": "application/json"})
        assert not_json.status_code == 422 and not_json.headers["content-type"] == "application/problem+json"

        anonymous = await client.post("/api/v1/requests", json={"service_code": "pothole", "address": "x"})
        assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Bearer")
        assert anonymous.json()["title"] == "Authentication required"

        wrong_role = await client.post("/api/v1/requests", json={"service_code": "pothole", "address": "x"},
                                       headers=bearer(settings, "ops", "network-admin"))
        assert wrong_role.status_code == 403 and wrong_role.headers["content-type"] == "application/problem+json"


async def test_errors_speak_the_callers_language_and_name_fields_as_sent(services):
    """Issue 21: a problem's title (and the shared layer's words) in Ukrainian when Accept-Language
    prefers it, English otherwise; the type is the registry's, the field the client's path."""
    app, settings = _app(services, "citizen-requests")
    citizen = bearer(settings, "citizen-1", "citizen")
    body = {"service_code": "water_leak", "lat": 91, "long": 34.8, "description": "a\u0000b"}
    async with running(app) as client:
        uk = await client.post("/api/v1/requests", json=body, headers={**citizen, "Accept-Language": "uk-UA,uk;q=0.9,en;q=0.8"})
        en = await client.post("/api/v1/requests", json=body, headers={**citizen, "Accept-Language": "en, uk;q=0.5"})
        for answer, language in ((uk, "uk"), (en, "en")):
            assert answer.status_code == 422 and answer.headers["content-language"] == language
            assert answer.headers["vary"].endswith("Accept-Language")
            assert answer.json()["type"] == "https://ecity.sumy.ua/problems/validation-error"
        said = {e["field"]: e["message"] for e in uk.json()["errors"]}
        assert uk.json()["title"] == "Некоректний запит" and en.json()["title"] == "Invalid request"
        assert said["lat"].startswith("має бути не більше за 90") and said["description"].startswith("містить керівний символ")
        assert {e["field"] for e in en.json()["errors"]} == set(said)
        page = await client.get("/api/v1/public/requests?limit=0", headers={"Accept-Language": "uk"})
        assert page.status_code == 422 and page.json()["errors"][0]["field"] == "query.limit"
        nowhere = await client.get("/api/v1/nowhere", headers={"Accept-Language": "uk"})
        assert nowhere.json()["title"] == "Не знайдено" and nowhere.json()["type"].endswith("/problems/not-found")
        anonymous = await client.post("/api/v1/requests", json={}, headers={"Accept-Language": "uk"})
        assert anonymous.status_code == 401 and anonymous.json()["title"] == "Потрібна автентифікація"
        assert anonymous.json()["detail"] == "Надішліть 'Authorization: Bearer <JWT>'."
        # Open311 keeps its own error list, in English, naming the form's field.
        open311 = await client.get("/open311/v2/requests.json?status=x%00", headers={"Accept-Language": "uk"})
        assert open311.status_code == 400 and open311.headers["content-type"].startswith("application/json")
        assert open311.json()[0]["code"] == 400 and "control character" in open311.json()[0]["description"]


async def test_a_citizen_reads_their_own_request_and_nobody_elses(services):
    app, settings = _app(services, "citizen-requests")
    async with running(app) as client:
        created = await client.post(
            "/api/v1/requests",
            json={"service_code": "street_light", "description": "Не світить ліхтар", "lat": 50.9077, "long": 34.7981},
            headers=bearer(settings, "citizen-1", "citizen"),
        )
        assert created.status_code == 201
        request_id = created.json()["service_request_id"]
        own = await client.get(f"/api/v1/requests/{request_id}", headers=bearer(settings, "citizen-1", "citizen"))
        assert own.status_code == 200 and own.json()["status"] == "submitted"
        stranger = await client.get(f"/api/v1/requests/{request_id}", headers=bearer(settings, "citizen-2", "citizen"))
        assert stranger.status_code == 404
        operator = await client.get(f"/api/v1/requests/{request_id}", headers=bearer(settings, "op-1", "operator"))
        assert operator.status_code == 200


def test_the_migration_command_of_the_images_migrates_a_service(services, infra):
    import os
    import subprocess
    import sys

    url = infra.new_database("migrate")
    # The Job gets the owner's URL; the service's own (restricted) one is not what migrates.
    result = subprocess.run([sys.executable, "-m", "ecity_common.migrate", "budget_ledger"],
                            env={**os.environ, "BUDGET_LEDGER_MIGRATION_DATABASE_URL": url,
                                 "BUDGET_LEDGER_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none"},
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Running upgrade 0002 -> 0003" in result.stderr + result.stdout

    async def tables():
        conn = await asyncpg.connect(libpq_dsn(url))
        try:
            return {r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")}
        finally:
            await conn.close()

    import asyncio

    assert {"ledger_entries", "balances", "outbox", "inbox"} <= asyncio.run(tables())
    bad = subprocess.run([sys.executable, "-m", "ecity_common.migrate", "no_such_service"], capture_output=True, text=True)
    assert bad.returncode == 2 and "no service package" in bad.stderr


@pytest.mark.parametrize("name", list(SERVICES))
async def test_the_migrations_build_exactly_the_tables_the_code_declares(services, name):
    """db.py (what the code queries) and migrations/ (what a database gets) are written by hand
    side by side; Alembic's comparison of a migrated database with the metadata finds any drift:
    a table, column, index, type or nullability one has and the other lacks."""
    import asyncio

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy.ext.asyncio import create_async_engine

    from ecity_common.migrations import upgrade

    info = SERVICES[name]
    url = services.database_url(name)
    await asyncio.to_thread(upgrade, importlib.import_module(f"{info.package}.main").MIGRATIONS_DIR, url)
    metadata = importlib.import_module(f"{info.package}.adapters.tables").metadata

    def compare(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": False})
        return compare_metadata(context, metadata)

    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(compare)
    finally:
        await engine.dispose()
    assert differences == [], differences


async def test_a_replica_that_records_no_spans_still_continues_the_callers_trace(services, monkeypatch):
    """Where nothing exports spans, FastAPI's telemetry is off and only the trace context is kept:
    the caller's trace reaches what the request does (logs, events, calls onwards)."""
    import ecity_common.tracing as tracing

    monkeypatch.setattr(tracing, "_recording", False)  # as in a process with no exporter
    app, _ = _app(services, "network-registry")

    @app.get("/test/trace")
    async def where_am_i():
        return {"trace_id": tracing.current_trace_ids()[0]}

    async with running(app) as client:
        caller = "0af7651916cd43dd8448eb211c80319c"
        answer = await client.get("/test/trace", headers={"traceparent": f"00-{caller}-b7ad6b7169203331-01"})
        assert answer.json() == {"trace_id": caller}
        started = (await client.get("/test/trace")).json()["trace_id"]
        assert started not in (None, caller)


SAFE_SECRET = "x" * 48  # a test's stand-in for a random secret of a deployment


@pytest.mark.parametrize(("name", "overrides", "named"), [
    ("citizen-requests", {"jwt_jwks_file": ""}, "CITIZEN_REQUESTS_JWT_JWKS_URL is not set"),
    # not even a long random shared secret: whoever reads it mints tokens for every role
    ("budget-ledger", {"jwt_jwks_file": "", "jwt_secret": SAFE_SECRET}, "BUDGET_LEDGER_JWT_JWKS_URL is not set"),
    # without the key that signs its chain heads, a rewritten history would pass as intact
    ("budget-ledger", {"anchor_signing_key_file": ""}, "BUDGET_LEDGER_ANCHOR_SIGNING_KEY_FILE is not set"),
    ("network-registry", {"seed_demo_data": "true"}, "NETWORK_REGISTRY_SEED_DEMO_DATA is on"),
    ("utilities-gateway", {"seed_demo_data": "false"}, "UTILITIES_GATEWAY_WEBHOOK_SECRETS_KEY is the development default"),
    # a VAPID key made at start would change with each restart and replica: browsers bind to it
    ("notifications", {"vapid_private_key_file": ""}, "NOTIFICATIONS_VAPID_PRIVATE_KEY_FILE is not set"),
    # whoever holds the key confirms any address for anyone, and unsubscribes anyone
    ("notifications", {}, "NOTIFICATIONS_LINK_SIGNING_KEY is the development default"),
])
def test_a_deployed_service_refuses_to_start_with_a_public_secret_or_demo_data(services, processes, name, overrides, named):
    service = processes(services.process(name, mode="deployed", **{"seed_demo_data": "false", **overrides}))
    code = service.wait_exit(60)
    assert code != 0
    log = service.log_file.read_text()
    assert "refusing to start" in log and named in log, log[-3000:]


def test_a_deployed_service_with_its_own_secrets_and_no_demo_data_starts(services, processes):
    """Deployed, with a JWKS (here the local pair's, as a file mounted into a pod would be): tokens
    from `ecity token` pass; an HS256 token made with the development secret does not."""
    import httpx
    from typer.testing import CliRunner

    from ecity_cli.cli import app as ecity
    from ecity_common.auth import mint_token

    service = processes(services.process("utilities-gateway", mode="deployed", seed_demo_data="false",
                                         webhook_secrets_key=SAFE_SECRET))
    service.wait_ready()
    assert "refusing to start" not in service.log_file.read_text()
    minted = CliRunner().invoke(ecity, ["token", "--role", "integrations-admin", "--sub", "it-1"]).output.strip()
    assert httpx.get(f"{service.url}/api/v1/companies", headers={"Authorization": f"Bearer {minted}"}).status_code == 200
    settings = services.settings("utilities-gateway")
    forged = mint_token(settings.model_copy(update={"jwt_jwks_file": None}), subject="it-1", roles=["integrations-admin"])
    refused = httpx.get(f"{service.url}/api/v1/companies", headers={"Authorization": f"Bearer {forged}"})
    assert refused.status_code == 401 and 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    for_another = CliRunner().invoke(ecity, ["token", "--role", "integrations-admin", "--sub", "it-1",
                                             "--service", "budget-ledger"]).output.strip()
    assert httpx.get(f"{service.url}/api/v1/companies", headers={"Authorization": f"Bearer {for_another}"}).status_code == 401


async def test_a_consumer_whose_loop_dies_fails_liveness_so_the_pod_is_restarted(services):
    app, _ = _app(services, "utilities-gateway")
    async with running(app) as client:
        assert (await client.get("/health/live")).status_code == 200
        consumer = app.state.consumer

        async def broken_fetch(*args, **kwargs):
            raise AssertionError("Partition is not assigned")  # what a client library's bug looks like

        consumer._consumer.getmany = broken_fetch
        for _ in range(50):
            if consumer.stopped_by:
                break
            await asyncio.sleep(0.1)
        live = await client.get("/health/live")
        assert live.status_code == 503
        assert live.json() == {"status": "dead", "check": "consumer"}  # the why: in the log
