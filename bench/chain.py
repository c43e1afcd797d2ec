"""Benchmark of the whole chain that exists today, end to end: a citizen's utility filing in
citizen-requests → `request.submitted` on Kafka → utilities-gateway routes it to the company whose
service area covers the place → the company's webhook (`request.routed`, signed) arrives at its
receiver. Issue 17, item 6: p99 < 150 ms at 200 filings/s.

  (a) the chain: filings at a fixed rate (open loop: each has a scheduled send time, and a late
      sender does not lower the load, so no coordinated omission), each a different citizen's, at
      a place inside the company's area; per filing, the time from its scheduled send to the
      webhook's arrival at the receiver (matched by the request id in the signed payload), and
      from the 201 answer to the webhook; achieved rate, p50/p90/p99/max, delivered, missing;
  (b) the baseline, on the same broker in the same run, at the same rate: one Kafka hop alone,
      a record of the event's size produced (acks=all, idempotent, as the relay does) and
      consumed (as a service's consumer does), scheduled send → consumed.

Real parts only: both services are service processes as `ecity up` starts them (one uvicorn worker
each, their relays, consumers and the gateway's dispatcher with its defaults); the company is
registered through the staff's API, gets its key and registers its endpoint through its own API;
the receiver is a process of its own that checks every signature (Standard Webhooks) as a
company's integrator would before trusting the body.

Run: `.venv/bin/python bench/chain.py` (or `make bench`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import textwrap
import time
import uuid

import asyncpg
import httpx
import orjson
import uvloop
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from common import bench_infra, save, start_service

from ecity_cli.infra import free_port, repo_root
from ecity_cli.services import SERVICES
from ecity_cli.tokens import service_token

LOGS = repo_root() / ".state" / "bench"
# The company's district: a rectangle in the centre of Sumy, and the filings land inside it.
WEST, EAST, SOUTH, NORTH = 34.77, 34.83, 50.89, 50.93
DISTRICT = {"type": "Polygon", "coordinates": [[[WEST, SOUTH], [EAST, SOUTH], [EAST, NORTH], [WEST, NORTH], [WEST, SOUTH]]]}
CITIZENS = 3000  # each under the service's creation limit (20 per 10 minutes)
DESCRIPTION = "Тече труба під асфальтом, вода виходить на тротуар біля під'їзду"

# The company's receiver: checks the signature first (the secret arrives in the environment), as
# an integrator must before trusting the body, then notes when each request's message arrived
# (CLOCK_MONOTONIC, which every process on the machine shares) and answers 204. GET hands the
# notes over. Forged or stale messages are counted, not noted.
RECEIVER_APP = textwrap.dedent('''
    import base64, hashlib, hmac, json, os, time
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    KEY = base64.b64decode(os.environ["RECEIVER_SECRET"].removeprefix("whsec_"))
    TOLERANCE_S = 300
    arrived, refused = {}, []


    def verified(headers, body: bytes) -> bool:
        msg_id, stamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > TOLERANCE_S:
            return False
        expected = base64.b64encode(hmac.new(KEY, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest())
        return any(hmac.compare_digest(expected, given.removeprefix("v1,").encode())
                   for given in headers.get("webhook-signature", "").split() if given.startswith("v1,"))


    async def hook(request):
        body = await request.body()
        at = time.monotonic()
        if not verified(request.headers, body):
            refused.append(request.headers.get("webhook-id"))
            return Response(status_code=401)
        message = json.loads(body)
        if message["type"] == "request.routed":
            arrived.setdefault(message["data"]["request_id"], at)  # a redelivery keeps the first arrival
        return Response(status_code=204)


    async def notes(request):
        return JSONResponse({"arrived": arrived, "refused": refused})

    app = Starlette(routes=[Route("/hooks/ecity", hook, methods=["POST"]), Route("/notes", notes)])
''')


def pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


def summary(latencies_ms: list[float]) -> dict:
    v = sorted(latencies_ms)
    return {"p50_ms": pct(v, 0.50), "p90_ms": pct(v, 0.90), "p99_ms": pct(v, 0.99), "max_ms": v[-1] if v else float("nan")}


async def open_loop(rate: float, seconds: float, send) -> tuple[list, float]:
    """Calls `send(i, scheduled)` as its own task at scheduled instants `rate` per second for
    `seconds`; returns what the calls returned and the achieved rate of sends."""
    count = int(rate * seconds)
    start = time.monotonic() + 0.05
    tasks = []
    for i in range(count):
        scheduled = start + i / rate
        delay = scheduled - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(i, scheduled)))
    last_sent = time.monotonic()
    results = await asyncio.gather(*tasks)
    return results, (count - 1) / (last_sent - start)


async def kafka_hop(kafka, rate: float, seconds: float, size: int) -> dict:
    """(b): one Kafka hop at the chain's rate, as the relay produces and a service consumes."""
    options = kafka.admin.client_options()
    topic = f"bench.chain-baseline.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(**options, enable_idempotence=True, acks="all", linger_ms=0)
    consumer = AIOKafkaConsumer(topic, **options, group_id=f"bench-{uuid.uuid4().hex[:8]}", enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await producer.start()
    await consumer.start()
    scheduled_at: dict[bytes, float] = {}
    consumed: dict[bytes, float] = {}
    count = int(rate * seconds)

    async def consume():
        while len(consumed) < count:
            batch = await consumer.getmany(timeout_ms=200)
            at = time.monotonic()
            for records in batch.values():
                for record in records:
                    if record.key != b"warm":  # the warm-up record, if the first read missed it
                        consumed[record.key] = at
            if batch:
                await consumer.commit()

    payload = b"x" * size

    async def send(i: int, scheduled: float):
        key = f"k{i}".encode()
        scheduled_at[key] = scheduled
        await producer.send_and_wait(topic, payload, key=key)

    try:
        await producer.send_and_wait(topic, b"warm", key=b"warm")
        await consumer.getmany(timeout_ms=5000)
        reading = asyncio.create_task(consume())
        _, achieved = await open_loop(rate, seconds, send)
        await asyncio.wait_for(reading, 60)
    finally:
        await producer.stop()
        await consumer.stop()
    return {"baseline_per_s": achieved, "baseline_events": count,
            **{f"baseline_{k}": v for k, v in summary([(consumed[k] - scheduled_at[k]) * 1000 for k in consumed]).items()}}


def start_receiver(port: int, secret: str) -> subprocess.Popen:
    (LOGS / "chain_receiver.py").write_text(RECEIVER_APP)
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "chain_receiver:app", "--app-dir", str(LOGS), "--port",
                                str(port), "--loop", "uvloop", "--no-access-log", "--log-level", "warning"],
                               env={**os.environ, "RECEIVER_SECRET": secret}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/notes", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("the receiver never came up")


