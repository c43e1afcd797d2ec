"""Benchmarks of the notifications service (issue 17, item 6):

  (a) latency: an operator's status change committed in citizen-requests → the citizen's e-mail
      accepted by the SMTP server and their push decrypted by the push service. Status changes at
      a fixed rate (open loop, as bench/chain.py: each has a scheduled send time and a late sender
      does not lower the load), each of a different citizen's request; per change, the time from
      the operator call's answer (the commit) and from its scheduled send to each arrival; achieved
      rate, p50/p90/p99/max, missing. Target: p99 < 250 ms at 200 changes/s.
  (a′) the baseline, on the same broker in the same run, at the same rate: one Kafka hop alone
      (bench/chain.py's `kafka_hop`). The path has one Kafka hop; everything else is the services'.
  (b) fan-out: one utilities-gateway `outage.reported` covering 10,000 citizens' places, each
      citizen with one push device → every push decrypted at the push service: messages/s and the
      time from the publish to the last one; when the consumer's 10,000 deliveries became visible
      (committed) against when the dispatch ended. Target: ≥ 1,000 messages/s, one replica.
  (b′) the baseline in the same run: the push service's own ceiling, 10,000 pushes encrypted
      beforehand for the same devices and posted straight to it (httpx, the service's client, 32 in
      flight as the dispatcher's default concurrency).

Real parts only: citizen-requests and notifications are service processes as `ecity up` starts
them (one uvicorn worker each, their relays, consumers and notifications' dispatcher with its
defaults, quiet hours off); every citizen registers its device through
`POST /api/v1/me/push-subscriptions` and files its request through citizen-requests' API, so
notifications learns the reporter from `request.submitted`. The receivers are a process of their
own (bench/notices_receivers.py). Confirmed e-mail contacts, and (b)'s places and devices,
are written into notifications' tables directly: the consent flow and the places API are not what
is measured.

Run: `.venv/bin/python bench/notices.py` (or `make bench`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import orjson
import uvloop
from aiokafka import AIOKafkaProducer
from chain import Filer, kafka_hop, open_loop, summary
from common import bench_infra, save, start_service

from ecity_cli.infra import free_port, repo_root
from ecity_cli.services import SERVICES
from ecity_cli.testing import kafka_options
from ecity_cli.tokens import service_token
from ecity_cli.vapid_key import local_vapid_key
from ecity_common.events import CloudEvent, spec_of
from ecity_common.events.payloads.utilities_gateway import CompanyRef, UtilityOutageReported
from ecity_common.messaging.topics import ensure_topics
from notifications.adapters.push import VapidKey, encrypt

LOGS = repo_root() / ".state" / "bench"
HERE = os.path.dirname(os.path.abspath(__file__))
# The filings' places and the outage's area: the centre of Sumy.
WEST, EAST, SOUTH, NORTH = 34.77, 34.83, 50.89, 50.93
AREA = {"type": "Polygon", "coordinates": [[[WEST, SOUTH], [EAST, SOUTH], [EAST, NORTH], [WEST, NORTH], [WEST, SOUTH]]]}
DESCRIPTION = "Тече труба під асфальтом, вода виходить на тротуар біля під'їзду"
NOTE = "Бригаду КП «Міськводоканал» направлено, роботи почнуться сьогодні"
STATUS_CHANGED = "ua.sumy.ecity.citizen-requests.request.status-changed.v1"
WAIT_S = 90  # after the last status change, how long the messages may take before they count as missing


def bare(url: str) -> str:
    return url.replace("+asyncpg", "")


def spread(n: int) -> tuple[float, float]:
    """The n-th of 997 × 991 places inside the area, none outside it."""
    return (SOUTH + 0.001 + (n * 7919 % 997) / 997 * (NORTH - SOUTH - 0.002),
            WEST + 0.001 + (n * 104729 % 991) / 991 * (EAST - WEST - 0.002))


async def until(what, timeout_s: float, step_s: float = 0.2):
    deadline = time.monotonic() + timeout_s
    while True:
        found = await what()
        if found or time.monotonic() > deadline:
            return found
        await asyncio.sleep(step_s)


def start_receivers(smtp_port: int, control_port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, os.path.join(HERE, "notices_receivers.py"), "--smtp-port",
                                str(smtp_port), "--control-port", str(control_port)],
                               stdout=subprocess.DEVNULL, stderr=open(LOGS / "notifications-receivers.log", "w"))
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{control_port}/notes", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("the receivers never came up (see .state/bench/notifications-receivers.log)")


async def in_parallel(count: int, work, width: int = 16) -> list:
    """Setup calls, `width` at a time (not timed)."""
    results: list = [None] * count
    queue = iter(range(count))

    async def worker():
        for i in queue:
            results[i] = await work(i)

    await asyncio.gather(*(worker() for _ in range(width)))
    return results


# -- (a) latency -------------------------------------------------------------------------------------


async def prepare_citizens(count: int, urls: dict, control: str, notifications_db: str) -> list[str]:
    """Each citizen: a confirmed e-mail, one device registered through the API, one request filed;
    returns the request ids in the citizens' order once notifications knows every reporter."""
    citizens = [f"bench-citizen-{i}" for i in range(count)]
    # A token is for one service (its audience): each citizen holds one for each.
    tokens = {c: f"Bearer {service_token('citizen-requests', c, 'citizen')}" for c in citizens}
    devices_tokens = {c: f"Bearer {service_token('notifications', c, 'citizen')}" for c in citizens}
    async with httpx.AsyncClient(timeout=60) as http:
        server_key = (await http.get(f"{urls['notifications']}/api/v1/push/vapid-public-key")).json()["application_server_key"]
        devices = (await http.post(f"{control}/devices", json={"count": count, "application_server_key": server_key})).json()
    db = await asyncpg.connect(notifications_db)
    try:
        await db.execute("INSERT INTO contacts (citizen_id, channel, address, confirmed_at) "
                         "SELECT c, 'email', c || '@example.org', now() FROM unnest($1::text[]) c", citizens)
    finally:
        await db.close()

    devices_door, filing_desk = Filer(urls["notifications"], 16), Filer(urls["citizen-requests"], 16)
    await devices_door.open()
    await filing_desk.open()
    try:
        async def register(i: int):
            status, answer = await devices_door.post("/api/v1/me/push-subscriptions", devices_tokens[citizens[i]], devices[i])
            if status != 201:
                raise RuntimeError(f"push subscription refused: {status} {answer[:300]!r}")

        async def file(i: int) -> str:
            lat, long = spread(i)
            status, answer = await filing_desk.post("/api/v1/requests", tokens[citizens[i]], {
                "service_code": "water_leak", "description": DESCRIPTION, "attributes": {"where": "street"},
                "lat": lat, "long": long})
            if status != 201:
                raise RuntimeError(f"filing refused: {status} {answer[:300]!r}")
            return orjson.loads(answer)["service_request_id"]

        await in_parallel(count, register)
        print(f"{count} devices registered; filing", file=sys.stderr, flush=True)
        request_ids = await in_parallel(count, file)
    finally:
        await devices_door.close()
        await filing_desk.close()

    async def all_known():
        db = await asyncpg.connect(notifications_db)
        try:
            return await db.fetchval("SELECT count(*) FROM subscriptions WHERE role = 'reporter'") >= count
        finally:
            await db.close()

    if not await until(all_known, 120, 0.5):
        raise RuntimeError("notifications did not learn every reporter within 120 s")
    return request_ids


