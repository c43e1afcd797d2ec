"""`Idempotency-Key` on creates, with Stripe's semantics: the first answer to a key is stored, the
same key with the same request gets it again, the same key with another request is 409, and keys
are kept 48 hours (at least the 24 the convention promises).

The key is claimed inside the same transaction as the work, so a request that fails leaves no
claim behind (the retry does the work), and two concurrent requests with one key serialise on the
key's row: the second waits, then replays the first's answer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import Request
from prometheus_client import Counter
from sqlalchemy import Column, DateTime, Integer, MetaData, PrimaryKeyConstraint, Table, Text, delete, func, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.phrases import Phrase
from ecity_common.web.problems import Problem

RETENTION = timedelta(hours=48)
HEADER = "Idempotency-Key"
FIELD = "header.idempotency-key"  # as a problem names it (ecity_common.refusals.field_path)


# A client retrying (a lost answer, a failover): many at once say the network or a replica is ailing.
IDEMPOTENT_REPLAYS = Counter("ecity_idempotent_replays_total",
                             "Requests answered from the Idempotency-Key store: a client's retry of one already done.")


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys",
        metadata,
        Column("scope", Text, nullable=False),  # who: a key means something only for its caller
        Column("key", Text, nullable=False),
        Column("request_hash", Text, nullable=False),
        Column("status", Integer),
        Column("body", JSONB),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("scope", "key", name="idempotency_keys_pkey"),
    )


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    body: object


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


async def claim(session: AsyncSession, table: Table, request: Request, scope: str) -> tuple[str | None, StoredAnswer | None]:
    """(the key, None) when this request should do the work; (key, answer) to replay one. No
    header: (None, None), the request is simply not idempotent."""
    key = request.headers.get(HEADER)
    if key is None:
        return None, None
    if not 1 <= len(key) <= 255:
        raise Problem("bad-idempotency-key", Phrase("idempotency-key-length"),
                      errors=[{"field": FIELD, "message": Phrase("idempotency-key-length")}])
    # The body as the route read it (no second copy), and never more than the route's limit:
    # ecity_common.web.body_limits refuses a bigger one while it arrives, before any key is claimed.
    fingerprint = request_fingerprint(request.method, request.url.path, await request.body())
    await session.execute(delete(table).where(table.c.scope == scope, table.c.key == key,
                                              table.c.created_at < datetime.now(UTC) - RETENTION))
    inserted = await session.execute(
        insert(table).values(scope=scope, key=key, request_hash=fingerprint).on_conflict_do_nothing().returning(table.c.key))
    if inserted.first() is not None:
        return key, None
    row = (await session.execute(select(table).where(table.c.scope == scope, table.c.key == key))).first()
    if row.request_hash != fingerprint:
        raise Problem("idempotency-key-reused", Phrase("idempotency-key-reused"),
                      errors=[{"field": FIELD, "message": Phrase("idempotency-key-other-request")}])
    IDEMPOTENT_REPLAYS.inc()
    return key, StoredAnswer(row.status, row.body)


async def remember(session: AsyncSession, table: Table, scope: str, key: str | None, status: int, body: object) -> None:
    if key is not None:
        await session.execute(update(table).where(table.c.scope == scope, table.c.key == key).values(status=status, body=body))
