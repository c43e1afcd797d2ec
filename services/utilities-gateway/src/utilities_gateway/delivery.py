"""The webhook dispatcher: sends due deliveries, records every attempt, schedules the next.

Deliveries live in the database, so a restart loses none. A dispatcher claims a batch with
`FOR UPDATE SKIP LOCKED` and a lease (several replicas share the work; a dead one's batch comes
back when its lease runs out), sends it, then writes the attempts and outcomes in one transaction.
At most `webhook_concurrency` requests are in flight in all, and `webhook_endpoint_concurrency` to
any one endpoint, each endpoint with its own small connection pool: a slow company cannot take
every slot, no company's server gets a flood, and httpx's pool (whose bookkeeping grows with the
requests queued in it) stays small. A batch is several times the concurrency, because the
database work is per batch.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import bindparam, insert, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from utilities_gateway.db import deliveries, delivery_attempts, webhook_endpoints
from utilities_gateway.sealed import SecretBox
from utilities_gateway.settings import Settings
from utilities_gateway.targets import UnsafeTarget, check_url, guarded_transport
from utilities_gateway.webhooks import headers, judge, next_delay

log = logging.getLogger(__name__)

_CLAIM = text("""
WITH due AS (
    SELECT d.id FROM deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
    WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND e.enabled
      AND (d.leased_until IS NULL OR d.leased_until < now())
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
    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self._sessions = sessions
        self._settings = settings
        self._endpoints: dict[str, tuple[httpx.AsyncClient, asyncio.Semaphore]] = {}
        self._wake = asyncio.Event()
        self._box = SecretBox(settings.webhook_secrets_key.get_secret_value())
        self._unsealed: dict[str, str] = {}
        self._in_flight = asyncio.Semaphore(settings.webhook_concurrency)
        # Long enough for the whole batch to time out, round after round, before anyone else may
        # take it over.
        rounds = -(-settings.webhook_batch_size // min(settings.webhook_concurrency, settings.webhook_endpoint_concurrency))
        self._lease_s = max(settings.webhook_lease_s, rounds * settings.webhook_timeout_s * 1.5)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        try:
            while True:
                try:
                    sent = await self.dispatch_once()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("webhook dispatch failed; retrying")
                    sent = 0
                if sent < self._settings.webhook_batch_size:
                    self._wake.clear()
                    try:
                        await asyncio.wait_for(self._wake.wait(), self._settings.webhook_poll_interval_s)
                    except TimeoutError:
                        pass
        finally:
            for client, _ in self._endpoints.values():
                await client.aclose()

    async def dispatch_once(self) -> int:
        """Claim due deliveries, send them, record the outcomes; the number sent."""
        async with self._sessions() as session, session.begin():
            batch = (await session.execute(_CLAIM, {"limit": self._settings.webhook_batch_size,
                                                    "lease": self._lease_s})).all()
        if not batch:
            return 0
        attempts = await asyncio.gather(*(self._send(row) for row in batch))
        await self._record(attempts)
        return len(batch)

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

    async def _send(self, row) -> Attempt:
        client, endpoint_slots = self._endpoint(row.endpoint_id)
        async with endpoint_slots, self._in_flight:  # the endpoint's slot first: a busy one holds no global slot
            return await self._attempt(client, row)

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
            response = await client.post(row.url, content=body,
                                               headers=headers(signing, row.message_id, int(now.timestamp()), body))
            status, retry_after = response.status_code, response.headers.get("retry-after")
            if not 200 <= status < 300:
                error = f"HTTP {status}: {response.text[:200]}"
        except UnsafeTarget as exc:
            error = f"refused target: {exc}"
        except ValueError as exc:  # the secret cannot be unsealed: nothing is sent unsigned
            error = f"cannot sign: {exc}"
        except httpx.ConnectError as exc:
            error = str(exc)[:300] if "refused target" in str(exc) else f"ConnectError: {exc}"[:300]
        except httpx.TimeoutException:
            error = f"no answer within {self._settings.webhook_timeout_s:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        return Attempt(row.id, row.attempts, row.endpoint_id, now, status, (time.perf_counter() - started) * 1000,
                       error, retry_after)

    async def _record(self, attempts: list[Attempt]) -> None:
        now = datetime.now(UTC)
        updates, disabled = [], []
        for a in attempts:
            outcome = judge(a.status_code, a.retry_after)
            row = {"d_id": a.delivery_id, "leased_until": None, "last_status_code": a.status_code,
                   "last_error": a.error, "next_attempt_at": now, "finished_at": None}
            if outcome.succeeded:
                row.update(status="succeeded", finished_at=now)
            elif outcome.disable_endpoint:
                row.update(status="failed", finished_at=now)
                disabled.append(a.endpoint_id)
            else:
                delay = next_delay(a.attempt, self._settings.webhook_retry_schedule_s, outcome.retry_after_s)
                if delay is None:
                    row.update(status="failed", finished_at=now)
                else:
                    row.update(status="pending", next_attempt_at=now + timedelta(seconds=delay))
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
        for endpoint_id in set(disabled):
            log.warning("webhook endpoint disabled after 410 Gone", extra={"endpoint_id": endpoint_id})


async def run_dispatcher(app) -> None:
    """The worker the service starts (see main.py)."""
    await app.state.dispatcher.run()