async def status_changes(citizens_url: str, control: str, request_ids: list[str], rate: float, seconds: float,
                         warmup_s: float) -> dict:
    operator = f"Bearer {service_token('citizen-requests', 'bench-operator', 'operator')}"
    desk = Filer(citizens_url, 32)
    await desk.open()
    offset = 0

    async def change(i: int, scheduled: float):
        rid = request_ids[offset + i]
        sent = time.monotonic()
        try:
            status, answer = await desk.post(f"/api/v1/requests/{rid}/status", operator,
                                             {"status": "accepted", "note": NOTE, "public": True})
        except (OSError, asyncio.IncompleteReadError) as exc:
            return rid, scheduled, sent, time.monotonic(), type(exc).__name__
        answered = time.monotonic()
        return rid, scheduled, sent, answered, 200 if status == 200 else f"{status} {answer[:300].decode(errors='replace')}"

    try:
        await open_loop(rate, warmup_s, change)  # the first changes, connections, caches, the SMTP path
        offset = int(rate * warmup_s)
        changed, achieved = await open_loop(rate, seconds, change)
    finally:
        await desk.close()
    ok = [c for c in changed if c[4] == 200]
    wanted = {c[0] for c in ok}
    async with httpx.AsyncClient(base_url=control, timeout=60) as http:
        async def arrived():
            notes = (await http.get("/notes")).json()
            done = wanted <= notes["email"].keys() and all(f"request-{r}" in notes["push"] for r in wanted)
            return notes if done else None

        notes = await until(arrived, WAIT_S, 0.5) or (await http.get("/notes")).json()
    email, push = notes["email"], {tag.removeprefix("request-"): at[0] for tag, at in notes["push"].items()}
    figures = {"rate": rate, "seconds": seconds, "changed": len(changed), "changed_per_s": achieved, "accepted": len(ok),
               "refused": sorted({str(c[4]) for c in changed if c[4] != 200}),
               "email_missing": len(wanted - email.keys()), "push_missing": len(wanted - push.keys()),
               "push_refused_by_receiver": notes["refused_count"],
               "email_repeated_or_unmatched": notes["email_unmatched"],
               "sender_late_p99_ms": summary([(c[2] - c[1]) * 1000 for c in changed])["p99_ms"]}
    for name, at in (("email", email), ("push", push)):
        figures |= {f"{name}_after_commit_{k}": v for k, v in summary(
            [(at[rid] - answered) * 1000 for rid, _, _, answered, _ in ok if rid in at]).items()}
        figures |= {f"{name}_after_scheduled_{k}": v for k, v in summary(
            [(at[rid] - scheduled) * 1000 for rid, scheduled, _, _, _ in ok if rid in at]).items()}
    figures |= {f"answer_{k}": v for k, v in summary([(a - s) * 1000 for _, s, _, a, _ in ok]).items()}
    figures["request_ids"] = sorted(wanted)
    return figures


