"""A rolling restart loses nothing: SIGTERM one of two replicas under load, and no citizen sees an error.

What routes traffic here is a small balancer that does what a Kubernetes Service does: it sends
only to replicas whose `/health/ready` answers 200, as it last saw it (probed every 0.2 s). The
clients never retry: any error, refused connection or non-2xx answer counts as a failure.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
import time
import uuid

import asyncpg
import httpx
import pytest

from ecity_cli.testing import bearer
from ecity_common.doorbell import libpq_dsn

# Loads the machine (brokers and replicas killed, a shutdown timed): one at a time, in one
# process of a parallel run (see ecity_cli.testing).
pytestmark = pytest.mark.xdist_group("machine")

DRAIN_S = 2.0


class Balancer:
    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.ready = set(urls)
        self._turn = itertools.count()

    async def probe(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=1.0) as client:
            while not stop.is_set():
                for url in self.urls:
                    try:
                        ok = (await client.get(f"{url}/health/ready")).status_code == 200
                    except httpx.HTTPError:
                        ok = False
                    (self.ready.add if ok else self.ready.discard)(url)
                await asyncio.sleep(0.2)

    def pick(self) -> str:
        ready = sorted(self.ready)
        assert ready, "no replica ready"
        return ready[next(self._turn) % len(ready)]


async def test_sigterm_under_load_fails_no_request_and_loses_nothing(services, processes):
    overrides = {"shutdown_drain_s": str(DRAIN_S), "create_limit_per_citizen": "100000"}
    replicas = [processes(services.process("citizen-requests", **overrides)) for _ in range(2)]
    for replica in replicas:
        replica.wait_ready()
    settings = services.settings("citizen-requests")
    balancer = Balancer([r.url for r in replicas])
    stop = asyncio.Event()
    probing = asyncio.create_task(balancer.probe(stop))
    answered: list[tuple[str, str]] = []  # (replica, request id) of each 201
    failures: list[str] = []
    auth = bearer(settings, "citizen-rolling", "citizen")

    async def citizen(n: int, client: httpx.AsyncClient) -> None:
        for i in itertools.count():
            if stop.is_set():
                return
            url = balancer.pick()
            try:
                response = await client.post(
                    f"{url}/api/v1/requests",
                    json={"service_code": "water_leak", "attributes": {"where": "street"},
                          "description": f"Прорив труби {n}-{i}", "address": "вул. Соборна, 1"},
                    headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
                )
                if response.status_code == 201:
                    answered.append((url, response.json()["service_request_id"]))
                else:
                    failures.append(f"{url}: {response.status_code} {response.text[:200]}")
            except httpx.HTTPError as exc:
                failures.append(f"{url}: {type(exc).__name__}: {exc}")
            await asyncio.sleep(0.02)

    async with httpx.AsyncClient(timeout=10.0) as client:
        load = [asyncio.create_task(citizen(n, client)) for n in range(6)]
        await asyncio.sleep(2.0)
        doomed = replicas[0]
        signalled = time.monotonic()
        doomed.process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(doomed.wait_exit, 30)
        stopped_in = time.monotonic() - signalled
        await asyncio.sleep(1.0)  # the survivor carries on alone
        stop.set()
        await asyncio.gather(*load, probing)

    assert failures == [], failures[:5]
    assert code == -signal.SIGTERM  # uvicorn re-raises the signal once it has shut down cleanly
    assert DRAIN_S <= stopped_in < DRAIN_S + 15, stopped_in
    by_replica = {url: sum(1 for u, _ in answered if u == url) for url in balancer.urls}
    assert all(n > 0 for n in by_replica.values()), by_replica  # both replicas really served
    assert any(u == doomed.url for u, _ in answered)

    # Nothing lost, nothing twice: each answered request is one row, and each row's event was sent.
    conn = await asyncpg.connect(libpq_dsn(services.database_url("citizen-requests")))
    try:
        ids = {r["id"] for r in await conn.fetch("SELECT id FROM citizen_requests")}
        deadline = time.monotonic() + 20
        while await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        unsent = await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
    finally:
        await conn.close()
    assert ids == {request_id for _, request_id in answered}
    assert len(answered) == len(ids)
    assert unsent == 0
    log = doomed.log_file.read_text()
    assert "draining for 2.0 s" in log, log[-2000:]
