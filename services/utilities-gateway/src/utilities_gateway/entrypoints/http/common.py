"""What the integration routes share: who the calling company is, and idempotent POSTs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.db import session
from ecity_common.web.openapi import refuses
from ecity_common.web.problems import Problem
from utilities_gateway.adapters.idempotency import claim, remember
from utilities_gateway.domain.access import Caller
from utilities_gateway.domain.phrases import Phrase
from utilities_gateway.use_cases.company_credentials import authenticate


@refuses(401, 403)  # no key or an unknown one; a rotated key's limits
async def company(request: Request, db: AsyncSession = Depends(session)) -> Caller:
    """The company whose API key this is: `Authorization: Bearer ugw_…` or `X-API-Key: ugw_…`."""
    key = request.headers.get("x-api-key")
    if key is None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else None
    caller = await authenticate(db, key)
    await db.rollback()  # end the read; the use case opens its own transaction
    if caller is None:
        raise Problem("api-key-required", Phrase("company-key-required"),
                      headers={"WWW-Authenticate": "Bearer"},
                      errors=[{"field": "header.authorization", "message": Phrase("key-not-accepted")}])
    request.state.audit_company, request.state.audit_actor = caller.company_id, caller.actor
    return caller


# What a retry of a call that made a key or a signing secret gets instead of it.
SHOWN_ONCE = ("shown once, in the first answer to this Idempotency-Key, and never again: if that answer was lost, "
              "revoke this one and make another")


async def idempotent(request: Request, db: AsyncSession, scope: str, status: int,
                     work: Callable[[], Awaitable[object]], *, secret: str | None = None) -> JSONResponse:
    """Run `work` in one transaction with the request's Idempotency-Key: the same key and body get
    the first answer again (marked `Idempotent-Replayed: true`), another body 409. A refused call
    stores nothing, so its retry runs afresh. `secret`: the answer's field that carries a key or a
    signing secret shown once. The stored answer never holds it, not even sealed: a replay says which
    key or endpoint it was and that it is not shown again (whoever replays a leaked Idempotency-Key
    with a stolen key gets no new secret)."""
    async with db.begin():
        key, stored = await claim(db, request, scope)
        if stored is not None:
            return JSONResponse(stored.body, status_code=stored.status, headers={"Idempotent-Replayed": "true"})
        body = jsonable_encoder(await work())
        kept = {**body, secret: None, f"{secret}_note": SHOWN_ONCE} if secret and isinstance(body, dict) else body
        await remember(db, scope, key, status, kept)
    return JSONResponse(body, status_code=status)


def outbox(request: Request):
    return request.app.state.outbox


def refuse_nulls(data, names: tuple[str, ...]):
    """For a PATCH model's `mode="before"` validator: a field may be left out, but not set to
    null where the stored value cannot be empty."""
    if isinstance(data, dict):
        for name in names:
            if name in data and data[name] is None:
                raise ValueError(Phrase("cannot-be-null", name=name))
    return data
