"""Health answers say which check fails; the log says why, once per failure and then every minute."""

from __future__ import annotations

import logging

from ecity_common.web import health


def test_a_failing_check_is_logged_when_it_starts_each_minute_while_it_lasts_and_when_it_ends(monkeypatch, caplog):
    now = [1000.0]
    monkeypatch.setattr(health.time, "monotonic", lambda: now[0])
    reasons = health._Reasons()
    with caplog.at_level(logging.INFO, logger="ecity.health"):
        reasons.note("database", "OSError: connection refused to 10.0.0.7:5432")
        for _ in range(5):  # probes every 10 s: nothing new to say
            now[0] += 10
            reasons.note("database", "OSError: connection refused to 10.0.0.7:5432")
        now[0] += 15  # a minute since it was said
        reasons.note("database", "InvalidCatalogNameError: database does not exist")
        reasons.note("database", None)
        reasons.note("database", None)
    assert [r.getMessage() for r in caplog.records] == [
        "health check database fails: OSError: connection refused to 10.0.0.7:5432",
        "health check database fails: InvalidCatalogNameError: database does not exist",
        "health check database is ok again",
    ]


async def test_each_readiness_probe_sets_a_gauge_per_check_that_the_not_ready_alert_reads(infra):
    """A real database that answers and one where nobody listens: the probe answers 503 naming the
    failing check, and `ecity_readiness_check` is 1 for the one and 0 for the other until it answers."""
    import httpx
    from fastapi import FastAPI
    from prometheus_client import REGISTRY
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from ecity_cli.infra import free_port

    there = create_async_engine(infra.new_database("health"))
    away = create_async_engine(f"postgresql+asyncpg://ecity@127.0.0.1:{free_port()}/nowhere")
    answering = {"now": False}

    def select_one(engine):
        async def check() -> None:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        return check

    async def flaky() -> None:
        if not answering["now"]:
            await select_one(away)()

    app = FastAPI()
    app.include_router(health.health_router({"database": select_one(there), "replica": flaky}))
    gauge = lambda check: REGISTRY.get_sample_value("ecity_readiness_check", {"check": check})  # noqa: E731
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
            answer = await client.get("/health/ready")
            assert answer.status_code == 503 and answer.json()["checks"] == {"database": "ok", "replica": "unavailable"}
            assert (gauge("database"), gauge("replica")) == (1.0, 0.0)
            answering["now"] = True
            assert (await client.get("/health/ready")).status_code == 200
            assert (gauge("database"), gauge("replica")) == (1.0, 1.0)
    finally:
        await there.dispose()
        await away.dispose()