async def latency_stages(citizens_db: str, notifications_db: str, request_ids: list[str]) -> dict:
    """Where the time went, from the services' rows (the database's clock; a row's `now()` is its
    transaction's start): the operator's commit → the relay marks the event sent → notifications'
    consumer begins the transaction that owes the deliveries → the dispatcher records them sent."""
    citizens = await asyncpg.connect(citizens_db)
    notifications = await asyncpg.connect(notifications_db)
    try:
        sent = await citizens.fetch("SELECT aggregate_id, event_id, created_at, published_at FROM outbox "
                                    "WHERE type = $1 AND aggregate_id = ANY($2)", STATUS_CHANGED, request_ids)
        handled = {r["event_id"]: r["processed_at"] for r in await notifications.fetch(
            "SELECT event_id, processed_at FROM inbox WHERE event_id = ANY($1)", [r["event_id"] for r in sent])}
        owed = await notifications.fetch("SELECT event_id, channel, created_at, sent_at FROM deliveries "
                                         "WHERE kind = 'request_news' AND status = 'sent'")
    finally:
        await citizens.close()
        await notifications.close()
    by_event = {}
    for row in owed:  # a delivery's event_id is the CloudEvent's "source#id"
        by_event.setdefault(row["event_id"].rsplit("#", 1)[-1], {})[row["channel"]] = row
    relay, hop, to_email, to_push = [], [], [], []

    def ms(a, b) -> float:
        return (b - a).total_seconds() * 1000

    for row in sent:
        if not row["published_at"] or row["event_id"] not in handled:
            continue
        relay.append(ms(row["created_at"], row["published_at"]))
        hop.append(ms(row["published_at"], handled[row["event_id"]]))
        mine = by_event.get(str(row["event_id"]))
        if mine and "email" in mine:
            to_email.append(ms(mine["email"]["created_at"], mine["email"]["sent_at"]))
        if mine and "push" in mine:
            to_push.append(ms(mine["push"]["created_at"], mine["push"]["sent_at"]))
    return {**{f"stage_relay_{k}": v for k, v in summary(relay).items()},
            **{f"stage_kafka_to_handler_{k}": v for k, v in summary(hop).items()},
            **{f"stage_owed_to_email_sent_{k}": v for k, v in summary(to_email).items()},
            **{f"stage_owed_to_push_sent_{k}": v for k, v in summary(to_push).items()}}


# -- (b) fan-out -------------------------------------------------------------------------------------


