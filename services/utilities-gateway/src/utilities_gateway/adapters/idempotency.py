"""The gateway's Idempotency-Key store: `ecity_common.web.idempotency` on this service's table."""

from __future__ import annotations

from ecity_common.web import idempotency
from utilities_gateway.adapters.tables import idempotency_keys


async def claim(session, request, scope: str):
    return await idempotency.claim(session, idempotency_keys, request, scope)


async def remember(session, scope: str, key, status: int, body) -> None:
    await idempotency.remember(session, idempotency_keys, scope, key, status, body)
