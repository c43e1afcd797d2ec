"""An `Idempotency-Key` on a create, kept in this service's table (`ecity_common.web.idempotency`).

Claimed inside the transaction of the work it guards, so a create that fails leaves no claim
behind, and its first answer is kept for the retries. A malformed or reused key is the HTTP
edge's own `Problem` (400, 409).
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters.tables import idempotency_keys
from ecity_common.web import idempotency
from ecity_common.web.idempotency import StoredAnswer

HEADER = idempotency.HEADER


class Once:
    """The create `request` is done once per key of `scope` (whose keys they are); `status` is what
    its first answer is kept with."""

    def __init__(self, request: Request, scope: str, status: int) -> None:
        self._request, self.scope, self.status = request, scope, status
        self._key: str | None = None

    async def claim(self, db: AsyncSession) -> StoredAnswer | None:
        """None when this request should do the work; the first answer when it is a retry."""
        self._key, stored = await idempotency.claim(db, idempotency_keys, self._request, self.scope)
        return stored

    async def remember(self, db: AsyncSession, body: object) -> None:
        await idempotency.remember(db, idempotency_keys, self.scope, self._key, self.status, body)
