"""The webhook dispatcher: sends due deliveries, records every attempt, schedules the next.

Deliveries live in the database, so a restart loses none. The dispatcher claims due deliveries
with `FOR UPDATE SKIP LOCKED` and a lease (several replicas share the work; a dead one's claims
come back when their leases run out), starts each as its own task, and records finished attempts
in batches, in one transaction each. It claims more as soon as there is room, so one slow company
never holds up another: at most `webhook_endpoint_concurrency` requests are in flight to one
endpoint (each endpoint has its own small connection pool) and `webhook_concurrency` in all; an
endpoint never has more than four times its slots claimed; every attempt has an overall time limit
and reads at most a few kilobytes of the answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from prometheus_client import Counter as MetricCounter
from prometheus_client import Histogram
from sqlalchemy import bindparam, insert, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecity_common.doorbell import keep_listening
from ecity_common.messaging.recovery import Recovery
from utilities_gateway.adapters.sealed import SecretBox
from utilities_gateway.adapters.tables import DELIVERIES_CHANNEL, deliveries, delivery_attempts, webhook_endpoints
from utilities_gateway.adapters.webhook_targets import UnsafeTarget, check_url, guarded_transport
from utilities_gateway.domain.webhooks import headers, settle
from utilities_gateway.settings import Settings

log = logging.getLogger(__name__)

# What the IT department watches of the companies' webhooks (the alert EcityWebhookFailures reads
# the attempts). Every label value exists from the start, so a dashboard shows 0, not "no data".
ATTEMPTS = MetricCounter("ecity_webhook_attempts_total", "Webhook delivery attempts, by how the receiver answered.", ["result"])
ATTEMPT_SECONDS = Histogram("ecity_webhook_attempt_duration_seconds", "How long a webhook attempt took, answer or not.",
                            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30))
DELIVERIES_FINISHED = MetricCounter("ecity_webhook_deliveries_finished_total",
                              "Webhook deliveries finished, delivered or given up after every attempt.", ["status"])
ENDPOINTS_DISABLED = MetricCounter("ecity_webhook_endpoints_disabled_total", "Webhook endpoints disabled (the receiver said 410 Gone).")
for _result in ("2xx", "3xx", "4xx", "5xx", "no_answer"):
    ATTEMPTS.labels(_result)
for _status in ("succeeded", "failed"):
    DELIVERIES_FINISHED.labels(_status)


def attempt_result(status_code: int | None) -> str:
    return "no_answer" if status_code is None else f"{min(max(status_code // 100, 2), 5)}xx"
ANSWER_READ_BYTES = 4096
RECORD_BATCH = 64
RECORD_LINGER_S = 0.05

# The oldest due deliveries, at most :per_endpoint of any one endpoint and none of the endpoints
# this dispatcher already has enough of (:busy).
_CLAIM = text("""
WITH candidates AS (
    SELECT d.id, d.next_attempt_at,
           row_number() OVER (PARTITION BY d.endpoint_id ORDER BY d.next_attempt_at) AS nth
    FROM (SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= now()
            AND (leased_until IS NULL OR leased_until < now()) AND endpoint_id <> ALL(CAST(:busy AS text[]))
          ORDER BY next_attempt_at LIMIT 5000) d
    JOIN webhook_endpoints e ON e.id = d.endpoint_id
    WHERE e.enabled
), due AS (
    SELECT d.id FROM deliveries d
    WHERE d.id IN (SELECT id FROM candidates WHERE nth <= :per_endpoint)
    ORDER BY d.next_attempt_at
    LIMIT :limit
    FOR UPDATE OF d SKIP LOCKED
), claimed AS (
    UPDATE deliveries d SET leased_until = now() + make_interval(secs => :lease), attempts = d.attempts + 1
    FROM due WHERE d.id = due.id
    RETURNING d.id, d.attempts, d.endpoint_id, d.message_seq
)
SELECT c.id, c.attempts, c.endpoint_id, e.url, e.secret, e.previous_secret, e.previous_secret_expires_at,
       m.id AS message_id, m.body