async def fan_out(kafka, control: str, notifications_db: str, count: int) -> dict:
    async with httpx.AsyncClient(base_url=control, timeout=120) as http:
        server_key = VapidKey.from_file(local_vapid_key()).public_key
        devices = (await http.post("/devices", json={"count": count, "application_server_key": server_key})).json()
    db = await asyncpg.connect(notifications_db)
    try:
        citizens = [f"bench-outage-{i}" for i in range(count)]
        points = [spread(i * 31 + 5) for i in range(count)]
        await db.execute("INSERT INTO places (id, citizen_id, address, lat, long) "
                         "SELECT 'bench-place-' || c, c, 'Суми, точка ' || c, lat, long "
                         "FROM unnest($1::text[], $2::float8[], $3::float8[]) AS t(c, lat, long)",
                         citizens, [p[0] for p in points], [p[1] for p in points])
        await db.execute("INSERT INTO push_subscriptions (id, citizen_id, endpoint, p256dh, auth) "
                         "SELECT 'bench-device-' || c, c, e, k, a FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) "
                         "AS t(c, e, k, a)", citizens, [d["endpoint"] for d in devices],
                         [d["keys"]["p256dh"] for d in devices], [d["keys"]["auth"] for d in devices])
        async with httpx.AsyncClient(base_url=control, timeout=60) as http:
            await http.post("/forget")

        now = datetime.now(UTC)
        outage = UtilityOutageReported(
            outage_id=f"bench-{uuid.uuid4().hex[:8]}", planned=False, area={"geometry": AREA},
            company=CompanyRef(company_id="c-water", name="КП «Міськводоканал»", kind="water"),
            area_description="центр міста", starts_at=now, expected_end=now + timedelta(hours=3), reported_at=now)
        spec = spec_of(UtilityOutageReported)
        event = CloudEvent(source="/ecity/utilities-gateway", type=spec.type, subject=outage.outage_id,
                           data=outage.model_dump(mode="json"))
        topic = "ecity.utilities.v1"
        await ensure_topics(kafka.admin, [topic])
        producer = AIOKafkaProducer(**kafka_options(kafka.admin), enable_idempotence=True, acks="all")
        await producer.start()
        try:
            published_wall, published = datetime.now(UTC), time.monotonic()
            await producer.send_and_wait(topic, event.kafka_value(), key=outage.outage_id.encode(),
                                         headers=event.kafka_headers())
        finally:
            await producer.stop()
        # Watching the table from here: when the 10,000 rows become visible is when the consumer committed.
        committed = all_sent = None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            written, sent = await db.fetchrow(
                "SELECT count(*), count(*) FILTER (WHERE status = 'sent') FROM deliveries WHERE kind = 'outage_news' "
                "AND channel = 'push'")
            at = time.monotonic()
            if committed is None and written >= count:
                committed = at
            if sent >= count:
                all_sent = at
                break
            await asyncio.sleep(0.05)
        tag = f"outage-utility:{outage.outage_id}"  # domain/messages.py: the outage's key
        async with httpx.AsyncClient(base_url=control, timeout=60) as http:
            notes = await until(lambda: _pushes_at_least(http, tag, count), 30, 0.2) or (await http.get("/notes")).json()
        arrivals = notes["push"].get(tag, [])
        rows = await db.fetchrow(
            "SELECT min(created_at) AS owed, count(*) AS written, count(*) FILTER (WHERE status = 'sent') AS sent, "
            "min(sent_at) AS first_sent, max(sent_at) AS last_sent, "
            "count(*) FILTER (WHERE status = 'failed') AS failed FROM deliveries WHERE kind = 'outage_news' AND channel = 'push'")
        handled = await db.fetchval("SELECT processed_at FROM inbox WHERE event_id = $1", event.id)
    finally:
        await db.close()

    def wall(at) -> float | None:
        return (at - published_wall).total_seconds() if at else None

    first, last = (min(arrivals), max(arrivals)) if arrivals else (None, None)
    return {"fanout_count": count, "fanout_pushes_received": len(arrivals), "fanout_other_pushes": notes["push_count"] - len(arrivals), "fanout_written": rows["written"],
            "fanout_sent": rows["sent"], "fanout_failed": rows["failed"], "fanout_refused_by_receiver": notes["refused_count"],
            "fanout_to_last_push_s": last - published if last else None,
            "fanout_per_s": len(arrivals) / (last - published) if last else None,
            "fanout_dispatch_per_s": len(arrivals) / (last - first) if last else None,
            "fanout_to_first_push_s": first - published if last else None,
            "fanout_consumer_began_s": wall(handled), "fanout_rows_stamped_s": wall(rows["owed"]),
            "fanout_committed_s": committed - published if committed else None,
            "fanout_first_sent_s": wall(rows["first_sent"]), "fanout_last_sent_s": wall(rows["last_sent"]),
            "fanout_all_sent_seen_s": all_sent - published if all_sent else None}