async def register_company(gateway: str, receiver: str) -> str:
    """The city's integrations staff register the company and issue its key; the company registers
    its endpoint with its key and keeps the signing secret it is shown once."""
    staff = {"Authorization": f"Bearer {service_token('utilities-gateway', 'bench-staff', 'integrations-admin')}"}
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as http:
        company = (await http.post("/api/v1/companies", headers=staff, json={
            "name": "КП «Водоканал центр» (бенчмарк)", "kind": "water", "edrpou": "03352432",
            "area": {"geometry": DISTRICT}, "service_codes": ["water_leak"]})).raise_for_status().json()
        key = (await http.post(f"/api/v1/companies/{company['id']}/api-keys", headers=staff,
                               json={"label": "bench"})).raise_for_status().json()["api_key"]
        endpoint = (await http.post("/integrations/v1/webhook-endpoints", headers={"Authorization": f"Bearer {key}"},
                                    json={"url": f"{receiver}/hooks/ecity", "event_types": ["request.routed"]}))
        return endpoint.raise_for_status().json()["secret"]


class Filer:
    """The citizens' app, cheaply: HTTP/1.1 over a few kept-alive connections, written and read by
    hand. httpx cost the load generator ~1 ms of CPU a request and more as requests queued in its
    pool; at 200/s on two shared cores it fell behind and measured itself."""

    def __init__(self, url: str, connections: int) -> None:
        self._host, self._port = httpx.URL(url).host, httpx.URL(url).port
        self._free: asyncio.Queue = asyncio.Queue()
        self._connections = connections

    async def open(self) -> None:
        for _ in range(self._connections):
            self._free.put_nowait(await asyncio.open_connection(self._host, self._port))

    async def close(self) -> None:
        while not self._free.empty():
            self._free.get_nowait()[1].close()

    async def post(self, path: str, token: str, body: dict) -> tuple[int, bytes]:
        payload = orjson.dumps(body)
        reader, writer = await self._free.get()
        try:
            writer.write(f"POST {path} HTTP/1.1\r\nHost: {self._host}\r\nAuthorization: {token}\r\n"
                         f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n".encode() + payload)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
            answer = await reader.readexactly(length)
        except BaseException:
            writer.close()
            self._free.put_nowait(await asyncio.open_connection(self._host, self._port))
            raise
        self._free.put_nowait((reader, writer))
        return status, answer


async def chain(citizens_url: str, receiver: str, rate: float, seconds: float, warmup_s: float) -> dict:
    tokens = [f"Bearer {service_token('citizen-requests', f'bench-citizen-{i}', 'citizen')}" for i in range(CITIZENS)]
    filer = Filer(citizens_url, 32)
    await filer.open()
    offset = 0

    async def file(i: int, scheduled: float):
        n = offset + i
        sent = time.monotonic()
        try:
            status, answer = await filer.post("/api/v1/requests", tokens[n % CITIZENS], {
                "service_code": "water_leak", "description": DESCRIPTION, "attributes": {"where": "street"},
                # spread over the district: 997 × 991 places, none outside it
                "lat": SOUTH + 0.001 + (n * 7919 % 997) / 997 * (NORTH - SOUTH - 0.002),
                "long": WEST + 0.001 + (n * 104729 % 991) / 991 * (EAST - WEST - 0.002)})
        except (OSError, asyncio.IncompleteReadError) as exc:  # counted as a filing that failed, not hidden
            return None, scheduled, sent, time.monotonic(), type(exc).__name__
        answered = time.monotonic()
        if status != 201:
            return None, scheduled, sent, answered, f"{status} {answer[:300].decode(errors='replace')}"
        return orjson.loads(answer)["service_request_id"], scheduled, sent, answered, 201

    try:
        print(f"{CITIZENS} tokens minted; warming up", file=sys.stderr, flush=True)
        await open_loop(rate, warmup_s, file)  # the services' first filings, connections, caches
        offset = int(rate * warmup_s)
        filed, achieved = await open_loop(rate, seconds, file)
    finally:
        await filer.close()
    ok = [f for f in filed if f[0]]
    wanted = {f[0] for f in ok}
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient(base_url=receiver, timeout=30) as http:
        while True:  # until every filing's webhook has arrived, or 30 s more have passed
            notes = (await http.get("/notes")).json()
            if wanted <= notes["arrived"].keys() or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
    arrived = notes["arrived"]
    chain_ms = [(arrived[rid] - scheduled) * 1000 for rid, scheduled, _, _, _ in ok if rid in arrived]
    after_answer_ms = [(arrived[rid] - answered) * 1000 for rid, _, _, answered, _ in ok if rid in arrived]
    answer_ms = [(answered - scheduled) * 1000 for _, scheduled, _, answered, _ in ok]
    late_ms = [(sent - scheduled) * 1000 for _, scheduled, sent, _, _ in filed]
    return {"request_ids": sorted(wanted), "rate": rate, "seconds": seconds, "filed": len(filed), "filed_per_s": achieved, "accepted": len(ok),
            "refused": sorted({f[4] for f in filed if not f[0]}), "delivered": len(chain_ms),
            "missing": len(wanted - arrived.keys()), "forged_or_stale": len(notes["refused"]),
            **{f"chain_{k}": v for k, v in summary(chain_ms).items()},
            **{f"after_answer_{k}": v for k, v in summary(after_answer_ms).items()},
            **{f"answer_{k}": v for k, v in summary(answer_ms).items()},
            "sender_late_p99_ms": summary(late_ms)["p99_ms"]}


STAGES_CITIZENS = """
SELECT aggregate_id, event_id, created_at, published_at FROM outbox
WHERE type = 'ua.sumy.ecity.citizen-requests.request.submitted.v1' AND aggregate_id = ANY($1)
"""
STAGES_GATEWAY = """
SELECT m.body->'data'->>'request_id' AS request_id, d.created_at AS staged, a.at AS attempted
FROM deliveries d JOIN company_messages m ON m.seq = d.message_seq
JOIN delivery_attempts a ON a.delivery_id = d.id AND a.attempt = 1
WHERE m.type = 'request.routed'
"""


async def stages(postgres, request_ids: list[str]) -> dict:
    """Where the time went, from the services' own rows (one clock, the database's; each row's
    `now()` is its transaction's start): the citizen's commit → the relay marks the event sent →
    the gateway's consumer begins the transaction that routes it and stages the delivery → the
    dispatcher starts the attempt."""
    citizens = await asyncpg.connect(postgres.database_url(SERVICES["citizen-requests"].database).replace("+asyncpg", ""))
    gateway = await asyncpg.connect(postgres.database_url(SERVICES["utilities-gateway"].database).replace("+asyncpg", ""))
    try:
        sent = {r["aggregate_id"]: r for r in await citizens.fetch(STAGES_CITIZENS, request_ids)}
        handled = {r["event_id"]: r["processed_at"] for r in await gateway.fetch(
            "SELECT event_id, processed_at FROM inbox WHERE event_id = ANY($1)", [r["event_id"] for r in sent.values()])}
        attempted = {r["request_id"]: r for r in await gateway.fetch(STAGES_GATEWAY)}
    finally:
        await citizens.close()
        await gateway.close()
    relay, hop, dispatch = [], [], []
    for rid, row in sent.items():
        if row["published_at"] and row["event_id"] in handled and rid in attempted:
            relay.append((row["published_at"] - row["created_at"]).total_seconds() * 1000)
            hop.append((handled[row["event_id"]] - row["published_at"]).total_seconds() * 1000)
            dispatch.append((attempted[rid]["attempted"] - attempted[rid]["staged"]).total_seconds() * 1000)
    return {**{f"stage_relay_{k}": v for k, v in summary(relay).items()},
            **{f"stage_kafka_to_routing_{k}": v for k, v in summary(hop).items()},
            **{f"stage_staged_to_attempt_{k}": v for k, v in summary(dispatch).items()}}


async def run(rate: float, seconds: float, warmup_s: float) -> dict:
    LOGS.mkdir(parents=True, exist_ok=True)
    with bench_infra("chain") as (kafka, postgres):
        baseline = await kafka_hop(kafka, rate, seconds, 700)  # about a request.submitted event with its headers
        started: list = []
        try:
            urls = {}
            for name, extra in (("utilities-gateway", {"seed_demo_data": "false", "webhook_allow_private_targets": "true",
                                                       "webhook_allow_http": "true"}),
                                ("citizen-requests", {})):
                process = await start_service(name, kafka, postgres, LOGS / f"chain-{name}.log", **extra)
                started.append(process)
                urls[name] = process.url
            # The endpoint is registered first (its secret is shown then), the receiver started on its port with it.
            port = free_port()
            print("services ready; registering the company", file=sys.stderr, flush=True)
            secret = await register_company(urls["utilities-gateway"], f"http://127.0.0.1:{port}")
            receiver = await asyncio.to_thread(start_receiver, port, secret)
            started.append(receiver)
            print("receiver ready; filing", file=sys.stderr, flush=True)
            measured = await chain(urls["citizen-requests"], f"http://127.0.0.1:{port}", rate, seconds, warmup_s)
            measured.update(await stages(postgres, measured.pop("request_ids")))
        finally:
            for process in reversed(started):
                if isinstance(process, subprocess.Popen):
                    process.terminate()
                    process.wait()
                else:
                    process.stop()
    return {**measured, **baseline, "chain_to_baseline_p99": measured["chain_p99_ms"] / baseline["baseline_p99_ms"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--out", default="chain", help="results/<out>.json")
    args = parser.parse_args()
    r = uvloop.run(run(args.rate, args.seconds, args.warmup))
    save(args.out, r)
    print(f"""
| measure | result | target |
|---|---|---|
| (b) one Kafka hop at {r['rate']:.0f}/s (produce acks=all → consume), scheduled send → consumed | achieved {r['baseline_per_s']:.0f}/s: p50 {r['baseline_p50_ms']:.1f} ms, p90 {r['baseline_p90_ms']:.1f} ms, p99 {r['baseline_p99_ms']:.1f} ms, max {r['baseline_max_ms']:.1f} ms | baseline |
| (a) filing → the company's webhook arrived, scheduled send → arrival, {r['seconds']:.0f} s | achieved {r['filed_per_s']:.0f}/s, {r['accepted']:,} filed, {r['delivered']:,} delivered, {r['missing']} missing: p50 {r['chain_p50_ms']:.1f} ms, p90 {r['chain_p90_ms']:.1f} ms, **p99 {r['chain_p99_ms']:.1f} ms**, max {r['chain_max_ms']:.1f} ms = {r['chain_to_baseline_p99']:.1f} × (b)'s p99 | p99 < 150 ms at 200/s |
| … of which the filing's answer (scheduled send → 201) | p50 {r['answer_p50_ms']:.1f} ms, p99 {r['answer_p99_ms']:.1f} ms | — |
| … and the 201 answer → webhook arrived | p50 {r['after_answer_p50_ms']:.1f} ms, p90 {r['after_answer_p90_ms']:.1f} ms, p99 {r['after_answer_p99_ms']:.1f} ms | — |
""")
    print("stages (p50 / p99 ms): " + ", ".join(f"{k}: {r[f'stage_{k}_p50_ms']:.1f} / {r[f'stage_{k}_p99_ms']:.1f}"
                                                for k in ("relay", "kafka_to_routing", "staged_to_attempt")))
    print(f"refused filings: {r['refused']}, forged or stale at the receiver: {r['forged_or_stale']}, "
          f"sender late p99 {r['sender_late_p99_ms']:.1f} ms")


if __name__ == "__main__":
    main()