FROM claimed c JOIN webhook_endpoints e ON e.id = c.endpoint_id JOIN company_messages m ON m.seq = c.message_seq
""")


@dataclass
class Attempt:
    delivery_id: int
    attempt: int
    endpoint_id: str
    at: datetime
    status_code: int | None
    duration_ms: float
    error: str | None
    retry_after: str | None


def body_bytes(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


class Dispatcher:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings, box: SecretBox) -> None:
        self._sessions = sessions
        self._settings = settings
        self._endpoints: dict[str, tuple[httpx.AsyncClient, asyncio.Semaphore]] = {}
        self._tasks: set[asyncio.Task] = set()
        self._claimed: Counter[str] = Counter()  # claimed and unfinished, per endpoint
        self._per_endpoint = 8 * settings.webhook_endpoint_concurrency
        self._last_record = 0.0
        self._finished: list[Attempt] = []
        self._wake = asyncio.Event()  # a delivery announced, or an attempt finished
        self._box = box
        self._unsealed: dict[str, str] = {}
        self._in_flight = asyncio.Semaphore(settings.webhook_concurrency)
        self.recovery = Recovery("webhook-dispatcher", log)
        # Long enough for an endpoint's claimed deliveries to time out, round after round, before
        # another dispatcher may take them over.
        rounds = -(-self._per_endpoint // settings.webhook_endpoint_concurrency)
        self._lease_s = max(settings.webhook_lease_s, rounds * settings.webhook_timeout_s * 1.5)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        # New deliveries ring at their commit (the consumer staging them may be another replica's);
        # the poll interval is the backstop.
        stopping = asyncio.Event()
        listening = asyncio.create_task(keep_listening(self._settings.database_url, DELIVERIES_CHANNEL, self._wake,
                                                       stopping, what="webhook deliveries"))
        try:
            while True:
                try:
                    await self._claim_and_start()
                    await self._record_finished(force=not self._tasks)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - claimed deliveries keep their lease; finished ones wait
                    self.recovery.failed(exc, "dispatching webhooks")
                    await self.recovery.pause()
                    continue
                self.recovery.recovered()
                # Until an attempt finishes, a new delivery rings or is announced, or the poll interval passes.
                self._wake.clear()
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._settings.webhook_poll_interval_s)
        finally:
            stopping.set()
            listening.cancel()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            with suppress(Exception):
                await self._record_finished()  # what did finish is written; the rest returns with its lease
            for client, _ in self._endpoints.values():
                await client.aclose()

    async def _claim_and_start(self) -> int:
        room = self._settings.webhook_batch_size - len(self._tasks)
        if room <= 0 or (self._tasks and room < self._settings.webhook_batch_size // 4):
            return 0  # claims are round trips: make them when there is room for a good few
        busy = [e for e, n in self._claimed.items() if n >= self._per_endpoint]
        async with self._sessions() as session, session.begin():
            batch = (await session.execute(_CLAIM, {"limit": room, "lease": self._lease_s, "busy": busy,
                                                    "per_endpoint": self._per_endpoint})).all()
        for row in batch:
            self._claimed[row.endpoint_id] += 1
            task = asyncio.create_task(self._send(row))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(batch)

    async def _record_finished(self, force: bool = True) -> None:
        # Attempts are written in batches: at once when nothing else is running, otherwise once
        # a good few have finished or the oldest has waited RECORD_LINGER_S.
        now = time.monotonic()
        if self._finished and (force or len(self._finished) >= RECORD_BATCH
                               or now - self._last_record >= RECORD_LINGER_S):
            done, self._finished = self._finished, []
            self._last_record = now
            try:
                await self._record(done)
            except BaseException:
                # Not written (the database is away, or shutdown came): the attempts stay to be
                # written on the next round, not forgotten with their deliveries' leases running.
                self._finished[:0] = done
                raise

    def _unseal(self, sealed: str) -> str:
        # A sealed value is unique (a random IV each time) and stays in the row until the secret
        # rotates, so opening it once per endpoint is enough; decrypting per delivery cost the
        # dispatcher a tenth of its throughput.
        if (secret := self._unsealed.get(sealed)) is None:
            if len(self._unsealed) >= 10_000:
                self._unsealed.clear()
            secret = self._unsealed[sealed] = self._box.open(sealed)
        return secret

    def _endpoint(self, endpoint_id: str) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        if endpoint_id not in self._endpoints:
            per_endpoint = self._settings.webhook_endpoint_concurrency
            transport = guarded_transport(allow_private=self._settings.webhook_allow_private_targets,
                                          max_connections=per_endpoint)
            self._endpoints[endpoint_id] = (httpx.AsyncClient(
                transport=transport, timeout=self._settings.webhook_timeout_s,
                follow_redirects=False),  # a redirect could point anywhere
                asyncio.Semaphore(per_endpoint))
        return self._endpoints[endpoint_id]

    async def _send(self, row) -> None:
        client, endpoint_slots = self._endpoint(row.endpoint_id)
        try:
            async with endpoint_slots, self._in_flight:  # the endpoint's slot first: a busy one holds no global slot
                attempt = await self._attempt(client, row)
        finally:
            self._claimed[row.endpoint_id] -= 1
        self._finished.append(attempt)
        self._wake.set()

    async def _attempt(self, client: httpx.AsyncClient, row) -> Attempt:
        now = datetime.now(UTC)
        body = body_bytes(row.body)
        started = time.perf_counter()
        status = retry_after = error = None
        try:
            signing = [self._unseal(row.secret)]
            if row.previous_secret and row.previous_secret_expires_at and row.previous_secret_expires_at > now:
                signing.append(self._unseal(row.previous_secret))
            # The form of the URL here; its addresses when the connection is made (targets.py).
            check_url(row.url, allow_http=self._settings.webhook_allow_http)
            # The whole attempt, not each read, is bounded; and of the answer only its start is
            # read: a receiver that trickles or floods cannot hold a slot.
            async with asyncio.timeout(self._settings.webhook_timeout_s):
                async with client.stream("POST", row.url, content=body, headers=headers(
                        signing, row.message_id, int(now.timestamp()), body)) as response:
                    status, retry_after = response.status_code, response.headers.get("retry-after")
                    start = b""  # (a short answer read to its end lets the connection be reused)
                    async for chunk in response.aiter_bytes():
                        start += chunk
                        if len(start) >= ANSWER_READ_BYTES:
                            break
                    if not 200 <= status < 300:
                        error = f"HTTP {status}: {start[:200].decode(errors='replace')}"
        except UnsafeTarget as exc:
            error = f"refused target: {exc}"
        except ValueError as exc:  # the secret cannot be unsealed: nothing is sent unsigned
            error = f"cannot sign: {exc}"
        except httpx.ConnectError as exc:
            error = str(exc)[:300] if "refused target" in str(exc) else f"ConnectError: {exc}"[:300]
        except (httpx.TimeoutException, TimeoutError):
            error = f"no answer within {self._settings.webhook_timeout_s:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        return Attempt(row.id, row.attempts, row.endpoint_id, now, status, (time.perf_counter() - started) * 1000,
                       error, retry_after)

    async def _record(self, attempts: list[Attempt]) -> None:
        now = datetime.now(UTC)
        updates, disabled = [], []
        finished = []
        for a in attempts:
            settled = settle(a.status_code, a.retry_after, a.attempt, self._settings.webhook_retry_schedule_s)
            if settled.status != "pending":
                finished.append(settled.status)
            row = {"d_id": a.delivery_id, "leased_until": None, "last_status_code": a.status_code,
                   "last_error": a.error, "status": settled.status, "next_attempt_at": now, "finished_at": None}
            if settled.status == "pending":
                row["next_attempt_at"] = now + timedelta(seconds=settled.delay_s)
            else:
                row["finished_at"] = now
            if settled.disable_endpoint:
                disabled.append(a.endpoint_id)
            updates.append(row)
        async with self._sessions() as session, session.begin():
            await session.execute(insert(delivery_attempts), [
                {"delivery_id": a.delivery_id, "attempt": a.attempt, "at": a.at, "status_code": a.status_code,
                 "duration_ms": round(a.duration_ms, 2), "error": a.error} for a in attempts])
            await session.execute(
                update(deliveries).where(deliveries.c.id == bindparam("d_id")).values(
                    status=bindparam("status"), leased_until=bindparam("leased_until"),
                    last_status_code=bindparam("last_status_code"), last_error=bindparam("last_error"),
                    next_attempt_at=bindparam("next_attempt_at"), finished_at=bindparam("finished_at")),
                updates, execution_options={"synchronize_session": False})
            if disabled:
                await session.execute(update(webhook_endpoints).where(webhook_endpoints.c.id.in_(set(disabled))).values(
                    enabled=False, disabled_reason="the receiver answered 410 Gone", updated_at=now))
        # Counted once written (attempts whose writing failed are recorded again next round).
        for a in attempts:
            ATTEMPTS.labels(attempt_result(a.status_code)).inc()
            ATTEMPT_SECONDS.observe(a.duration_ms / 1000)
        for status in finished:
            DELIVERIES_FINISHED.labels(status).inc()
        for endpoint_id in set(disabled):
            ENDPOINTS_DISABLED.inc()
            log.warning("webhook endpoint disabled after 410 Gone", extra={"endpoint_id": endpoint_id})