async def _pushes_at_least(http, tag: str, count: int):
    notes = (await http.get("/notes")).json()
    return notes if len(notes["push"].get(tag, [])) >= count else None


async def push_ceiling(control: str, count: int, width: int) -> dict:
    """(b′): the push service's own rate for pushes encrypted beforehand, posted straight to it."""
    vapid = VapidKey.from_file(local_vapid_key())
    async with httpx.AsyncClient(base_url=control, timeout=120) as http:
        devices = (await http.post("/devices", json={"count": count, "application_server_key": vapid.public_key})).json()
        await http.post("/forget")
    origin = devices[0]["endpoint"].split("/push/")[0]
    authorization, _ = vapid.header(origin, "mailto:ecity@sumy.ua", time.time())
    payload = orjson.dumps({"title": "Аварійне відключення (водопостачання): точка", "body": "Бенчмарк " * 40,
                            "url": "https://ecity.sumy.ua/", "tag": "outage-bench"})
    bodies = [encrypt(payload, d["keys"]["p256dh"], d["keys"]["auth"]) for d in devices]
    headers = {"TTL": "86400", "Urgency": "normal", "Content-Encoding": "aes128gcm",
               "Content-Type": "application/octet-stream", "Authorization": authorization}
    statuses: dict[int, int] = {}
    async with httpx.AsyncClient(timeout=30) as client:
        async def post(i: int):
            answer = await client.post(devices[i]["endpoint"], content=bodies[i], headers=headers)
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

        start = time.monotonic()
        await in_parallel(count, post, width)
        elapsed = time.monotonic() - start
    return {"ceiling_count": count, "ceiling_per_s": count / elapsed, "ceiling_s": elapsed, "ceiling_statuses": statuses}


# -- the run ------------------------------------------------------------------------------------------


async def run(rate: float, seconds: float, warmup_s: float, fanout: int) -> dict:
    LOGS.mkdir(parents=True, exist_ok=True)
    with bench_infra("notifications") as (kafka, postgres):
        baseline = await kafka_hop(kafka, rate, seconds, 900)  # about a request.status-changed event with its headers
        started: list = []
        try:
            smtp_port, control_port = free_port(), free_port()
            started.append(await asyncio.to_thread(start_receivers, smtp_port, control_port))
            control = f"http://127.0.0.1:{control_port}"
            urls = {}
            for name, extra in (("citizen-requests", {}),
                                ("notifications", {"smtp_port": str(smtp_port), "quiet_hours_begin": "00:00",
                                                   "quiet_hours_end": "00:00", "seed_demo_data": "false"})):
                process = await start_service(name, kafka, postgres, LOGS / f"notifications-{name}.log", **extra)
                started.append(process)
                urls[name] = process.url
            citizens_db = bare(postgres.database_url(SERVICES["citizen-requests"].database))
            notifications_db = bare(postgres.database_url(SERVICES["notifications"].database))
            # The fan-out first, on an idle service: after the latency run a backlog may still be draining.
            print(f"services ready; fan-out to {fanout}", file=sys.stderr, flush=True)
            measured = await fan_out(kafka, control, notifications_db, fanout)
            print("fan-out measured; the push service's ceiling", file=sys.stderr, flush=True)
            measured |= await push_ceiling(control, fanout, 32)
            count = int(rate * (seconds + warmup_s))
            print(f"{count} citizens for the latency", file=sys.stderr, flush=True)
            request_ids = await prepare_citizens(count, urls, control, notifications_db)
            print("every reporter known; changing statuses", file=sys.stderr, flush=True)
            measured |= await status_changes(urls["citizen-requests"], control, request_ids, rate, seconds, warmup_s)
            measured |= await latency_stages(citizens_db, notifications_db, measured.pop("request_ids"))
        finally:
            for process in reversed(started):
                if isinstance(process, subprocess.Popen):
                    process.terminate()
                    process.wait()
                else:
                    process.stop()
    measured |= baseline
    measured["email_to_baseline_p99"] = measured["email_after_commit_p99_ms"] / baseline["baseline_p99_ms"]
    measured["push_to_baseline_p99"] = measured["push_after_commit_p99_ms"] / baseline["baseline_p99_ms"]
    if measured.get("fanout_per_s"):  # the dispatch alone (first push → last) against the push service's own rate
        measured["fanout_to_ceiling"] = measured["fanout_dispatch_per_s"] / measured["ceiling_per_s"]
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=25)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--fanout", type=int, default=10_000)
    parser.add_argument("--out", default="notifications", help="results/<out>.json")
    args = parser.parse_args()
    r = uvloop.run(run(args.rate, args.seconds, args.warmup, args.fanout))
    save(args.out, r)

    def line(name: str, what: str) -> str:
        return (f"p50 {r[f'{name}_{what}_p50_ms']:.1f} ms, p90 {r[f'{name}_{what}_p90_ms']:.1f} ms, "
                f"**p99 {r[f'{name}_{what}_p99_ms']:.1f} ms**, max {r[f'{name}_{what}_max_ms']:.1f} ms")

    def s(key: str) -> str:
        return "—" if r.get(key) is None else f"{r[key]:.2f} s"

    print(f"""
| measure | result | target |
|---|---|---|
| (a′) one Kafka hop at {r['rate']:.0f}/s (produce acks=all → consume), scheduled send → consumed | achieved {r['baseline_per_s']:.0f}/s: p50 {r['baseline_p50_ms']:.1f} ms, p99 {r['baseline_p99_ms']:.1f} ms, max {r['baseline_max_ms']:.1f} ms | baseline |
| (a) status change committed (operator's 200) → e-mail accepted by the SMTP server, {r['seconds']:.0f} s | achieved {r['changed_per_s']:.0f}/s, {r['accepted']:,} changes, {r['email_missing']} missing: {line('email', 'after_commit')} = {r['email_to_baseline_p99']:.1f} × (a′)'s p99 | p99 < 250 ms at 200/s |
| (a) … → push decrypted at the push service | {r['push_missing']} missing: {line('push', 'after_commit')} = {r['push_to_baseline_p99']:.1f} × (a′)'s p99 | p99 < 250 ms at 200/s |
| (a) from the scheduled send: e-mail / push | {line('email', 'after_scheduled')} / {line('push', 'after_scheduled')} | — |
| the operator's answer (scheduled send → 200) | p50 {r['answer_p50_ms']:.1f} ms, p99 {r['answer_p99_ms']:.1f} ms | — |
| (b) one outage → {r['fanout_count']:,} pushes decrypted | {r['fanout_pushes_received']:,} received, **{r['fanout_per_s'] or 0:,.0f} messages/s** publish → last ({s('fanout_to_last_push_s')}); the dispatch alone {r['fanout_dispatch_per_s'] or 0:,.0f}/s = {r.get('fanout_to_ceiling', 0):.2f} × (b′) | ≥ 1,000/s |
| (b′) the push service's ceiling: {r['ceiling_count']:,} pre-encrypted pushes posted straight, 32 in flight | {r['ceiling_per_s']:,.0f} pushes/s | baseline |
""")
    print("stages of (a), p50 / p99 ms: " + ", ".join(
        f"{k}: {r[f'stage_{k}_p50_ms']:.1f} / {r[f'stage_{k}_p99_ms']:.1f}"
        for k in ("relay", "kafka_to_handler", "owed_to_email_sent", "owed_to_push_sent")))
    print(f"stages of (b), seconds after the publish: consumer began {s('fanout_consumer_began_s')}, rows stamped "
          f"{s('fanout_rows_stamped_s')}, committed (seen) {s('fanout_committed_s')}, first push {s('fanout_to_first_push_s')}, "
          f"first sent {s('fanout_first_sent_s')}, last sent {s('fanout_last_sent_s')}, last push {s('fanout_to_last_push_s')}")
    print(f"refused changes: {r['refused']}, sender late p99 {r['sender_late_p99_ms']:.1f} ms, receiver refused "
          f"{r['push_refused_by_receiver']} / fan-out {r['fanout_refused_by_receiver']}, failed {r['fanout_failed']}, "
          f"ceiling statuses {r['ceiling_statuses']}")


if __name__ == "__main__":
    main()
